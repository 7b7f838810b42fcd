package stream

import (
	"fmt"
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
			f.Stamp(b, s.Layout(), i)
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

func TestBuildProtocols(t *testing.T) {
	for _, proto := range []Protocol{UDP, TCPSYN, ICMP} {
		for _, v6 := range []bool{false, true} {
			for _, vlan := range []uint16{0, 100} {
				s := spec(v6, 0)
				s.Proto, s.VLAN = proto, vlan
				for _, size := range []int{s.MinSize(), 512, s.MaxSize()} {
					s.Size = size
					name := fmt.Sprintf("%s/v6=%v/vlan=%d/%d", proto, v6, vlan, size)
					b, err := Build(s)
					require.NoError(t, err, name)
					assert.Len(t, b, size-FCSLen, name)
					require.NoError(t, CheckChecksums(b), name)
					p := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
					require.Nil(t, p.ErrorLayer(), name)
					if vlan != 0 {
						assert.Equal(t, vlan, p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q).VLANIdentifier, name)
					}
					switch proto {
					case TCPSYN:
						tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
						assert.True(t, tcp.SYN && !tcp.ACK && !tcp.RST && !tcp.FIN, name)
						assert.Equal(t, layers.TCPPort(10000), tcp.SrcPort, name)
					case ICMP:
						if v6 {
							assert.Equal(t, uint16(10000), p.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo).Identifier, name)
						} else {
							assert.Equal(t, uint16(10000), p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4).Id, name)
						}
					default:
						assert.NotNil(t, p.Layer(layers.LayerTypeUDP), name)
					}
					f, err := NewFlows(70000, s)
					require.NoError(t, err)
					for _, i := range []uint32{1, 50001, 69999} {
						f.Stamp(b, s.Layout(), i)
						require.NoError(t, CheckChecksums(b), "%s flow %d", name, i)
					}
				}
			}
		}
	}
	s := spec(false, 64)
	s.Proto = "sctp"
	_, err := Build(s)
	assert.ErrorContains(t, err, `protocol "sctp": use udp, tcp-syn or icmp`)
	s = spec(true, 66)
	s.Stamp = true
	_, err = Build(s)
	assert.ErrorContains(t, err, "UDP over IPv6 with a latency stamp needs 82 to 1518 bytes")
	s = spec(false, 1522)
	s.VLAN = 4095
	_, err = Build(s)
	assert.ErrorContains(t, err, "VLAN id 4095 out of range")
}

func TestMix(t *testing.T) {
	m, err := ParseMix("imix")
	require.NoError(t, err)
	assert.Equal(t, "64:7,570:4,1518:1", m.String())
	sched := m.Schedule()
	require.Len(t, sched, 12)
	n := map[int]int{}
	for _, s := range sched {
		n[s]++
	}
	assert.Equal(t, map[int]int{64: 7, 570: 4, 1518: 1}, n)
	assert.NotEqual(t, []int{64, 64, 64}, sched[:3], "interleaved, not in runs")
	assert.InDelta(t, 353.83, m.MeanSize(), 0.01)
	require.NoError(t, m.Validate(spec(false, 64)))
	assert.ErrorContains(t, m.Validate(spec(true, 66)), "size 64 out of range: UDP over IPv6 needs 66 to 1518")
	for in, want := range map[string]string{
		"64":           "write imix, or size:weight pairs",
		"64:x":         "write imix, or size:weight pairs",
		"64:0":         "weight 0 of size 64",
		"64:40,128:40": "weights add up to 80, at most 64",
		"64:1,64:2":    "size 64 named twice",
		"9000:1":       "size 9000 out of range",
	} {
		m, err := ParseMix(in)
		if err == nil {
			err = m.Validate(spec(false, 64))
		}
		assert.ErrorContains(t, err, want, in)
	}
}

// The Go shaper makes well-formed frames of the mix's sizes, and the share
// of malformed frames asked for, each kind in turn.
func TestShaper(t *testing.T) {
	for _, proto := range []Protocol{UDP, TCPSYN, ICMP} {
		for _, v6 := range []bool{false, true} {
			s := spec(v6, 0)
			s.Proto, s.VLAN, s.Stamp = proto, 7, true
			mix := Mix{{s.MinSize(), 3}, {600, 2}, {s.MaxSize(), 1}}
			sh, err := NewShaper(ShapeOptions{Frame: s, Mix: mix, Flows: 5, MalformedPPM: 100_000})
			require.NoError(t, err)
			sizes := map[int]int{}
			good := 0
			for i := range 60 {
				b := sh.next(func() uint64 { return uint64(i + 1) })
				if err := CheckChecksums(b); err != nil {
					continue
				}
				good++
				sizes[len(b)+FCSLen]++
				p := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
				require.Nil(t, p.ErrorLayer())
			}
			assert.Equal(t, uint64(6), sh.Malformed(), "%s v6=%v", proto, v6)
			assert.Equal(t, 54, good, "%s v6=%v: every frame but the malformed checks out", proto, v6)
			assert.Len(t, sizes, 3)
		}
	}
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
