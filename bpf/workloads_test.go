package bpf_test

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
)

// pkt builds a test frame from layers; fix sets lengths and checksums.
func pkt(t *testing.T, fix bool, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: fix, ComputeChecksums: fix}, ls...))
	return buf.Bytes()
}

func eth(v6 bool) *layers.Ethernet {
	e := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	if v6 {
		e.EthernetType = layers.EthernetTypeIPv6
	}
	return e
}

func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

func ip6(src, dst string, proto layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
}

func udp4(t *testing.T, src, dst string, dport uint16) []byte {
	ip := ip4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 10000, DstPort: layers.UDPPort(dport)}
	require.NoError(t, u.SetNetworkLayerForChecksum(ip))
	return pkt(t, true, eth(false), ip, u, gopacket.Payload(make([]byte, 18)))
}

func tcp4(t *testing.T, src, dst string, dport uint16) []byte {
	ip := ip4(src, dst, layers.IPProtocolTCP)
	tc := &layers.TCP{SrcPort: 10000, DstPort: layers.TCPPort(dport), SYN: true, Window: 1024}
	require.NoError(t, tc.SetNetworkLayerForChecksum(ip))
	return pkt(t, true, eth(false), ip, tc, gopacket.Payload(make([]byte, 6)))
}

func udp6(t *testing.T, src, dst string, dport uint16) []byte {
	ip := ip6(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 10000, DstPort: layers.UDPPort(dport)}
	require.NoError(t, u.SetNetworkLayerForChecksum(ip))
	return pkt(t, true, eth(true), ip, u, gopacket.Payload(make([]byte, 4)))
}

// fixture is one test frame in the manner of Katran's test fixtures: the
// input, the action the program must return, and the frame it must leave
// (nil: the input, untouched).
type fixture struct {
	name   string
	in     []byte
	action catalog.Action
	out    []byte
}

func runFixtures(t *testing.T, p *bpf.Program, fx []fixture) {
	t.Helper()
	for _, f := range fx {
		ro := &ebpf.RunOptions{Data: f.in, DataOut: make([]byte, len(f.in)+256)}
		ret, err := p.Program.Run(ro)
		require.NoError(t, err, f.name)
		assert.Equal(t, f.action, catalog.Action(ret), f.name)
		want := f.out
		if want == nil {
			want = f.in
		}
		assert.True(t, bytes.Equal(want, ro.DataOut), "%s: output frame\n got %x\nwant %x", f.name, ro.DataOut, want)
	}
}

const filterRules = `# attack sources and targets
drop src 198.18.0.128/25
drop dst 198.19.0.0/16
drop src 2001:2:0:ff::/64
drop proto tcp dport 80
drop proto icmp
`

func TestFilterRulesBroken(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "rules.txt: no rules",
		"# only a comment\n":      "rules.txt: no rules",
		"allow src 198.18.0.0/24": "rules.txt:1: rule \"allow src 198.18.0.0/24\": a rule starts with drop",
		"drop src 198.18.0.0/33":  "is not an address or prefix",
		"drop src":                "a rule starts with drop and names src, dst or proto",
		"drop proto sctp":         `unknown protocol "sctp"`,
		"drop proto icmp dport 1": "only tcp and udp have ports",
		"drop proto tcp dport 0":  `port "0": use 1 to 65535`,
		"drop proto tcp sport 80": "after the protocol only dport N may follow",
		"drop port 80":            `unknown field "port"`,
		"drop src 198.18.0.1\ndrop src 198.18.0.1/32": "rules.txt:2: rule \"drop src 198.18.0.1/32\" repeats line 1",
	} {
		_, err := catalog.ParseFilterRules(strings.NewReader(in), "rules.txt")
		assert.ErrorContains(t, err, want, in)
	}
	_, err := catalog.ReadFilterRules("/nonexistent/rules.txt")
	assert.ErrorContains(t, err, "no such file")
	_, err = bpf.LoadDUT(bpf.DUTOptions{Program: "filter"})
	assert.ErrorContains(t, err, "no rules")
}

func lbConfig(backends ...string) *bpf.LBConfig {
	c := &bpf.LBConfig{VIP: netip.MustParseAddrPort("198.18.0.2:9"), Proto: 17,
		Source4: netip.MustParseAddr("198.18.0.2"), Source6: netip.MustParseAddr("2001:2::2"), NextHop: macA}
	for _, b := range backends {
		c.Backends = append(c.Backends, netip.MustParseAddr(b))
	}
	return c
}

// encap is the frame the balancer must send for in towards backend.
func encap(t *testing.T, in []byte, backend netip.Addr) []byte {
	t.Helper()
	e := &layers.Ethernet{SrcMAC: net.HardwareAddr(in[0:6]), DstMAC: macA, EthernetType: layers.EthernetTypeIPv4}
	inner := in[14:]
	proto := layers.IPProtocolIPv4
	if in[12] == 0x86 {
		proto = layers.IPProtocolIPv6
	}
	if backend.Is6() {
		e.EthernetType = layers.EthernetTypeIPv6
		return pkt(t, true, e, &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto,
			SrcIP: net.ParseIP("2001:2::2"), DstIP: backend.AsSlice()}, gopacket.Payload(inner))
	}
	return pkt(t, true, e, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto,
		SrcIP: net.ParseIP("198.18.0.2").To4(), DstIP: backend.AsSlice()}, gopacket.Payload(inner))
}

func TestMaglevEven(t *testing.T) {
	var names []string
	for i := range 10 {
		names = append(names, fmt.Sprintf("backend-%d", i))
	}
	table := bpf.Maglev(names, catalog.MaglevSize)
	n := map[uint32]int{}
	for _, b := range table {
		n[b]++
	}
	for b, c := range n {
		assert.InDelta(t, catalog.MaglevSize/10, c, 1, "backend %d gets its share of slots", b)
	}
	// Removing one backend moves few of the others' slots.
	smaller := bpf.Maglev(names[:9], catalog.MaglevSize)
	moved := 0
	for i := range table {
		if table[i] != 9 && table[i] != smaller[i] {
			moved++
		}
	}
	assert.Less(t, moved, catalog.MaglevSize/5, "minimal disruption")
}
