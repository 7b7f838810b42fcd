package runner

import (
	"context"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/results"
)

// workload is the runner's side of a reference workload (bpf holds its
// object's side): what it loads with, the far side it needs, and what it
// counted. Each is its own file (filter.go, ratelimit.go, flowstats.go,
// l4lb.go) and is registered once, in workloads.
type workload interface {
	// options adds the workload's settings to its load options.
	options(r *runner, o *bpf.DUTOptions)
	// far sets up the far side: a sink that checks what the DUT sends
	// back, or the stack that receives what it passes.
	far(r *runner, s *setup) error
	// writes: the program writes into frames (the generator restores
	// each frame's head).
	writes() bool
	// start reads the workload's counters before the trials; figures
	// reads them after, with what it keeps from start.
	start(r *runner, s *setup) (any, error)
	figures(ctx context.Context, r *runner, s *setup, before any, res *results.Result) (*results.Workload, error)
}

// workloads registers the reference workloads, one line each.
var workloads = map[string]workload{
	"filter":    filterWorkload{},
	"ratelimit": ratelimitWorkload{},
	"flowstats": flowstatsWorkload{},
	"l4lb":      l4lbWorkload{},
}

// passStack is what workloads that pass frames share: the stack receives
// them, and the program does not write into them.
type passStack struct{}

func (passStack) far(_ *runner, s *setup) error { s.stack = true; return nil }
func (passStack) writes() bool                  { return false }
