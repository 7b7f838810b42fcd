package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/xdplab/xdplab/internal/xdp"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/procstat"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/flags"
	"github.com/xdplab/xdplab/topology"
)

// setup is one program attached in one mode, with its far side.
type setup struct {
	name    string // program name for output
	mode    xdp.Mode
	prog    *bpf.Program
	att     *xdp.Attachment
	sink    *bpf.Program // counts frames out of the DUT (tx, redirect)
	sinkAtt *xdp.Attachment
	lat     *bpf.LatencySink // the sink, when it measures latency
	// work is the reference workload's runner side (nil for the others)
	// and before what its start read.
	work   workload
	before any
	gen    *traffic.Generator
	stack  bool // count what the stack received (pass)
	// writes: the DUT program writes into frames (tx, l4lb, swap-macs
	// work, a user's program): the generator restores each frame's head.
	writes bool
	// controlPlane, when set, is what an offload device that runs no
	// program on packets showed: no trials follow.
	controlPlane []string
}

func (s *setup) Close() error {
	var errs []error
	if s.gen != nil {
		errs = append(errs, s.gen.Close())
	}
	errs = append(errs, s.att.Close(), s.sinkAtt.Close(), s.prog.Close(), s.sink.Close(), s.lat.Close())
	return errors.Join(errs...)
}

// prepare loads and attaches program name (a built-in, or "" for the
// user's object) in mode, with what the mode needs.
func (r *runner) prepare(name string, work bpf.Work, mode xdp.Mode) (_ *setup, err error) {
	p := r.pair
	s := &setup{name: name, mode: mode, work: workloads[name]}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	// Offload: the program and its maps are bound to the device, whose
	// ifindex is resolved in the DUT's namespace.
	var ifindex uint32
	if mode == xdp.Offload {
		ifindex = uint32(p.DUT.Ifindex)
	}
	err = nsthread.Do(p.DUTNS.Handle, func() error {
		var err error
		if name == "" {
			s.prog, err = bpf.LoadObject(bpf.ObjectOptions{Path: r.cfg.Object, Program: r.cfg.ObjectProgram, Ifindex: ifindex})
		} else {
			o := bpf.DUTOptions{Program: name, Work: work, Ifindex: ifindex}
			if s.work != nil {
				s.work.options(r, &o)
			}
			s.prog, err = bpf.LoadDUT(o)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	s.name = s.prog.Name
	s.writes = name == "" || name == "tx" || work >= bpf.SwapMACs || s.work != nil && s.work.writes()
	// A generic-mode program on a veth sees redirected frames only with
	// rx-gro on; a native one needs no GRO.
	wantGRO := mode == xdp.Generic
	if err = p.DUT.SetGRO(wantGRO); err != nil {
		return nil, err
	}
	if gro, err := p.DUT.GRO(); err != nil {
		return nil, err
	} else if gro != wantGRO {
		return nil, fmt.Errorf("%s: rx-gro is %v after setting it %v", p.DUT.Name, gro, wantGRO)
	}
	// Several generator threads need as many queues on both ends: a
	// redirected frame lands in the rx queue of the sending CPU.
	for _, e := range []*topology.Endpoint{&p.Gen, &p.DUT} {
		rx, tx, err := e.Queues()
		if err != nil {
			return nil, err
		}
		if rx < r.cfg.Threads || tx < r.cfg.Threads {
			return nil, fmt.Errorf("%s has %d rx and %d tx queues, fewer than %d generator threads", e.Name, rx, tx, r.cfg.Threads)
		}
	}
	switch name {
	case "tx":
		// Frames come back to the generator's veth: a native sink there
		// counts them (and lets the veth accept them at all).
		if err = r.attachSinkTo(s, &p.Gen); err != nil {
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
		if err = r.attachSinkTo(s, &p.Sink); err != nil {
			return nil, err
		}
	case "pass":
		s.stack = true // what passes reaches the DUT namespace's stack
	}
	if s.work != nil {
		if err = s.work.far(r, s); err != nil {
			return nil, err
		}
	}
	if s.att, err = xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: s.prog.Program, Mode: mode}); err != nil {
		return nil, err
	}
	if mode == xdp.Offload {
		if d, _ := p.DUT.Driver(); d == "netdevsim" {
			// netdevsim runs no offloaded program on packets: what can be
			// proved is the control plane.
			return s, r.controlPlane(s, d)
		}
	}
	// Before traffic flows: the generator's veth must accept redirected
	// frames, which the netdev family's ndo-xmit bit tells.
	if r.kind == traffic.LiveFrames {
		if err = requireNdoXmit(&p.Gen, "the generator's frames"); err != nil {
			return nil, err
		}
	}
	if name == "redirect" && mode == xdp.Native {
		if err = requireNdoXmit(&p.Out, "redirected frames"); err != nil {
			return nil, err
		}
	}
	if s.gen, err = r.newGenerator(s); err != nil {
		return nil, err
	}
	return s, nil
}

func requireNdoXmit(e *topology.Endpoint, what string) error {
	f, err := offload.Features(e.NS.Handle, e.Ifindex)
	if errors.Is(err, offload.ErrNotReported) {
		return nil // older kernel: the DUT-saw-nothing flag will tell
	}
	if err != nil {
		return err
	}
	if f.XDP&offload.FeatureNdoXmit == 0 {
		return fmt.Errorf("%s would be lost: %s does not accept redirected frames (xdp-features %s lacks ndo-xmit; its peer needs a native XDP program or GRO)", what, e.Name, f.XDP)
	}
	return nil
}

// attachSinkTo attaches the sink of s on e: the latency sink when the run
// measures latency, else the plain counting one.
func (r *runner) attachSinkTo(s *setup, e *topology.Endpoint) error {
	if !r.cfg.Latency {
		var err error
		s.sink, s.sinkAtt, err = r.attachSink(e)
		return err
	}
	l := r.frameSpec().Layout()
	lat, err := bpf.LoadLatencySink(bpf.LatencyOptions{L3Offset: uint32(l.L3), IPv6: l.IPv6, L4Hdr: uint32(l.L4Hdr)})
	if err != nil {
		return fmt.Errorf("latency sink on %s: %w", e.Name, err)
	}
	s.lat = lat
	s.sink = &bpf.Program{Name: "latency-sink", Program: lat.Program, Stats: lat.Stats}
	s.sinkAtt, err = xdp.Attach(xdp.AttachOptions{NS: e.NS.Handle, Iface: e.Name, Program: lat.Program, Mode: xdp.Native})
	if err != nil {
		return fmt.Errorf("latency sink on %s: %w", e.Name, err)
	}
	return nil
}

// attachSink attaches a counting native drop program on e.
func (r *runner) attachSink(e *topology.Endpoint) (*bpf.Program, *xdp.Attachment, error) {
	sink, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop", Work: bpf.NoTouch})
	if err != nil {
		return nil, nil, fmt.Errorf("sink on %s: %w", e.Name, err)
	}
	att, err := xdp.Attach(xdp.AttachOptions{NS: e.NS.Handle, Iface: e.Name, Program: sink.Program, Mode: xdp.Native})
	if err != nil {
		sink.Close()
		return nil, nil, fmt.Errorf("sink on %s: %w", e.Name, err)
	}
	return sink, att, nil
}

// snapshot is every counter at one moment.
type snapshot struct {
	at        time.Time
	gen       bpf.Counter
	tries     uint64
	prog      bpf.Stats
	sink      bpf.Counter
	lat       *bpf.LatencySnapshot
	malformed uint64
	stack     uint64
	ifaces    map[string]topology.Counters
	cpu       procstat.Snapshot
}

func (r *runner) snap(s *setup, full bool) (snapshot, error) {
	var sn snapshot
	var err error
	sn.at = time.Now()
	if sn.gen, err = s.gen.Sent(); err != nil {
		return sn, err
	}
	if s.prog.Counted {
		if sn.prog, err = bpf.ReadStats(s.prog.Stats); err != nil {
			return sn, err
		}
	}
	if s.sink != nil {
		st, err := bpf.ReadStats(s.sink.Stats)
		if err != nil {
			return sn, err
		}
		sn.sink = st.Total()
	}
	if sn.cpu, err = procstat.Read(); err != nil {
		return sn, err
	}
	if !full {
		if !s.prog.Counted {
			c, err := r.pair.DUT.Counters()
			if err != nil {
				return sn, err
			}
			sn.ifaces = map[string]topology.Counters{"dut": c}
		}
		return sn, nil
	}
	if sn.tries, err = s.gen.Attempted(); err != nil {
		return sn, err
	}
	if sn.malformed, err = s.gen.Malformed(); err != nil {
		return sn, err
	}
	if s.lat != nil {
		l, err := s.lat.Read()
		if err != nil {
			return sn, err
		}
		sn.lat = &l
	}
	if s.stack {
		if sn.stack, err = r.pair.DUTNS.IPInReceives(r.cfg.IPv6); err != nil {
			return sn, err
		}
	}
	sn.ifaces = map[string]topology.Counters{}
	p := r.pair
	for role, e := range map[string]*topology.Endpoint{"gen": &p.Gen, "dut": &p.DUT, "out": &p.Out, "sink": &p.Sink} {
		if e.NS == nil {
			continue
		}
		c, err := e.Counters()
		if err != nil {
			return sn, err
		}
		sn.ifaces[role] = c
	}
	return sn, nil
}

// seen is what the DUT processed: the program's own count, or for a user's
// object the DUT veth's per-queue XDP counter.
func (s *setup) seen(sn snapshot) uint64 {
	if s.prog.Counted {
		return sn.prog.Total().Packets
	}
	n, _ := dutRx(sn.ifaces["dut"])
	return n
}

// dutRx is the DUT interface's own count of frames received: the veth's
// per-queue XDP counter where frames came through its XDP ring (native
// mode, or generic with GRO), else netlink's rx_packets (frames that came
// through the stack's receive path, as an AF_PACKET generator sends them).
func dutRx(c topology.Counters) (uint64, string) {
	if n, ok := c.SumQueues("rx", "xdp_packets"); ok && n > 0 {
		return n, "rx_queue_*_xdp_packets"
	}
	return c.RxPackets, "rx_packets (netlink)"
}

func (s *setup) sources() map[string]string {
	thr := "xdplab stats map of the DUT program (all actions)"
	if !s.prog.Counted {
		thr = "the DUT veth's receive counter: ethtool rx_queue_*_xdp_packets, or netlink rx_packets where that stays 0 (frames the interface received; the program has no xdplab counters)"
	}
	return map[string]string{
		"offered":    "generator",
		"throughput": thr,
		"loss":       "1 - throughput counter / generator counter",
		"cpu":        "/proc/stat busy time on the generator CPUs per offered frame",
		"dut":        "CPU ns/pkt minus the calibrated generator share",
		"latency":    "median over trials of each trial's percentile; the latency sink's histogram map",
	}
}

// trial runs one warm-up and timed window.
func (r *runner) trial(ctx context.Context, s *setup, index int, label string) (t results.Trial, err error) {
	// A replay sends a fixed number of frames at once: count from before
	// it starts.
	var pre *snapshot
	if r.capture != nil {
		p, err := r.snap(s, true)
		if err != nil {
			return t, err
		}
		pre = &p
	}
	if err := s.gen.Start(); err != nil {
		return t, err
	}
	if r.cfg.Live != nil {
		// The event a caller (and the signal tests) waits for.
		fmt.Fprintf(r.cfg.Live, "%s: %s\n", label, TrafficStarted)
	}
	running := true
	defer func() {
		if running {
			err = errors.Join(err, s.gen.Stop())
		}
	}()
	if err := sleep(ctx, r.cfg.Warmup); err != nil {
		return t, err
	}
	if s.lat != nil {
		if err := s.lat.ResetExtremes(); err != nil {
			return t, err
		}
	}
	var start snapshot
	if pre != nil {
		start = *pre
	} else if start, err = r.snap(s, true); err != nil {
		return t, err
	}
	prev := start
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := start.at.Add(r.cfg.Duration)
	var end snapshot
	for {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		wait := time.Second
		if left < wait {
			wait = left
		}
		if err := sleep(ctx, wait); err != nil {
			return t, err
		}
		cur, err := r.snap(s, false)
		if err != nil {
			return t, err
		}
		dt := cur.at.Sub(prev.at).Seconds()
		sm := results.Sample{
			T:             cur.at.Sub(start.at).Seconds(),
			OfferedPPS:    float64(cur.gen.Packets-prev.gen.Packets) / dt,
			ThroughputPPS: float64(s.seen(cur)-s.seen(prev)) / dt,
		}
		t.Samples = append(t.Samples, sm)
		r.liveLine(label, sm, cur, prev, s)
		prev = cur
		end = cur
	}
	// The timed window ends at the last sample; then the generator stops
	// and every counter settles before the final reading.
	running = false
	if err := s.gen.Stop(); err != nil {
		return t, err
	}
	final, err := r.snap(s, true)
	if err != nil {
		return t, err
	}
	t = r.figures(s, index, start, end, final, t.Samples)
	return t, nil
}

// TrafficStarted ends the live line a run writes when a trial's generator
// has started.
const TrafficStarted = "traffic started"

func (r *runner) liveLine(label string, sm results.Sample, cur, prev snapshot, s *setup) {
	if r.cfg.Live == nil {
		return
	}
	busy, total := cpuBusy(cur.cpu.Sub(prev.cpu), r.cpus)
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(busy) / float64(total)
	}
	extra := ""
	if s.prog.Counted {
		d := cur.prog.Sub(prev.prog)
		if tot := d.Total().Packets; tot > 0 {
			var parts []string
			for a, c := range d {
				if c.Packets > 0 {
					parts = append(parts, fmt.Sprintf("%s %.1f%%", bpf.Action(a), 100*float64(c.Packets)/float64(tot)))
				}
			}
			extra = "  " + strings.Join(parts, " ")
		}
	}
	fmt.Fprintf(r.cfg.Live, "%-22s %4.0fs  offered %7.2f Mpps  xdp %7.2f Mpps%s  cpu %3.0f%%\n",
		label, sm.T, sm.OfferedPPS/1e6, sm.ThroughputPPS/1e6, extra, pct)
}

func cpuBusy(d procstat.Snapshot, cpus []int) (busy, total uint64) {
	for _, c := range cpus {
		busy += d[c].Busy()
		total += d[c].Total()
	}
	return busy, total
}

// figures derives a trial's figures and flags. start..end is the timed
// window (rates, CPU), start..final the settled counts (loss, agreement).
func (r *runner) figures(s *setup, index int, start, end, final snapshot, samples []results.Sample) results.Trial {
	t := results.Trial{Index: index, Start: start.at.UTC(), Samples: samples}
	dt := end.at.Sub(start.at).Seconds()
	t.DurationS = dt
	size := r.frameBytes()

	offeredWin := end.gen.Packets - start.gen.Packets
	seenWin := s.seen(end) - s.seen(start)
	gen := final.gen.Sub(start.gen)
	seen := s.seen(final) - s.seen(start)
	tries := final.tries - start.tries

	raw := results.Raw{
		Generator:  results.Counter(gen),
		Interfaces: map[string]results.IfCounters{},
		CPU:        map[int]results.CPUTime{},
	}
	if s.prog.Counted {
		raw.Program = map[string]results.Counter{}
		for a, c := range final.prog.Sub(start.prog) {
			raw.Program[bpf.Action(a).String()] = results.Counter(c)
		}
	}
	if s.sink != nil {
		c := results.Counter(final.sink.Sub(start.sink))
		raw.Sink = &c
	}
	if s.stack {
		v := final.stack - start.stack
		raw.StackDelivered = &v
	}
	raw.Malformed = final.malformed - start.malformed
	ifd := map[string]topology.Counters{}
	for role, c := range final.ifaces {
		d := c.Sub(start.ifaces[role])
		ifd[role] = d
		raw.Interfaces[role] = results.IfCounters{
			RxPackets: d.RxPackets, RxBytes: d.RxBytes, RxDropped: d.RxDropped,
			TxPackets: d.TxPackets, TxBytes: d.TxBytes, TxDropped: d.TxDropped, Ethtool: d.Ethtool,
		}
	}
	cpuD := end.cpu.Sub(start.cpu)
	for n, c := range cpuD {
		raw.CPU[n] = results.CPUTime{User: c.User, System: c.System, SoftIRQ: c.SoftIRQ, IRQ: c.IRQ, Idle: c.Idle,
			Other: c.Nice + c.IOWait + c.Steal}
	}
	t.Raw = raw

	f := results.Figures{}
	if dt > 0 {
		f.OfferedPPS = float64(offeredWin) / dt
		f.ThroughputPPS = float64(seenWin) / dt
	}
	f.L2BitsPerSec = f.ThroughputPPS * size * 8
	f.L1BitsPerSec = f.ThroughputPPS * (size + 20) * 8
	f.Loss = flags.Loss(seen, gen.Packets)
	if s.prog.Counted && seen > 0 {
		f.Actions = map[string]float64{}
		for a, c := range final.prog.Sub(start.prog) {
			if c.Packets > 0 {
				f.Actions[bpf.Action(a).String()] = flags.Ratio(c.Packets, seen)
			}
		}
	}
	if dt > 0 && raw.Sink != nil {
		v := float64(raw.Sink.Packets) / dt
		f.DeliveredPPS = &v
	}
	if dt > 0 && raw.StackDelivered != nil {
		v := float64(*raw.StackDelivered) / dt
		f.DeliveredPPS = &v
	}
	busy, total := cpuBusy(cpuD, r.cpus)
	if offeredWin > 0 {
		f.CPUNsPerPkt = float64(busy) / float64(offeredWin)
	}
	if total > 0 {
		f.CPUPercent = 100 * float64(busy) / float64(total)
	}
	// A paced generator spins between frames: its CPU time says nothing
	// about the DUT, so a paced trial has no DUT share.
	if r.calNs != nil && offeredWin > 0 && r.cfg.RatePPS == 0 {
		// A share within the calibration's own noise is no figure: it
		// is shown as below that bound and flagged.
		if v, ok := flags.Net(f.CPUNsPerPkt, *r.calNs, r.calNoise); ok {
			f.DUTNsPerPkt = &v
		} else {
			b := r.calNoise
			f.DUTNsPerPktBelow = &b
		}
	}
	t.Figures = f

	flag := func(code, format string, args ...any) {
		t.Flags = append(t.Flags, results.Flag{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if final.lat != nil && start.lat != nil {
		t.Latency = latencyFigures(final.lat.Sub(*start.lat))
		// Frames cut short on purpose carry no stamp; any others do.
		if l := t.Latency; l.Unstamped > raw.Malformed+l.Count/1000 {
			flag(results.FlagLatencyUnstamped, "%d frames reached the latency sink without a stamp (%d stamped): latency covers only the stamped ones", l.Unstamped, l.Count)
		}
		if t.Latency.Count == 0 && raw.Sink != nil && raw.Sink.Packets > 0 {
			flag(results.FlagLatencyUnstamped, "no stamped frame reached the latency sink")
		}
	}
	g, d := ifd["gen"], ifd["dut"]
	in := flags.Trial{Generated: gen.Packets, Tries: tries, Seen: seen, Malformed: raw.Malformed, OfferedPPS: f.OfferedPPS, RatePPS: r.cfg.RatePPS,
		LiveFrames: r.kind == traffic.LiveFrames, GenTx: g.TxPackets, Counted: s.prog.Counted,
		CPUNsPerPkt: f.CPUNsPerPkt, DUTNsPerPkt: f.DUTNsPerPkt, DUTNoiseBound: f.DUTNsPerPktBelow}
	in.GenXmit, in.GenXmitKnown = g.SumQueues("tx", "xdp_xmit")
	in.GenXmitError, _ = g.SumQueues("tx", "xdp_xmit_errors")
	in.DUTRx, in.DUTRxCounter = dutRx(d)
	if s.prog.Expected != nil {
		in.Expected = s.prog.Expected.String()
		in.ExpectedGot = raw.Program[in.Expected].Packets
	}
	if raw.Sink != nil {
		in.Sink, in.SinkGot = true, raw.Sink.Packets
		in.SentOn = raw.Program["tx"].Packets + raw.Program["redirect"].Packets
		in.TxErrors, _ = d.SumQueues("rx", "xdp_tx_errors")
	}
	t.Flags = append(t.Flags, flags.For(in)...)
	return t
}

// latencyFigures turns a histogram delta into a trial's latency.
func latencyFigures(d bpf.LatencySnapshot) *results.Latency {
	l := &results.Latency{Count: d.Count, Unstamped: d.Unstamped, MinNs: float64(d.MinNs), MaxNs: float64(d.MaxNs),
		Source: "latency sink program: log-linear histogram map (delta over the trial, the drain included), exact per-CPU min and max reset at the window's start"}
	if d.Count == 0 {
		return l
	}
	l.MeanNs = float64(d.SumNs) / float64(d.Count)
	// The histogram is read a moment before the counts: at a window's
	// start, with traffic flowing, the two differ by the frames filed in
	// between. The count is the histogram's, so that its percentiles and
	// buckets agree with it.
	var n uint64
	for _, b := range d.Buckets {
		n += b
	}
	l.Count = n
	l.P50Ns, _ = d.Quantile(0.5)
	l.P90Ns, _ = d.Quantile(0.9)
	l.P99Ns, _ = d.Quantile(0.99)
	for i, n := range d.Buckets {
		if n > 0 {
			lo, hi := bpf.LatencyBucketBounds(i)
			l.Buckets = append(l.Buckets, results.LatencyBucket{LoNs: lo, HiNs: hi, Count: n})
		}
	}
	return l
}

// progStats measures the program's own run time per frame with the kernel's
// BPF run-time stats, in a short pass of its own.
func (r *runner) progStats(ctx context.Context, s *setup) (*results.Figure, *results.Figure, error) {
	if r.cfg.ProgStats == 0 {
		return nil, nil, nil
	}
	closer, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.EINVAL) {
			return nil, nil, nil // before 5.8: no figure
		}
		return nil, nil, fmt.Errorf("enable bpf stats: %w", err)
	}
	defer closer.Close()
	before, err := s.prog.Program.Stats()
	if err != nil {
		return nil, nil, fmt.Errorf("program stats: %w", err)
	}
	if err := s.gen.Start(); err != nil {
		return nil, nil, err
	}
	serr := sleep(ctx, r.cfg.ProgStats)
	if err := errors.Join(serr, s.gen.Stop()); err != nil {
		return nil, nil, err
	}
	after, err := s.prog.Program.Stats()
	if err != nil {
		return nil, nil, fmt.Errorf("program stats: %w", err)
	}
	runs := after.RunCount - before.RunCount
	if runs == 0 {
		return nil, nil, nil
	}
	overhead, lo, hi, err := bpf.StatsOverhead()
	if err != nil {
		return nil, nil, err
	}
	gross := float64(after.Runtime-before.Runtime) / float64(runs)
	noise := flags.Noise([]float64{lo, hi}, 0.05*overhead)
	prog := flags.ProgFigure(gross, overhead, noise)
	return &prog, &results.Figure{
		Value: overhead,
		Unit:  "ns/run",
		Source: fmt.Sprintf("BPF run-time stats of an empty XDP program (return XDP_DROP) through BPF_PROG_TEST_RUN: "+
			"median of 5 x 200000 runs (%.1f-%.1f); a net figure within that spread is below what this pass resolves", lo, hi),
	}, nil
}

// measure runs the trials of one program in one mode.
func (r *runner) measure(ctx context.Context, name string, mode xdp.Mode) (_ *results.Result, err error) {
	s, err := r.prepare(name, r.cfg.Work, mode)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	res := &results.Result{
		Program: results.Program{Name: s.name, Object: s.prog.Object, SHA256: s.prog.SHA256, Counted: s.prog.Counted},
		Mode:    mode.String(), AttachMethod: s.att.Method, AttachedMode: s.att.Mode.String(),
	}
	if s.prog.Counted {
		res.Program.Work = r.cfg.Work.String()
		if name == "tx" && r.cfg.Work < bpf.SwapMACs {
			res.Program.Work = bpf.SwapMACs.String() // tx always swaps: the work it did
		}
	}
	if s.prog.Expected != nil {
		res.Program.Expected = s.prog.Expected.String()
	}
	if s.controlPlane != nil {
		res.ControlPlaneOnly, res.ControlPlane = true, s.controlPlane
		return res, nil
	}
	if r.cfg.RatePercent > 0 {
		saved := r.cfg.RatePPS
		defer func() { r.cfg.RatePPS = saved }()
		if res.RateTarget, err = r.rateTarget(ctx, s); err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.name, mode, err)
		}
		r.cfg.RatePPS = res.RateTarget.RatePPS
		if err := r.regenerate(s); err != nil {
			return nil, err
		}
	}
	if s.work != nil {
		if s.before, err = s.work.start(r, s); err != nil {
			return nil, err
		}
	}
	for i := 1; i <= r.cfg.Trials; i++ {
		label := fmt.Sprintf("%s %s %d/%d", mode, s.name, i, r.cfg.Trials)
		t, err := r.trial(ctx, s, i, label)
		if err != nil {
			return nil, fmt.Errorf("%s %s trial %d: %w", s.name, mode, i, err)
		}
		res.Trials = append(res.Trials, t)
	}
	if res.ProgNsPerPkt, res.ProgStatsOverhead, err = r.progStats(ctx, s); err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.name, mode, err)
	}
	if s.work != nil {
		if res.Workload, err = s.work.figures(ctx, r, s, s.before, res); err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.name, mode, err)
		}
	}
	res.Summarize(s.sources())
	if r.cfg.Search != nil {
		if res.NDR, res.PDR, err = r.search(ctx, s, res.Summary.OfferedPPS.Max); err != nil {
			return nil, fmt.Errorf("%s %s: throughput search: %w", s.name, mode, err)
		}
	}
	return res, nil
}

// rateProbe is the length of the unpaced trial a rate in percent is a
// share of.
const rateProbe = 2 * time.Second

// rateTarget measures the DUT's unpaced throughput and takes the share of
// it that --rate asked for.
func (r *runner) rateTarget(ctx context.Context, s *setup) (*results.RateTarget, error) {
	saved := r.cfg
	defer func() { r.cfg = saved }()
	r.cfg.RatePPS, r.cfg.Duration = 0, rateProbe
	if err := r.regenerate(s); err != nil {
		return nil, err
	}
	t, err := r.trial(ctx, s, 0, fmt.Sprintf("%s %s maximum", s.mode, s.name))
	if err != nil {
		return nil, fmt.Errorf("measure the maximum: %w", err)
	}
	max := t.Figures.ThroughputPPS
	rate := uint64(math.Round(max * saved.RatePercent / 100))
	if rate < 1 {
		return nil, fmt.Errorf("measure the maximum: the DUT processed %.0f frames/s unpaced, too few to take %g%% of", max, saved.RatePercent)
	}
	return &results.RateTarget{Percent: saved.RatePercent, MaxPPS: max, RatePPS: rate,
		Source: fmt.Sprintf("throughput_pps of one unpaced trial of %s (after a %s warm-up) just before this result's trials", rateProbe, saved.Warmup)}, nil
}

// regenerate replaces the setup's generator with one made for the current
// configuration (a new rate).
func (r *runner) regenerate(s *setup) error {
	if s.gen != nil {
		if err := s.gen.Close(); err != nil {
			return err
		}
		s.gen = nil
	}
	var err error
	s.gen, err = r.newGenerator(s)
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

// calibrate measures the generator's own CPU cost per frame against a
// minimal native sink (count and drop, no packet access).
func (r *runner) calibrate(ctx context.Context) error {
	mode := xdp.Native
	if !r.support.Supports(mode) {
		mode = xdp.Generic
	}
	s, err := r.prepare("drop", bpf.NoTouch, mode)
	if err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	defer s.Close()
	cal := &results.Calibration{}
	var ns []float64
	n := min(r.cfg.Trials, 3)
	for i := 1; i <= n; i++ {
		t, err := r.trial(ctx, s, i, fmt.Sprintf("calibrate %d/%d", i, n))
		if err != nil {
			return fmt.Errorf("calibration trial %d: %w", i, err)
		}
		cal.Trials = append(cal.Trials, t)
		if t.Figures.CPUNsPerPkt > 0 {
			ns = append(ns, t.Figures.CPUNsPerPkt)
		}
	}
	if len(ns) == 0 {
		return errors.New("calibration: the generator sent nothing")
	}
	med := results.Summarize(ns, "", "").Median
	cal.GeneratorNsPerPkt = results.Figure{Value: med, Unit: "ns/packet",
		Source: fmt.Sprintf("median CPU ns per offered frame, generator into a minimal %s sink (count and drop)", mode)}
	// A DUT share within the calibration's own spread (at least 5% of
	// it: three trials understate their spread) is not resolved.
	r.calNoise = flags.Noise(ns, 0.05*med)
	cal.Noise = &results.Figure{Value: r.calNoise, Unit: "ns/packet",
		Source: "range of the calibration trials' CPU ns/pkt, at least 5% of their median: a DUT share below it is flagged dut-within-noise"}
	r.calNs = &med
	r.run.Calibration = cal
	return nil
}
