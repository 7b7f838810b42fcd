package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/flags"
)

// progStats measures the program's own run time per frame with the kernel's
// BPF run-time stats, in a short pass of its own.
func (r *runner) progStats(ctx context.Context, s *setup) (*results.Figure, *results.Figure, error) {
	if r.cfg.ProgStats == 0 || s.prog.Program == nil {
		return nil, nil, nil // no figure: no program, or a rule in user space
	}
	closer, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	if err != nil {
		if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.EINVAL) {
			return nil, nil, nil // before 5.8: no figure
		}
		return nil, nil, fmt.Errorf("enable bpf stats: %w", err)
	}
	defer closer.Close()
	before, err := s.prog.Program.Stats()
	if err != nil {
		return nil, nil, fmt.Errorf("program stats: %w", err)
	}
	if err := s.gen.Start(); err != nil {
		return nil, nil, err
	}
	serr := sleep(ctx, r.cfg.ProgStats)
	if err := errors.Join(serr, s.gen.Stop()); err != nil {
		return nil, nil, err
	}
	after, err := s.prog.Program.Stats()
	if err != nil {
		return nil, nil, fmt.Errorf("program stats: %w", err)
	}
	runs := after.RunCount - before.RunCount
	if runs == 0 {
		return nil, nil, nil
	}
	overhead, lo, hi, err := bpf.StatsOverhead()
	if err != nil {
		return nil, nil, err
	}
	gross := float64(after.Runtime-before.Runtime) / float64(runs)
	noise := flags.Noise([]float64{lo, hi}, 0.05*overhead)
	prog := flags.ProgFigure(gross, overhead, noise)
	return &prog, &results.Figure{
		Value: overhead,
		Unit:  "ns/run",
		Source: fmt.Sprintf("BPF run-time stats of an empty XDP program (return XDP_DROP) through BPF_PROG_TEST_RUN: "+
			"median of 5 x 200000 runs (%.1f-%.1f); a net figure within that spread is below what this pass resolves", lo, hi),
	}, nil
}
