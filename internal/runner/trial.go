package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/hook"
	"github.com/xdplab/xdplab/internal/procstat"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

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
	// reader is a user-space hook's reader's cost so far.
	reader *hook.Usage
}

func (r *runner) snap(s *setup, full bool) (snapshot, error) {
	var sn snapshot
	var err error
	sn.at = time.Now()
	es, err := r.end.Snapshot(s.gen, full)
	if err != nil {
		return sn, err
	}
	sn.gen, sn.tries, sn.malformed = es.Sent, es.Tries, es.Malformed
	if s.prog.Counted {
		if sn.prog, err = s.readStats(); err != nil {
			return sn, err
		}
	}
	if s.hook != nil && s.hook.reader != nil {
		u, err := s.hook.reader.Usage()
		if err != nil {
			return sn, err
		}
		sn.reader = &u
	}
	if s.sink != nil {
		if sn.sink, err = s.sink.Count(); err != nil {
			return sn, err
		}
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
	if s.latency {
		l, err := s.sink.Latency()
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
	if es.Iface != nil {
		sn.ifaces["gen"] = *es.Iface
	}
	for role, e := range map[string]*topology.Endpoint{"dut": &p.DUT, "out": &p.Out, "sink": &p.Sink} {
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

// seen is what the DUT processed between two snapshots: the program's
// own count, or for a user's object the DUT interface's receive count
// over the same span. The counter is chosen by what moved in the span:
// the veth's per-queue XDP counter keeps what earlier passes (the
// calibration's native sink) left in it.
func (s *setup) seen(from, to snapshot) uint64 {
	if s.prog.Counted {
		return to.prog.Total().Packets - from.prog.Total().Packets
	}
	n, _ := dutRx(to.ifaces["dut"].Sub(from.ifaces["dut"]))
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

// dutSentBack is what the DUT's port sent back out to the generator's: the
// frames its native program sent with XDP_TX (a veth counts them per
// queue), else everything it transmitted.
func dutSentBack(c topology.Counters) (uint64, string) {
	if n, ok := c.SumQueues("rx", "xdp_packets"); ok && n > 0 {
		tx, _ := c.SumQueues("rx", "xdp_tx")
		return tx, "rx_queue_*_xdp_tx"
	}
	return c.TxPackets, "tx_packets (netlink)"
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
	if s.latency {
		if err := s.sink.ResetExtremes(); err != nil {
			return t, err
		}
	}
	var start snapshot
	if pre != nil {
		start = *pre
	} else if start, err = r.snap(s, true); err != nil {
		return t, err
	}
	samples, end, err := r.timed(ctx, s, label, start)
	if err != nil {
		return t, err
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
	t = r.figures(s, index, start, end, final, samples)
	return t, nil
}

// timed is a trial's timed window from start: a sample a second (the
// last one shorter where the length is no whole number of seconds), each
// said on the live line; end is the last reading.
func (r *runner) timed(ctx context.Context, s *setup, label string, start snapshot) (samples []results.Sample, end snapshot, err error) {
	prev := start
	deadline := start.at.Add(r.cfg.Duration)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return samples, end, nil
		}
		if err := sleep(ctx, min(left, time.Second)); err != nil {
			return nil, end, err
		}
		cur, err := r.snap(s, false)
		if err != nil {
			return nil, end, err
		}
		dt := cur.at.Sub(prev.at).Seconds()
		sm := results.Sample{
			T:             cur.at.Sub(start.at).Seconds(),
			OfferedPPS:    float64(cur.gen.Packets-prev.gen.Packets) / dt,
			ThroughputPPS: float64(s.seen(prev, cur)) / dt,
		}
		samples = append(samples, sm)
		r.liveLine(label, sm, cur, prev, s)
		prev, end = cur, cur
	}
}

// TrafficStarted ends the live line a run writes when a trial's generator
// has started.
const TrafficStarted = "traffic started"

func (r *runner) liveLine(label string, sm results.Sample, cur, prev snapshot, s *setup) {
	if r.cfg.Live == nil {
		return
	}
	busy, total := cpuBusy(cur.cpu.Sub(prev.cpu), s.cpus(r))
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
					parts = append(parts, fmt.Sprintf("%s %.1f%%", catalog.Action(a), 100*float64(c.Packets)/float64(tot)))
				}
			}
			extra = "  " + strings.Join(parts, " ")
		}
	}
	fmt.Fprintf(r.cfg.Live, "%-22s %4.0fs  offered %7.2f Mpps  seen %7.2f Mpps%s  cpu %3.0f%%\n",
		label, sm.T, sm.OfferedPPS/1e6, sm.ThroughputPPS/1e6, extra, pct)
}

func cpuBusy(d procstat.Snapshot, cpus []int) (busy, total uint64) {
	for _, c := range cpus {
		busy += d[c].Busy()
		total += d[c].Total()
	}
	return busy, total
}
