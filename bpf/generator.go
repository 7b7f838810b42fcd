package bpf

import (
	"errors"
	"fmt"
	"time"

	"github.com/cilium/ebpf"
)

// GenOptions configures the live-frames generator program. The traffic
// package's Shaper fills it from a stream's template and mirrors what the
// program does to each frame.
type GenOptions struct {
	// TargetIfindex is the interface the generator redirects frames to,
	// resolved in the network namespace of the thread that runs the program.
	TargetIfindex uint32
	IPv6          bool   // the template is IPv6, else IPv4
	L3Offset      uint32 // 14, or 18 behind a VLAN tag (0: 14)
	Proto         uint8  // IP protocol: 17 UDP (0: UDP), 6 TCP, 1 ICMP, 58 ICMPv6
	// Flows is the number of distinct flows (>= 1). Flow i has source port
	// (or ICMP echo identifier) SportBase + i%PortsPerAddr and the low 16
	// bits of the source address SaddrLoBase + i/PortsPerAddr.
	Flows        uint32
	PortsPerAddr uint32
	SportBase    uint16
	SaddrLoBase  uint16
	// RatePPS paces each generator CPU to this many frames per second;
	// 0 sends as fast as it can. Frames held back count under Drop.
	RatePPS uint64
	// TemplateLen is the template's length in bytes (no FCS); Sizes, when
	// set, are the frame lengths (no FCS, at most TemplateLen) sent in turn.
	TemplateLen uint32
	Sizes       []uint32
	// MalformedPPM malformed frames a million; Stamp writes the send time
	// at payload offset 8 for the latency sink.
	MalformedPPM uint32
	Stamp        bool
	// The template's IPv4 header and transport checksums as they sit in
	// the frame read little-endian; L4Checksum says the latter is kept.
	TemplateIPCheck uint16
	TemplateL4Check uint16
	L4Checksum      bool
	// Restore is the template's head, written back into every frame
	// first (at most MaxRestore bytes): for DUT programs that write into
	// frames, whose writes come back in the generator's pages.
	Restore []byte
}

// Generator is the loaded generator program and its counter.
type Generator struct {
	Program  *ebpf.Program
	Stats    *ebpf.Map // shared layout; key Redirect counts frames sent on
	state    *ebpf.Map
	coll     *ebpf.Collection
	template []byte
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

// Malformed counts the malformed frames the program sent, over all CPUs.
func (g *Generator) Malformed() (uint64, error) {
	var st []genGenState
	if err := g.state.Lookup(uint32(0), &st); err != nil {
		return 0, fmt.Errorf("read generator state: %w", err)
	}
	var n uint64
	for _, s := range st {
		n += s.Malformed
	}
	return n, nil
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// LoadGenerator loads the generator program.
func LoadGenerator(o GenOptions) (*Generator, error) {
	if o.Flows == 0 {
		o.Flows = 1
	}
	if o.PortsPerAddr == 0 {
		o.PortsPerAddr = 1
	}
	if o.L3Offset == 0 {
		o.L3Offset = 14
	}
	if o.Proto == 0 {
		o.Proto = 17
	}
	if o.TargetIfindex == 0 {
		return nil, fmt.Errorf("load generator: no target interface")
	}
	if len(o.Sizes) > MaxGenSizes {
		return nil, fmt.Errorf("load generator: %d sizes, at most %d", len(o.Sizes), MaxGenSizes)
	}
	for _, n := range o.Sizes {
		if n > o.TemplateLen {
			return nil, fmt.Errorf("load generator: size %d exceeds the %d-byte template", n, o.TemplateLen)
		}
	}
	if len(o.Restore) > MaxRestore {
		return nil, fmt.Errorf("load generator: restore %d bytes, at most %d", len(o.Restore), MaxRestore)
	}
	if (len(o.Sizes) > 0 || o.MalformedPPM > 0 || o.Stamp || o.Flows > 1) && o.TemplateLen == 0 {
		return nil, fmt.Errorf("load generator: shaping frames needs the template's length")
	}
	spec, err := loadGen()
	if err != nil {
		return nil, fmt.Errorf("load generator: parse embedded object: %w", err)
	}
	// The replay program and its frames are ReplayOptions' business.
	delete(spec.Programs, "xdp_replay")
	spec.Maps["replay_frames"].MaxEntries = 1
	for name, val := range map[string]any{
		"target_ifindex": o.TargetIfindex,
		"l3_off":         o.L3Offset,
		"ipv6":           b2u(o.IPv6),
		"proto":          uint32(o.Proto),
		"nflows":         o.Flows,
		"nports":         o.PortsPerAddr,
		"sport_base":     o.SportBase,
		"saddr_lo_base":  o.SaddrLoBase,
		"rate_pps":       o.RatePPS,
		"tmpl_len":       o.TemplateLen,
		"nsizes":         uint32(len(o.Sizes)),
		"malformed_ppm":  o.MalformedPPM,
		"stamp":          b2u(o.Stamp),
		"tmpl_ip_check":  o.TemplateIPCheck,
		"tmpl_l4_check":  o.TemplateL4Check,
		"l4_csum":        b2u(o.L4Checksum),
		"restore_len":    uint32(len(o.Restore)),
	} {
		if err := spec.Variables[name].Set(val); err != nil {
			return nil, fmt.Errorf("load generator: set %s: %w", name, err)
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load generator: %w", loadHint(err))
	}
	if len(o.Restore) > 0 {
		var rb genRestoreBuf
		copy(rb.B[:], o.Restore)
		if err := coll.Maps["restore"].Put(uint32(0), rb); err != nil {
			coll.Close()
			return nil, fmt.Errorf("load generator: restore: %w", err)
		}
	}
	for i, n := range o.Sizes {
		if err := coll.Maps["sizes"].Put(uint32(i), n); err != nil {
			coll.Close()
			return nil, fmt.Errorf("load generator: sizes: %w", err)
		}
	}
	return &Generator{Program: coll.Programs["xdp_gen"], Stats: coll.Maps["xdp_stats"], state: coll.Maps["gen_state"], coll: coll}, nil
}

// ReplayOptions configures the live-frames replay program.
type ReplayOptions struct {
	TargetIfindex uint32
	Frames        [][]byte // Ethernet frames, at most MaxReplayFrame bytes each
	// Due is each frame's time from the start of its loop (speed
	// applied), and LoopTime a loop's length: the capture's own timing.
	// Nil: no timing.
	Due      []time.Duration
	LoopTime time.Duration
	Loops    int
	RatePPS  uint64 // a fixed rate; 0: as fast as it can (or at Due)
}

// LoadReplay loads the replay program with the capture's frames. Its
// template (the data to run it with) is the longest frame's length: see
// Generator.Template.
func LoadReplay(o ReplayOptions) (*Generator, error) {
	n := len(o.Frames)
	switch {
	case o.TargetIfindex == 0:
		return nil, errors.New("load replay: no target interface")
	case n == 0 || n > MaxReplayFrames:
		return nil, fmt.Errorf("load replay: %d frames: live frames replay 1 to %d (AF_PACKET takes more)", n, MaxReplayFrames)
	case o.Loops < 1:
		return nil, fmt.Errorf("load replay: %d loops", o.Loops)
	case o.Due != nil && len(o.Due) != n:
		return nil, errors.New("load replay: a due time for every frame")
	}
	longest := 0
	for i, f := range o.Frames {
		if len(f) < 14 || len(f) > MaxReplayFrame {
			return nil, fmt.Errorf("load replay: frame %d has %d bytes: 14 to %d", i+1, len(f), MaxReplayFrame)
		}
		longest = max(longest, len(f))
	}
	spec, err := loadGen()
	if err != nil {
		return nil, fmt.Errorf("load replay: parse embedded object: %w", err)
	}
	delete(spec.Programs, "xdp_gen")
	spec.Maps["replay_frames"].MaxEntries = uint32(n)
	for name, val := range map[string]any{
		"target_ifindex": o.TargetIfindex,
		"tmpl_len":       uint32(longest),
		"rate_pps":       o.RatePPS,
		"replay_n":       uint32(n),
		"replay_total":   uint64(n) * uint64(o.Loops),
		"replay_loop_ns": uint64(o.LoopTime.Nanoseconds()),
		"replay_timed":   b2u(o.Due != nil),
	} {
		if err := spec.Variables[name].Set(val); err != nil {
			return nil, fmt.Errorf("load replay: set %s: %w", name, err)
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load replay: %w", loadHint(err))
	}
	for i, f := range o.Frames {
		v := genReplayFrame{Len: uint32(len(f))}
		copy(v.Data[:], f)
		if o.Due != nil {
			v.DueNs = uint64(o.Due[i].Nanoseconds())
		}
		if err := coll.Maps["replay_frames"].Put(uint32(i), &v); err != nil {
			coll.Close()
			return nil, fmt.Errorf("load replay: frame %d: %w", i+1, err)
		}
	}
	return &Generator{Program: coll.Programs["xdp_replay"], Stats: coll.Maps["xdp_stats"], state: coll.Maps["gen_state"],
		coll: coll, template: make([]byte, longest)}, nil
}

// ResetReplay starts the replay over: every CPU's position, count and start
// time back to zero.
func (g *Generator) ResetReplay() error {
	m := g.coll.Maps["replay_state"]
	n, err := ebpf.PossibleCPU()
	if err != nil {
		return fmt.Errorf("reset replay: %w", err)
	}
	if err := m.Put(uint32(0), make([]genReplayState, n)); err != nil {
		return fmt.Errorf("reset replay: %w", err)
	}
	return nil
}

// Template is the data a replay program runs with: as long as the longest
// frame, its bytes overwritten frame by frame.
func (g *Generator) Template() []byte { return g.template }
