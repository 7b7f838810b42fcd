package runner

import (
	"context"
	"fmt"
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

// lossAt runs one paced trial of length d at rate and returns its loss.
func (r *runner) lossAt(ctx context.Context, s *setup, rate uint64, d time.Duration, label string) (float64, results.Trial, error) {
	saved := r.cfg
	defer func() { r.cfg = saved }()
	r.cfg.RatePPS, r.cfg.Duration = rate, d
	if s.gen != nil {
		if err := s.gen.Close(); err != nil {
			return 0, results.Trial{}, err
		}
	}
	var err error
	if s.gen, err = r.newGenerator(); err != nil {
		return 0, results.Trial{}, err
	}
	t, err := r.trial(ctx, s, 0, label)
	if err != nil {
		return 0, t, err
	}
	return t.Figures.Loss, t, nil
}

// search finds NDR and PDR for a prepared setup. max is the highest rate
// the generator offered unpaced in the trials.
func (r *runner) search(ctx context.Context, s *setup, max float64) (ndr, pdr *results.Throughput, err error) {
	sc := *r.cfg.Search
	find := func(goal string, limit float64) (*results.Throughput, error) {
		tp := &results.Throughput{Goal: goal, MaxLoss: limit, Unit: "frames/s",
			Source: fmt.Sprintf("binary search over paced trials of %s between 0 and the unpaced maximum %.0f frames/s, "+
				"confirmed by a trial of %s", sc.Short, max, r.cfg.Duration)}
		lo, hi := 0.0, max
		rate := max
		for tp.Trials < sc.MaxTrials {
			if hi-lo <= sc.Precision*hi && lo > 0 {
				// Confirm lo with a full-length trial.
				loss, _, err := r.lossAt(ctx, s, uint64(lo), r.cfg.Duration, fmt.Sprintf("%s %s %s confirm %.0f/s", s.mode, s.name, goal, lo))
				tp.Trials++
				if err != nil {
					return nil, err
				}
				if loss <= limit {
					tp.RatePPS, tp.Loss, tp.Confirmed = lo, loss, true
					return tp, nil
				}
				hi, lo = lo, lo*(1-2*sc.Precision) // the short trials were too kind: step down
				continue
			}
			loss, _, err := r.lossAt(ctx, s, uint64(rate), sc.Short, fmt.Sprintf("%s %s %s at %.0f/s", s.mode, s.name, goal, rate))
			tp.Trials++
			if err != nil {
				return nil, err
			}
			if loss <= limit {
				lo = rate
				if rate >= max {
					hi = max // the generator's maximum passes: nothing above to find
				}
			} else {
				hi = rate
			}
			rate = (lo + hi) / 2
		}
		tp.RatePPS = lo
		tp.Note = fmt.Sprintf("not confirmed within %d trials", sc.MaxTrials)
		return tp, nil
	}
	if ndr, err = find("ndr", 0); err != nil {
		return nil, nil, err
	}
	if pdr, err = find("pdr", sc.PDRLoss); err != nil {
		return nil, nil, err
	}
	for _, t := range []*results.Throughput{ndr, pdr} {
		if t.Confirmed && t.RatePPS >= 0.98*max {
			t.Note = "at the generator's unpaced maximum: the generator, not the DUT, bounds it"
		}
	}
	return ndr, pdr, nil
}
