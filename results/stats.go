package results

import (
	"fmt"
	"sort"
)

// Summarize gives min, median and max of values.
func Summarize(values []float64, unit, source string) Stat {
	s := Stat{N: len(values), Unit: unit, Source: source}
	if len(values) == 0 {
		return s
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	s.Min, s.Max = v[0], v[len(v)-1]
	if n := len(v); n%2 == 1 {
		s.Median = v[n/2]
	} else {
		s.Median = (v[n/2-1] + v[n/2]) / 2
	}
	return s
}

// Summarize fills the result's summary from its trials.
func (r *Result) Summarize(sources map[string]string) {
	pick := func(f func(Trial) float64) []float64 {
		var out []float64
		for _, t := range r.Trials {
			out = append(out, f(t))
		}
		return out
	}
	r.Summary = Summary{
		OfferedPPS:    Summarize(pick(func(t Trial) float64 { return t.Figures.OfferedPPS }), "packets/s", sources["offered"]),
		ThroughputPPS: Summarize(pick(func(t Trial) float64 { return t.Figures.ThroughputPPS }), "packets/s", sources["throughput"]),
		L2BitsPerSec:  Summarize(pick(func(t Trial) float64 { return t.Figures.L2BitsPerSec }), "bits/s (L2, frame with FCS)", sources["throughput"]),
		L1BitsPerSec:  Summarize(pick(func(t Trial) float64 { return t.Figures.L1BitsPerSec }), "bits/s (L1, frame + 20 bytes preamble and gap)", sources["throughput"]),
		Loss:          Summarize(pick(func(t Trial) float64 { return t.Figures.Loss }), "ratio", sources["loss"]),
		CPUNsPerPkt:   Summarize(pick(func(t Trial) float64 { return t.Figures.CPUNsPerPkt }), "ns/packet", sources["cpu"]),
	}
	var dut []float64
	for _, t := range r.Trials {
		if t.Figures.DUTNsPerPkt != nil {
			dut = append(dut, *t.Figures.DUTNsPerPkt)
		}
		if b := t.Figures.DUTNsPerPktBelow; b != nil {
			r.Summary.DUTWithinNoise++
			r.Summary.DUTNoiseBound = max(r.Summary.DUTNoiseBound, *b)
		}
		if len(t.Flags) > 0 {
			r.Summary.Flagged++
		}
	}
	if len(dut) > 0 {
		s := Summarize(dut, "ns/packet", sources["dut"])
		r.Summary.DUTNsPerPkt = &s
	}
	var p50, p99 []float64
	for _, t := range r.Trials {
		if t.Latency != nil && t.Latency.Count > 0 {
			p50 = append(p50, t.Latency.P50Ns)
			p99 = append(p99, t.Latency.P99Ns)
		}
	}
	if len(p50) > 0 {
		a, b := Summarize(p50, "ns", sources["latency"]), Summarize(p99, "ns", sources["latency"])
		r.Summary.LatencyP50Ns, r.Summary.LatencyP99Ns = &a, &b
	}
	r.Summary.Hook = summarizeHook(r.Trials)
}

// DUTString writes the DUT's share over trials: "median [min-max]" of the
// resolved trials, "< bound (noise)" where every trial was within the
// calibration's noise, and both, with the count, where some were.
func (s *Summary) DUTString(trials int) string {
	switch {
	case s.DUTWithinNoise == 0 && s.DUTNsPerPkt == nil:
		return "-"
	case s.DUTWithinNoise == 0:
		return span(*s.DUTNsPerPkt, 1, "%.1f")
	case s.DUTNsPerPkt == nil:
		return fmt.Sprintf("< %.1f (noise)", s.DUTNoiseBound)
	}
	return fmt.Sprintf("%s, %d/%d < %.1f (noise)", span(*s.DUTNsPerPkt, 1, "%.1f"), s.DUTWithinNoise, trials, s.DUTNoiseBound)
}
