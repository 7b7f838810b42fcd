package runner

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/results"
)

// filterWorkload is the filter's side here: its rules, its hits per rule,
// and what changing rules under load costs.
type filterWorkload struct{ passStack }

func (filterWorkload) options(r *runner, o *bpf.DUTOptions) { o.Settings = r.cfg.Rules }

func (filterWorkload) start(r *runner, s *setup) (any, error) {
	return s.filterRules().RuleHits(len(r.cfg.Rules) + 1)
}

// ruleSet is where the filter's rules live: its program's maps (XDP, tc),
// or the user-space filter of the afpacket and afxdp hooks.
type ruleSet interface {
	RuleHits(n int) ([]bpf.Counter, error)
	AddRule(catalog.FilterRule) error
	DeleteRule(catalog.FilterRule) error
}

// ruleUpdate says what one rule update is at the setup's hook.
func (s *setup) ruleUpdate() string {
	if s.hook != nil && s.hook.filter != nil {
		return "rule update of the user-space filter (a lock and a slice)"
	}
	return "bpf(BPF_MAP_UPDATE_ELEM / DELETE_ELEM) on the LPM trie"
}

func (s *setup) filterRules() ruleSet {
	if s.hook != nil && s.hook.filter != nil {
		return s.hook.filter
	}
	return s.prog
}

func (filterWorkload) figures(ctx context.Context, r *runner, s *setup, before any, res *results.Result) (*results.Workload, error) {
	return r.filterFigures(ctx, s, before.([]bpf.Counter), res)
}

// churnRule matches nothing the generator sends: an IPv6 source prefix in
// the benchmarking range that no flow uses (catalog.ExampleRule).
var churnRule = catalog.FilterRule{ID: catalog.MaxFilterRules - 1, Text: catalog.ExampleRule, Field: "src",
	Prefix: netip.MustParsePrefix("2001:2:0:fffe::/64")}

// filterFigures read the filter's hits per rule over the trials and
// measure what changing rules under load costs.
func (r *runner) filterFigures(ctx context.Context, s *setup, start []bpf.Counter, res *results.Result) (*results.Workload, error) {
	w := &results.Workload{Kind: "filter"}
	hits, err := s.filterRules().RuleHits(len(r.cfg.Rules) + 1)
	if err != nil {
		return nil, err
	}
	for i, h := range hits {
		d := h.Sub(start[i])
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
					uerr = s.filterRules().DeleteRule(churnRule)
				}
				return
			default:
			}
			t := time.Now()
			var err error
			if add {
				err = s.filterRules().AddRule(churnRule)
			} else {
				err = s.filterRules().DeleteRule(churnRule)
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
			"wall time of each %s; throughput_pps of that trial, baseline the median of the plain trials",
			r.cfg.Duration, churnRule.Text, s.ruleUpdate()),
	}, nil
}
