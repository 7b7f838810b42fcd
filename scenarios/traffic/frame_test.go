package traffic

import (
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func spec(v6 bool, size int) FrameSpec {
	s := FrameSpec{Size: size, SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		Src: netip.MustParseAddr("198.18.0.1"), Dst: netip.MustParseAddr("198.18.0.2"), SrcPort: 10000, DstPort: 9}
	if v6 {
		s.Src, s.Dst = netip.MustParseAddr("2001:2::1"), netip.MustParseAddr("2001:2::2")
	}
	return s
}

func TestBuildUDPSizes(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		for _, size := range RFC2544Sizes {
			if size < MinFrameSize(v6) {
				continue
			}
			b, err := BuildUDP(spec(v6, size))
			require.NoError(t, err)
			assert.Len(t, b, size-FCSLen, "bytes without FCS")
			require.NoError(t, CheckChecksums(b))
			p := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
			require.Nil(t, p.ErrorLayer())
			udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			assert.Equal(t, layers.UDPPort(10000), udp.SrcPort)
			assert.Equal(t, layers.UDPPort(9), udp.DstPort)
			assert.Equal(t, []byte("xdplab"), udp.Payload[:6])
			if v6 {
				assert.NotNil(t, p.Layer(layers.LayerTypeIPv6))
				assert.NotZero(t, udp.Checksum)
			} else {
				assert.NotNil(t, p.Layer(layers.LayerTypeIPv4))
				assert.Zero(t, udp.Checksum, "UDP over IPv4 without checksum")
			}
		}
	}
}

func TestBuildUDPRejects(t *testing.T) {
	_, err := BuildUDP(spec(true, 64))
	assert.ErrorContains(t, err, "IPv6 needs 66 to 1518")
	_, err = BuildUDP(spec(false, 1519))
	assert.ErrorContains(t, err, "out of range")
	s := spec(false, 64)
	s.Dst = netip.MustParseAddr("2001:2::2")
	_, err = BuildUDP(s)
	assert.ErrorContains(t, err, "different IP versions")
}

func TestFlowsStamp(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		s := spec(v6, 128)
		f, err := NewFlows(120000, s)
		require.NoError(t, err)
		assert.Equal(t, uint32(50000), f.PortsPerAddr)
		b, err := BuildUDP(s)
		require.NoError(t, err)
		for _, i := range []uint32{0, 1, 49999, 50000, 119999, 0} {
			f.Stamp(b, v6, i)
			require.NoError(t, CheckChecksums(b), "flow %d", i)
			p := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
			udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			assert.Equal(t, layers.UDPPort(10000+i%50000), udp.SrcPort)
			var src net.IP
			if v6 {
				src = p.Layer(layers.LayerTypeIPv6).(*layers.IPv6).SrcIP
			} else {
				src = p.Layer(layers.LayerTypeIPv4).(*layers.IPv4).SrcIP
			}
			lo := uint16(src[len(src)-2])<<8 | uint16(src[len(src)-1])
			assert.Equal(t, uint16(1+i/50000), lo, "flow %d source address", i)
		}
	}
	_, err := NewFlows(0, spec(false, 64))
	assert.ErrorContains(t, err, "flows 0 out of range")
}

func TestCsumReplaceMatchesRecompute(t *testing.T) {
	// RFC 1624's example: old word 0x5555 becomes 0x3285.
	hc := csumReplace2(0xdd2f, 0x5555, 0x3285)
	assert.Equal(t, uint16(0x0000), hc)
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{"250000": 250000, "250k": 250000, "1.5M": 1500000, "2G": 2000000000, " 10K ": 10000} {
		got, err := ParseRate(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "fast", "-1", "0", "0.1", "1T"} {
		_, err := ParseRate(in)
		assert.ErrorContains(t, err, "give frames per second", in)
	}
}
