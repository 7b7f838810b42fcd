package stream

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testFrames builds n distinct UDP frames (source port 1000+i).
func testFrames(t testing.TB, n, size int) [][]byte {
	var out [][]byte
	for i := range n {
		f, err := BuildUDP(FrameSpec{Size: size, SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
			Src: netip.MustParseAddr("198.18.0.1"), Dst: netip.MustParseAddr("198.18.0.2"), SrcPort: uint16(1000 + i), DstPort: 9})
		require.NoError(t, err)
		out = append(out, f)
	}
	return out
}

func pcapBytes(t testing.TB, frames [][]byte) []byte {
	var b bytes.Buffer
	require.NoError(t, WriteCapture(&b, frames))
	return b.Bytes()
}

func TestCaptureRoundTrip(t *testing.T) {
	frames := testFrames(t, 10, 128)
	c, err := ParseCapture(bytes.NewReader(pcapBytes(t, frames)), 1514)
	require.NoError(t, err)
	require.Len(t, c.Frames, 10)
	assert.Equal(t, frames, c.Frames)
	assert.Equal(t, 128, c.MeanSize())
	c.Rewrite(net.HardwareAddr{2, 0, 0, 0, 0, 0xaa}, net.HardwareAddr{2, 0, 0, 0, 0, 0xbb})
	assert.Equal(t, byte(0xbb), c.Frames[3][5], "destination MAC")
	assert.Equal(t, byte(0xaa), c.Frames[3][11], "source MAC")

	// pcapng too.
	var ng bytes.Buffer
	w, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	require.NoError(t, err)
	for _, f := range frames {
		require.NoError(t, w.WritePacket(captureInfo(len(f)), f))
	}
	require.NoError(t, w.Flush())
	c, err = ParseCapture(bytes.NewReader(ng.Bytes()), 1514)
	require.NoError(t, err)
	assert.Len(t, c.Frames, 10)

	// Frames over the size limit are skipped and counted.
	c, err = ParseCapture(bytes.NewReader(pcapBytes(t, append(testFrames(t, 2, 64), testFrames(t, 1, 1518)...))), 1000)
	require.NoError(t, err)
	assert.Len(t, c.Frames, 2)
	assert.Equal(t, 1, c.Skipped)
}

func TestCaptureBroken(t *testing.T) {
	good := pcapBytes(t, testFrames(t, 3, 64))
	header := good[:24]
	linux := append([]byte(nil), header...)
	binary.LittleEndian.PutUint32(linux[20:], uint32(layers.LinkTypeLinuxSLL))
	short := pcapBytes(t, [][]byte{{1, 2, 3}})
	big := pcapBytes(t, testFrames(t, 2, 1518))
	cases := []struct {
		name string
		in   []byte
		max  int
		want string
	}{
		{"empty", nil, 1514, "empty file"},
		{"too short", []byte{0xd4, 0xc3}, 1514, "too short"},
		{"not a pcap", []byte("format: 1\nname: x\n"), 1514, "not a pcap or pcapng capture"},
		{"header only", header, 1514, "holds no packets"},
		{"truncated", good[:len(good)-10], 1514, "truncated in packet 3"},
		{"cut header", good[:20], 1514, "pcap header"},
		{"link type", linux, 1514, "link type"},
		{"runt frame", short, 1514, "shorter than an Ethernet header"},
		{"all too big", big, 1000, "all 2 frames are larger than 1000 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCapture(bytes.NewReader(c.in), c.max)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := ReadCapture(filepath.Join(t.TempDir(), "nosuch.pcap"), 1514)
	assert.ErrorContains(t, err, "nosuch.pcap")
}

func FuzzParseCapture(f *testing.F) {
	f.Add(pcapBytes(f, testFrames(f, 3, 64)))
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCapture(bytes.NewReader(data), 1514)
		if err == nil && (c == nil || len(c.Frames) == 0) {
			t.Fatal("no error and no frames")
		}
	})
}

// The library's capture is made by this code: regenerate it with
// XDPLAB_UPDATE_CAPTURE=1 go test ./internal/traffic -run TestLibraryCapture.
func TestLibraryCapture(t *testing.T) {
	path := filepath.Join("..", "..", "scenarios", "library", "pcap", "udp-100.pcap")
	want := pcapBytes(t, testFrames(t, 100, 128))
	if os.Getenv("XDPLAB_UPDATE_CAPTURE") == "1" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, want, 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "XDPLAB_UPDATE_CAPTURE=1 go test ./internal/traffic -run TestLibraryCapture makes it")
	assert.Equal(t, want, got)
}

// Rewriting a capture's addresses keeps every checksum right.
func TestCaptureRewriteIPs(t *testing.T) {
	var frames [][]byte
	for _, proto := range []Protocol{UDP, TCPSYN, ICMP} {
		for _, v6 := range []bool{false, true} {
			for _, vlan := range []uint16{0, 9} {
				s := spec(v6, 128)
				s.Proto, s.VLAN, s.Src = proto, vlan, netip.MustParseAddr("198.19.7.7")
				s.Dst = netip.MustParseAddr("198.19.8.8")
				if v6 {
					s.Src, s.Dst = netip.MustParseAddr("2001:2:0:77::7"), netip.MustParseAddr("2001:2:0:88::8")
				}
				b, err := Build(s)
				require.NoError(t, err)
				if proto == UDP && !v6 {
					// a UDP checksum over IPv4 too, which Build leaves out
					ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice()}
					u := &layers.UDP{SrcPort: 1, DstPort: 2}
					require.NoError(t, u.SetNetworkLayerForChecksum(ip))
					buf := gopacket.NewSerializeBuffer()
					require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
						&layers.Ethernet{SrcMAC: s.SrcMAC, DstMAC: s.DstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(make([]byte, 30))))
					frames = append(frames, buf.Bytes())
				}
				frames = append(frames, b)
			}
		}
	}
	frames = append(frames, []byte("not an IP frame, just bytes"))
	c := &Capture{Frames: frames}
	n := c.RewriteIPs(netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2"), netip.MustParseAddr("2001:2::1"), netip.MustParseAddr("2001:2::2"))
	assert.Equal(t, len(frames)-1, n)
	for i, f := range frames[:len(frames)-1] {
		require.NoError(t, CheckChecksums(f), "frame %d", i)
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		if ip, ok := p.NetworkLayer().(*layers.IPv4); ok {
			assert.Equal(t, "198.18.0.1", ip.SrcIP.String())
			assert.Equal(t, "198.18.0.2", ip.DstIP.String())
		} else {
			ip6 := p.NetworkLayer().(*layers.IPv6)
			assert.Equal(t, "2001:2::1", ip6.SrcIP.String())
			assert.Equal(t, "2001:2::2", ip6.DstIP.String())
		}
	}
}
