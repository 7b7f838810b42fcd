package history

import (
	"math"
	"slices"
	"sort"
)

// The change point method: a minimum-description-length split of a series
// into groups of equal mean, found exactly by optimal partitioning.
//
// It is the idea of CSIT's jumpavg (FD.io CSIT, resources/libraries/python/
// jumpavg: "classify" finds the grouping of a trend's samples into groups
// of equal average that needs the fewest bits to describe, after
// Rissanen's minimum description length principle), with two changes that
// suit xdplab's data: each point carries its own noise (the spread of its
// run's trials), so a group's cost is the weighted Gaussian code length of
// its points about their weighted mean; and the best grouping is found
// exactly by dynamic programming (optimal partitioning, Jackson et al.,
// "An algorithm for optimal partitioning of data on an interval", IEEE
// Signal Processing Letters 12(2), 2005), pruned as PELT does (Killick,
// Fearnhead and Eckley, "Optimal detection of changepoints with a linear
// computational cost", JASA 107(500), 2012). A new group costs the bits of
// its mean and of where it starts: Penalty nats times log(n), the
// description length of one more parameter and one more position.
//
// Run-to-run noise that no run's own trials show (the machine's mood
// between nights) is estimated from the series itself, robustly, as the
// median absolute difference of successive points scaled to a standard
// deviation (MAD/0.6745/sqrt 2), and added to every point's variance.

// Point is one run's value of a metric, with its noise: the standard
// error of the value from its run's trials (0: none known).
type Point struct {
	Value float64
	SE    float64
}

// Segment is a group of successive points of equal mean.
type Segment struct {
	Start, End int     // points [Start, End)
	Mean       float64 // weighted mean
	SE         float64 // its standard error
}

// Penalty is the cost of one more group, in nats per log(n) of the
// series: set so that a series of noise alone gets a false change point
// in at most 5% of cases (TestNoiseOnlyFalsePositives).
const Penalty = 3.0

// minRel keeps a point whose trials did not vary from weighing
// infinitely: its variance is at least (minRel x the series' scale)^2,
// small against any real step and large enough for float64 sums.
const minRel = 1e-6

// Segments splits xs into groups of equal mean.
func Segments(xs []Point) []Segment {
	n := len(xs)
	if n == 0 {
		return nil
	}
	tau2 := runToRun(xs)
	// A run's own error comes from a few trials and is itself noisy: no
	// run weighs more than one with the series' median error.
	typical := medianSE2(xs)
	floor := minVar(xs)
	// Sums of squares about a value of the series itself, not about 0:
	// large weights times large values would cancel away the residuals.
	ref := xs[n/2].Value
	w := make([]float64, n)
	// Prefix sums of w, w*x, w*x^2.
	sw, swx, swxx := make([]float64, n+1), make([]float64, n+1), make([]float64, n+1)
	for i, p := range xs {
		w[i] = 1 / max(max(p.SE*p.SE, typical)+tau2, floor)
		x := p.Value - ref
		sw[i+1] = sw[i] + w[i]
		swx[i+1] = swx[i] + w[i]*x
		swxx[i+1] = swxx[i] + w[i]*x*x
	}
	cost := func(a, b int) float64 { // [a, b): half the weighted residual sum of squares
		W := sw[b] - sw[a]
		S := swx[b] - swx[a]
		return 0.5 * ((swxx[b] - swxx[a]) - S*S/W)
	}
	beta := Penalty * math.Log(float64(max(n, 2)))
	// F[t]: the least cost of points [0, t), each group costing beta
	// (the first too: a constant, which changes no choice); last[t]:
	// where its last group starts.
	F := make([]float64, n+1)
	last := make([]int, n+1)
	cands := []int{0}
	for t := 1; t <= n; t++ {
		best, arg := math.Inf(1), 0
		for _, s := range cands {
			if c := F[s] + cost(s, t) + beta; c < best {
				best, arg = c, s
			}
		}
		F[t], last[t] = best, arg
		// PELT: a start that does not beat the best now never will (t is
		// at least as good from here on); ties go, which keeps exact
		// series linear.
		keep := cands[:0]
		eps := 1e-12 * (1 + math.Abs(F[t]))
		for _, s := range cands {
			if F[s]+cost(s, t) < F[t]-eps {
				keep = append(keep, s)
			}
		}
		cands = append(keep, t)
	}
	var segs []Segment
	for t := n; t > 0; t = last[t] {
		s := last[t]
		W := sw[t] - sw[s]
		segs = append(segs, Segment{Start: s, End: t, Mean: ref + (swx[t]-swx[s])/W, SE: math.Sqrt(1 / W)})
	}
	slices.Reverse(segs)
	return segs
}

// runToRun is the variance between runs that their own trials do not
// show: the robust spread of successive differences, less what the
// points' own errors explain.
func runToRun(xs []Point) float64 {
	if len(xs) < 3 {
		return 0
	}
	d := make([]float64, len(xs)-1)
	for i := range d {
		d[i] = math.Abs(xs[i+1].Value - xs[i].Value)
	}
	sort.Float64s(d)
	mad := d[len(d)/2]
	if len(d)%2 == 0 {
		mad = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	sigma := mad / 0.6745 / math.Sqrt2
	return max(sigma*sigma-medianSE2(xs), 0)
}

// medianSE2 is the median of the points' squared errors.
func medianSE2(xs []Point) float64 {
	own := make([]float64, len(xs))
	for i, p := range xs {
		own[i] = p.SE * p.SE
	}
	sort.Float64s(own)
	return own[len(own)/2]
}

// minVar is the least variance a point may have: a tiny share of the
// series' scale, so that exact repeats do not divide by zero.
func minVar(xs []Point) float64 {
	m := 0.0
	for _, p := range xs {
		m = max(m, math.Abs(p.Value))
	}
	v := m * minRel
	return max(v*v, 1e-300)
}
