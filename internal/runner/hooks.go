package runner

import (
	"errors"
	"fmt"
	"slices"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/hook"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/procstat"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
)

// hookParts are what a hook beside XDP holds on a setup: tc's attach, a
// user-space reader, and the afxdp hook's own XDP program.
type hookParts struct {
	tc     *hook.TC
	reader *hook.Reader
	xsk    *bpf.Program
	// filter is the filter workload's rules in user space.
	filter *hook.Filter
	// method is how the hook is attached, as the results file names it.
	method string
	// cpus are the CPUs whose time the hook costs: the generator's and
	// a reader's.
	cpus []int
}

func (h *hookParts) close() error {
	if h == nil {
		return nil
	}
	return errors.Join(h.reader.Close(), h.tc.Close(), h.xsk.Close())
}

// prepareHook loads and attaches program name at a hook beside XDP: the
// tc build at tc ingress, the socket filter build on an AF_PACKET ring,
// or the program's rule in user space behind an AF_PACKET ring or an
// AF_XDP socket.
func (r *runner) prepareHook(s *setup, name string) (err error) {
	s.hook = &hookParts{cpus: r.cpus}
	if err := s.mode.Runs(name); err != nil {
		return err
	}
	if err = r.readyPorts(s.mode); err != nil {
		return err
	}
	// What passes (and at socket and afpacket, every frame: they see a
	// copy) reaches the DUT namespace's stack.
	s.stack = name == "pass" && s.mode != xdpmode.AFXDP || s.mode == xdpmode.Socket || s.mode == xdpmode.AFPacket
	if s.work != nil && s.mode != xdpmode.AFXDP {
		if err := s.work.far(r, s); err != nil {
			return err
		}
	}
	if err = r.attachHook(s, name); err != nil {
		return err
	}
	if err = r.readyForTraffic(s, name, s.mode); err != nil {
		return err
	}
	s.gen, err = r.newGenerator(s)
	return err
}

// attachHook attaches program name at the setup's hook beside XDP.
func (r *runner) attachHook(s *setup, name string) error {
	switch s.mode {
	case xdpmode.TC:
		return r.attachTC(s, name)
	case xdpmode.Socket, xdpmode.AFPacket:
		return r.openPacket(s, name)
	case xdpmode.AFXDP:
		return r.openXSK(s, name)
	}
	return fmt.Errorf("%s is no hook beside XDP", s.mode)
}

// attachTC loads the tc build of the program and attaches it at the DUT's
// tc ingress; tx's frames come back to the generator's port, where a
// sink counts them.
func (r *runner) attachTC(s *setup, name string) (err error) {
	p := r.pair
	o := bpf.DUTOptions{Program: name, Hook: xdpmode.TC}
	if s.work != nil {
		s.work.options(r, &o)
	}
	err = nsthread.Do(p.DUTNS.Handle, func() error {
		s.prog, err = bpf.LoadDUT(o)
		return err
	})
	if err != nil {
		return err
	}
	if name == "tx" && r.end != nil { // a bench has no generator's end: its caller watches
		s.writes = true
		if err := r.attachSinkTo(s, r.end); err != nil {
			return err
		}
	}
	if s.hook.tc, err = hook.AttachTC(hook.TCOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: s.prog.Program}); err != nil {
		return err
	}
	s.hook.method = s.hook.tc.Method
	return nil
}

// openPacket opens the AF_PACKET ring on the DUT: with the socket filter
// build attached (socket), or with the program's rule in Go (afpacket).
func (r *runner) openPacket(s *setup, name string) (err error) {
	p := r.pair
	cpu, err := r.readerCPU(s)
	if err != nil {
		return err
	}
	o := hook.PacketOptions{NS: p.DUTNS.Handle, Ifindex: p.DUT.Ifindex, CPU: cpu}
	if s.mode == xdpmode.Socket {
		err = nsthread.Do(p.DUTNS.Handle, func() error {
			s.prog, err = bpf.LoadDUT(bpf.DUTOptions{Program: name, Hook: xdpmode.Socket})
			return err
		})
		if err != nil {
			return err
		}
		// User space counts what the filter let through; the decisions
		// are the filter's, in its stats map.
		o.Filter, o.Decide = s.prog.Program, func([]byte) catalog.Action { return catalog.Pass }
		s.hook.method = "SO_ATTACH_BPF"
	} else {
		if s.prog, o.Decide, err = r.userProgram(s, name); err != nil {
			return err
		}
		s.hook.method = "AF_PACKET ring"
	}
	s.hook.reader, err = hook.OpenPacket(o)
	return err
}

// openXSK attaches the afxdp hook's XDP program (native where the DUT has
// it, else generic) and reads an AF_XDP socket on every rx queue, in
// zero-copy mode where the driver advertises it.
func (r *runner) openXSK(s *setup, name string) (err error) {
	p := r.pair
	cpu, err := r.readerCPU(s)
	if err != nil {
		return err
	}
	o := hook.XSKOptions{NS: p.DUTNS.Handle, Ifindex: p.DUT.Ifindex, CPU: cpu}
	if s.prog, o.Decide, err = r.userProgram(s, name); err != nil {
		return err
	}
	err = nsthread.Do(p.DUTNS.Handle, func() error {
		s.hook.xsk, err = bpf.LoadXSKRedirect()
		return err
	})
	if err != nil {
		return err
	}
	mode := r.xskMode()
	if s.att, err = xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: s.hook.xsk.Program, Mode: mode}); err != nil {
		return err
	}
	rx, _, err := p.DUT.Queues()
	if err != nil {
		return err
	}
	o.Queues = min(max(rx, 1), catalog.MaxXSKQueues)
	o.ZeroCopy = r.support != nil && r.support.Features.XDP&offload.FeatureXSKZeroCopy != 0
	o.Put = func(q, fd int) error { return s.hook.xsk.XSKs.Put(uint32(q), uint32(fd)) }
	if s.hook.reader, err = hook.OpenXSK(o); err != nil {
		return err
	}
	s.hook.method = "AF_XDP socket"
	return nil
}

// xskMode is the XDP mode the afxdp hook's program attaches in: native
// where the DUT has it.
func (r *runner) xskMode() xdpmode.Mode {
	if r.support != nil && slices.Contains(r.support.Modes, xdpmode.Native) {
		return xdpmode.Native
	}
	return xdpmode.Generic
}

// userProgram is the built-in program as user space runs it: its rule in
// Go (the filter's rules in a hook.Filter), counted like its BPF builds.
func (r *runner) userProgram(s *setup, name string) (*bpf.Program, hook.Decide, error) {
	b, err := catalog.LookupBuiltin(name)
	if err != nil {
		return nil, nil, err
	}
	var decide hook.Decide
	if name == "filter" {
		if s.hook.filter, err = hook.NewFilter(r.cfg.Rules); err != nil {
			return nil, nil, err
		}
		decide = s.hook.filter.Decide
	} else if decide, err = hook.Rules(name); err != nil {
		return nil, nil, err
	}
	if b.Mixed {
		return &bpf.Program{Name: name, Object: results.UserSpaceObject, SHA256: bpf.DUTObjectSHA256(), Counted: true}, decide, nil
	}
	act := b.Action
	return &bpf.Program{Name: name, Expected: &act, Object: results.UserSpaceObject, SHA256: bpf.DUTObjectSHA256(), Counted: true}, decide, nil
}

// readerCPU picks the CPU a user-space reader runs on: one the generator
// does not use, which joins the CPUs whose time the hook costs.
func (r *runner) readerCPU(s *setup) (int, error) {
	all := host.CPUs()
	for i := len(all) - 1; i >= 0; i-- {
		if c := all[i]; !slices.Contains(r.cpus, c) || r.remote != nil {
			if !slices.Contains(s.hook.cpus, c) {
				s.hook.cpus = append(slices.Clone(s.hook.cpus), c)
			}
			return c, nil
		}
	}
	return 0, fmt.Errorf("the %s hook reads on a CPU of its own, and the generator's %d thread(s) use every CPU this process may use (%v): use fewer --threads",
		s.mode.HookName(), len(r.cpus), all)
}

// readStats are the decisions so far by action: a user-space reader's
// own, else the program's stats map (at tc and the socket filter, the
// BPF build's).
func (s *setup) readStats() (bpf.Stats, error) {
	if s.mode.InUserSpace() && s.hook != nil && s.hook.reader != nil {
		return s.hook.reader.Stats(), nil
	}
	return bpf.ReadStats(s.prog.Stats)
}

// cpus are the CPUs whose time the setup costs: the generator's, and a
// user-space reader's.
func (s *setup) cpus(r *runner) []int {
	if s.hook != nil {
		return s.hook.cpus
	}
	return r.cpus
}

// attached is how the program was attached and where the kernel reports
// it, as the results file records them.
func (s *setup) attached() (method, mode string) {
	switch {
	case s.hook != nil:
		return s.hook.method, s.mode.String()
	case s.att != nil:
		return s.att.Method, s.att.Mode.String()
	}
	return "", ""
}

// hookFigures are the trial's figures about where the inspection ran:
// the CPUs' time split into user and kernel, and a reader's own cost.
func (r *runner) hookFigures(s *setup, start, end, final snapshot, cpuD procstat.Snapshot, w window) *results.HookFigures {
	m := s.mode
	method, _ := s.attached()
	h := &results.HookFigures{Hook: m.HookName(), Where: m.Where(), Method: method, Drop: m.DropMeaning(), CPUs: s.cpus(r),
		Sources: map[string]string{"cpu_split": "/proc/stat of the CPUs listed, per offered frame: user+nice against system+irq+softirq"}}
	if s.hook != nil && s.hook.reader != nil {
		h.Method = s.hook.reader.Method
	}
	var user, kernel uint64
	for _, c := range h.CPUs {
		d := cpuD[c]
		user += d.User + d.Nice
		kernel += d.System + d.IRQ + d.SoftIRQ
	}
	if w.offered > 0 {
		h.UserNsPerPkt = float64(user) / float64(w.offered)
		h.KernelNsPerPkt = float64(kernel) / float64(w.offered)
	}
	if start.reader == nil || end.reader == nil || final.reader == nil {
		h.NotMeasurable = map[string]string{
			"thread":   "the inspection runs in the kernel's receive path (softirq), on no thread of its own",
			"switches": "no thread of its own: it switches no context",
			"syscalls": "no system call hands it a frame",
			"copies":   "0 by the mechanism: the frame is inspected where it lies",
			"missed":   "no ring between the kernel and the inspector: every frame received is inspected",
		}
		return h
	}
	h.Reader = readerFigures(*start.reader, *end.reader, *final.reader, w.gen.Packets, w.seen)
	h.Sources["thread"] = "/proc/self/task/TID/schedstat (time on CPU) split by stat's utime:stime, per frame decided in the timed window"
	h.Sources["switches"] = "/proc/self/task/TID/status voluntary + nonvoluntary context switches"
	h.Sources["syscalls"] = "the reader's own count of its system calls (poll)"
	h.Sources["copies"] = "derived from the mechanism: bytes the kernel copies to hand a frame over (0 in AF_XDP zero-copy mode)"
	h.Sources["missed"] = start.reader.MissedSource + ", over the frames generated"
	return h
}

// readerFigures derive a reader's figures: its thread's cost per frame
// decided in the timed window (start..end; at the socket hook the filter
// decides, and user space reads only what it accepts), what it missed
// over the settled counts.
func readerFigures(start, end, final hook.Usage, generated, decided uint64) *results.ReaderFigures {
	f := &results.ReaderFigures{Read: final.Read - start.Read, Missed: final.Missed - start.Missed}
	if generated > 0 {
		f.MissedShare = float64(f.Missed) / float64(generated)
	}
	read := decided
	if read == 0 {
		return f
	}
	th := end.Thread.Sub(start.Thread)
	u, k := th.Split()
	n := float64(read)
	f.ThreadUserNsPerFrame, f.ThreadKernelNsPerFrame = u/n, k/n
	f.ContextSwitchesPerM = float64(th.Voluntary+th.Involuntary) / n * 1e6
	f.SyscallsPerK = float64(end.Syscalls-start.Syscalls) / n * 1e3
	f.CopiedBytesPerFrame = float64(end.Copied-start.Copied) / n
	return f
}
