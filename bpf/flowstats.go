package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// The flowstats workload (flowstats.c): per-flow telemetry.
var flowstatsWorkload = workload{
	Builtin: builtin("flowstats"),
	load:    loadFlowstats, bytes: _FlowstatsBytes,
	objs: func() any { return &flowstatsObjects{} },
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
	fs, ok := p.objs.(*flowstatsObjects)
	if !ok {
		return nil, malformed, nonIP, errors.New("flows: the program is not the flowstats workload")
	}
	m, seen := fs.Flows, fs.Seen
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
	c, err := perCPUCounters(seen, catalog.NumSeen, "read flows")
	if err != nil {
		return nil, malformed, nonIP, err
	}
	return flows, c[catalog.SeenMalformed], c[catalog.SeenNonIP], nil
}
