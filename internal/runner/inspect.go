package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// Inspect loads, verifies and attaches each program of cfg (its built-ins,
// or its object) in each mode on a veth pair it makes, and reads back the
// mode and the program's fingerprint; no traffic flows. The workloads'
// settings come from cfg as a run's do. Nothing is left behind.
func Inspect(ctx context.Context, cfg Config) (_ *results.Inspection, err error) {
	if err := host.CheckPrivileges(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg}
	in := &results.Inspection{
		Header: results.Header{Schema: results.InspectionSchema, SchemaVersion: results.InspectionSchemaVersion,
			Tool: results.ThisTool(cfg.Version), Host: host.Info(), Started: time.Now().UTC()},
		Notes: []string{results.FingerprintSource,
			"inspect: each program loaded, verified and attached on a veth pair of its own namespaces, the mode read back, then detached; no traffic"},
	}
	if r.pair, err = topology.NewPair(topology.PairOptions{RunID: cfg.RunID}); err != nil {
		return nil, err
	}
	defer r.closePair(&err)
	modes, err := r.pairModes(false)
	if err != nil {
		return nil, err
	}
	in.Modes = modeNames(modes)
	for _, name := range r.programs() {
		blockers, err := r.offloadability(name)
		if err != nil {
			return nil, err
		}
		for _, m := range modes {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			e, err := r.inspect(name, m)
			if err != nil {
				return nil, err
			}
			e.Offloadable, e.OffloadBlockers = len(blockers) == 0, blockers
			in.Programs = append(in.Programs, *e)
		}
	}
	return in, nil
}

func (r *runner) offloadability(name string) ([]string, error) {
	if name == "" {
		return bpf.ObjectOffloadability(objectOptions(&r.cfg.Run, 0))
	}
	return bpf.BuiltinOffloadability(name)
}

// inspect loads and attaches one program in one mode, and takes it away
// again.
func (r *runner) inspect(name string, m xdpmode.Mode) (_ *results.Inspected, err error) {
	prog, err := r.load(name, catalog.NoTouch, m)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	att, err := xdp.Attach(xdp.AttachOptions{NS: r.pair.DUTNS.Handle, Iface: r.pair.DUT.Name, Program: prog.Program, Mode: m})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, att.Close()) }()
	return &results.Inspected{
		Program: results.Program{Name: prog.Name, Object: prog.Object, SHA256: prog.SHA256, Counted: prog.Counted},
		Mode:    m.String(), AttachMethod: att.Method, AttachedMode: att.Mode.String(),
		Fingerprint: prog.Fingerprint,
	}, nil
}

// closePair removes the pair, joining what went wrong to *err.
func (r *runner) closePair(err *error) {
	if cerr := r.pair.Close(); cerr != nil {
		*err = errors.Join(*err, fmt.Errorf("teardown: %w", cerr))
	}
}

// pairModes probes the modes the DUT veth supports and checks the ones
// asked (all it supports by default); veth has no offload, which a check
// of programs on it refuses by name when noOffload.
func (r *runner) pairModes(noOffload bool) ([]xdpmode.Mode, error) {
	p := r.pair
	driver, _ := p.DUT.Driver()
	var err error
	if r.support, err = offload.ProbeModes(p.DUTNS.Handle, p.DUT.Name, p.DUT.Ifindex, driver); err != nil {
		return nil, err
	}
	modes := r.cfg.Modes
	if len(modes) == 0 {
		modes = r.support.Modes
	}
	for _, m := range modes {
		if noOffload && m == xdpmode.Offload {
			return nil, errors.New("--modes offload: the equivalence check runs on a veth pair, which has no offload; name generic and native")
		}
		if err := r.support.Check(m); err != nil {
			return nil, err
		}
	}
	return modes, nil
}

func modeNames(ms []xdpmode.Mode) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}
