package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/xdplab/xdplab/internal/search"
	"github.com/xdplab/xdplab/results"
)

// Search configures the throughput search in the RFC 2544 sense: the
// highest offered rate with no loss (NDR) and with loss at most PDRLoss
// (PDR), found by short trials and confirmed by one of full length (see
// internal/search, which decides; this file runs the trials).
type Search struct {
	PDRLoss   float64       // the partial drop rate's loss ratio (0.005)
	Short     time.Duration // the search's trials (1s)
	Precision float64       // stop when the bounds are this close, relative (0.01)
	MaxTrials int           // per goal, confirmations included (16)
}

// DefaultSearch is what --search uses.
func DefaultSearch() Search {
	d := search.Defaults()
	return Search{PDRLoss: d.PDRLoss, Short: d.Short, Precision: d.Precision, MaxTrials: d.MaxTrials}
}

// lossAt runs one paced trial of length d at rate. A trial that offered
// nothing, or whose frames the DUT never saw, is an error: it measured
// nothing, and its loss must not count as a pass.
func (r *runner) lossAt(ctx context.Context, s *setup, rate uint64, d time.Duration, label string) (search.Outcome, error) {
	saved := r.cfg
	defer func() { r.cfg = saved }()
	r.cfg.RatePPS, r.cfg.Duration = rate, d
	if s.gen != nil {
		if err := s.gen.Close(); err != nil {
			return search.Outcome{}, err
		}
	}
	var err error
	if s.gen, err = r.newGenerator(s); err != nil {
		return search.Outcome{}, err
	}
	t, err := r.trial(ctx, s, 0, label)
	if err != nil {
		return search.Outcome{}, err
	}
	p := search.Outcome{Loss: t.Figures.Loss, Offered: t.Figures.OfferedPPS}
	for _, f := range t.Flags {
		switch f.Code {
		case results.FlagDUTSawNothing:
			return p, fmt.Errorf("%s: %s", label, f.Message)
		case results.FlagRateShort:
			p.Short = true
		}
	}
	if t.Raw.Generator.Packets == 0 {
		return p, fmt.Errorf("%s: the generator sent nothing", label)
	}
	return p, nil
}

// search finds NDR and PDR for a prepared setup. max is the highest rate
// the generator offered unpaced in the trials.
func (r *runner) search(ctx context.Context, s *setup, max float64) (ndr, pdr *results.Throughput, err error) {
	sc := *r.cfg.Search
	o := search.Options{PDRLoss: sc.PDRLoss, Short: sc.Short, Confirm: r.cfg.Duration, Precision: sc.Precision, MaxTrials: sc.MaxTrials}
	return search.NDRPDR(max, o, func(rate uint64, d time.Duration, label string) (search.Outcome, error) {
		return r.lossAt(ctx, s, rate, d, fmt.Sprintf("%s %s %s", s.mode, s.name, label))
	})
}
