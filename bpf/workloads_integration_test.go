//go:build integration

package bpf_test

import (
	"bytes"
	"fmt"
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
	"github.com/xdplab/xdplab/internal/testenv"
)

func TestIntegrationFilterFixtures(t *testing.T) {
	testenv.RequireRoot(t)
	rules, err := catalog.ParseFilterRules(strings.NewReader(filterRules), "rules.txt")
	require.NoError(t, err)
	require.Len(t, rules, 5)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "filter", Settings: rules})
	require.NoError(t, err)
	defer p.Close()
	assert.Nil(t, p.Expected, "the filter's action depends on the frame")

	good := udp4(t, "198.18.0.1", "198.18.0.2", 9)
	cut := func(b []byte, n int) []byte { return append([]byte(nil), b[:n]...) }
	lying := append([]byte(nil), good...)
	lying[14+2], lying[14+3] = 0x05, 0xdc // IPv4 total length 1500 in a 60-byte frame
	badIHL := append([]byte(nil), good...)
	badIHL[14] = 0x44 // IHL 4: shorter than an IPv4 header
	udpLen := append([]byte(nil), good...)
	udpLen[14+20+4], udpLen[14+20+5] = 0x02, 0x00 // UDP length 512
	tcpDoff := tcp4(t, "198.18.0.1", "198.18.0.2", 22)
	tcpDoff[14+20+12] = 0x40 // data offset 4 words
	vip := ip4("198.18.0.200", "198.18.0.2", layers.IPProtocolUDP)
	vu := &layers.UDP{SrcPort: 1, DstPort: 2}
	require.NoError(t, vu.SetNetworkLayerForChecksum(vip))
	vlan := pkt(t, true, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, vip, vu, gopacket.Payload(make([]byte, 14)))
	arp := pkt(t, true, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: macA, SourceProtAddress: []byte{198, 18, 0, 1}, DstHwAddress: make([]byte, 6), DstProtAddress: []byte{198, 18, 0, 2}})
	icmp := pkt(t, true, eth(false), ip4("198.18.0.1", "198.18.0.2", layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}, gopacket.Payload(make([]byte, 32)))

	runFixtures(t, p, []fixture{
		{"legitimate UDP passes", good, catalog.Pass, nil},
		{"source in 198.18.0.128/25", udp4(t, "198.18.0.129", "198.18.0.2", 9), catalog.Drop, nil},
		{"last source of the prefix", udp4(t, "198.18.0.255", "198.18.0.2", 9), catalog.Drop, nil},
		{"source just below the prefix", udp4(t, "198.18.0.127", "198.18.0.2", 9), catalog.Pass, nil},
		{"destination in 198.19.0.0/16", udp4(t, "198.18.0.1", "198.19.3.4", 9), catalog.Drop, nil},
		{"IPv6 source in 2001:2:0:ff::/64", udp6(t, "2001:2:0:ff::9", "2001:2::2", 9), catalog.Drop, nil},
		{"IPv6 legitimate", udp6(t, "2001:2::1", "2001:2::2", 9), catalog.Pass, nil},
		{"TCP to port 80", tcp4(t, "198.18.0.1", "198.18.0.2", 80), catalog.Drop, nil},
		{"TCP to port 22", tcp4(t, "198.18.0.1", "198.18.0.2", 22), catalog.Pass, nil},
		{"UDP to port 80 (the rule is TCP's)", udp4(t, "198.18.0.1", "198.18.0.2", 80), catalog.Pass, nil},
		{"any ICMP", icmp, catalog.Drop, nil},
		{"VLAN-tagged, source in the prefix", vlan, catalog.Drop, nil},
		{"ARP is not IP: passes", arp, catalog.Pass, nil},
		{"an Ethernet header alone (IPv4 type)", cut(good, 14), catalog.Drop, nil},
		{"IPv4 header cut short", cut(good, 14+12), catalog.Drop, nil},
		{"UDP header cut short", cut(good, 14+20+4), catalog.Drop, nil},
		{"IPv4 length claims 1500", lying, catalog.Drop, nil},
		{"IHL below 5", badIHL, catalog.Drop, nil},
		{"UDP length beyond the packet", udpLen, catalog.Drop, nil},
		{"TCP data offset below 5", tcpDoff, catalog.Drop, nil},
		{"IPv6 header cut short", cut(udp6(t, "2001:2::1", "2001:2::2", 9), 14+30), catalog.Drop, nil},
	})
	hits, err := p.RuleHits(6)
	require.NoError(t, err)
	got := []uint64{}
	for _, h := range hits {
		got = append(got, h.Packets)
	}
	assert.Equal(t, []uint64{8, 3, 1, 1, 1, 1}, got, "malformed, then hits per rule in file order")

	// Rules change under the program's feet: the next frame sees them.
	r, err := catalog.ParseFilterRule("drop src 198.18.0.1/32")
	require.NoError(t, err)
	r.ID = 9
	require.NoError(t, p.AddRule(r))
	runFixtures(t, p, []fixture{{"after adding a rule", good, catalog.Drop, nil}})
	require.NoError(t, p.DeleteRule(r))
	runFixtures(t, p, []fixture{{"after deleting it", good, catalog.Pass, nil}})
}

// The offloadability check names what stands in the way, for the
// workloads and for users' objects.
func TestIntegrationOffloadability(t *testing.T) {
	testenv.RequireRoot(t)
	_, err := bpf.LoadDUT(bpf.DUTOptions{Program: "filter", Ifindex: 1, Settings: []catalog.FilterRule{{ID: 1, Field: "src", Prefix: netip.MustParsePrefix("198.18.0.0/24")}}})
	var no *bpf.NotOffloadableError
	require.ErrorAs(t, err, &no)
	assert.Contains(t, no.Reasons, "LPM trie map src4")
	assert.Contains(t, no.Reasons, "per-CPU map xdp_stats")
	assert.Contains(t, err.Error(), "filter is not offloadable: it uses")

	_, err = bpf.LoadObject(bpf.ObjectOptions{Path: "gen_bpfel.o", Program: "xdp_gen", Ifindex: 1})
	require.ErrorAs(t, err, &no)
	assert.Contains(t, no.Reasons, "helper bpf_redirect")
	assert.Contains(t, no.Reasons, "helper bpf_ktime_get_ns")
	assert.Contains(t, no.Reasons, "global data (.rodata)")
}

func TestIntegrationRateLimitFixtures(t *testing.T) {
	testenv.RequireRoot(t)
	// One frame a second refills nothing within the test: the burst is
	// what a source may send.
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "ratelimit", Settings: catalog.RateLimit{PPS: 1, Burst: 3}})
	require.NoError(t, err)
	defer p.Close()
	a := udp4(t, "198.18.0.1", "198.18.0.2", 9)
	b := udp6(t, "2001:2::7", "2001:2::2", 9)
	arp := pkt(t, true, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: macA, SourceProtAddress: []byte{198, 18, 0, 1}, DstHwAddress: make([]byte, 6), DstProtAddress: []byte{198, 18, 0, 2}})
	runFixtures(t, p, []fixture{
		{"source A, 1 of burst 3", a, catalog.Pass, nil},
		{"source A, 2", a, catalog.Pass, nil},
		{"source A, 3", a, catalog.Pass, nil},
		{"source A over the limit", a, catalog.Drop, nil},
		{"source A still over", a, catalog.Drop, nil},
		{"IPv6 source B has its own bucket", b, catalog.Pass, nil},
		{"ARP passes unjudged", arp, catalog.Pass, nil},
		{"malformed: IPv4 header cut", a[:14+12], catalog.Drop, nil},
	})
	v, err := p.Verdicts()
	require.NoError(t, err)
	assert.Equal(t, uint64(4), v[catalog.VerdictPassed].Packets)
	assert.Equal(t, uint64(2), v[catalog.VerdictOver].Packets)
	assert.Equal(t, uint64(1), v[catalog.VerdictMalformed].Packets)
	assert.Zero(t, v[catalog.VerdictContended].Packets)
	_, err = bpf.LoadDUT(bpf.DUTOptions{Program: "ratelimit"})
	assert.ErrorContains(t, err, "give the limit and the burst")
}

func TestIntegrationFlowStatsFixtures(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "flowstats"})
	require.NoError(t, err)
	defer p.Close()
	require.NotNil(t, p.Expected)
	assert.Equal(t, catalog.Pass, *p.Expected)
	a := udp4(t, "198.18.0.1", "198.18.0.2", 9)
	b := tcp4(t, "198.18.0.3", "198.18.0.2", 80)
	c := udp6(t, "2001:2::1", "2001:2::2", 53)
	vip := ip4("198.18.0.1", "198.18.0.2", layers.IPProtocolUDP)
	vu := &layers.UDP{SrcPort: 10000, DstPort: 9}
	require.NoError(t, vu.SetNetworkLayerForChecksum(vip))
	vlan := pkt(t, true, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 42, Type: layers.EthernetTypeIPv4}, vip, vu, gopacket.Payload(make([]byte, 14)))
	var fx []fixture
	for range 3 {
		fx = append(fx, fixture{"flow A", a, catalog.Pass, nil})
	}
	fx = append(fx, fixture{"flow B", b, catalog.Pass, nil}, fixture{"flow B", b, catalog.Pass, nil},
		fixture{"flow C (IPv6)", c, catalog.Pass, nil}, fixture{"flow A in VLAN 42 is another flow", vlan, catalog.Pass, nil},
		fixture{"malformed passes, unfiled", a[:14+20+2], catalog.Pass, nil})
	runFixtures(t, p, fx)
	flows, bad, nonIP, err := p.FlowTable()
	require.NoError(t, err)
	require.Len(t, flows, 4)
	assert.Equal(t, uint64(3), flows[0].Packets, "most packets first")
	assert.Equal(t, netip.MustParseAddr("198.18.0.1"), flows[0].Src)
	assert.Equal(t, uint16(10000), flows[0].Sport)
	assert.Equal(t, uint16(9), flows[0].Dport)
	assert.Equal(t, uint8(17), flows[0].Proto)
	assert.Equal(t, uint64(3*len(a)), flows[0].Bytes)
	assert.Equal(t, uint64(2), flows[1].Packets)
	assert.Equal(t, uint16(80), flows[1].Dport)
	byVLAN := map[uint16]int{}
	for _, f := range flows {
		byVLAN[f.VLAN]++
		if f.Src.Is6() {
			assert.Equal(t, netip.MustParseAddr("2001:2::1"), f.Src)
		}
	}
	assert.Equal(t, map[uint16]int{0: 3, 42: 1}, byVLAN)
	assert.Equal(t, uint64(1), bad.Packets)
	assert.Zero(t, nonIP.Packets)
}

func TestIntegrationL4LBFixtures(t *testing.T) {
	testenv.RequireRoot(t)
	cfg := lbConfig("198.18.2.1", "198.18.2.2", "198.18.2.3", "2001:2:0:2::4")
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "l4lb", Settings: cfg})
	require.NoError(t, err)
	defer p.Close()
	flow := func(src string, sport uint16) []byte {
		ip := ip4(src, "198.18.0.2", layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 9}
		require.NoError(t, u.SetNetworkLayerForChecksum(ip))
		return pkt(t, true, eth(false), ip, u, gopacket.Payload(make([]byte, 18)))
	}
	var fx []fixture
	want := map[string]int{}
	for i := range 64 {
		src := fmt.Sprintf("198.18.0.%d", 1+i%8)
		sport := uint16(10000 + i)
		in := flow(src, sport)
		bi := cfg.BackendFor(netip.AddrPortFrom(netip.MustParseAddr(src), sport), cfg.VIP, 17)
		want[cfg.Backends[bi].String()]++
		fx = append(fx, fixture{fmt.Sprintf("flow %d to backend %s", i, cfg.Backends[bi]), in, catalog.TX, encap(t, in, cfg.Backends[bi])})
	}
	assert.Len(t, want, 4, "64 flows reach every backend")
	vlanIP := ip4("198.18.0.1", "198.18.0.2", layers.IPProtocolUDP)
	vu := &layers.UDP{SrcPort: 10000, DstPort: 9}
	require.NoError(t, vu.SetNetworkLayerForChecksum(vlanIP))
	vlan := pkt(t, true, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeIPv4}, vlanIP, vu, gopacket.Payload(make([]byte, 14)))
	fx = append(fx,
		fixture{"another port is no VIP: passes", udp4(t, "198.18.0.1", "198.18.0.2", 53), catalog.Pass, nil},
		fixture{"TCP to the VIP's port is no VIP (the VIP is UDP)", tcp4(t, "198.18.0.1", "198.18.0.2", 9), catalog.Pass, nil},
		fixture{"tagged frames are not balanced", vlan, catalog.Pass, nil},
		fixture{"UDP header cut short", flow("198.18.0.1", 1)[:14+20+4], catalog.Drop, nil},
		fixture{"IPv4 length lies", func() []byte { b := flow("198.18.0.1", 1); b[16], b[17] = 0x05, 0xdc; return b }(), catalog.Drop, nil},
	)
	runFixtures(t, p, fx)
	st, err := p.LBStats()
	require.NoError(t, err)
	assert.Equal(t, [5]uint64{64, 0, 3, 2, 0}, st, "new flows, known flows, no VIP, malformed, no backend")

	// The sink checks the encapsulated frames and counts them by backend.
	sink, err := bpf.LoadLBSink(cfg.Backends)
	require.NoError(t, err)
	defer sink.Close()
	for _, f := range fx[:64] {
		ret, err := sink.Program.Run(&ebpf.RunOptions{Data: f.out})
		require.NoError(t, err)
		assert.Equal(t, uint32(catalog.Drop), ret)
	}
	ret, err := sink.Program.Run(&ebpf.RunOptions{Data: flow("198.18.0.1", 1)})
	require.NoError(t, err)
	assert.Equal(t, uint32(catalog.Drop), ret)
	by, checks, err := sink.SinkCounts()
	require.NoError(t, err)
	assert.Equal(t, [3]uint64{64, 1, 0}, checks, "encapsulated, not encapsulated, bad inner")
	got := map[string]int{}
	for a, n := range by {
		got[a.String()] = int(n)
	}
	assert.Equal(t, want, got)

	// A flow keeps its backend when the backend set changes: the
	// connection table remembers it, also for backends that left the
	// ring; new flows follow the new ring and never reach those.
	changed := lbConfig("198.18.2.1", "198.18.2.2", "198.18.2.9")
	require.NoError(t, p.SetBackends(changed.Backends))
	for _, f := range fx[:64] {
		ro := &ebpf.RunOptions{Data: f.in, DataOut: make([]byte, len(f.in)+256)}
		ret, err := p.Program.Run(ro)
		require.NoError(t, err)
		assert.Equal(t, uint32(catalog.TX), ret)
		assert.True(t, bytes.Equal(f.out, ro.DataOut), "%s: the same backend as before the change", f.name)
	}
	st, err = p.LBStats()
	require.NoError(t, err)
	assert.Equal(t, uint64(64), st[1], "all 64 came from the connection table")
	for i := range 64 {
		src := netip.AddrPortFrom(netip.MustParseAddr("198.18.0.77"), uint16(20000+i))
		in := flow("198.18.0.77", src.Port())
		b := changed.Backends[changed.BackendFor(src, changed.VIP, 17)]
		runFixtures(t, p, []fixture{{fmt.Sprintf("new flow %d after the change to %s", i, b), in, catalog.TX, encap(t, in, b)}})
	}
}
