package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xdplab/xdplab/results"
)

// Search configures the throughput search in the RFC 2544 sense: the
// highest offered rate with no loss (NDR) and with loss at most PDRLoss
// (PDR), found by short trials and confirmed by one of full length, in the
// spirit of MLRsearch.
type Search struct {
	PDRLoss   float64       // the partial drop rate's loss ratio (0.005)
	Short     time.Duration // the search's trials (1s)
	Precision float64       // stop when the bounds are this close, relative (0.01)
	MaxTrials int           // per goal, confirmations included (16)
}

// DefaultSearch is what --search uses.
func DefaultSearch() Search {
	return Search{PDRLoss: 0.005, Short: time.Second, Precision: 0.01, MaxTrials: 16}
}

// probe is what one paced trial showed.
type probe struct {
	loss    float64
	offered float64 // frames/s the generator really offered
	short   bool    // it offered more than 2% below the rate asked for
}

// lossAt runs one paced trial of length d at rate. A trial that offered
// nothing, or whose frames the DUT never saw, is an error: it measured
// nothing, and its loss must not count as a pass.
func (r *runner) lossAt(ctx context.Context, s *setup, rate uint64, d time.Duration, label string) (probe, error) {
	saved := r.cfg
	defer func() { r.cfg = saved }()
	r.cfg.RatePPS, r.cfg.Duration = rate, d
	if s.gen != nil {
		if err := s.gen.Close(); err != nil {
			return probe{}, err
		}
	}
	var err error
	if s.gen, err = r.newGenerator(s); err != nil {
		return probe{}, err
	}
	t, err := r.trial(ctx, s, 0, label)
	if err != nil {
		return probe{}, err
	}
	p := probe{loss: t.Figures.Loss, offered: t.Figures.OfferedPPS}
	for _, f := range t.Flags {
		switch f.Code {
		case results.FlagDUTSawNothing:
			return p, fmt.Errorf("%s: %s", label, f.Message)
		case results.FlagRateShort:
			p.short = true
		}
	}
	if t.Raw.Generator.Packets == 0 {
		return p, fmt.Errorf("%s: the generator sent nothing", label)
	}
	return p, nil
}

// search finds NDR and PDR for a prepared setup. max is the highest rate
// the generator offered unpaced in the trials. It bisects on the rates
// asked for; the answer is the rate the confirming trial really offered,
// never more: where pacing cannot reach the rate asked, the answer says the
// generator bounds it.
func (r *runner) search(ctx context.Context, s *setup, max float64) (ndr, pdr *results.Throughput, err error) {
	sc := *r.cfg.Search
	find := func(goal string, limit float64) (*results.Throughput, error) {
		tp := &results.Throughput{Goal: goal, MaxLoss: limit, Unit: "frames/s",
			Source: fmt.Sprintf("binary search over paced trials of %s between 0 and the unpaced maximum %.0f frames/s, "+
				"on the rates the generator offered, confirmed by a trial of %s", sc.Short, max, r.cfg.Duration)}
		lo, hi := 0.0, max
		rate := max
		bound := false // the generator could not offer a rate asked for
		step := 2 * sc.Precision
		for tp.Trials < sc.MaxTrials {
			if hi-lo <= sc.Precision*hi && lo > 0 {
				// Confirm lo with a full-length trial.
				p, err := r.lossAt(ctx, s, uint64(lo), r.cfg.Duration, fmt.Sprintf("%s %s %s confirm %.0f/s", s.mode, s.name, goal, lo))
				tp.Trials++
				if err != nil {
					return nil, err
				}
				if p.loss <= limit {
					tp.RatePPS, tp.Loss, tp.Confirmed = min(lo, p.offered), p.loss, true
					if p.short {
						bound = true
					}
					break
				}
				// The short trials were too kind: step down, twice as far
				// each time, so that sporadic loss near the top cannot
				// use up the trials.
				hi, lo = lo, lo*(1-step)
				step = min(2*step, 0.5)
				continue
			}
			p, err := r.lossAt(ctx, s, uint64(rate), sc.Short, fmt.Sprintf("%s %s %s at %.0f/s", s.mode, s.name, goal, rate))
			tp.Trials++
			if err != nil {
				return nil, err
			}
			if p.loss <= limit {
				lo = rate
			} else {
				hi = rate
			}
			rate = (lo + hi) / 2
		}
		if !tp.Confirmed {
			tp.RatePPS = lo
			tp.Note = fmt.Sprintf("not confirmed within %d trials", sc.MaxTrials)
		} else if bound || tp.RatePPS >= 0.98*max {
			tp.Note = "at the highest rate the generator offered: the generator, not the DUT, bounds it"
		}
		return tp, nil
	}
	if ndr, err = find("ndr", 0); err != nil {
		return nil, nil, err
	}
	if pdr, err = find("pdr", sc.PDRLoss); err != nil {
		return nil, nil, err
	}
	// No loss meets any loss limit: a confirmed NDR is a confirmed PDR too,
	// so the PDR is never below it (each search's own trials vary with
	// how fast the paced generator runs).
	if ndr.Confirmed && (!pdr.Confirmed || ndr.RatePPS > pdr.RatePPS) {
		pdr.RatePPS, pdr.Loss, pdr.Confirmed = ndr.RatePPS, ndr.Loss, true
		pdr.Note = strings.TrimPrefix(pdr.Note+"; the NDR's confirming trial, with no loss, meets the PDR too", "; ")
	}
	return ndr, pdr, nil
}
