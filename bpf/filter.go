package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// The filter workload (filter.c): a DDoS filter whose rules live in maps.
var filterWorkload = workload{
	Builtin: builtin("filter"),
	load:    loadFilter, bytes: _FilterBytes,
	tc: loadFiltertc, tcBytes: _FiltertcBytes,
	objs: func() any { return &filterObjects{} },
	fill: func(p *Program, o DUTOptions) error {
		rules, err := settingsOf[[]catalog.FilterRule]("filter", o)
		if err != nil {
			return err
		}
		if len(rules) == 0 {
			return errors.New("no rules: give a rules file (--rules FILE, or workload.rules in a scenario)")
		}
		for _, r := range rules {
			if err := p.AddRule(r); err != nil {
				return err
			}
		}
		return nil
	},
}

// ruleEntry is the map and key of a rule: an address rule's LPM trie by
// field and family, or the port table.
func (p *Program) ruleEntry(r catalog.FilterRule) (*ebpf.Map, any, error) {
	var f *filterObjects
	if p != nil {
		f, _ = p.objs.(*filterObjects)
	}
	if f == nil {
		return nil, nil, errors.New("filter rules: the program is not the filter workload")
	}
	if r.Field == "proto" {
		return f.Ports, &filterPortKey{Proto: r.Proto, Port: htons(r.Port)}, nil
	}
	// The rule churn times AddRule and DeleteRule: pick the trie without
	// allocating.
	a, src := r.Prefix.Addr(), r.Field == "src"
	if a.Is4() {
		m := f.Dst4
		if src {
			m = f.Src4
		}
		b := a.As4()
		return m, &filterLpm4Key{Prefixlen: uint32(r.Prefix.Bits()), Addr: binary.NativeEndian.Uint32(b[:])}, nil
	}
	m := f.Dst6
	if src {
		m = f.Src6
	}
	return m, &filterLpm6Key{Prefixlen: uint32(r.Prefix.Bits()), Addr: a.As16()}, nil
}

// AddRule puts a rule into the filter's maps; it takes effect on the next
// frame.
func (p *Program) AddRule(r catalog.FilterRule) error {
	m, k, err := p.ruleEntry(r)
	if err != nil {
		return err
	}
	if err := m.Put(k, r.ID); err != nil {
		return fmt.Errorf("add rule %q: %w", r.Text, err)
	}
	return nil
}

// DeleteRule takes a rule out of the filter's maps.
func (p *Program) DeleteRule(r catalog.FilterRule) error {
	m, k, err := p.ruleEntry(r)
	if err != nil {
		return err
	}
	if err := m.Delete(k); err != nil {
		return fmt.Errorf("delete rule %q: %w", r.Text, err)
	}
	return nil
}

// RuleHits reads the frames each rule dropped, summed over CPUs; index 0 is
// malformed frames.
func (p *Program) RuleHits(n int) ([]Counter, error) {
	f, ok := p.objs.(*filterObjects)
	if !ok {
		return nil, errors.New("rule hits: the program is not the filter workload")
	}
	return perCPUCounters(f.RuleHits, n, "rule hits")
}
