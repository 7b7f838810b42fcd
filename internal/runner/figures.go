package runner

import (
	"fmt"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/procstat"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/flags"
	"github.com/xdplab/xdplab/topology"
)

// figures derives a trial's figures and flags. start..end is the timed
// window (rates, CPU), start..final the settled counts (loss, agreement).
func (r *runner) figures(s *setup, index int, start, end, final snapshot, samples []results.Sample) results.Trial {
	t := results.Trial{Index: index, Start: start.at.UTC(), Samples: samples}
	w := window{dt: end.at.Sub(start.at).Seconds(), offered: end.gen.Packets - start.gen.Packets, seen: s.seen(start, end),
		gen: final.gen.Sub(start.gen), settled: s.seen(start, final)}
	t.DurationS = w.dt
	raw, ifd, cpuD := rawCounters(s, start, end, final, w.gen)
	t.Raw = raw
	t.Figures = r.rates(s, raw, cpuD, w, start, final)

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
	t.Hook = r.hookFigures(s, start, end, final, cpuD, w)
	in := r.flagInput(s, raw, t.Figures, ifd, w, final.tries-start.tries)
	t.Flags = append(t.Flags, flags.For(in)...)
	return t
}

// window is a trial's counts: the timed window's length, frames offered
// and seen in it, and the settled counts (the generator's, and seen).
type window struct {
	dt                     float64
	offered, seen, settled uint64
	gen                    bpf.Counter
}

// rawCounters are the trial's counter deltas as the results file keeps
// them, with the interfaces' and CPUs' deltas for the figures.
func rawCounters(s *setup, start, end, final snapshot, gen bpf.Counter) (results.Raw, map[string]topology.Counters, procstat.Snapshot) {
	raw := results.Raw{
		Generator:  results.Counter(gen),
		Interfaces: map[string]results.IfCounters{},
		CPU:        map[int]results.CPUTime{},
	}
	if s.prog.Counted {
		raw.Program = map[string]results.Counter{}
		for a, c := range final.prog.Sub(start.prog) {
			raw.Program[catalog.Action(a).String()] = results.Counter(c)
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
	return raw, ifd, cpuD
}

// rates are the trial's figures: rates over the timed window, loss and
// action shares over the settled counts, CPU cost and the DUT's share.
func (r *runner) rates(s *setup, raw results.Raw, cpuD procstat.Snapshot, w window, start, final snapshot) results.Figures {
	size := r.frameBytes()
	f := results.Figures{}
	if w.dt > 0 {
		f.OfferedPPS = float64(w.offered) / w.dt
		f.ThroughputPPS = float64(w.seen) / w.dt
	}
	f.L2BitsPerSec = f.ThroughputPPS * size * 8
	f.L1BitsPerSec = f.ThroughputPPS * (size + 20) * 8
	f.Loss = flags.Loss(w.settled, w.gen.Packets)
	if s.prog.Counted && w.settled > 0 {
		f.Actions = map[string]float64{}
		for a, c := range final.prog.Sub(start.prog) {
			if c.Packets > 0 {
				f.Actions[catalog.Action(a).String()] = flags.Ratio(c.Packets, w.settled)
			}
		}
	}
	if w.dt > 0 && raw.Sink != nil {
		v := float64(raw.Sink.Packets) / w.dt
		f.DeliveredPPS = &v
	}
	if w.dt > 0 && raw.StackDelivered != nil {
		v := float64(*raw.StackDelivered) / w.dt
		f.DeliveredPPS = &v
	}
	busy, total := cpuBusy(cpuD, s.cpus(r))
	if w.offered > 0 {
		f.CPUNsPerPkt = float64(busy) / float64(w.offered)
	}
	if total > 0 {
		f.CPUPercent = 100 * float64(busy) / float64(total)
	}
	// A paced generator spins between frames: its CPU time says nothing
	// about the DUT, so a paced trial has no DUT share.
	if r.calNs != nil && w.offered > 0 && r.cfg.RatePPS == 0 {
		// A share within the calibration's own noise is no figure: it
		// is shown as below that bound and flagged.
		if v, ok := flags.Net(f.CPUNsPerPkt, *r.calNs, r.calNoise); ok {
			f.DUTNsPerPkt = &v
		} else {
			b := r.calNoise
			f.DUTNsPerPktBelow = &b
		}
	}
	return f
}

// flagInput is what the trial's flags are decided from.
func (r *runner) flagInput(s *setup, raw results.Raw, f results.Figures, ifd map[string]topology.Counters, w window, tries uint64) flags.Trial {
	g, d := ifd["gen"], ifd["dut"]
	in := flags.Trial{Generated: w.gen.Packets, Tries: tries, Seen: w.settled, Malformed: raw.Malformed, OfferedPPS: f.OfferedPPS, RatePPS: r.cfg.RatePPS,
		LiveFrames: r.kind == stream.LiveFrames, GenTx: g.TxPackets, Counted: s.prog.Counted,
		CPUNsPerPkt: f.CPUNsPerPkt, DUTNsPerPkt: f.DUTNsPerPkt, DUTNoiseBound: f.DUTNsPerPktBelow, GenElsewhere: r.remote != nil}
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
		if !s.prog.Counted {
			in.SentOn, in.SentOnCounter = dutSentBack(d)
		}
	}
	return in
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
