// Package inspect is `xdplab inspect`: each program of a description
// loaded, verified and attached in each mode on a veth pair of its own
// (runner.Bench), the mode read back and the program's fingerprint taken;
// no traffic flows.
package inspect

import (
	"context"
	"errors"
	"time"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results"
)

// Inspect loads, verifies and attaches each program of cfg (its built-ins,
// or its object) in each mode on a veth pair it makes, and reads back the
// mode and the program's fingerprint; no traffic flows. The workloads'
// settings come from cfg as a run's do. Nothing is left behind.
func Inspect(ctx context.Context, cfg runner.Config) (_ *results.Inspection, err error) {
	if err := host.CheckPrivileges(); err != nil {
		return nil, err
	}
	in := &results.Inspection{
		Header: results.Header{Schema: results.InspectionSchema, SchemaVersion: results.InspectionSchemaVersion,
			Tool: results.ThisTool(cfg.Version), Host: host.Info(), Started: time.Now().UTC()},
		Notes: []string{results.FingerprintSource,
			"inspect: each program loaded, verified and attached on a veth pair of its own namespaces, the mode read back, then detached; no traffic"},
	}
	b, err := runner.NewBench(cfg, false)
	if err != nil {
		return nil, err
	}
	defer b.Close(&err)
	modes, err := b.Modes(false)
	if err != nil {
		return nil, err
	}
	in.Modes = runner.ModeNames(modes)
	progs, err := b.Programs()
	if err != nil {
		return nil, err
	}
	for _, name := range progs {
		blockers, err := b.Offloadability(name)
		if err != nil {
			return nil, err
		}
		for _, m := range modes {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			e, err := inspect(b, name, m)
			if err != nil {
				return nil, err
			}
			e.Offloadable, e.OffloadBlockers = len(blockers) == 0, blockers
			in.Programs = append(in.Programs, *e)
		}
	}
	return in, nil
}

// inspect loads and attaches one program in one mode, and takes it away
// again.
func inspect(b *runner.Bench, name string, m xdpmode.Mode) (_ *results.Inspected, err error) {
	prog, err := b.Load(name, m)
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	p := b.Pair()
	att, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: m})
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
