package hook

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/stream"
)

func rules(t *testing.T, text ...string) []catalog.FilterRule {
	rs, err := catalog.ParseFilterRules(strings.NewReader(strings.Join(text, "\n")), "test")
	require.NoError(t, err)
	return rs
}

var (
	mac1 = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	mac2 = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

func frame(t *testing.T, src, dst string, proto stream.Protocol, vlan uint16) []byte {
	s := stream.FrameSpec{SrcMAC: mac1, DstMAC: mac2, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: proto, VLAN: vlan, SrcPort: 10000, DstPort: 9}
	s.Size = max(s.MinSize(), 64)
	f, err := stream.Build(s)
	require.NoError(t, err)
	return f
}

// The rules in filter.c's order: the longest source prefix, then the
// destination, then protocol and port, then protocol; each hit counted
// under its rule.
func TestFilterDecides(t *testing.T) {
	f, err := NewFilter(rules(t,
		"drop src 198.18.0.0/16",  // 1
		"drop src 198.18.7.0/24",  // 2: longer, wins for 198.18.7.x
		"drop dst 2001:2::99/128", // 3
		"drop proto tcp dport 9",  // 4
		"drop proto icmp",         // 5
		"drop proto udp dport 53", // 6
	))
	require.NoError(t, err)
	cases := []struct {
		name string
		f    []byte
		want catalog.Action
		rule int
	}{
		{"v4 src /16", frame(t, "198.18.0.1", "198.19.0.2", stream.UDP, 0), catalog.Drop, 1},
		{"v4 src /24 longest", frame(t, "198.18.7.1", "198.19.0.2", stream.UDP, 0), catalog.Drop, 2},
		{"v4 src, vlan tag", frame(t, "198.18.7.1", "198.19.0.2", stream.UDP, 100), catalog.Drop, 2},
		{"v6 dst", frame(t, "2001:2::1", "2001:2::99", stream.UDP, 0), catalog.Drop, 3},
		{"v6 other dst passes udp 9", frame(t, "2001:2::1", "2001:2::98", stream.UDP, 0), catalog.Pass, -1},
		{"v6 tcp dport 9", frame(t, "2001:2::1", "2001:2::98", stream.TCPSYN, 0), catalog.Drop, 4},
		{"v6 icmp: icmpv6 is another protocol", frame(t, "2001:2::1", "2001:2::98", stream.ICMP, 0), catalog.Pass, -1},
		{"v4 icmp", frame(t, "198.19.0.1", "198.19.0.2", stream.ICMP, 0), catalog.Drop, 5},
		{"v4 udp 9 passes", frame(t, "198.19.0.1", "198.19.0.2", stream.UDP, 0), catalog.Pass, -1},
		{"not IP", append(append(append([]byte{}, mac2...), mac1...), 0x08, 0x06, 0, 1, 8, 0, 6, 4), catalog.Pass, -1},
		{"short", []byte{1, 2, 3}, catalog.Drop, 0},
	}
	for _, c := range cases {
		before, _ := f.RuleHits(7)
		assert.Equal(t, c.want, f.Decide(c.f), c.name)
		after, _ := f.RuleHits(7)
		for i := range after {
			d := after[i].Packets - before[i].Packets
			if i == c.rule {
				assert.Equal(t, uint64(1), d, "%s: rule %d hit", c.name, i)
				assert.Equal(t, uint64(len(c.f)), after[i].Bytes-before[i].Bytes, c.name)
			} else {
				assert.Zero(t, d, "%s: rule %d not hit", c.name, i)
			}
		}
	}
}

// Frames that lie about their lengths are malformed: dropped under rule
// 0, as parse.h has them.
func TestFilterMalformed(t *testing.T) {
	f, err := NewFilter(rules(t, "drop proto icmp"))
	require.NoError(t, err)
	ok := frame(t, "198.19.0.1", "198.19.0.2", stream.UDP, 0)
	mut := func(fn func(b []byte) []byte) []byte { return fn(append([]byte(nil), ok...)) }
	for name, b := range map[string][]byte{
		"ip total length past the frame": mut(func(b []byte) []byte { b[16], b[17] = 0x10, 0; return b }),
		"ihl 4":                          mut(func(b []byte) []byte { b[14] = 0x44; return b }),
		"version 6 in an ipv4 frame":     mut(func(b []byte) []byte { b[14] = 0x65; return b }),
		"udp length 4":                   mut(func(b []byte) []byte { b[38], b[39] = 0, 4; return b }),
		"udp length past ip":             mut(func(b []byte) []byte { b[38], b[39] = 0x10, 0; return b }),
		"cut in the ip header":           ok[:30],
		"cut vlan tag":                   append(append(append([]byte{}, mac2...), mac1...), 0x81, 0, 0),
	} {
		assert.Equal(t, catalog.Drop, f.Decide(b), name)
	}
	h, err := f.RuleHits(2)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), h[0].Packets, "every one under rule 0")
	assert.Zero(t, h[1].Packets)
	// A later IPv4 fragment has no transport header: only a protocol rule
	// can match it.
	frag := mut(func(b []byte) []byte { b[20], b[21] = 0, 1; return b })
	g, err := NewFilter(rules(t, "drop proto udp dport 9"))
	require.NoError(t, err)
	assert.Equal(t, catalog.Drop, g.Decide(ok))
	assert.Equal(t, catalog.Pass, g.Decide(frag), "a fragment has no port")
	g2, err := NewFilter(rules(t, "drop proto udp"))
	require.NoError(t, err)
	assert.Equal(t, catalog.Drop, g2.Decide(frag))
}

// Rules change under load as map entries do: added, deleted, and a
// delete of a rule that is not there fails.
func TestFilterRuleUpdates(t *testing.T) {
	_, err := NewFilter(nil)
	require.Error(t, err)
	f, err := NewFilter(rules(t, "drop proto icmp"))
	require.NoError(t, err)
	b := frame(t, "2001:2:0:fffe::1", "2001:2::2", stream.UDP, 0)
	assert.Equal(t, catalog.Pass, f.Decide(b))
	churn := rules(t, catalog.ExampleRule)[0]
	churn.ID = catalog.MaxFilterRules - 1
	require.NoError(t, f.AddRule(churn))
	assert.Equal(t, catalog.Drop, f.Decide(b))
	require.NoError(t, f.DeleteRule(churn))
	assert.Equal(t, catalog.Pass, f.Decide(b))
	require.Error(t, f.DeleteRule(churn))
	h, err := f.RuleHits(catalog.MaxFilterRules)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), h[catalog.MaxFilterRules-1].Packets)
	_, err = f.RuleHits(0)
	require.Error(t, err)
	_, err = f.RuleHits(catalog.MaxFilterRules + 1)
	require.Error(t, err)
	bad := churn
	bad.ID = catalog.MaxFilterRules
	require.Error(t, f.AddRule(bad))
}

// Lengths at their bounds, as parse.h has them: a frame exactly as long
// as its headers is sound; a TCP header that claims more than the packet
// holds is malformed; a /0 prefix matches every address of its family.
func TestFilterBounds(t *testing.T) {
	eth := func(typ ...byte) []byte { return append(append(append([]byte{}, mac2...), mac1...), typ...) }
	ipv4 := func(proto byte, l4 ...byte) []byte {
		total := 20 + len(l4)
		h := []byte{0x45, 0, byte(total >> 8), byte(total), 0, 0, 0, 0, 64, proto, 0, 0, 198, 19, 0, 1, 198, 19, 0, 2}
		return append(h, l4...)
	}
	ipv6 := []byte{0x60, 0, 0, 0, 0, 0, 59, 64}
	ipv6 = append(ipv6, netip.MustParseAddr("2001:2::1").AsSlice()...)
	ipv6 = append(ipv6, netip.MustParseAddr("2001:2::2").AsSlice()...)
	f, err := NewFilter(rules(t, "drop src 198.19.0.1/32", "drop src 2001:2::1/128", "drop proto tcp"))
	require.NoError(t, err)
	cases := []struct {
		name string
		b    []byte
		want catalog.Action
		rule int
	}{
		{"ethernet header alone, not IP", eth(0x08, 0x06), catalog.Pass, -1},
		{"vlan tag alone, not IP inside", eth(0x81, 0x00, 0, 100, 0x08, 0x06), catalog.Pass, -1},
		{"ipv4 header alone, its total length the frame's", append(eth(0x08, 0x00), ipv4(0)...), catalog.Drop, 1},
		{"ipv6 header alone, no next header", append(eth(0x86, 0xdd), ipv6...), catalog.Drop, 2},
		{"tcp header claiming 24 bytes in 20", append(eth(0x08, 0x00), ipv4(6, 0, 9, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 2, 0, 0, 0, 0, 0, 0)...), catalog.Drop, 0},
	}
	for _, c := range cases {
		before, _ := f.RuleHits(4)
		assert.Equal(t, c.want, f.Decide(c.b), c.name)
		after, _ := f.RuleHits(4)
		for i := range after {
			want := uint64(0)
			if i == c.rule {
				want = 1
			}
			assert.Equal(t, want, after[i].Packets-before[i].Packets, "%s: rule %d", c.name, i)
		}
	}
	all, err := NewFilter(rules(t, "drop dst 0.0.0.0/0"))
	require.NoError(t, err)
	assert.Equal(t, catalog.Drop, all.Decide(frame(t, "198.19.0.1", "198.19.0.2", stream.UDP, 0)), "a /0 prefix matches")
	assert.Equal(t, catalog.Pass, all.Decide(frame(t, "2001:2::1", "2001:2::2", stream.UDP, 0)), "of its family only")
	h, err := all.RuleHits(1)
	require.NoError(t, err)
	assert.Len(t, h, 1)
}
