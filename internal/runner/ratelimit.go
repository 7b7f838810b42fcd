package runner

import (
	"context"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/results"
)

// ratelimitWorkload is the token bucket's side here: its limit, and what
// it passed against that limit.
type ratelimitWorkload struct{ passStack }

func (ratelimitWorkload) options(r *runner, o *bpf.DUTOptions) { o.Settings = r.cfg.Limit }

func (ratelimitWorkload) start(_ *runner, s *setup) (any, error) { return s.prog.Verdicts() }

func (ratelimitWorkload) figures(_ context.Context, r *runner, s *setup, before any, res *results.Result) (*results.Workload, error) {
	return r.rateLimitFigures(s, before.([catalog.VerdictContended + 1]bpf.Counter), res)
}

// rateLimitFigures compare what the ratelimit workload passed over the
// trials with its limit times the sources the generator used.
func (r *runner) rateLimitFigures(s *setup, start [catalog.VerdictContended + 1]bpf.Counter, res *results.Result) (*results.Workload, error) {
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
		Over:      v[catalog.VerdictOver].Sub(start[catalog.VerdictOver]).Packets,
		Contended: v[catalog.VerdictContended].Sub(start[catalog.VerdictContended]).Packets,
		Malformed: v[catalog.VerdictMalformed].Sub(start[catalog.VerdictMalformed]).Packets,
		Source: "passed_pps and offered_pps: the trials' pass and generator counts per second of the timed windows; " +
			"share = passed_pps / (limit_pps x sources); over, contended and malformed: the program's verdicts map over all the result's traffic, warm-ups included"}
	if secs > 0 {
		f.PassedPPS, f.OfferedPPS = passed/secs, offered/secs
		f.Share = f.PassedPPS / (float64(r.cfg.Limit.PPS) * float64(sources))
	}
	return &results.Workload{Kind: "ratelimit", RateLimit: f}, nil
}
