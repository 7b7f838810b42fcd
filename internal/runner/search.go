package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/xdplab/xdplab/internal/search"
	"github.com/xdplab/xdplab/results"
)

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
	o := *r.cfg.Search
	o.Confirm = r.cfg.Duration
	return search.NDRPDR(max, o, func(rate uint64, d time.Duration, label string) (search.Outcome, error) {
		return r.lossAt(ctx, s, rate, d, fmt.Sprintf("%s %s %s", s.mode, s.name, label))
	})
}
