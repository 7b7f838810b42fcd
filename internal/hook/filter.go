package hook

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
)

// Filter is the filter workload's rules applied in user space: the Go twin
// of bpf/filter.c and bpf/parse.h, so that the afpacket and afxdp hooks
// judge every frame as XDP and tc do. A frame a header cut short or a
// length that lies makes malformed is dropped and counted under rule 0;
// a non-IP frame passes; an address rule matches the longest prefix of the
// frame's family, source before destination; then a protocol and port
// rule, then a protocol rule.
type Filter struct {
	mu    sync.RWMutex
	rules []catalog.FilterRule
	hits  [catalog.MaxFilterRules]struct{ packets, bytes atomic.Uint64 }
}

// NewFilter makes a filter of the rules.
func NewFilter(rules []catalog.FilterRule) (*Filter, error) {
	if len(rules) == 0 {
		return nil, errors.New("no rules: give a rules file (--rules FILE, or workload.rules in a scenario)")
	}
	f := &Filter{}
	for _, r := range rules {
		if err := f.AddRule(r); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// AddRule adds a rule (or replaces the one of the same match).
func (f *Filter) AddRule(r catalog.FilterRule) error {
	if r.ID >= catalog.MaxFilterRules {
		return fmt.Errorf("rule %q: id %d out of range", r.Text, r.ID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.rules {
		if same(x, r) {
			f.rules[i] = r
			return nil
		}
	}
	f.rules = append(f.rules, r)
	return nil
}

// DeleteRule removes the rule of the same match; it fails where there is
// none, as deleting a map entry does.
func (f *Filter) DeleteRule(r catalog.FilterRule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.rules {
		if same(x, r) {
			f.rules = append(f.rules[:i], f.rules[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("delete rule %q: no such rule", r.Text)
}

func same(a, b catalog.FilterRule) bool {
	return a.Field == b.Field && a.Prefix == b.Prefix && a.Proto == b.Proto && a.Port == b.Port
}

// RuleHits are the frames and bytes each rule matched, rule 0 the
// malformed frames, for rules 0..n-1.
func (f *Filter) RuleHits(n int) ([]bpf.Counter, error) {
	if n < 1 || n > len(f.hits) {
		return nil, fmt.Errorf("rule hits: %d rules out of range", n)
	}
	out := make([]bpf.Counter, n)
	for i := range out {
		out[i] = bpf.Counter{Packets: f.hits[i].packets.Load(), Bytes: f.hits[i].bytes.Load()}
	}
	return out, nil
}

// Decide judges one frame, counting the rule that matched.
func (f *Filter) Decide(frame []byte) catalog.Action {
	p, r := parseFrame(frame)
	switch r {
	case notIP:
		return catalog.Pass
	case malformed:
		return f.hit(0, frame)
	}
	f.mu.RLock()
	id, ok := f.match(p)
	f.mu.RUnlock()
	if ok {
		return f.hit(id, frame)
	}
	return catalog.Pass
}

func (f *Filter) hit(id uint32, frame []byte) catalog.Action {
	f.hits[id].packets.Add(1)
	f.hits[id].bytes.Add(uint64(len(frame)))
	return catalog.Drop
}

// match is filter.c's order: source prefix, destination prefix, protocol
// and port (where the frame has a port), protocol alone.
func (f *Filter) match(p packet) (uint32, bool) {
	for _, field := range []struct {
		name string
		addr netip.Addr
	}{{"src", p.src}, {"dst", p.dst}} {
		best, bits := uint32(0), -1
		for _, r := range f.rules {
			if r.Field == field.name && r.Prefix.Addr().Is4() == field.addr.Is4() && r.Prefix.Contains(field.addr) && r.Prefix.Bits() > bits {
				best, bits = r.ID, r.Prefix.Bits()
			}
		}
		if bits >= 0 {
			return best, true
		}
	}
	if p.dport != 0 {
		for _, r := range f.rules {
			if r.Field == "proto" && r.Proto == p.proto && r.Port == p.dport {
				return r.ID, true
			}
		}
	}
	for _, r := range f.rules {
		if r.Field == "proto" && r.Proto == p.proto && r.Port == 0 {
			return r.ID, true
		}
	}
	return 0, false
}

// parseResult is parse.h's enum parse_result.
type parseResult int

const (
	parsed parseResult = iota
	notIP
	malformed
)

// packet is what parse.h reads of a frame that the filter matches on.
type packet struct {
	src, dst netip.Addr
	proto    uint8
	dport    uint16
}

// parseFrame reads a frame as parse.h does: Ethernet with at most one
// 802.1Q/802.1ad tag, IPv4 (options allowed) or IPv6 (no extension
// headers walked), and the TCP, UDP or ICMP header, every claimed length
// checked against the frame.
func parseFrame(b []byte) (packet, parseResult) {
	var p packet
	if len(b) < 14 {
		return p, malformed
	}
	proto, off := binary.BigEndian.Uint16(b[12:]), 14
	if proto == 0x8100 || proto == 0x88a8 {
		if len(b) < 18 {
			return p, malformed
		}
		proto, off = binary.BigEndian.Uint16(b[16:]), 18
	}
	l3 := b[off:]
	switch proto {
	case 0x0800:
		if len(l3) < 20 {
			return p, malformed
		}
		ihl, total := int(l3[0]&0xf)*4, int(binary.BigEndian.Uint16(l3[2:]))
		if l3[0]>>4 != 4 || ihl < 20 || total < ihl || ihl > len(l3) || total > len(l3) {
			return p, malformed
		}
		p.proto = l3[9]
		p.src, p.dst = netip.AddrFrom4([4]byte(l3[12:16])), netip.AddrFrom4([4]byte(l3[16:20]))
		if binary.BigEndian.Uint16(l3[6:])&0x1fff != 0 {
			return p, parsed // a later fragment: no transport header
		}
		return p, parseL4(&p, l3[ihl:total])
	case 0x86dd:
		if len(l3) < 40 {
			return p, malformed
		}
		total := 40 + int(binary.BigEndian.Uint16(l3[4:]))
		if l3[0]>>4 != 6 || total > len(l3) {
			return p, malformed
		}
		p.proto = l3[6]
		p.src, p.dst = netip.AddrFrom16([16]byte(l3[8:24])), netip.AddrFrom16([16]byte(l3[24:40]))
		return p, parseL4(&p, l3[40:total])
	}
	return p, notIP
}

// parseL4 reads the transport header in l4, which ends where the IP
// header says the packet does.
func parseL4(p *packet, l4 []byte) parseResult {
	switch p.proto {
	case 6:
		if len(l4) < 20 || l4[12]>>4 < 5 || int(l4[12]>>4)*4 > len(l4) {
			return malformed
		}
		p.dport = binary.BigEndian.Uint16(l4[2:])
	case 17:
		if len(l4) < 8 {
			return malformed
		}
		if n := int(binary.BigEndian.Uint16(l4[4:])); n < 8 || n > len(l4) {
			return malformed
		}
		p.dport = binary.BigEndian.Uint16(l4[2:])
	case 1, 58:
		if len(l4) < 8 {
			return malformed
		}
	}
	return parsed
}
