package runner

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/results"
)

// workloadStart reads a workload's own counters before the trials.
func (r *runner) workloadStart(s *setup) error {
	var err error
	switch s.name {
	case "filter":
		s.ruleHits, err = s.prog.RuleHits(len(r.cfg.Rules) + 1)
	case "ratelimit":
		s.verdicts, err = s.prog.Verdicts()
	case "l4lb":
		s.lbStats, err = s.prog.LBStats()
	}
	return err
}

// lbConfig is the l4lb workload's setup on the pair: the VIP is the DUT's
// address and the stream's destination port, the backends are addresses in
// the benchmarking range behind the DUT, and encapsulated frames go back to
// the generator's veth.
func (r *runner) lbConfig(name string) *bpf.LBConfig {
	if name != "l4lb" {
		return nil
	}
	p := r.pair
	n := r.cfg.Backends
	if n == 0 {
		n = spec.DefaultBackends
	}
	vip := netip.AddrPortFrom(p.DUT.IPv4.Addr(), dstPort)
	base := netip.MustParseAddr("198.18.2.0")
	if r.cfg.IPv6 {
		vip = netip.AddrPortFrom(p.DUT.IPv6.Addr(), dstPort)
		base = netip.MustParseAddr("2001:2:0:2::")
	}
	c := &bpf.LBConfig{VIP: vip, Proto: r.frameSpec().Layout().IPProto, Source4: p.DUT.IPv4.Addr(), Source6: p.DUT.IPv6.Addr(), NextHop: p.Gen.MAC}
	a := base
	for range n {
		a = a.Next()
		c.Backends = append(c.Backends, a)
	}
	return c
}

// churnRule matches nothing the generator sends: an IPv6 source prefix in
// the benchmarking range that no flow uses.
var churnRule = bpf.FilterRule{ID: bpf.MaxFilterRules - 1, Text: "drop src 2001:2:0:fffe::/64", Field: "src",
	Prefix: netip.MustParsePrefix("2001:2:0:fffe::/64")}

// workloadFigures reads what a workload counted over the trials and, for
// the filter, measures what changing rules under load costs.
func (r *runner) workloadFigures(ctx context.Context, s *setup, res *results.Result) (*results.Workload, error) {
	switch s.name {
	case "ratelimit":
		return r.rateLimitFigures(s, res)
	case "flowstats":
		return r.flowFigures(s)
	case "l4lb":
		return r.lbFigures(s)
	case "filter":
		return r.filterFigures(ctx, s, res)
	}
	return nil, nil
}

// filterFigures read the filter's hits per rule over the trials and
// measure what changing rules under load costs.
func (r *runner) filterFigures(ctx context.Context, s *setup, res *results.Result) (*results.Workload, error) {
	w := &results.Workload{Kind: "filter"}
	hits, err := s.prog.RuleHits(len(r.cfg.Rules) + 1)
	if err != nil {
		return nil, err
	}
	for i, h := range hits {
		d := h.Sub(s.ruleHits[i])
		name := "malformed frames (no rule can judge them)"
		if i > 0 {
			name = r.cfg.Rules[i-1].Text
		}
		w.Rules = append(w.Rules, results.RuleHits{Rule: name, Packets: d.Packets, Bytes: d.Bytes})
	}
	if w.RuleUpdates, err = r.ruleChurn(ctx, s, res); err != nil {
		return nil, fmt.Errorf("rule updates under load: %w", err)
	}
	return w, nil
}

// ruleChurn runs one more trial while a rule that matches nothing is added
// and deleted back to back, timing every map update.
func (r *runner) ruleChurn(ctx context.Context, s *setup, res *results.Result) (*results.RuleUpdates, error) {
	var (
		wg   sync.WaitGroup
		stop = make(chan struct{})
		took []time.Duration
		uerr error
		add  = true
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				if !add { // leave the rule out
					uerr = s.prog.DeleteRule(churnRule)
				}
				return
			default:
			}
			t := time.Now()
			var err error
			if add {
				err = s.prog.AddRule(churnRule)
			} else {
				err = s.prog.DeleteRule(churnRule)
			}
			took = append(took, time.Since(t))
			if err != nil {
				uerr = err
				return
			}
			add = !add
			time.Sleep(100 * time.Microsecond)
		}
	}()
	t, err := r.trial(ctx, s, 0, fmt.Sprintf("%s %s rule updates", s.mode, s.name))
	close(stop)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if uerr != nil {
		return nil, uerr
	}
	if len(took) == 0 {
		return nil, fmt.Errorf("no rule update ran during the trial")
	}
	slices.Sort(took)
	q := func(f float64) float64 {
		return float64(took[min(len(took)-1, int(f*float64(len(took))))].Nanoseconds()) / 1e3
	}
	var base []float64
	for _, tr := range res.Trials {
		base = append(base, tr.Figures.ThroughputPPS)
	}
	return &results.RuleUpdates{
		Updates: len(took), P50Us: q(0.5), P99Us: q(0.99), MaxUs: float64(took[len(took)-1].Nanoseconds()) / 1e3,
		ThroughputPPS: t.Figures.ThroughputPPS, BaselinePPS: results.Summarize(base, "", "").Median,
		Source: fmt.Sprintf("one extra trial of %s while %q was added and deleted back to back (100 us apart): "+
			"wall time of each bpf(BPF_MAP_UPDATE_ELEM / DELETE_ELEM) on the LPM trie; throughput_pps of that trial, baseline the median of the plain trials",
			r.cfg.Duration, churnRule.Text),
	}, nil
}

// rateLimitFigures compare what the ratelimit workload passed over the
// trials with its limit times the sources the generator used.
func (r *runner) rateLimitFigures(s *setup, res *results.Result) (*results.Workload, error) {
	v, err := s.prog.Verdicts()
	if err != nil {
		return nil, err
	}
	// The rates come from the trials' windows (the stats map's pass count
	// over each window and its drain); the verdicts map, read before and
	// after all trials, adds the warm-ups and says why frames were dropped.
	var secs, offered, passed float64
	for _, t := range res.Trials {
		secs += t.DurationS
		offered += float64(t.Raw.Generator.Packets)
		passed += float64(t.Raw.Program["pass"].Packets)
	}
	sources := int(s.gen.Flows().Addresses())
	f := &results.RateLimitFigures{LimitPPS: r.cfg.Limit.PPS, Burst: r.cfg.Limit.Burst, Sources: sources,
		Over:      v[bpf.VerdictOver].Sub(s.verdicts[bpf.VerdictOver]).Packets,
		Contended: v[bpf.VerdictContended].Sub(s.verdicts[bpf.VerdictContended]).Packets,
		Malformed: v[bpf.VerdictMalformed].Sub(s.verdicts[bpf.VerdictMalformed]).Packets,
		Source: "passed_pps and offered_pps: the trials' pass and generator counts per second of the timed windows; " +
			"share = passed_pps / (limit_pps x sources); over, contended and malformed: the program's verdicts map over all the result's traffic, warm-ups included"}
	if secs > 0 {
		f.PassedPPS, f.OfferedPPS = passed/secs, offered/secs
		f.Share = f.PassedPPS / (float64(r.cfg.Limit.PPS) * float64(sources))
	}
	return &results.Workload{Kind: "ratelimit", RateLimit: f}, nil
}

// flowFigures read the flowstats workload's table after the trials.
func (r *runner) flowFigures(s *setup) (*results.Workload, error) {
	flows, bad, _, err := s.prog.FlowTable()
	if err != nil {
		return nil, err
	}
	f := &results.FlowFigures{Count: len(flows), Malformed: bad.Packets,
		Source: "the program's LRU flow table read after the trials (warm-up included), most packets first"}
	for i, fl := range flows {
		f.Packets += fl.Packets
		if i < 10 {
			f.Top = append(f.Top, results.FlowRow{Src: fl.Src.String(), Dst: fl.Dst.String(), Sport: fl.Sport, Dport: fl.Dport,
				Proto: fl.Proto, VLAN: fl.VLAN, Packets: fl.Packets, Bytes: fl.Bytes})
		}
	}
	return &results.Workload{Kind: "flowstats", Flows: f}, nil
}

// lbFigures read the balancer's counts and the sink's per-backend counts
// over the result's traffic.
func (r *runner) lbFigures(s *setup) (*results.Workload, error) {
	st, err := s.prog.LBStats()
	if err != nil {
		return nil, err
	}
	by, checks, err := s.sink.SinkCounts()
	if err != nil {
		return nil, err
	}
	cfg := r.lbConfig("l4lb")
	d := func(i int) uint64 { return st[i] - s.lbStats[i] }
	f := &results.LBFigures{VIP: cfg.VIP.String(), NewFlows: d(bpf.LBNew), KnownFlows: d(bpf.LBKnown),
		NoVIP: d(bpf.LBNoVIP), Malformed: d(bpf.LBMalformed), NoBackend: d(bpf.LBNoBackend),
		Encapsulated: checks[bpf.SinkEncapsulated], NotEncapsulated: checks[bpf.SinkNotEncapsulated], InnerBad: checks[bpf.SinkInnerBad],
		Source: "the balancer's lb_stats map and the lb sink's per-backend and check counts over all the result's traffic (warm-ups included); " +
			"spread = the largest |backend share - 1/backends| as a share of 1/backends"}
	var total uint64
	for _, b := range cfg.Backends {
		total += by[b]
	}
	even := 1 / float64(len(cfg.Backends))
	for _, b := range cfg.Backends {
		f.Backends = append(f.Backends, results.BackendCount{Addr: b.String(), Packets: by[b]})
		if total > 0 {
			f.Spread = max(f.Spread, math.Abs(float64(by[b])/float64(total)-even)/even)
		}
	}
	if sum := f.Encapsulated + f.NotEncapsulated + f.InnerBad; sum > 0 {
		f.Verified = float64(f.Encapsulated) / float64(sum)
	}
	return &results.Workload{Kind: "l4lb", LB: f}, nil
}
