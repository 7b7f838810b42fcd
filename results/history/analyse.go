package history

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/compare"
)

// Change is a change point: the series' level moved at a run.
type Change struct {
	At     int     `json:"at"`  // index into the series' values: the first of the new level
	Run    string  `json:"run"` // that run's label
	Before float64 `json:"before"`
	After  float64 `json:"after"`
	// Step is the change: relative in percent, or in percentage points
	// for loss (StepUnit says which).
	Step     float64 `json:"step"`
	StepUnit string  `json:"step_unit"`
	// Direction: "regression" or "improvement" in the metric's better
	// direction ("change" for a metric without one).
	Direction string `json:"direction"`
	// P is the two-sided p-value of the step: the difference of the two
	// levels against their standard errors.
	P float64 `json:"p"`
	// Runs is how many runs the new level holds so far.
	Runs int `json:"runs"`
	// Environment is what changed in the environment between the last
	// run of the old level and the first of the new.
	Environment []string `json:"environment,omitempty"`
}

// Level is where a series is now: the newest group's mean and its 95%
// confidence interval, over its runs.
type Level struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Runs  int     `json:"runs"`
}

// MinRuns is how many runs a level needs before the gate trusts it: a
// change whose new level has fewer runs is too new to tell.
const MinRuns = 3

// Analyse finds the series' change points.
func (h *History) Analyse() {
	for _, s := range h.Series {
		s.analyse(h.Runs)
	}
}

// OutlierWidths is how far, in the series' robust noise widths, a run must
// stand from the level on both its sides to be an outlier.
const OutlierWidths = 5

// outliers finds the runs that stand apart from the runs on both sides,
// which agree with each other: one bad night, not the first run of a new
// level (which agrees with the runs after it). The comparison is with the
// median of up to 3 runs each side (at least 2), the width the series'
// robust noise (the median absolute difference of successive runs), as
// Hampel's identifier does with one window. An outlier spoils two of the
// differences, so it takes 6 runs for their median to stand.
func outliers(xs []Point) []int {
	n := len(xs)
	if n < 6 {
		return nil
	}
	d := make([]float64, n-1)
	for i := range d {
		d[i] = math.Abs(xs[i+1].Value - xs[i].Value)
	}
	slices.Sort(d)
	width := d[len(d)/2] / 0.6745 / math.Sqrt2
	if width == 0 {
		return nil // exact figures: every change is real
	}
	med := func(lo, hi int) float64 {
		var v []float64
		for _, p := range xs[max(lo, 0):min(hi, n)] {
			v = append(v, p.Value)
		}
		slices.Sort(v)
		if len(v)%2 == 0 {
			return (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		return v[len(v)/2]
	}
	var out []int
	for i := 2; i < n-2; i++ {
		l, r := med(i-3, i), med(i+1, i+4)
		x := xs[i].Value
		if math.Abs(x-l) > OutlierWidths*width && math.Abs(x-r) > OutlierWidths*width && math.Abs(l-r) < OutlierWidths*width/2 {
			out = append(out, i)
		}
	}
	return out
}

func (s *Series) analyse(runs []Run) {
	all := make([]Point, len(s.Values))
	for i, v := range s.Values {
		all[i] = Point{Value: v.Median, SE: v.SE}
	}
	s.Outliers = outliers(all)
	var idx []int // positions kept, into Values
	var pts []Point
	for i, p := range all {
		if !slices.Contains(s.Outliers, i) {
			idx = append(idx, i)
			pts = append(pts, p)
		}
	}
	segs := Segments(pts)
	// Back to the series' own positions.
	s.Segments = nil
	for _, g := range segs {
		g.Start, g.End = idx[g.Start], idx[g.End-1]+1
		s.Segments = append(s.Segments, g)
	}
	s.Changes = nil
	for k := 1; k < len(s.Segments); k++ {
		a, b := s.Segments[k-1], s.Segments[k]
		c := Change{At: b.Start, Run: runs[s.Values[b.Start].Run].Label, Before: a.Mean, After: b.Mean, Runs: b.End - b.Start - s.outliersIn(b)}
		c.Step, c.StepUnit = compare.Change(s.metric, a.Mean, b.Mean)
		c.Direction = direction(s.Better, a.Mean, b.Mean)
		c.P = pTwoSided(a, b)
		before, after := s.Values[lastKept(s, a)], s.Values[b.Start]
		c.Environment = append(envDiff(runs[before.Run], runs[after.Run]), progDiff(before.prog, after.prog)...)
		s.Changes = append(s.Changes, c)
	}
	if len(s.Segments) == 0 {
		return
	}
	last := s.Segments[len(s.Segments)-1]
	s.Level = &Level{Value: last.Mean, Lo: last.Mean - 1.96*last.SE, Hi: last.Mean + 1.96*last.SE, Runs: last.End - last.Start - s.outliersIn(last)}
}

func (s *Series) outliersIn(g Segment) int {
	n := 0
	for _, o := range s.Outliers {
		if o >= g.Start && o < g.End {
			n++
		}
	}
	return n
}

// lastKept is the last position of g that is not an outlier.
func lastKept(s *Series, g Segment) int {
	for i := g.End - 1; i > g.Start; i-- {
		if !slices.Contains(s.Outliers, i) {
			return i
		}
	}
	return g.Start
}

// pTwoSided is the p-value of the difference of two groups' means.
func pTwoSided(a, b Segment) float64 {
	se := math.Hypot(a.SE, b.SE)
	if se == 0 {
		if a.Mean == b.Mean {
			return 1
		}
		return 0
	}
	z := math.Abs(a.Mean-b.Mean) / se
	return math.Erfc(z / math.Sqrt2)
}

func direction(better string, before, after float64) string {
	if after == before {
		return "none"
	}
	if better != results.BetterHigher && better != results.BetterLower {
		return "change"
	}
	if (after > before) == (better == results.BetterHigher) {
		return "improvement"
	}
	return "regression"
}

// envDiff names what differs between two runs' environments.
func envDiff(a, b Run) []string {
	var out []string
	if a.Kernel != b.Kernel {
		out = append(out, fmt.Sprintf("kernel %s → %s", a.Kernel, b.Kernel))
	}
	keys := map[string]bool{}
	for k := range a.Env {
		keys[k] = true
	}
	for k := range b.Env {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		if k == "kernel.release" {
			continue
		}
		if a.Env[k] != b.Env[k] {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	// Mitigations read as one line.
	var mit []string
	for _, k := range changed {
		if name, ok := strings.CutPrefix(k, "cpu.mitigations."); ok {
			mit = append(mit, fmt.Sprintf("%s %s → %s", name, orNone(a.Env[k]), orNone(b.Env[k])))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s → %s", k, orNone(a.Env[k]), orNone(b.Env[k])))
	}
	if len(mit) > 0 {
		out = append(out, "mitigations changed: "+strings.Join(mit, ", "))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// progDiff names what differs between two loads of the program.
func progDiff(a, b progID) []string {
	var out []string
	for _, d := range []struct{ what, a, b string }{
		{"program object sha256", a.object, b.object},
		{"translated image sha256", a.xlated, b.xlated},
		{"JIT image sha256", a.jit, b.jit},
	} {
		if d.a != d.b {
			out = append(out, fmt.Sprintf("%s %s → %s", d.what, d.a, d.b))
		}
	}
	return out
}
