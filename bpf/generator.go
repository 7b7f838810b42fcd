package bpf

import (
	"errors"
	"fmt"
	"time"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
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
	Stats    *ebpf.Map // shared layout; key catalog.Redirect counts frames sent on
	state    *ebpf.Map
	objs     genObjects // the collection's, reached by their names in gen.c
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
	if len(o.Sizes) > catalog.MaxGenSizes {
		return nil, fmt.Errorf("load generator: %d sizes, at most %d", len(o.Sizes), catalog.MaxGenSizes)
	}
	for _, n := range o.Sizes {
		if n > o.TemplateLen {
			return nil, fmt.Errorf("load generator: size %d exceeds the %d-byte template", n, o.TemplateLen)
		}
	}
	if len(o.Restore) > catalog.MaxRestore {
		return nil, fmt.Errorf("load generator: restore %d bytes, at most %d", len(o.Restore), catalog.MaxRestore)
	}
	if (len(o.Sizes) > 0 || o.MalformedPPM > 0 || o.Stamp || o.Flows > 1) && o.TemplateLen == 0 {
		return nil, fmt.Errorf("load generator: shaping frames needs the template's length")
	}
	spec, err := loadGen()
	if err != nil {
		return nil, fmt.Errorf("load generator: parse embedded object: %w", err)
	}
	var s genSpecs
	if err := specs(spec, &s); err != nil {
		return nil, fmt.Errorf("load generator: %w", err)
	}
	// The replay program and its frames are ReplayOptions' business.
	delete(spec.Programs, s.XdpReplay.Name)
	s.ReplayFrames.MaxEntries = 1
	if err := set(
		setting{s.TargetIfindex, o.TargetIfindex}, setting{s.L3Off, o.L3Offset}, setting{s.Ipv6, b2u(o.IPv6)},
		setting{s.Proto, uint32(o.Proto)}, setting{s.Nflows, o.Flows}, setting{s.Nports, o.PortsPerAddr},
		setting{s.SportBase, o.SportBase}, setting{s.SaddrLoBase, o.SaddrLoBase}, setting{s.RatePps, o.RatePPS},
		setting{s.TmplLen, o.TemplateLen}, setting{s.Nsizes, uint32(len(o.Sizes))}, setting{s.MalformedPpm, o.MalformedPPM},
		setting{s.Stamp, b2u(o.Stamp)}, setting{s.TmplIpCheck, o.TemplateIPCheck}, setting{s.TmplL4Check, o.TemplateL4Check},
		setting{s.L4Csum, b2u(o.L4Checksum)}, setting{s.RestoreLen, uint32(len(o.Restore))},
	); err != nil {
		return nil, fmt.Errorf("load generator: %w", err)
	}
	g, err := newGenerator(spec)
	if err != nil {
		return nil, fmt.Errorf("load generator: %w", err)
	}
	g.Program = g.objs.XdpGen
	if len(o.Restore) > 0 {
		var rb genRestoreBuf
		copy(rb.B[:], o.Restore)
		if err := g.objs.Restore.Put(uint32(0), rb); err != nil {
			g.Close()
			return nil, fmt.Errorf("load generator: restore: %w", err)
		}
	}
	for i, n := range o.Sizes {
		if err := g.objs.Sizes.Put(uint32(i), n); err != nil {
			g.Close()
			return nil, fmt.Errorf("load generator: sizes: %w", err)
		}
	}
	return g, nil
}

// newGenerator loads the generator object's spec and reaches its maps and
// programs through the typed objects.
func newGenerator(spec *ebpf.CollectionSpec) (*Generator, error) {
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, loadHint(err)
	}
	g := &Generator{coll: coll}
	if err := view(coll, &g.objs); err != nil {
		coll.Close()
		return nil, err
	}
	g.Stats, g.state = g.objs.XdpStats, g.objs.GenState
	return g, nil
}

// ReplayOptions configures the live-frames replay program.
type ReplayOptions struct {
	TargetIfindex uint32
	Frames        [][]byte // Ethernet frames, at most catalog.MaxReplayFrame bytes each
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
	case n == 0 || n > catalog.MaxReplayFrames:
		return nil, fmt.Errorf("load replay: %d frames: live frames replay 1 to %d (AF_PACKET takes more)", n, catalog.MaxReplayFrames)
	case o.Loops < 1:
		return nil, fmt.Errorf("load replay: %d loops", o.Loops)
	case o.Due != nil && len(o.Due) != n:
		return nil, errors.New("load replay: a due time for every frame")
	}
	longest := 0
	for i, f := range o.Frames {
		if len(f) < 14 || len(f) > catalog.MaxReplayFrame {
			return nil, fmt.Errorf("load replay: frame %d has %d bytes: 14 to %d", i+1, len(f), catalog.MaxReplayFrame)
		}
		longest = max(longest, len(f))
	}
	spec, err := loadGen()
	if err != nil {
		return nil, fmt.Errorf("load replay: parse embedded object: %w", err)
	}
	var s genSpecs
	if err := specs(spec, &s); err != nil {
		return nil, fmt.Errorf("load replay: %w", err)
	}
	delete(spec.Programs, s.XdpGen.Name)
	s.ReplayFrames.MaxEntries = uint32(n)
	if err := set(
		setting{s.TargetIfindex, o.TargetIfindex}, setting{s.TmplLen, uint32(longest)}, setting{s.RatePps, o.RatePPS},
		setting{s.ReplayN, uint32(n)}, setting{s.ReplayTotal, uint64(n) * uint64(o.Loops)},
		setting{s.ReplayLoopNs, uint64(o.LoopTime.Nanoseconds())}, setting{s.ReplayTimed, b2u(o.Due != nil)},
	); err != nil {
		return nil, fmt.Errorf("load replay: %w", err)
	}
	g, err := newGenerator(spec)
	if err != nil {
		return nil, fmt.Errorf("load replay: %w", err)
	}
	g.Program, g.template = g.objs.XdpReplay, make([]byte, longest)
	for i, f := range o.Frames {
		v := genReplayFrame{Len: uint32(len(f))}
		copy(v.Data[:], f)
		if o.Due != nil {
			v.DueNs = uint64(o.Due[i].Nanoseconds())
		}
		if err := g.objs.ReplayFrames.Put(uint32(i), &v); err != nil {
			g.Close()
			return nil, fmt.Errorf("load replay: frame %d: %w", i+1, err)
		}
	}
	return g, nil
}

// ResetReplay starts the replay over: every CPU's position, count and start
// time back to zero.
func (g *Generator) ResetReplay() error {
	m := g.objs.ReplayState
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
