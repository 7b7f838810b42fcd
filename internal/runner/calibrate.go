package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/flags"
)

// calibrate measures the generator's own CPU cost per frame against a
// minimal native sink (count and drop, no packet access).
func (r *runner) calibrate(ctx context.Context) error {
	mode := xdpmode.Native
	if !r.support.Supports(mode) {
		mode = xdpmode.Generic
	}
	s, err := r.prepare("drop", catalog.NoTouch, mode)
	if err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	defer s.Close()
	cal := &results.Calibration{}
	var ns []float64
	n := min(r.cfg.Trials, 3)
	for i := 1; i <= n; i++ {
		t, err := r.trial(ctx, s, i, fmt.Sprintf("calibrate %d/%d", i, n))
		if err != nil {
			return fmt.Errorf("calibration trial %d: %w", i, err)
		}
		cal.Trials = append(cal.Trials, t)
		if t.Figures.CPUNsPerPkt > 0 {
			ns = append(ns, t.Figures.CPUNsPerPkt)
		}
	}
	if len(ns) == 0 {
		return errors.New("calibration: the generator sent nothing")
	}
	med := results.Summarize(ns, "", "").Median
	cal.GeneratorNsPerPkt = results.Figure{Value: med, Unit: "ns/packet",
		Source: fmt.Sprintf("median CPU ns per offered frame, generator into a minimal %s sink (count and drop)", mode)}
	// A DUT share within the calibration's own spread (at least 5% of
	// it: three trials understate their spread) is not resolved.
	r.calNoise = flags.Noise(ns, 0.05*med)
	cal.Noise = &results.Figure{Value: r.calNoise, Unit: "ns/packet",
		Source: "range of the calibration trials' CPU ns/pkt, at least 5% of their median: a DUT share below it is flagged dut-within-noise"}
	r.calNs = &med
	r.run.Calibration = cal
	return nil
}
