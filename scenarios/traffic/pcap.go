package traffic

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
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
