package history

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/compare"
)

// brute is the best grouping found the slow way: every grouping's cost
// summed point by point (no prefix sums, no pruning), with the same
// weights and penalty.
func brute(xs []Point) []Segment {
	n := len(xs)
	tau2, typical, floor := runToRun(xs), medianSE2(xs), minVar(xs)
	w := make([]float64, n)
	for i, p := range xs {
		w[i] = 1 / max(max(p.SE*p.SE, typical)+tau2, floor)
	}
	mean := func(a, b int) (m, W float64) {
		for i := a; i < b; i++ {
			m += w[i] * xs[i].Value
			W += w[i]
		}
		return m / W, W
	}
	cost := func(a, b int) float64 {
		m, _ := mean(a, b)
		c := 0.0
		for i := a; i < b; i++ {
			c += 0.5 * w[i] * (xs[i].Value - m) * (xs[i].Value - m)
		}
		return c
	}
	beta := Penalty * math.Log(float64(max(n, 2)))
	F := make([]float64, n+1)
	last := make([]int, n+1)
	for t := 1; t <= n; t++ {
		F[t] = math.Inf(1)
		for s := 0; s < t; s++ {
			if c := F[s] + cost(s, t) + beta; c < F[t] {
				F[t], last[t] = c, s
			}
		}
	}
	var out []Segment
	for t := n; t > 0; t = last[t] {
		m, W := mean(last[t], t)
		out = append([]Segment{{Start: last[t], End: t, Mean: m, SE: math.Sqrt(1 / W)}}, out...)
	}
	return out
}

// Segments finds the best grouping, as the slow way does, on series with
// no step, one, or several, of every size around what is detectable.
func TestSegmentsOptimal(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 23))
		n := 3 + r.IntN(38)
		level, xs := 100.0, make([]Point, n)
		for i := range xs {
			if r.IntN(10) == 0 {
				level += (r.Float64()*2 - 1) * 6 // steps from tiny to large
			}
			xs[i] = night(r, level, 0.5+r.Float64())
		}
		got, want := Segments(xs), brute(xs)
		require.Equal(t, starts(want), starts(got), "seed %d, %d runs", seed, n)
		for k := range want {
			assert.InDelta(t, want[k].Mean, got[k].Mean, 1e-9*math.Abs(want[k].Mean), "seed %d group %d", seed, k)
			assert.InDelta(t, want[k].SE, got[k].SE, 1e-9*want[k].SE, "seed %d group %d", seed, k)
		}
	}
}

func TestRunToRun(t *testing.T) {
	assert.Zero(t, runToRun([]Point{{Value: 1}, {Value: 9}}), "two runs say nothing")
	// Three runs, differences 2 and 4: their median (even count) 3.
	sigma := 3 / 0.6745 / math.Sqrt2
	assert.InDelta(t, sigma*sigma, runToRun([]Point{{Value: 10}, {Value: 12}, {Value: 8}}), 1e-9)
	// Five runs, differences 1, 1, 3, 5: the median of an even count is 2.
	sigma = 2 / 0.6745 / math.Sqrt2
	assert.InDelta(t, sigma*sigma, runToRun([]Point{{Value: 0}, {Value: 1}, {Value: 2}, {Value: 5}, {Value: 0}}), 1e-9)
	// Less what the runs' own errors explain, never below 0.
	assert.InDelta(t, sigma*sigma-0.25, runToRun([]Point{{Value: 0, SE: 0.5}, {Value: 1, SE: 0.5}, {Value: 2, SE: 0.5}, {Value: 5, SE: 0.5}, {Value: 0, SE: 0.5}}), 1e-9)
	assert.Zero(t, runToRun([]Point{{Value: 0, SE: 9}, {Value: 1, SE: 9}, {Value: 0, SE: 9}}))
}

// flat is a series of values alternating 100 and 101: every successive
// difference 1, so a noise width of 1/0.6745/sqrt 2.
func flat(n int) []Point {
	xs := make([]Point, n)
	for i := range xs {
		xs[i].Value = 100 + float64(i%2)
	}
	return xs
}

const width = 1 / 0.6745 / math.Sqrt2

func TestOutlierRule(t *testing.T) {
	// An outlier spoils two of the successive differences; the median of
	// them is still 1. The medians of the runs on each side of run 6 are
	// 101.
	xs := flat(12)
	xs[6].Value = 101 + 5.5*width
	assert.Equal(t, []int{6}, outliers(xs), "the run stands 5 widths and more from both sides")
	xs[6].Value = 101 + 4.5*width
	assert.Nil(t, outliers(xs), "under 5 widths is no outlier")
	xs[6].Value = 101 - 5.5*width
	assert.Equal(t, []int{6}, outliers(xs), "below as above")
	six := flat(6)
	six[3].Value = 100 + 5.5*width // its sides' medians: 100 (runs 0-2) and 100.5 (runs 4, 5)
	assert.Nil(t, outliers(six[:5]), "five runs are too few: the outlier's two differences are the median")
	six[3].Value = 100.25 + 5.6*width
	assert.Equal(t, []int{3}, outliers(six), "six are enough")

	// The second and the second last run have too few neighbours on one
	// side; the third and the third last have two.
	long := flat(16)
	long[1].Value, long[14].Value = 140, 140
	assert.Nil(t, outliers(long))
	long[1].Value, long[14].Value = 100, 101
	long[2].Value, long[13].Value = 140, 140
	assert.Equal(t, []int{2, 13}, outliers(long))

	// Windows of 3 a side: the runs 4 away are not in them.
	w := flat(16)
	w[8].Value, w[4].Value, w[12].Value = 140, 60, 60
	assert.Equal(t, []int{4, 8, 12}, outliers(w), "each stands apart from its own windows, which hold none of the others")

	// The first run of a new level agrees with the runs after it.
	step := flat(16)
	for i := 8; i < 16; i++ {
		step[i].Value += 50
	}
	assert.Nil(t, outliers(step))

	// Sides that disagree by half the threshold or more are a step
	// around a value, not an outlier.
	mixed := flat(16)
	for i := 9; i < 16; i++ {
		mixed[i].Value += 2.6 * width
	}
	mixed[8].Value = 200
	assert.Nil(t, outliers(mixed))
	for i := 9; i < 16; i++ {
		mixed[i].Value -= 0.3 * width
	}
	assert.Equal(t, []int{8}, outliers(mixed), "2.3 widths apart: one level")

	exact := make([]Point, 8)
	for i := range exact {
		exact[i].Value = 172
	}
	exact[4].Value = 177
	assert.Nil(t, outliers(exact), "exact figures have no noise: every change is real")

	// At the edges a side has two runs: their median is their mean.
	edge := flat(12)
	edge[0].Value, edge[1].Value = 101-4*width, 101+4*width // median 101 left of run 2, as on its right
	edge[2].Value = 101 + 5.2*width
	assert.Equal(t, []int{2}, outliers(edge), "5.2 widths from the mean of the two before it")
	edge[2].Value = 101 + 4.8*width
	assert.Nil(t, outliers(edge))
}

func TestPTwoSided(t *testing.T) {
	assert.Equal(t, 1.0, pTwoSided(Segment{Mean: 5}, Segment{Mean: 5}), "exact and equal")
	assert.Equal(t, 0.0, pTwoSided(Segment{Mean: 5}, Segment{Mean: 6}), "exact and different")
	p := pTwoSided(Segment{Mean: 1, SE: 0.6}, Segment{Mean: 2.96, SE: 0.8})
	assert.InDelta(t, 0.05, p, 1e-3, "z = 1.96 over hypot(0.6, 0.8) = 1")
	assert.InDelta(t, p, pTwoSided(Segment{Mean: 2.96, SE: 0.6}, Segment{Mean: 1, SE: 0.8}), 1e-12, "two-sided")
	assert.InDelta(t, 0.3173, pTwoSided(Segment{Mean: 10, SE: 1}, Segment{Mean: 10 + math.Sqrt2, SE: 1}), 1e-4, "z = 1")
}

func TestDirection(t *testing.T) {
	for _, c := range []struct {
		better        string
		before, after float64
		want          string
	}{
		{results.BetterHigher, 7, 6, "regression"}, {results.BetterHigher, 6, 7, "improvement"},
		{results.BetterLower, 6, 7, "regression"}, {results.BetterLower, 7, 6, "improvement"},
		{results.BetterHigher, 7, 7, "none"}, {"none", 6, 7, "change"}, {"", 7, 6, "change"},
	} {
		assert.Equal(t, c.want, direction(c.better, c.before, c.after), "%+v", c)
	}
}

// A series by hand: values, outliers at the edges of groups.
func handSeries(values []float64, se float64) (*Series, []Run) {
	s := &Series{Key: "k", Metric: "Mpps", Unit: "Mpps", Better: results.BetterHigher, metric: compare.Metrics[0]}
	var runs []Run
	for i, v := range values {
		s.Values = append(s.Values, Value{Run: i, Median: v, SE: se, N: 3})
		runs = append(runs, Run{Label: string(rune('a' + i)), Env: map[string]string{"cpu.governor": "performance"}})
	}
	return s, runs
}

func TestAnalyseCounts(t *testing.T) {
	// 8 at 10, then 8 at 5, with an outlier in each level (runs 3 and
	// 11).
	v := []float64{10, 10.1, 10, 30, 10, 10.1, 10, 10.1, 5, 5.1, 5, 30, 5, 5.1, 5, 5.1}
	s, runs := handSeries(v, 0.05)
	runs[7].Env["cpu.governor"] = "powersave" // the last run of the old level
	runs[8].Env["cpu.governor"] = "performance"
	s.analyse(runs)
	assert.Equal(t, []int{3, 11}, s.Outliers)
	require.Len(t, s.Changes, 1)
	c := s.Changes[0]
	assert.Equal(t, 8, c.At)
	assert.Equal(t, "i", c.Run)
	assert.Equal(t, 7, c.Runs, "8 runs less the outlier in them")
	assert.Equal(t, []string{"cpu.governor powersave → performance"}, c.Environment, "from the last run of the old level")
	assert.Equal(t, "regression", c.Direction)
	assert.InDelta(t, -50, c.Step, 1)
	require.NotNil(t, s.Level)
	assert.Equal(t, 7, s.Level.Runs)
	last := s.Segments[len(s.Segments)-1]
	assert.InDelta(t, last.Mean-1.96*last.SE, s.Level.Lo, 1e-12)
	assert.InDelta(t, last.Mean+1.96*last.SE, s.Level.Hi, 1e-12)
	assert.InDelta(t, last.Mean, s.Level.Value, 1e-12)
	assert.Greater(t, s.Level.Hi, s.Level.Lo)

	// No values: no level.
	empty := &Series{metric: compare.Metrics[0]}
	empty.analyse(nil)
	assert.Nil(t, empty.Level)
	assert.Empty(t, empty.Changes)
}

func TestLastKeptAndOutliersIn(t *testing.T) {
	s := &Series{Outliers: []int{3, 4, 9}}
	assert.Equal(t, 2, lastKept(s, Segment{Start: 0, End: 5}))
	assert.Equal(t, 5, lastKept(s, Segment{Start: 5, End: 6}))
	assert.Equal(t, 3, lastKept(s, Segment{Start: 3, End: 5}), "all outliers: the first")
	assert.Equal(t, 2, s.outliersIn(Segment{Start: 3, End: 5}))
	assert.Equal(t, 1, s.outliersIn(Segment{Start: 0, End: 4}), "End is not in")
	assert.Equal(t, 0, s.outliersIn(Segment{Start: 5, End: 9}))
	assert.Equal(t, 1, s.outliersIn(Segment{Start: 9, End: 10}), "Start is in")
}

// The gate at its edges: runs in all, runs of the new level, the
// significance and the threshold.
func TestGateEdges(t *testing.T) {
	gate := func(s *Series, threshold float64) Verdict {
		return (&History{Series: []*Series{s}}).Gate(threshold)
	}
	series := func(values, outliers int, changes ...Change) *Series {
		s := &Series{Key: "k", Metric: "Mpps", Unit: "Mpps", Better: results.BetterHigher, metric: compare.Metrics[0], Changes: changes}
		s.Values = make([]Value, values)
		for i := range outliers {
			s.Outliers = append(s.Outliers, i)
		}
		return s
	}
	assert.Equal(t, results.VerdictPass, gate(series(3, 0), 5).Verdict, "3 runs without a change")
	v := gate(series(4, 2), 5)
	assert.Equal(t, results.VerdictInconclusive, v.Verdict, "4 runs less 2 outliers")
	assert.Equal(t, []string{"k Mpps: 2 run(s), fewer than 3"}, v.Undecided)

	drop := Change{Run: "n20", Before: 7.5, After: 6, Step: -20, StepUnit: "%", Direction: "regression", P: 1e-12, Runs: 3}
	assert.Equal(t, results.VerdictFail, gate(series(30, 0, drop), 5).Verdict, "3 runs of the new level are enough")
	young := drop
	young.Runs = 2
	v = gate(series(30, 0, young), 5)
	assert.Equal(t, results.VerdictInconclusive, v.Verdict)
	assert.Equal(t, []string{"k Mpps: a regression of -20.0% at n20, seen in 2 run(s) so far, fewer than 3"}, v.Undecided)
	weak := drop
	weak.P = Significance
	assert.Equal(t, results.VerdictPass, gate(series(30, 0, weak), 5).Verdict, "p = 0.05 is not significant")
	weak.P = Significance * 0.99
	assert.Equal(t, results.VerdictFail, gate(series(30, 0, weak), 5).Verdict)
	assert.Equal(t, results.VerdictPass, gate(series(30, 0, drop), 20.5).Verdict, "under the threshold")
	better := drop
	better.Direction, better.Before, better.After = "improvement", 6, 7.5
	assert.Equal(t, results.VerdictPass, gate(series(30, 0, better), 5).Verdict)
	// The newest change decides.
	assert.Equal(t, results.VerdictPass, gate(series(30, 0, drop, better), 5).Verdict)
	// A failure beats an undecided series.
	h := &History{Series: []*Series{series(2, 0), series(30, 0, drop)}}
	v = h.Gate(5)
	assert.Equal(t, results.VerdictFail, v.Verdict)
	assert.Len(t, v.Undecided, 1)
	assert.Equal(t, []string{"k Mpps: -20.0% at n20 (7.50 → 6.00 Mpps, p<1e-9)"}, v.Regressions)
}
