package runner

import (
	"errors"
	"fmt"
	"slices"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
)

// setup is one program attached in one mode, with its far side.
type setup struct {
	name string // program name for output
	mode xdpmode.Mode
	prog *bpf.Program
	att  *xdp.Attachment
	// sink counts frames out of the DUT (tx, redirect, l4lb), on the
	// generator's end or on the sink's veth; latency: it measures latency.
	sink    peer.Sink
	latency bool
	lbSink  *bpf.Program // l4lb's sink, for its per-backend counts
	// work is the reference workload's runner side (nil for the others)
	// and before what its start read.
	work   workload
	before any
	gen    peer.Generator
	// genPass is a native XDP_PASS program on a NIC generator's port that
	// makes its driver a redirect target (igb sets up its XDP transmit
	// rings only while a program is attached).
	genPass peer.Sink
	stack   bool // count what the stack received (pass)
	// writes: the DUT program writes into frames (tx, l4lb, swap-macs
	// work, a user's program): the generator restores each frame's head.
	writes bool
	// controlPlane, when set, is what an offload device that runs no
	// program on packets showed: no trials follow.
	controlPlane []string
	// hook holds a hook beside XDP's parts (nil at XDP's modes).
	hook *hookParts
}

func (s *setup) Close() error {
	var errs []error
	if s.gen != nil {
		errs = append(errs, s.gen.Close())
	}
	errs = append(errs, s.hook.close(), s.att.Close())
	if s.sink != nil {
		errs = append(errs, s.sink.Close())
	}
	if s.genPass != nil {
		errs = append(errs, s.genPass.Close())
	}
	errs = append(errs, s.prog.Close())
	return errors.Join(errs...)
}

// prepare loads and attaches program name (a built-in, or "" for the
// user's object) in mode, with what the mode needs.
func (r *runner) prepare(name string, work catalog.Work, mode xdpmode.Mode) (_ *setup, err error) {
	p := r.pair
	s := &setup{name: name, mode: mode, work: workloads[name]}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	if !mode.IsXDP() {
		return s, r.prepareHook(s, name)
	}
	if s.prog, err = r.load(name, work, mode); err != nil {
		return nil, err
	}
	s.name = s.prog.Name
	if err = r.recordMapInit(s.prog); err != nil {
		return nil, err
	}
	if r.run != nil && mode != xdpmode.Offload {
		for _, n := range s.prog.Notes { // what loading the object adapted
			if !slices.Contains(r.run.Notes, n) {
				r.run.Notes = append(r.run.Notes, n)
			}
		}
	}
	s.writes = name == "" || name == "tx" || work >= catalog.SwapMACs || s.work != nil && s.work.writes()
	if err = r.readyPorts(mode); err != nil {
		return nil, err
	}
	switch name {
	case "tx":
		// Frames come back to the generator's veth: a native sink there
		// counts them (and lets the veth accept them at all).
		if err = r.attachSinkTo(s, r.end); err != nil {
			return nil, err
		}
	case "redirect":
		// A devmap resolves the ifindex in the namespace of the thread
		// that updates it: update it from the DUT's namespace.
		err = nsthread.Do(p.DUTNS.Handle, func() error {
			return s.prog.TxPort.Put(uint32(0), uint32(p.Out.Ifindex))
		})
		if err != nil {
			return nil, fmt.Errorf("redirect: set egress %s: %w", p.Out.Name, err)
		}
		if err = r.attachSinkTo(s, peer.NewLocal(&p.Sink)); err != nil {
			return nil, err
		}
	case "pass":
		s.stack = true // what passes reaches the DUT namespace's stack
	case "":
		// A user's object: what it sends back, the return sink checks.
		if err = r.attachReturnSink(s); err != nil {
			return nil, err
		}
	}
	if s.work != nil {
		if err = s.work.far(r, s); err != nil {
			return nil, err
		}
	}
	if s.att, err = xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: s.prog.Program, Mode: mode}); err != nil {
		return nil, err
	}
	if mode == xdpmode.Offload {
		if d, _ := p.DUT.Driver(); d == "netdevsim" {
			// netdevsim runs no offloaded program on packets: what can be
			// proved is the control plane.
			return s, r.controlPlane(s, d)
		}
	}
	if err = r.readyForTraffic(s, name, mode); err != nil {
		return nil, err
	}
	if s.gen, err = r.newGenerator(s); err != nil {
		return nil, err
	}
	return s, nil
}

// readyPorts sets the DUT's GRO for mode and checks that both ports
// have a queue for every generator thread.
func (r *runner) readyPorts(mode xdpmode.Mode) error {
	p := r.pair
	// A generic-mode program on a veth sees redirected frames only with
	// rx-gro on; a native one needs no GRO. The hooks on the skb (tc, a
	// socket, an AF_PACKET ring) need it as generic does; the afxdp hook's
	// program runs native where it can.
	wantGRO := mode == xdpmode.Generic || !mode.IsXDP() && (mode != xdpmode.AFXDP || r.xskMode() == xdpmode.Generic)
	if err := p.DUT.SetGRO(wantGRO); err != nil {
		return err
	}
	if gro, err := p.DUT.GRO(); err != nil {
		return err
	} else if gro != wantGRO {
		return fmt.Errorf("%s: rx-gro is %v after setting it %v", p.DUT.Name, gro, wantGRO)
	}
	// Several generator threads need as many queues on both ends: a
	// redirected frame lands in the rx queue of the sending CPU.
	for _, e := range []struct {
		name string
		q    func() (int, int, error)
	}{{p.Gen.Name, r.end.Queues}, {p.DUT.Name, p.DUT.Queues}} {
		rx, tx, err := e.q()
		if err != nil {
			return err
		}
		if rx < r.cfg.Threads || tx < r.cfg.Threads {
			return fmt.Errorf("%s has %d rx and %d tx queues, fewer than %d generator threads", e.name, rx, tx, r.cfg.Threads)
		}
	}
	return nil
}

// readyForTraffic makes sure, once the program is attached, that frames
// can flow: the generator's port takes redirected frames, both links are
// up, and redirect's egress takes them in native mode.
func (r *runner) readyForTraffic(s *setup, name string, mode xdpmode.Mode) (err error) {
	p := r.pair
	// The generator's port must accept redirected frames, which the
	// netdev family's ndo-xmit bit tells. A NIC's driver may set it only
	// while an XDP program is attached (igb): a native XDP_PASS program
	// there, unless the port has a sink already.
	if r.kind == stream.LiveFrames {
		if in := r.end.Info(); in.Driver != "veth" && s.sink == nil && requireNdoXmit(in, "") != nil {
			if s.genPass, err = r.end.AttachSink(peer.SinkOptions{Kind: peer.SinkPass}); err != nil {
				return fmt.Errorf("the generator's port %s (%s) is no redirect target, and takes no native XDP program to become one: %w (use --generator af-packet)", in.Name, in.Driver, err)
			}
		}
		if err = requireNdoXmit(r.end.Info(), "the generator's frames"); err != nil {
			return err
		}
	}
	// A NIC's driver resets for a native attach (its own or the sink's
	// on the generator's port) and drops its carrier meanwhile: frames
	// sent before the link is back would be lost.
	if _, err = p.DUT.WaitCarrier(0); err != nil {
		return err
	}
	if _, err = r.end.WaitCarrier(0); err != nil {
		return err
	}
	if name == "redirect" && mode == xdpmode.Native {
		return requireNdoXmit(peer.NewLocal(&p.Out).Info(), "redirected frames")
	}
	return nil
}

// load loads program name (a built-in, or "" for the user's object) for
// mode in the DUT's namespace, with its workload's settings.
func (r *runner) load(name string, work catalog.Work, mode xdpmode.Mode) (prog *bpf.Program, err error) {
	p := r.pair
	// Offload: the program and its maps are bound to the device, whose
	// ifindex is resolved in the DUT's namespace.
	var ifindex uint32
	if mode == xdpmode.Offload {
		ifindex = uint32(p.DUT.Ifindex)
	}
	if name == "" {
		return r.loadObject(&r.cfg.Run, mode)
	}
	err = nsthread.Do(p.DUTNS.Handle, func() error {
		var err error
		o := bpf.DUTOptions{Program: name, Work: work, Ifindex: ifindex}
		if w := workloads[name]; w != nil {
			w.options(r, &o)
		}
		prog, err = bpf.LoadDUT(o)
		return err
	})
	return prog, err
}

// loadObject loads the user's object run names (its program, map sizes,
// variables, tail calls, pinning) for mode in the DUT's namespace.
func (r *runner) loadObject(run *spec.Run, mode xdpmode.Mode) (prog *bpf.Program, err error) {
	p := r.pair
	var ifindex uint32
	if mode == xdpmode.Offload {
		ifindex = uint32(p.DUT.Ifindex)
	}
	o := objectOptions(run, ifindex)
	load := func() error {
		var err error
		prog, err = bpf.LoadObject(o)
		return err
	}
	if run.PinScratch {
		err = nsthread.DoWithScratchBPFFS(p.DUTNS.Handle, func(pin string) error {
			o.PinPath = pin
			return load()
		})
	} else {
		err = nsthread.Do(p.DUTNS.Handle, load)
	}
	return prog, err
}

// requireNdoXmit refuses an interface that would lose what is sent to it.
func requireNdoXmit(in peer.Info, what string) error {
	if in.FeaturesError != "" {
		return errors.New(in.FeaturesError)
	}
	if !in.FeaturesKnown {
		return nil // older kernel: the DUT-saw-nothing flag will tell
	}
	if f := offload.XDPFeature(in.XDPFeatures); f&offload.FeatureNdoXmit == 0 {
		why := "its peer needs a native XDP program or GRO"
		if in.Driver != "veth" {
			why = "its driver " + in.Driver + " takes none, even with a native XDP program attached"
		}
		return fmt.Errorf("%s would be lost: %s does not accept redirected frames (xdp-features %s lacks ndo-xmit; %s)", what, in.Name, f, why)
	}
	return nil
}

// attachSinkTo attaches the sink of s on end: the latency sink when the
// run measures latency, else the plain counting one.
func (r *runner) attachSinkTo(s *setup, end peer.End) (err error) {
	o := peer.SinkOptions{Kind: peer.SinkCount}
	if r.cfg.Latency {
		l := r.frameSpec().Layout()
		o = peer.SinkOptions{Kind: peer.SinkLatency, Latency: bpf.LatencyOptions{L3Offset: uint32(l.L3), IPv6: l.IPv6, L4Hdr: uint32(l.L4Hdr)}}
		s.latency = true
	}
	s.sink, err = end.AttachSink(o)
	return err
}

// controlPlane checks what an offload device that runs no program on
// packets can show: the program verified and bound, attached in offload
// mode and read back so, and its maps readable on the device.
func (r *runner) controlPlane(s *setup, driver string) error {
	s.controlPlane = []string{
		fmt.Sprintf("loaded and verified bound to %s (driver %s)", r.pair.DUT.Name, driver),
		fmt.Sprintf("attached with %s, the kernel reports %s mode", s.att.Method, s.att.Mode),
	}
	if s.prog.Stats != nil {
		if _, err := bpf.ReadStats(s.prog.Stats); err != nil {
			return fmt.Errorf("offloaded stats map on %s: %w", r.pair.DUT.Name, err)
		}
		s.controlPlane = append(s.controlPlane, "its stats map lives on the device and reads back")
	}
	s.controlPlane = append(s.controlPlane, s.prog.Notes...)
	s.controlPlane = append(s.controlPlane, driver+" runs no offloaded program on packets, so there is no throughput to measure")
	return nil
}
