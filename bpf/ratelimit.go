package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// The ratelimit workload (ratelimit.c): a per-source token bucket.
var ratelimitWorkload = workload{
	Builtin: builtin("ratelimit"),
	load:    loadRatelimit, bytes: _RatelimitBytes,
	objs: func() any { return &ratelimitObjects{} },
	prepare: func(spec *ebpf.CollectionSpec, o DUTOptions) error {
		l, err := settingsOf[catalog.RateLimit]("ratelimit", o)
		if err != nil {
			return err
		}
		if l.PPS == 0 || l.Burst == 0 {
			return errors.New("give the limit and the burst (--limit 100k --burst 64)")
		}
		if l.PPS > 1e9 || l.Burst > 1e6 {
			return fmt.Errorf("limit %d/s or burst %d out of range (at most 1G/s and 1M frames)", l.PPS, l.Burst)
		}
		var s ratelimitVariableSpecs
		if err := specs(spec, &s); err != nil {
			return err
		}
		return set(setting{s.RatePps, l.PPS}, setting{s.Burst, l.Burst})
	},
}

// Verdicts reads the ratelimit workload's frames by verdict, summed over
// CPUs: passed, over the limit, malformed, and dropped for losing the
// bucket's compare-and-swap race.
func (p *Program) Verdicts() (out [catalog.NumVerdicts]Counter, err error) {
	rl, ok := p.objs.(*ratelimitObjects)
	if !ok {
		return out, errors.New("verdicts: the program is not the ratelimit workload")
	}
	c, err := perCPUCounters(rl.Verdicts, len(out), "verdicts")
	if err != nil {
		return out, err
	}
	copy(out[:], c)
	return out, nil
}
