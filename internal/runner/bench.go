package runner

import (
	"errors"
	"fmt"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// A Bench is a pair on which a description's programs load as a run
// loads them (a built-in with its workload's settings, or the user's
// object), with nothing measured: what `xdplab inspect` and `xdplab equiv`
// (internal/inspect, internal/equiv) build on.
type Bench struct {
	r *runner
}

// NewBench makes the pair: the lent NICs cfg names, cabled to each other,
// or a veth pair of xdplab's namespaces (with a sink namespace behind a
// second DUT port where sink). Close removes it.
func NewBench(cfg Config, sink bool) (*Bench, error) {
	r := &runner{cfg: cfg}
	var err error
	if cfg.DUTIface != "" {
		r.pair, err = topology.NewNICPair(topology.NICPairOptions{RunID: cfg.RunID, DUT: cfg.DUTIface, Peer: cfg.PeerIface, Force: cfg.Force})
	} else {
		r.pair, err = topology.NewPair(topology.PairOptions{RunID: cfg.RunID, Sink: sink})
	}
	if err != nil {
		return nil, err
	}
	return &Bench{r: r}, nil
}

// Pair is the bench's topology.
func (b *Bench) Pair() *topology.Pair { return b.r.pair }

// Config is the description the bench loads programs by.
func (b *Bench) Config() Config { return b.r.cfg }

// Programs are the programs to load: the built-ins' names; for the user's
// object, the program --program names ("" stands for it), or where none
// is named every XDP program of the object, by name.
func (b *Bench) Programs() ([]string, error) {
	c := b.r.cfg
	if c.Object == "" || c.ObjectProgram != "" {
		return b.r.programs(), nil
	}
	return bpf.ObjectXDPPrograms(c.Object)
}

// object is the description with the object's program name set (name ""
// keeps --program's).
func (b *Bench) object(name string) spec.Run {
	run := b.r.cfg.Run
	if name != "" {
		run.ObjectProgram = name
	}
	return run
}

// Load loads program name (a built-in; for the user's object, a name
// Programs gave) for mode m in the DUT's namespace, doing no per-packet
// work.
func (b *Bench) Load(name string, m xdpmode.Mode) (*bpf.Program, error) {
	if b.r.cfg.Object != "" {
		run := b.object(name)
		return b.r.loadObject(&run, m)
	}
	return b.r.load(name, catalog.NoTouch, m)
}

// Offloadability names what in program name (as for Load) hardware
// offload cannot run; none: it can.
func (b *Bench) Offloadability(name string) ([]string, error) {
	if b.r.cfg.Object != "" {
		run := b.object(name)
		return bpf.ObjectOffloadability(objectOptions(&run, 0))
	}
	return bpf.BuiltinOffloadability(name)
}

// Modes probes the modes the DUT supports and checks the ones asked (all
// it supports by default); noOffload refuses offload by name, for a check
// that runs on veth only.
func (b *Bench) Modes(noOffload bool) ([]xdpmode.Mode, error) { return b.r.probeModes(noOffload) }

// HookUnderTest is a built-in program at a hook beside XDP on a bench, as
// a run attaches it there, with nothing measured: its decisions counted
// by XDP action.
type HookUnderTest struct{ s *setup }

// AttachHook attaches program name at hook m (tc, socket, afpacket,
// afxdp) on the bench's DUT port. Modes must have been called (the
// afxdp hook attaches natively where the DUT can). Close it.
func (b *Bench) AttachHook(name string, m xdpmode.Mode) (_ *HookUnderTest, err error) {
	r := b.r
	if err := m.Runs(name); err != nil {
		return nil, err
	}
	s := &setup{name: name, mode: m, work: workloads[name], hook: &hookParts{cpus: r.cpus}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if err = r.attachHook(s, name); err != nil {
		return nil, err
	}
	return &HookUnderTest{s: s}, nil
}

// Decisions are the hook's decisions so far, by action.
func (h *HookUnderTest) Decisions() (bpf.Stats, error) { return h.s.readStats() }

// Program is the program as results name it.
func (h *HookUnderTest) Program() results.Program {
	p := h.s.prog
	return results.Program{Name: p.Name, Object: p.Object, SHA256: p.SHA256, Counted: p.Counted}
}

// Close detaches the program and stops a reader.
func (h *HookUnderTest) Close() error { return h.s.Close() }

// Close removes the pair, joining what went wrong to *err.
func (b *Bench) Close(err *error) {
	if cerr := b.r.pair.Close(); cerr != nil {
		*err = errors.Join(*err, fmt.Errorf("teardown: %w", cerr))
	}
}

// ModeNames are the modes' names, in order.
func ModeNames(ms []xdpmode.Mode) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}
