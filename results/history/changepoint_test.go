package history

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/results/compare"
)

// night makes one run's value as Read does: the median of 3 trials around
// level with noise sigma, and its standard error.
func night(r *rand.Rand, level, sigma float64) Point {
	t := []float64{level + r.NormFloat64()*sigma, level + r.NormFloat64()*sigma, level + r.NormFloat64()*sigma}
	v := summarize(t, 1)
	return Point{Value: v.Median, SE: v.SE}
}

func starts(segs []Segment) []int {
	var out []int
	for _, g := range segs[1:] {
		out = append(out, g.Start)
	}
	return out
}

// series makes a seeded series of n runs, trial noise 1, around level(i).
func series(seed, stream uint64, n int, level func(i int) float64) []Point {
	r := rand.New(rand.NewPCG(seed, stream))
	xs := make([]Point, n)
	for i := range xs {
		xs[i] = night(r, level(i), 1)
	}
	return xs
}

// A step of 3 noise widths (the standard deviation of a run's trials), up
// or down, anywhere from the 5th run to the 5th last, is found within one
// run of where it happened, in every one of 200 seeded series each way.
func TestStepsFound(t *testing.T) {
	for _, dir := range []float64{+1, -1} {
		for seed := range uint64(200) {
			r := rand.New(rand.NewPCG(seed, 7))
			n := 30 + r.IntN(31)
			at := 5 + r.IntN(n-9)
			xs := series(seed, 1, n, func(i int) float64 {
				if i >= at {
					return 100 + dir*3
				}
				return 100
			})
			got := starts(Segments(xs))
			near := slices.ContainsFunc(got, func(s int) bool { return s >= at-1 && s <= at+1 })
			assert.True(t, near, "seed %d, %+.0f at %d of %d: change points at %v", seed, 3*dir, at, n, got)
		}
	}
}

// Noise alone gets a false change point in at most 5% of 200 series (10),
// with noise in the trials, and with nights swinging more than trials.
func TestNoiseOnlyFalsePositives(t *testing.T) {
	for _, c := range []struct {
		name          string
		trial, nights float64
	}{{"trial noise", 1, 0}, {"night-to-night noise", 0.3, 2}} {
		false_ := 0
		for seed := range uint64(200) {
			r := rand.New(rand.NewPCG(seed, 11))
			xs := make([]Point, 30)
			for i := range xs {
				xs[i] = night(r, 100+r.NormFloat64()*c.nights, c.trial)
			}
			if len(Segments(xs)) > 1 {
				false_++
			}
		}
		assert.LessOrEqual(t, false_, 10, "%s: %d of 200 series got a false change point", c.name, false_)
		t.Logf("%s: %d of 200 false", c.name, false_)
	}
}

// A slow drift is no step: whatever change points it gets go its way.
func TestDrift(t *testing.T) {
	for seed := range uint64(100) {
		xs := series(seed, 13, 40, func(i int) float64 { return 100 - 0.2*float64(i) })
		segs := Segments(xs)
		for k := 1; k < len(segs); k++ {
			assert.Less(t, segs[k].Mean, segs[k-1].Mean, "seed %d: a change against the drift", seed)
		}
	}
}

// Outliers (one bad night, 10 noise widths off) are set aside, not read as
// two change points: at most 5% of 200 series get a change point, and at
// least 95% of the outliers are named.
func TestOutliers(t *testing.T) {
	bad, missed := 0, 0
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 17))
		out := map[int]bool{3 + r.IntN(10): true, 15 + r.IntN(10): true}
		s := &Series{Metric: "Mpps", Better: "higher", metric: compare.Metrics[0]}
		var runs []Run
		for i := range 30 {
			l := 100.0
			if out[i] {
				l = 90
			}
			p := night(r, l, 1)
			s.Values = append(s.Values, Value{Run: i, Median: p.Value, SE: p.SE, N: 3})
			runs = append(runs, Run{Label: "n"})
		}
		s.analyse(runs)
		if len(s.Changes) > 0 {
			bad++
		}
		for o := range out {
			if !slices.Contains(s.Outliers, o) {
				missed++
			}
		}
	}
	assert.LessOrEqual(t, bad, 10, "%d of 200 series read outliers as change points", bad)
	assert.LessOrEqual(t, missed, 20, "%d of 400 outliers not named", missed)
	t.Logf("%d of 200 series with a change point; %d of 400 outliers not named", bad, missed)
}

func TestSegmentsEdges(t *testing.T) {
	assert.Nil(t, Segments(nil))
	one := Segments([]Point{{Value: 5}})
	assert.Equal(t, []Segment{{Start: 0, End: 1, Mean: 5, SE: one[0].SE}}, one)
	// Exact figures (a program's fingerprint) repeat: any change is one.
	exact := make([]Point, 12)
	for i := range exact {
		exact[i].Value = 172
		if i >= 6 {
			exact[i].Value = 177
		}
	}
	segs := Segments(exact)
	assert.Equal(t, []int{6}, starts(segs))
	assert.Equal(t, 177.0, segs[1].Mean)
	assert.False(t, math.IsNaN(segs[0].SE))
}
