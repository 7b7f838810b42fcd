package bpf

import (
	"fmt"

	"github.com/cilium/ebpf"
)

// GenOptions configures the live-frames generator program.
type GenOptions struct {
	// TargetIfindex is the interface the generator redirects frames to,
	// resolved in the network namespace of the thread that runs the program.
	TargetIfindex uint32
	IPv6          bool // the template frame is IPv6/UDP, else IPv4/UDP
	// Flows is the number of distinct flows (>= 1). Flow i has UDP source
	// port SportBase + i%PortsPerAddr and the low 16 bits of the source
	// address SaddrLoBase + i/PortsPerAddr.
	Flows        uint32
	PortsPerAddr uint32
	SportBase    uint16
	SaddrLoBase  uint16
	// RatePPS paces each generator CPU to this many frames per second;
	// 0 sends as fast as it can. Frames held back count under Drop.
	RatePPS uint64
}

// Generator is the loaded generator program and its counter.
type Generator struct {
	Program *ebpf.Program
	Stats   *ebpf.Map // shared layout; key Redirect counts frames sent on
	coll    *ebpf.Collection
}

// Close unloads the generator.
func (g *Generator) Close() error {
	if g == nil || g.coll == nil {
		return nil
	}
	g.coll.Close()
	g.coll = nil
	return nil
}

// LoadGenerator loads the generator program.
func LoadGenerator(o GenOptions) (*Generator, error) {
	if o.Flows == 0 {
		o.Flows = 1
	}
	if o.PortsPerAddr == 0 {
		o.PortsPerAddr = 1
	}
	if o.TargetIfindex == 0 {
		return nil, fmt.Errorf("load generator: no target interface")
	}
	spec, err := loadGen()
	if err != nil {
		return nil, fmt.Errorf("load generator: parse embedded object: %w", err)
	}
	v6 := uint32(0)
	if o.IPv6 {
		v6 = 1
	}
	for name, val := range map[string]any{
		"target_ifindex": o.TargetIfindex,
		"ipv6":           v6,
		"nflows":         o.Flows,
		"nports":         o.PortsPerAddr,
		"sport_base":     o.SportBase,
		"saddr_lo_base":  o.SaddrLoBase,
		"rate_pps":       o.RatePPS,
	} {
		if err := spec.Variables[name].Set(val); err != nil {
			return nil, fmt.Errorf("load generator: set %s: %w", name, err)
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load generator: %w", loadHint(err))
	}
	return &Generator{Program: coll.Programs["xdp_gen"], Stats: coll.Maps["xdp_stats"], coll: coll}, nil
}
