package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/cilium/ebpf"
)

// workloadObjects are the reference workloads' embedded objects.
var workloadObjects = map[string]struct {
	load  func() (*ebpf.CollectionSpec, error)
	bytes []byte
}{
	"filter":    {loadFilter, _FilterBytes},
	"ratelimit": {loadRatelimit, _RatelimitBytes},
	"flowstats": {loadFlowstats, _FlowstatsBytes},
	"l4lb":      {loadL4lb, _L4lbBytes},
}

// loadWorkload loads a reference workload and fills its maps.
func loadWorkload(b Builtin, opts DUTOptions) (_ *Program, err error) {
	obj, ok := workloadObjects[b.Name]
	if !ok {
		return nil, fmt.Errorf("load %s: no object", b.Name)
	}
	if opts.Ifindex != 0 {
		spec, err := obj.load()
		if err != nil {
			return nil, fmt.Errorf("load %s: parse embedded object: %w", b.Name, err)
		}
		if why := Offloadability(spec, b.Section); len(why) > 0 {
			return nil, fmt.Errorf("load %s for offload: %w", b.Name, &NotOffloadableError{Program: b.Name, Reasons: why})
		}
	}
	if opts.Work != NoTouch {
		return nil, fmt.Errorf("load %s: --work is for the trivial programs; a workload does its own work", b.Name)
	}
	spec, err := obj.load()
	if err != nil {
		return nil, fmt.Errorf("load %s: parse embedded object: %w", b.Name, err)
	}
	if opts.ArrayStats {
		spec.Maps["xdp_stats"].Type = ebpf.Array
	}
	if b.Name == "l4lb" {
		if err := loadLB(spec, opts.LB); err != nil {
			return nil, err
		}
		delete(spec.Programs, "xdp_lb_sink")
	}
	if b.Name == "ratelimit" {
		l := opts.Limit
		if l.PPS == 0 || l.Burst == 0 {
			return nil, errors.New("load ratelimit: give the limit and the burst (--limit 100k --burst 64)")
		}
		if l.PPS > 1e9 || l.Burst > 1e6 {
			return nil, fmt.Errorf("load ratelimit: limit %d/s or burst %d out of range (at most 1G/s and 1M frames)", l.PPS, l.Burst)
		}
		for name, v := range map[string]uint64{"rate_pps": l.PPS, "burst": l.Burst} {
			if err := spec.Variables[name].Set(v); err != nil {
				return nil, fmt.Errorf("load ratelimit: set %s: %w", name, err)
			}
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", b.Name, loadHint(err))
	}
	p := &Program{
		Name: b.Name, Program: coll.Programs[b.Section], Stats: coll.Maps["xdp_stats"],
		Object: "builtin workload", SHA256: sha256Hex(obj.bytes), Counted: true, coll: coll,
	}
	if !b.Mixed {
		act := b.Action
		p.Expected = &act
	}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	switch b.Name {
	case "l4lb":
		if err := p.setVIP(opts.LB); err != nil {
			return nil, fmt.Errorf("load l4lb: %w", err)
		}
	case "filter":
		if len(opts.Rules) == 0 {
			return nil, errors.New("load filter: no rules: give a rules file (--rules FILE, or workload.rules in a scenario)")
		}
		for _, r := range opts.Rules {
			if err := p.AddRule(r); err != nil {
				return nil, fmt.Errorf("load filter: %w", err)
			}
		}
	}
	return p, nil
}

// Verdicts reads the ratelimit workload's frames by verdict, summed over
// CPUs: passed, over the limit, malformed, and dropped for losing the
// bucket's compare-and-swap race.
func (p *Program) Verdicts() (out [numVerdicts]Counter, err error) {
	m := p.coll.Maps["verdicts"]
	if m == nil {
		return out, errors.New("verdicts: the program is not the ratelimit workload")
	}
	c, err := perCPUCounters(m, len(out), "verdicts")
	if err != nil {
		return out, err
	}
	copy(out[:], c)
	return out, nil
}

// FlowStat is one flow the flowstats workload saw.
type FlowStat struct {
	Src, Dst     netip.Addr
	Sport, Dport uint16
	Proto        uint8
	VLAN         uint16
	Packets      uint64
	Bytes        uint64
}

func addr16(w [4]uint32) netip.Addr {
	var b [16]byte
	for i, v := range w {
		binary.NativeEndian.PutUint32(b[4*i:], v)
	}
	return netip.AddrFrom16(b).Unmap()
}

// FlowTable reads every flow the flowstats workload holds, most packets
// first, and the frames it saw apart: malformed and non-IP.
func (p *Program) FlowTable() (flows []FlowStat, malformed, nonIP Counter, err error) {
	m, seen := p.coll.Maps["flows"], p.coll.Maps["seen"]
	if m == nil || seen == nil {
		return nil, malformed, nonIP, errors.New("flows: the program is not the flowstats workload")
	}
	var (
		k  flowstatsFlowKey
		v  flowstatsFlowVal
		it = m.Iterate()
	)
	for it.Next(&k, &v) {
		flows = append(flows, FlowStat{Src: addr16(k.Src.W), Dst: addr16(k.Dst.W), Sport: htons(k.Sport), Dport: htons(k.Dport),
			Proto: k.Proto, VLAN: k.Vlan, Packets: v.Packets, Bytes: v.Bytes})
	}
	if err := it.Err(); err != nil {
		return nil, malformed, nonIP, fmt.Errorf("read flows: %w", err)
	}
	sort.SliceStable(flows, func(i, j int) bool { return flows[i].Packets > flows[j].Packets })
	c, err := perCPUCounters(seen, numSeen, "read flows")
	if err != nil {
		return nil, malformed, nonIP, err
	}
	return flows, c[seenMalformed], c[seenNonIP], nil
}
