package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/xdplab/xdplab/results"
)

// measureTrials attaches one program in one mode and runs trials from..to
// into res (a new result where nil). The pass that ends at the last trial
// also measures the program's run time, the workload's figures and the
// search; an interleaved run calls it once a trial.
func (r *runner) measureTrials(ctx context.Context, name string, mode xdpmode.Mode, res *results.Result, from, to int) (_ *results.Result, err error) {
	s, err := r.prepare(name, r.cfg.Work, mode)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	method, attached := s.attached()
	if res == nil {
		res = &results.Result{
			Program: results.Program{Name: s.name, Object: s.prog.Object, SHA256: s.prog.SHA256, Counted: s.prog.Counted},
			Mode:    mode.String(), AttachMethod: method, AttachedMode: attached,
			Fingerprint: s.prog.Fingerprint,
		}
	}
	if s.prog.Counted {
		res.Program.Work = r.cfg.Work.String()
		if name == "tx" && r.cfg.Work < catalog.SwapMACs {
			res.Program.Work = catalog.SwapMACs.String() // tx always swaps: the work it did
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
	for i := from; i <= to; i++ {
		label := fmt.Sprintf("%s %s %d/%d", mode, s.name, i, r.cfg.Trials)
		t, err := r.trial(ctx, s, i, label)
		if err != nil {
			return nil, fmt.Errorf("%s %s trial %d: %w", s.name, mode, i, err)
		}
		res.Trials = append(res.Trials, t)
	}
	if err := r.addReturned(s, res); err != nil {
		return nil, fmt.Errorf("%s %s: %w", s.name, mode, err)
	}
	if to < r.cfg.Trials {
		res.Summarize(s.sources())
		return res, nil
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
