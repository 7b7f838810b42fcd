// Package equiv is `xdplab equiv`: one set of frames sent through the
// identical program attached for real in each mode on a pair
// (runner.Bench), and what came out compared frame by frame.
package equiv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// How long the equivalence check waits for a frame to come out, and for
// more after the last.
const (
	equivWait   = 150 * time.Millisecond
	equivSettle = 10 * time.Millisecond
	// jumboMTU is the MTU a frags-aware program is checked at.
	jumboMTU = 9000
)

// equivNotes say how the check observes.
var equivNotes = []string{
	"equivalence: each frame sent alone from the generator's namespace (AF_PACKET) to the DUT port, where the identical program is attached for real in each mode in turn (not BPF_PROG_TEST_RUN)",
	"a frame's verdict is where it came out: pass where an AF_PACKET socket on the DUT port saw it (after XDP, before the stack), tx where it came back at the generator's port, " +
		"redirect where it came out of the sink's veth or the DUT namespace's lo; a frame that came out nowhere is drop, or aborted, tx-failed or redirect-failed where xdp:xdp_exception " +
		"or xdp:xdp_redirect_err fired for the program (a raw tracepoint tap); xdplab's own programs' stats map counts the action too (counted; none where the program never ran on the frame, which is then not compared unless another mode's program ran on it)",
}

// equivNICNote and equivVethNote say how the pair is kept quiet and, on
// veths, what a veth needs to take frames back.
const (
	equivNICNote  = "IPv6 is off on both lent ports while they are lent, so that no stack adds frames; the peer takes back what the DUT transmits as its driver delivers it"
	equivVethNote = "a native XDP_PASS program is on the generator's and the sink's veth, so that they accept native XDP_TX'd and redirected frames (with rx-gro alone an XDP_TX'd frame waits in the veth's ring until another frame wakes it); IPv6 is off on every veth, so that no stack adds frames"
)

// check is one equivalence check: its bench, its description and pair.
type check struct {
	b    *runner.Bench
	cfg  runner.Config
	pair *topology.Pair
}

// Equivalence sends one set of frames (a capture's, or stream.FrameSet)
// through each program of cfg attached for real in each mode, and
// compares frame by frame what came out. Nothing is left behind.
func Equivalence(ctx context.Context, cfg runner.Config) (_ *results.Equivalence, err error) {
	if cfg.Remote != "" {
		return nil, &spec.FieldError{Field: spec.FieldRemote, Parts: []any{
			"the equivalence check watches where each frame comes out on both ports: it runs with both on this host"}}
	}
	if err := host.CheckPrivileges(); err != nil {
		return nil, err
	}
	e := &results.Equivalence{
		Header: results.Header{Schema: results.EquivalenceSchema, SchemaVersion: results.EquivalenceSchemaVersion,
			Tool: results.ThisTool(cfg.Version), Host: host.Info(), Started: time.Now().UTC()},
		Notes: append([]string(nil), equivNotes...),
	}
	// Lent NICs, cabled to each other (the peer sends, and takes back what
	// the DUT transmits), or a veth pair with a sink behind a second port.
	b, err := runner.NewBench(cfg, true)
	if err != nil {
		return nil, err
	}
	defer b.Close(&err)
	r := &check{b: b, cfg: cfg, pair: b.Pair()}
	undo, err := r.equivPair(e)
	defer undo()
	if err != nil {
		return nil, err
	}
	modes, err := r.b.Modes(true)
	if err != nil {
		return nil, err
	}
	e.Modes = runner.ModeNames(modes)
	for _, m := range modes {
		if !m.IsXDP() {
			e.Notes = append(e.Notes, hookNote)
			break
		}
	}
	frames, err := r.equivFrames(false)
	if err != nil {
		return nil, err
	}
	w, err := r.watch()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	progs, err := r.b.Programs()
	if err != nil {
		return nil, err
	}
	for _, name := range progs {
		var at []xdpmode.Mode // the hooks that run the program
		for _, m := range modes {
			if err := m.Runs(name); err != nil && name != "" {
				e.Notes = append(e.Notes, "not compared: "+err.Error())
				continue
			}
			at = append(at, m)
		}
		ep, err := r.equivProgram(ctx, w, name, at, frames)
		if err != nil {
			return nil, err
		}
		e.Programs = append(e.Programs, *ep)
	}
	e.Judge()
	return e, nil
}

// equivPair readies the pair for single frames: IPv6 off on every port,
// a native XDP_PASS program where a veth takes frames back, a lent port's
// MTU raised for the set's full-size frames; e's notes say which. undo
// detaches the programs (always call it).
func (r *check) equivPair(e *results.Equivalence) (undo func(), err error) {
	var undos []func()
	undo = func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	p := r.pair
	if r.cfg.DUTIface != "" {
		e.Notes = append(e.Notes, equivNICNote)
	} else {
		e.Notes = append(e.Notes, equivVethNote)
	}
	for _, ep := range p.Endpoints() {
		if err := topology.QuietIPv6(ep.NS.Handle, ep.Name); err != nil {
			return undo, err
		}
	}
	// A native XDP_PASS program where frames come back (the generator's
	// veth) and where they are redirected to (the sink's): a veth accepts
	// XDP frames only so, and with rx-gro alone an XDP_TX'd frame waits in
	// its ring until another frame wakes it.
	// Frags-aware, so that the jumbo frame at MTU 9000 comes back; before
	// 5.18 no program is, and a plain one does.
	pass, err := bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Pass, Frags: true})
	if err != nil {
		if pass, err = bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Pass}); err != nil {
			return undo, err
		}
	}
	undos = append(undos, func() { pass.Close() })
	for _, ep := range p.Endpoints() {
		if ep == &p.DUT || ep == &p.Out {
			continue
		}
		if d, _ := ep.Driver(); d != "veth" {
			continue // a NIC takes back what its peer transmits as it is
		}
		att, err := xdp.Attach(xdp.AttachOptions{NS: ep.NS.Handle, Iface: ep.Name, Program: pass, Mode: xdpmode.Native})
		if err != nil {
			return undo, fmt.Errorf("equivalence: XDP_PASS on %s: %w", ep.Name, err)
		}
		undos = append(undos, func() { att.Close() })
	}
	if r.cfg.DUTIface != "" && r.cfg.Pcap == "" {
		note, err := fullSizeMTU(p.Endpoints())
		if err != nil {
			return undo, err
		}
		if note != "" {
			e.Notes = append(e.Notes, note)
		}
	}
	return undo, nil
}

// equivProgram sends the frames through one program in each mode.
func (r *check) equivProgram(ctx context.Context, w *traffic.Watch, name string, modes []xdpmode.Mode, frames []stream.NamedFrame) (*results.EquivProgram, error) {
	ep := &results.EquivProgram{}
	for _, m := range modes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		em, prog, sent, err := r.equivMode(ctx, w, name, m, frames)
		if err != nil {
			return nil, err
		}
		ep.Program = prog
		ep.Modes = append(ep.Modes, *em)
		if ep.Frames == nil { // the same frames in every mode
			for i, f := range sent {
				ep.Frames = append(ep.Frames, results.EquivFrame{Index: i + 1, Name: f.Name, Bytes: len(f.Frame)})
			}
		}
	}
	return ep, nil
}

// fullSizeMTU raises a lent port's MTU below 1500 to 1500, so that the
// set's 1518-byte frames pass (its journal puts the MTU back when the
// port is given back), and says so.
func fullSizeMTU(eps []*topology.Endpoint) (string, error) {
	var raised []string
	for _, ep := range eps {
		mtu, err := ep.MTU()
		if err != nil {
			return "", err
		}
		if mtu >= 1500 {
			continue
		}
		if err := ep.SetMTU(1500); err != nil {
			return "", fmt.Errorf("equivalence: the frame set's 1518-byte frames need MTU 1500: %w", err)
		}
		raised = append(raised, fmt.Sprintf("%s from %d", ep.Name, mtu))
	}
	if len(raised) == 0 {
		return "", nil
	}
	return "MTU raised to 1500 for the frame set's 1518-byte frames on " + strings.Join(raised, ", ") + " (set back when the ports are given back)", nil
}

// equivFrames are the capture's frames (addressed from the generator to
// the DUT), or the generated set.
func (r *check) equivFrames(jumbo bool) ([]stream.NamedFrame, error) {
	p := r.pair
	if r.cfg.Pcap == "" {
		return stream.FrameSet(stream.FrameSetOptions{SrcMAC: p.Gen.MAC, DstMAC: p.DUT.MAC,
			Src4: p.Gen.IPv4.Addr(), Dst4: p.DUT.IPv4.Addr(), Src6: p.Gen.IPv6.Addr(), Dst6: p.DUT.IPv6.Addr(), Jumbo: jumbo})
	}
	c, err := stream.ReadCapture(r.cfg.Pcap, spec.MaxCaptureFrame)
	if err != nil {
		return nil, err
	}
	c.Rewrite(p.Gen.MAC, p.DUT.MAC)
	if r.cfg.PcapRewriteIPs {
		c.RewriteIPs(p.Gen.IPv4.Addr(), p.DUT.IPv4.Addr(), p.Gen.IPv6.Addr(), p.DUT.IPv6.Addr())
	}
	out := make([]stream.NamedFrame, len(c.Frames))
	for i, f := range c.Frames {
		out[i] = stream.NamedFrame{Name: fmt.Sprintf("%s #%d", r.cfg.Pcap, i+1), Frame: f}
	}
	return out, nil
}

// watch listens where frames can come out: back at the generator, into
// the DUT's stack, out of the DUT namespace's lo, at the sink.
func (r *check) watch() (_ *traffic.Watch, err error) {
	p := r.pair
	w := &traffic.Watch{}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	for _, l := range []struct {
		name    string
		ns      *topology.Namespace
		ifindex int
	}{{"dut", p.DUTNS, p.DUT.Ifindex}, {"gen", p.GenNS, p.Gen.Ifindex}, {"sink", p.SinkNS, p.Sink.Ifindex}, {"lo", p.DUTNS, 1}} {
		if l.ns == nil {
			continue // no sink: lent NICs
		}
		rc, err := traffic.Listen(l.ns.Handle, l.ifindex)
		if err != nil {
			return nil, fmt.Errorf("equivalence: listen at %s: %w", l.name, err)
		}
		w.Add(l.name, rc)
	}
	return w, nil
}

// equivMode attaches program name in mode m and sends every frame.
func (r *check) equivMode(ctx context.Context, w *traffic.Watch, name string, m xdpmode.Mode, frames []stream.NamedFrame) (_ *results.EquivMode, _ results.Program, sent []stream.NamedFrame, err error) {
	if !m.IsXDP() {
		return r.equivHook(ctx, w, name, m, frames)
	}
	p := r.pair
	prog, err := r.b.Load(name, m)
	if err != nil {
		return nil, results.Program{}, nil, err
	}
	defer prog.Close()
	rp := results.Program{Name: prog.Name, Object: prog.Object, SHA256: prog.SHA256, Counted: prog.Counted}
	// Every built-in shares the redirect program's devmap; only redirect
	// sends to it.
	if prog.TxPort != nil && name == "redirect" {
		if p.SinkNS == nil {
			return nil, rp, nil, fmt.Errorf("%s: it redirects to the sink's veth, which a pair of lent NICs has not", prog.Name)
		}
		err = nsthread.Do(p.DUTNS.Handle, func() error { return prog.TxPort.Put(uint32(0), uint32(p.Out.Ifindex)) })
		if err != nil {
			return nil, rp, nil, fmt.Errorf("redirect: set egress %s: %w", p.Out.Name, err)
		}
	}
	if prog.Frags && p.SinkNS != nil {
		// A frags-aware program gets the jumbo frame too, at MTU 9000 on
		// the veths xdplab made (a lent NIC's MTU stays as it is).
		if err := errors.Join(p.Gen.SetMTU(jumboMTU), p.DUT.SetMTU(jumboMTU)); err != nil {
			return nil, rp, nil, err
		}
		defer func() { err = errors.Join(err, p.DUT.SetMTU(1500), p.Gen.SetMTU(1500)) }()
		if frames, err = r.equivFrames(true); err != nil {
			return nil, rp, nil, err
		}
	}
	if err := p.DUT.SetGRO(m == xdpmode.Generic); err != nil {
		return nil, rp, nil, err
	}
	att, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: m})
	if err != nil {
		return nil, rp, nil, err
	}
	defer func() { err = errors.Join(err, att.Close()) }()
	// A NIC's driver resets for a native attach: its link must be back
	// before the first frame, or the frame is lost for no fault of the
	// program's.
	for _, ep := range p.Endpoints() {
		if _, err := ep.WaitCarrier(0); err != nil {
			return nil, rp, nil, err
		}
	}
	tap, err := bpf.TapExceptions(prog.Program)
	if err != nil {
		return nil, rp, nil, err
	}
	defer tap.Close()
	em := &results.EquivMode{Mode: m.String()}
	for _, f := range frames {
		if err := ctx.Err(); err != nil {
			return nil, rp, nil, err
		}
		v, err := r.sendOne(w, tap, prog, f.Frame)
		if err != nil {
			return nil, rp, nil, fmt.Errorf("%s %s, frame %q: %w", prog.Name, m, f.Name, err)
		}
		em.Frames = append(em.Frames, v)
	}
	return em, rp, frames, nil
}

// sendOne sends one frame and observes what becomes of it.
func (r *check) sendOne(w *traffic.Watch, tap *bpf.ExceptionTap, prog *bpf.Program, frame []byte) (results.FrameVerdict, error) {
	if err := w.Drain(); err != nil {
		return results.FrameVerdict{}, err
	}
	exc0, err := tap.Counts()
	if err != nil {
		return results.FrameVerdict{}, err
	}
	var st0 bpf.Stats
	if prog.Counted {
		if st0, err = bpf.ReadStats(prog.Stats); err != nil {
			return results.FrameVerdict{}, err
		}
	}
	if err := traffic.SendFrames(r.pair.GenNS.Handle, r.pair.Gen.Ifindex, frame, 1); err != nil {
		return results.FrameVerdict{}, err
	}
	wait := equivWait
	var counted *catalog.Action
	if prog.Counted {
		// The stats map tells at once what the program did; a frame it
		// dropped need not be waited for.
		deadline := time.Now().Add(equivWait)
		for time.Now().Before(deadline) && counted == nil {
			st, err := bpf.ReadStats(prog.Stats)
			if err != nil {
				return results.FrameVerdict{}, err
			}
			for a := range st {
				if st[a].Packets > st0[a].Packets {
					act := catalog.Action(a)
					counted = &act
				}
			}
			if counted == nil {
				time.Sleep(time.Millisecond)
			}
		}
		if counted != nil && (*counted == catalog.Drop || *counted == catalog.Aborted) {
			wait = equivSettle
		}
	}
	arrivals, err := w.Wait(wait, equivSettle)
	if err != nil {
		return results.FrameVerdict{}, err
	}
	exc1, err := tap.Counts()
	if err != nil {
		return results.FrameVerdict{}, err
	}
	var delta [bpf.NumExceptionSlots]uint64
	for i := range delta {
		delta[i] = exc1[i] - exc0[i]
	}
	return classify(arrivals, delta, prog.Counted, counted), nil
}
