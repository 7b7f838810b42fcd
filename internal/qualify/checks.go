package qualify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/afxdp"
	"github.com/xdplab/xdplab/internal/equiv"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// quiet is how long a receiver waits for one more frame.
const quiet = 300 * time.Millisecond

// modeChecks runs the functional checks of one mode.
func (r *qualification) modeChecks(m xdpmode.Mode) error {
	p := r.pair
	// Frames sent back with XDP_TX reach the generator's veth only when it
	// has an XDP program of its own (veth kicks the peer's NAPI only then):
	// a native XDP_PASS program hands them on to the stack, where the
	// receiver reads them. GRO on the sink's side takes redirected frames.
	restore, err := gros(true, &p.Sink)
	if err != nil {
		return err
	}
	defer restore()
	pass, err := r.end.AttachSink(peer.SinkOptions{Kind: peer.SinkPass}) // frags-aware: the MTU 9000 check follows
	switch {
	case err == nil:
		defer pass.Close()
	case r.end.Info().Driver == "veth":
		return fmt.Errorf("XDP_PASS on the generator's side: %w", err)
	default:
		// A NIC hands what it receives to the stack with or without a
		// program: the program only matters to a veth. A driver without
		// native XDP (e1000e) goes on without one.
		r.note("the generator's port %s takes no native XDP_PASS program (%v): frames sent back reach its stack without one", r.end.Info().Name, err)
	}
	if err := r.settle(); err != nil {
		return err
	}
	for _, act := range []catalog.Action{catalog.Drop, catalog.Pass, catalog.TX, catalog.Redirect, catalog.Aborted} {
		if err := r.actionCheck(m, act); err != nil {
			return err
		}
	}
	if err := r.adjustCheck(m); err != nil {
		return err
	}
	for _, zc := range []bool{false, true} {
		if err := r.xskCheck(m, zc); err != nil {
			return err
		}
	}
	return r.fragsCheck(m)
}

// xskCheck: frames redirected to AF_XDP sockets arrive intact, in copy
// mode, and in zero-copy mode where the driver advertises it. A NIC with
// several receive queues spreads flows over them by a hash whose key it
// picks at boot (igb), so there is a socket on every queue the DUT
// receives on, each in the XSKMAP at its queue's index.
func (r *qualification) xskCheck(m xdpmode.Mode, zeroCopy bool) (err error) {
	p, n := r.pair, r.o.Frames
	name := "AF_XDP receive (copy)"
	if zeroCopy {
		name = "AF_XDP receive (zero-copy)"
	}
	advertised := r.rep != nil && len(r.rep.Interfaces) > 0 && r.rep.Interfaces[0].Advertised.Has(offload.FeatureXSKZeroCopy)
	if zeroCopy && m == xdpmode.Generic {
		r.check("functional", name, m.String(), results.VerdictNotApplicable, "zero-copy needs the driver: native mode only")
		return nil
	}
	q, att, err := r.attach(m, uint32(catalog.Pass), func(q *bpf.QualifyPrograms) *ebpf.Program { return q.XSK })
	if err != nil {
		r.check("functional", name, m.String(), results.VerdictFail, "load and attach the XSKMAP program: %v", err)
		return nil
	}
	defer func() { err = errors.Join(err, att.Close(), q.Close()) }()
	rxq, _, err := p.DUT.Queues()
	if err != nil {
		return err
	}
	var socks []*afxdp.Socket
	defer func() {
		for _, s := range socks {
			s.Close()
		}
	}()
	err = nsthread.Do(p.DUTNS.Handle, func() error {
		for i := range min(max(rxq, 1), maxXSKQueues) {
			s, err := afxdp.Open(p.DUT.Ifindex, i, zeroCopy)
			if err != nil {
				if i > 0 && errors.Is(err, unix.EINVAL) {
					return nil // past the queues the driver has set up
				}
				return err
			}
			socks = append(socks, s)
		}
		return nil
	})
	if err != nil {
		r.check("functional", name, m.String(), xskVerdict(zeroCopy, advertised, err, 0, n), "%v", err)
		return nil
	}
	for i, s := range socks {
		if err := q.SetXSK(i, s.FD()); err != nil {
			return err
		}
	}
	f, err := r.frame("afxdp", 128)
	if err != nil {
		return err
	}
	if err := r.send(f); err != nil {
		return err
	}
	good := 0
	for _, s := range socks {
		got, err := s.Receive(n, quiet)
		if err != nil {
			return err
		}
		for _, g := range got {
			if bytes.Equal(g, f) {
				good++
			}
		}
	}
	v := xskVerdict(zeroCopy, advertised, nil, good, n)
	r.check("functional", name, m.String(), v, "%d of %d frames arrived intact on AF_XDP sockets (%s, one on each of queues 0-%d) through an XSKMAP", good, n, socks[0].Mode, len(socks)-1)
	return nil
}

// maxXSKQueues bounds the AF_XDP sockets of one check (each has its own
// UMEM).
const maxXSKQueues = 64

// gros sets GRO on the endpoints that exist and returns what restores it.
func gros(on bool, eps ...*topology.Endpoint) (func(), error) {
	var undo []func()
	restore := func() {
		for _, u := range undo {
			u()
		}
	}
	for _, e := range eps {
		if e.NS == nil {
			continue
		}
		was, err := e.GRO()
		if err != nil {
			restore()
			return nil, err
		}
		if err := e.SetGRO(on); err != nil {
			restore()
			return nil, err
		}
		undo = append(undo, func() { _ = e.SetGRO(was) })
	}
	return restore, nil
}

// attach loads the qualify programs and attaches prog (picked from them)
// on the DUT in mode m.
func (r *qualification) attach(m xdpmode.Mode, action uint32, pick func(*bpf.QualifyPrograms) *ebpf.Program) (*bpf.QualifyPrograms, *xdp.Attachment, error) {
	p := r.pair
	var q *bpf.QualifyPrograms
	err := nsthread.Do(p.DUTNS.Handle, func() error {
		var err error
		if q, err = bpf.LoadQualify(action); err != nil {
			return err
		}
		if p.Out.NS != nil {
			return q.SetPort(p.Out.Ifindex)
		}
		return nil
	})
	if err != nil {
		q.Close()
		return nil, nil, err
	}
	if err := p.DUT.SetGRO(m == xdpmode.Generic); err != nil {
		q.Close()
		return nil, nil, err
	}
	att, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: pick(q), Mode: m})
	if err != nil {
		q.Close()
		return nil, nil, err
	}
	if err := r.settle(); err != nil {
		_ = att.Close()
		q.Close()
		return nil, nil, err
	}
	return q, att, nil
}

// settle waits until both ports have their carrier: a NIC driver resets
// for an XDP program attached or removed in native mode (igb, e1000e,
// ...), and frames sent before its link is back are lost, which would
// read as the program's doing.
func (r *qualification) settle() error {
	if _, err := r.pair.DUT.WaitCarrier(0); err != nil {
		return err
	}
	_, err := r.end.WaitCarrier(0)
	return err
}

func (r *qualification) send(f []byte) error {
	return r.end.Send(f, r.o.Frames)
}

// actionCheck sends frames through a program returning act and verifies
// what comes out where it should: nothing (drop), the DUT's UDP socket
// (pass), the generator's side with MACs swapped (tx), the sink behind the
// DUT's second port (redirect), the xdp_exception tracepoint (aborted).
func (r *qualification) actionCheck(m xdpmode.Mode, act catalog.Action) (err error) {
	p, n := r.pair, uint64(r.o.Frames)
	name := "XDP_" + map[catalog.Action]string{catalog.Drop: "DROP", catalog.Pass: "PASS", catalog.TX: "TX", catalog.Redirect: "REDIRECT", catalog.Aborted: "ABORTED"}[act]
	if act == catalog.Redirect && p.Out.NS == nil {
		r.check("functional", name, m.String(), results.VerdictNotApplicable, "redirect needs a second DUT port and a sink behind it; a nic-pair has one port")
		return nil
	}
	code := uint32(act)
	if r.o.BadAction != 0 {
		code = r.o.BadAction
	}
	q, att, err := r.attach(m, code, func(q *bpf.QualifyPrograms) *ebpf.Program { return q.Action })
	if err != nil {
		r.check("functional", name, m.String(), results.VerdictFail, "load and attach: %v", err)
		return nil
	}
	defer func() { err = errors.Join(err, att.Close(), q.Close()) }()
	f, err := r.frame(name, 128)
	if err != nil {
		return err
	}
	var rx peer.Receiver
	switch act {
	case catalog.TX:
		rx, err = r.end.Listen()
	case catalog.Redirect:
		rx, err = peer.NewLocal(&p.Sink).Listen()
	}
	if err != nil {
		return err
	}
	if rx != nil {
		defer rx.Close()
	}
	udp, err := traffic.ListenUDP(p.DUTNS.Handle, netip.AddrPortFrom(p.DUT.IPv4.Addr(), 9))
	if err != nil {
		return err
	}
	defer udp.Close()
	if act == catalog.Aborted {
		l, err := q.TraceExceptions()
		if err != nil {
			r.check("functional", name, m.String(), results.VerdictNotRun, "%v", err)
			return nil
		}
		defer l.Close()
	}
	if err := r.send(f); err != nil {
		return err
	}
	got, delivered, err := collect(act, rx, udp, f, int(n))
	if err != nil {
		return err
	}
	counts, err := q.Counts()
	if err != nil {
		return err
	}
	var aborted uint64
	if act == catalog.Aborted {
		exc, err := q.Exceptions()
		if err != nil {
			return err
		}
		aborted = exc[catalog.Aborted]
	}
	where, cameOut := actionOutcome(act, f, got, delivered, aborted, n)
	v := results.VerdictPass
	if countOf(counts, act) != n || !cameOut {
		v = results.VerdictFail
	}
	r.check("functional", name, m.String(), v, "%s; %s", returnedText(counts, act, name, code, n), where)
	return nil
}

// collect gathers where the frames f came out: got, those back at the
// generator with MACs swapped (tx) or behind the second port (redirect);
// delivered, the UDP payloads the DUT's stack received.
func collect(act catalog.Action, rx peer.Receiver, udp *traffic.UDPReceiver, f []byte, n int) (got, delivered [][]byte, err error) {
	switch act {
	case catalog.TX:
		want := append(append(append([]byte(nil), f[6:12]...), f[0:6]...), f[12:]...)
		got, err = rx.Collect(n, quiet, want)
	case catalog.Redirect:
		got, err = rx.Collect(n, quiet, f)
	}
	if err != nil {
		return nil, nil, err
	}
	delivered, err = udp.Collect(n, quiet)
	return got, delivered, err
}

func countOf(c [catalog.QualifyOther + 1]uint64, a catalog.Action) uint64 {
	if int(a) < len(c) {
		return c[a]
	}
	return 0
}

// adjustCheck: a program that puts a new Ethernet header in front of the
// frame and cuts 4 bytes off its end, then sends it back.
func (r *qualification) adjustCheck(m xdpmode.Mode) (err error) {
	n := r.o.Frames
	const name = "head and tail adjustment"
	q, att, err := r.attach(m, uint32(catalog.Pass), func(q *bpf.QualifyPrograms) *ebpf.Program { return q.Adjust })
	if err != nil {
		r.check("functional", name, m.String(), results.VerdictFail, "load and attach: %v", err)
		return nil
	}
	defer func() { err = errors.Join(err, att.Close(), q.Close()) }()
	f, err := r.frame("adjust", 128)
	if err != nil {
		return err
	}
	want := append(append(append([]byte(nil), f[6:12]...), f[0:6]...), 0x88, 0xb5)
	want = append(want, f[:len(f)-4]...)
	rx, err := r.end.Listen()
	if err != nil {
		return err
	}
	defer rx.Close()
	if err := r.send(f); err != nil {
		return err
	}
	got, err := rx.Collect(n, quiet, want)
	if err != nil {
		return err
	}
	v := results.VerdictPass
	if len(got) != n {
		v = results.VerdictFail
	}
	r.check("functional", name, m.String(), v, "%d of %d came back %d bytes long: a new Ethernet header (0x88b5) in front, 4 bytes cut off the end", len(got), n, len(want))
	return nil
}

// fragsCheck: at MTU 9000 both ends, an xdp.frags program sees 8000-byte
// frames whole.
func (r *qualification) fragsCheck(m xdpmode.Mode) (err error) {
	p, n := r.pair, uint64(r.o.Frames)
	const name = "multi-buffer (MTU 9000, xdp.frags)"
	advertised := r.rep != nil && len(r.rep.Interfaces) > 0 && r.rep.Interfaces[0].Advertised.Has(offload.FeatureRxSG)
	if err := bpf.HaveFrags(); err != nil {
		v := results.VerdictNotSupported
		if !errors.Is(err, ebpf.ErrNotSupported) {
			v = results.VerdictInconclusive
		}
		r.check("functional", name, m.String(), v, "this kernel loads no frags-aware XDP program: %v", err)
		return nil
	}
	// Both ends at MTU 9000, then back to what they had: a lent NIC's MTU
	// is in its journal, which gives it back whatever happens here.
	dutMTU, err := p.DUT.MTU()
	if err != nil {
		return err
	}
	genMTU := r.end.Info().MTU
	if err := r.end.SetMTU(9000); err != nil {
		r.check("functional", name, m.String(), results.VerdictNotSupported, "MTU 9000 on the generator's port %s: %v", r.end.Info().Name, err)
		return nil
	}
	defer func() {
		if genMTU > 0 {
			err = errors.Join(err, r.end.SetMTU(genMTU))
		}
	}()
	if err := p.DUT.SetMTU(9000); err != nil {
		v := results.VerdictNotSupported
		if advertised {
			v = results.VerdictAdvertisedFails
		}
		r.check("functional", name, m.String(), v, "MTU 9000 on %s: %v", p.DUT.Name, err)
		return nil
	}
	defer func() { err = errors.Join(err, p.DUT.SetMTU(dutMTU)) }()
	if err := r.settle(); err != nil {
		return err
	}
	q, att, err := r.attach(m, uint32(catalog.Drop), func(q *bpf.QualifyPrograms) *ebpf.Program { return q.Frags })
	if err != nil {
		v := results.VerdictNotSupported
		if advertised {
			v = results.VerdictAdvertisedFails
		}
		r.check("functional", name, m.String(), v, "attach a frags-aware program at MTU 9000: %v", err)
		return nil
	}
	defer func() { err = errors.Join(err, att.Close(), q.Close()) }()
	f, err := r.frame("frags", 8004)
	if err != nil {
		return err
	}
	if err := r.send(f); err != nil {
		return err
	}
	time.Sleep(quiet)
	frames, maxLen, err := q.FragsSeen()
	if err != nil {
		return err
	}
	v := fragsVerdict(m == xdpmode.Native, advertised, frames, n, maxLen, uint64(len(f)))
	r.check("functional", name, m.String(), v, "%d of %d frames of %d bytes seen, the longest %d bytes (bpf_xdp_get_buff_len)", frames, n, len(f), maxLen)
	return nil
}

// equivalence sends the same frames through the same programs in generic
// and native mode and compares what comes out (xdplab equiv), on the
// suite's own pair of interfaces once the functional checks have let it
// go.
func (r *qualification) equivalence(ctx context.Context) error {
	const name, mode = "same verdict in every mode", "generic,native"
	modes := r.dataModes()
	if d := r.sup.Driver; d == "netdevsim" {
		r.check("functional", name, mode, results.VerdictNotApplicable, "netdevsim passes no frames between its ports here")
		return nil
	}
	if len(modes) < 2 {
		r.check("functional", name, mode, results.VerdictNotApplicable, "only %d mode runs programs on packets here: nothing to compare", len(modes))
		return nil
	}
	if r.o.Remote != "" {
		r.check("functional", name, mode, results.VerdictNotRun, "xdplab equiv watches where each frame comes out on both ports, and the generator's is on %s: it runs with both ports on one host", r.o.Remote)
		return nil
	}
	c := r.baseConfig()
	c.Programs = []string{"drop", "pass", "tx"}
	if r.o.Iface == "" {
		c.Programs = append(c.Programs, "redirect") // to the sink of xdplab's veth pair
	}
	e, err := equiv.Equivalence(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.check("functional", name, mode, results.VerdictInconclusive, "the check could not run: %v", err)
		return nil
	}
	frames := 0
	var findings []string
	for _, p := range e.Programs {
		frames += p.Compared
		for _, f := range p.Findings {
			findings = append(findings, p.Program.Name+": "+f.String())
		}
	}
	switch e.Verdict {
	case results.VerdictPass:
		r.check("functional", name, mode, results.VerdictPass, "%s: %d frames alike in %s", strings.Join(c.Programs, ", "), frames, strings.Join(e.Modes, " and "))
	case results.VerdictFail:
		shown := findings[:min(3, len(findings))]
		r.check("functional", name, mode, results.VerdictFail, "%d finding(s): %s", len(findings), strings.Join(shown, "; "))
	default:
		r.check("functional", name, mode, results.VerdictInconclusive, "%s", e.Why)
	}
	return nil
}

// note adds a note about this qualification to its report, once.
func (r *qualification) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if !slices.Contains(r.q.Notes, n) {
		r.q.Notes = append(r.q.Notes, n)
	}
}
