package stream

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Capture is the frames of a pcap or pcapng file, ready to replay.
type Capture struct {
	Path   string
	Frames [][]byte
	// Times is each frame's capture time from the first frame's; a
	// timestamp earlier than the one before it counts as the same time.
	Times   []time.Duration
	Skipped int // frames larger than the largest frame the topology takes
	Bytes   uint64
}

// Span is the capture time from the first frame to the last.
func (c *Capture) Span() time.Duration {
	if len(c.Times) == 0 {
		return 0
	}
	return c.Times[len(c.Times)-1]
}

// ReadCapture reads a capture file; frames longer than maxFrame bytes
// (without FCS) are counted in Skipped and left out.
func ReadCapture(path string, maxFrame int) (*Capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", path, err)
	}
	defer f.Close()
	c, err := ParseCapture(bufio.NewReader(f), maxFrame)
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// ParseCapture reads pcap (microsecond or nanosecond, either byte order)
// or pcapng of Ethernet frames.
func ParseCapture(r io.Reader, maxFrame int) (*Capture, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil {
		if len(magic) == 0 {
			return nil, errors.New("empty file: not a pcap or pcapng capture")
		}
		return nil, errors.New("too short for a pcap or pcapng header")
	}
	var read func() ([]byte, gopacket.CaptureInfo, error)
	var link layers.LinkType
	switch m := binary.LittleEndian.Uint32(magic); m {
	case 0x0a0d0d0a:
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, fmt.Errorf("pcapng header: %w", err)
		}
		link = ng.LinkType()
		read = ng.ReadPacketData
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("pcap header: %w", err)
		}
		link = pr.LinkType()
		read = pr.ReadPacketData
	default:
		return nil, fmt.Errorf("not a pcap or pcapng capture (magic %#08x): save the capture as pcap or pcapng", m)
	}
	if link != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("link type %s: xdplab replays Ethernet captures", link)
	}
	c := &Capture{}
	var first time.Time
	var last time.Duration
	for n := 1; ; n++ {
		d, ci, err := read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("truncated in packet %d: the file ends inside it", n)
			}
			return nil, fmt.Errorf("packet %d: %w", n, err)
		}
		if len(d) < 14 {
			return nil, fmt.Errorf("packet %d: %d bytes is shorter than an Ethernet header", n, len(d))
		}
		if len(d) > maxFrame {
			c.Skipped++
			continue
		}
		if len(c.Frames) == 0 {
			first = ci.Timestamp
		}
		last = max(last, ci.Timestamp.Sub(first))
		c.Times = append(c.Times, last)
		c.Frames = append(c.Frames, append([]byte(nil), d...))
		c.Bytes += uint64(len(d))
	}
	if len(c.Frames) == 0 {
		if c.Skipped > 0 {
			return nil, fmt.Errorf("all %d frames are larger than %d bytes", c.Skipped, maxFrame)
		}
		return nil, errors.New("the capture holds no packets")
	}
	return c, nil
}

// Rewrite sets every frame's Ethernet addresses to the topology's, so that
// the frames reach the DUT.
func (c *Capture) Rewrite(src, dst net.HardwareAddr) {
	for _, f := range c.Frames {
		copy(f[0:6], dst)
		copy(f[6:12], src)
	}
}

// MeanSize is the mean frame size with FCS.
func (c *Capture) MeanSize() int {
	return int((c.Bytes+uint64(len(c.Frames))/2)/uint64(len(c.Frames))) + 4
}

// WriteCapture writes frames as a pcap file (for tests and the library),
// all with the same timestamp.
func WriteCapture(w io.Writer, frames [][]byte) error {
	return WriteCaptureTimed(w, frames, 0)
}

// WriteCaptureTimed writes frames as a pcap file with gap between frames.
func WriteCaptureTimed(w io.Writer, frames [][]byte, gap time.Duration) error {
	pw := pcapgo.NewWriter(w)
	if gap != 0 {
		pw = pcapgo.NewWriterNanos(w)
	}
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for i, f := range frames {
		ci := captureInfo(len(f))
		ci.Timestamp = ci.Timestamp.Add(time.Duration(i) * gap)
		if err := pw.WritePacket(ci, f); err != nil {
			return err
		}
	}
	return nil
}

func captureInfo(n int) gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: time.Unix(1795600000, 0).UTC(), CaptureLength: n, Length: n}
}

// RewriteIPs sets every IPv4 frame's addresses to src4 and dst4 and every
// IPv6 frame's to src6 and dst6 (an 802.1Q tag skipped), updating the IPv4
// header checksum and the TCP, UDP or ICMPv6 checksum, so that a capture
// from elsewhere is addressed to the topology. It returns how many frames
// it rewrote; other frames are left as they are.
func (c *Capture) RewriteIPs(src4, dst4, src6, dst6 netip.Addr) int {
	n := 0
	for _, f := range c.Frames {
		if rewriteIPs(f, src4, dst4, src6, dst6) {
			n++
		}
	}
	return n
}

func rewriteIPs(f []byte, src4, dst4, src6, dst6 netip.Addr) bool {
	be := binary.BigEndian
	l3 := 14
	if len(f) >= 18 && be.Uint16(f[12:]) == 0x8100 {
		l3 = 18
	}
	if len(f) < l3 {
		return false
	}
	// swap replaces the address at off with a, updating the checksums at
	// the given offsets (-1: none) word by word.
	swap := func(off int, a []byte, checks ...int) {
		for i := 0; i < len(a); i += 2 {
			old, nw := be.Uint16(f[off+i:]), be.Uint16(a[i:])
			for _, c := range checks {
				if c >= 0 {
					be.PutUint16(f[c:], csumReplace2(be.Uint16(f[c:]), old, nw))
				}
			}
			be.PutUint16(f[off+i:], nw)
		}
	}
	l4check := func(proto byte, l4 int, pseudo bool) int {
		switch {
		case proto == 6 && len(f) >= l4+18:
			return l4 + 16
		case proto == 17 && len(f) >= l4+8 && be.Uint16(f[l4+6:]) != 0:
			return l4 + 6
		case proto == 58 && pseudo && len(f) >= l4+4:
			return l4 + 2
		}
		return -1
	}
	switch be.Uint16(f[l3-2:]) {
	case 0x0800:
		if len(f) < l3+20 || f[l3]>>4 != 4 || !src4.Is4() {
			return false
		}
		ihl := int(f[l3]&0x0f) * 4
		ck := -1
		if f[l3+6]&0x1f == 0 && f[l3+7] == 0 { // not a later fragment
			ck = l4check(f[l3+9], l3+ihl, true)
		}
		s, d := src4.As4(), dst4.As4()
		swap(l3+12, s[:], l3+10, ck)
		swap(l3+16, d[:], l3+10, ck)
		if ck == l3+ihl+6 && be.Uint16(f[ck:]) == 0 {
			be.PutUint16(f[ck:], 0xffff)
		}
	case 0x86dd:
		if len(f) < l3+40 || f[l3]>>4 != 6 || !src6.Is6() {
			return false
		}
		ck := l4check(f[l3+6], l3+40, true)
		s, d := src6.As16(), dst6.As16()
		swap(l3+8, s[:], ck)
		swap(l3+24, d[:], ck)
		if ck == l3+40+6 && be.Uint16(f[ck:]) == 0 {
			be.PutUint16(f[ck:], 0xffff)
		}
	default:
		return false
	}
	return true
}
