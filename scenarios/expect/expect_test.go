package expect

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

// r is a synthetic result: mpps median, loss ratio, and per trial the
// frames offered and counted by action.
type r struct {
	prog, mode string
	mpps, loss float64
	offered    uint64
	actions    map[string]uint64
	counted    bool
	expected   string
	p50, p99   float64
	workload   *results.Workload
	cpOnly     bool
}

func mk(x r) results.Result {
	out := results.Result{Program: results.Program{Name: x.prog, Counted: x.counted, Expected: x.expected}, Mode: x.mode, ControlPlaneOnly: x.cpOnly, Workload: x.workload}
	if x.cpOnly {
		return out
	}
	out.Summary.ThroughputPPS = results.Stat{Median: x.mpps * 1e6, N: 1}
	out.Summary.Loss = results.Stat{Median: x.loss, N: 1}
	prog := map[string]results.Counter{}
	for a, n := range x.actions {
		prog[a] = results.Counter{Packets: n}
	}
	t := results.Trial{Raw: results.Raw{Generator: results.Counter{Packets: x.offered}, Program: prog}}
	if x.p50 > 0 {
		t.Latency = &results.Latency{Count: 100, P50Ns: x.p50, P90Ns: (x.p50 + x.p99) / 2, P99Ns: x.p99}
	}
	out.Trials = []results.Trial{t}
	return out
}

func runOf(flows int, rs ...r) *results.Run {
	run := &results.Run{Config: results.Config{FrameSize: 64, Flows: flows}}
	for _, x := range rs {
		run.Results = append(run.Results, mk(x))
	}
	return run
}

func check(t *testing.T, expr string, runs ...*results.Run) []Verdict {
	t.Helper()
	e, err := Parse(expr)
	require.NoError(t, err, expr)
	return Check([]Expectation{e}, runs)
}

func results1(vs []Verdict) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Result)
		if (v.Result == Pass) != v.Pass {
			out = append(out, "Pass disagrees with Result")
		}
	}
	return out
}

// The fixtures lose more than 0.1% (the generator did not set their
// rates) but passN and the loss checks of TestCheckOperators:
// TestCheckLowerBound judges rates the generator set.
var (
	dropN = r{prog: "drop", mode: "native", mpps: 10, loss: 0.0011, offered: 1000, actions: map[string]uint64{"drop": 999}, counted: true, expected: "drop", p50: 8000, p99: 15000}
	dropG = r{prog: "drop", mode: "generic", mpps: 4, loss: 0.01, offered: 1000, actions: map[string]uint64{"drop": 990}, counted: true, expected: "drop"}
	passN = r{prog: "pass", mode: "native", mpps: 2, loss: 0, offered: 1000, actions: map[string]uint64{"pass": 1000}, counted: true, expected: "pass"}
)

func TestCheckOperators(t *testing.T) {
	run := runOf(1, dropN)
	for _, c := range []struct {
		expr string
		want string
	}{
		{"mpps >= 10", Pass}, {"mpps >= 10.01", Fail},
		{"mpps > 10", Fail}, {"mpps > 9.99", Pass},
		{"mpps <= 10", Pass}, {"mpps <= 9.99", Fail},
		{"mpps < 10", Fail}, {"mpps < 10.01", Pass},
		{"mpps == 10", Pass}, {"mpps == 9", Fail},
		{"loss <= 0.11%", Pass}, {"loss <= 0.109%", Fail}, {"loss < 0.11%", Fail},
		{"drop >= 99.9%", Pass}, {"drop >= 99.91%", Fail}, {"drop == 99.9%", Pass},
		{"p50 <= 8us", Pass}, {"p50 < 8us", Fail}, {"p99 <= 15us", Pass}, {"p99 <= 14.9us", Fail},
		{"p99 <= 15000ns", Pass}, {"p99 <= 0.014ms", Fail}, {"p90 <= 11.5us", Pass}, {"p90 <= 11.4us", Fail},
	} {
		assert.Equal(t, []string{c.want}, results1(check(t, c.expr, run)), c.expr)
	}
}

// A mode against another: the ratio of the medians, the right way round.
func TestCheckModeRatio(t *testing.T) {
	run := runOf(1, dropN, dropG) // 10 / 4 = 2.5x
	for expr, want := range map[string]string{
		"native >= 2.5x generic": Pass, "native >= 2.6x generic": Fail, "native > 2x generic": Pass,
		"generic >= 2x native": Fail, "generic <= 0.4x native": Pass, "generic < 0.39x native": Fail,
		"native[drop] >= 2x generic": Pass, "native[pass] >= 2x generic": Inconclusive,
	} {
		vs := check(t, expr, run)
		require.Len(t, vs, 1, expr)
		assert.Equal(t, want, vs[0].Result, "%s: %s", expr, vs[0].Got)
	}
	vs := check(t, "native >= 2x generic", runOf(1, dropN))
	assert.Equal(t, []string{Inconclusive}, results1(vs), "no generic result")
	assert.Contains(t, vs[0].Got, "no generic result")
	zero := dropG
	zero.mpps = 0
	vs = check(t, "native >= 2x generic", runOf(1, dropN, zero))
	assert.Equal(t, []string{Inconclusive}, results1(vs), "no ratio to 0")
	silent := dropG
	silent.offered = 0
	vs = check(t, "native >= 2x generic", runOf(1, dropN, silent))
	assert.Equal(t, []string{Inconclusive}, results1(vs), "the generator sent nothing")
}

// Scopes: a mode or a program narrows the results an expectation judges.
func TestCheckScopes(t *testing.T) {
	run := runOf(1, dropN, dropG, passN)
	assert.Equal(t, []string{Pass, Pass, Fail, Pass}, results1(check(t, "mpps >= 2", runOf(1, dropN, dropG), runOf(1, r{prog: "pass", mode: "native", mpps: 1, loss: 0.5, offered: 1, counted: true}, passN))))
	vs := check(t, "mpps[native] >= 2", run)
	require.Len(t, vs, 2)
	for _, v := range vs {
		assert.Equal(t, "native", v.Mode)
	}
	vs = check(t, "mpps[drop] >= 5", run)
	require.Len(t, vs, 2)
	assert.Equal(t, []string{Pass, Fail}, results1(vs))
	for _, v := range vs {
		assert.Equal(t, "drop", v.Program)
	}
	// An action judges only the built-in whose action it is.
	vs = check(t, "pass >= 99%", run)
	require.Len(t, vs, 1)
	assert.Equal(t, "pass", vs[0].Program)
	assert.Equal(t, Pass, vs[0].Result)
	// A scope that matches nothing is inconclusive, never a pass.
	for _, expr := range []string{"mpps[offload] >= 1", "mpps[l4lb] >= 1", "redirect >= 99%"} {
		vs = check(t, expr, run)
		assert.Equal(t, []string{Inconclusive}, results1(vs), expr)
		assert.Contains(t, vs[0].Got, "applies to no measured result")
	}
	// Control-plane-only results are no measurement.
	vs = check(t, "mpps >= 0", runOf(1, r{prog: "drop", mode: "offload", cpOnly: true}))
	assert.Equal(t, []string{Inconclusive}, results1(vs))
}

// Nothing measured decides nothing.
func TestCheckNothingOffered(t *testing.T) {
	silent := dropN
	silent.offered, silent.loss, silent.mpps, silent.actions = 0, 0, 0, nil
	for _, expr := range []string{"loss <= 0.1%", "mpps >= 0", "drop >= 0%", "mpps <= 1"} {
		vs := check(t, expr, runOf(1, silent))
		assert.Equal(t, []string{Inconclusive}, results1(vs), expr)
	}
	over := dropN
	over.actions = map[string]uint64{"drop": 1001}
	vs := check(t, "drop >= 100%", runOf(1, over))
	assert.Equal(t, []string{Pass}, results1(vs), "one foreign frame: all offered were dropped")
	assert.Contains(t, vs[0].Got, "100.000% of offered (1 frames more than offered")
	vs = check(t, "drop <= 99.9%", runOf(1, over))
	assert.Equal(t, []string{Fail}, results1(vs), "never above 100%")
	over.actions = map[string]uint64{"drop": 1011}
	vs = check(t, "drop >= 99%", runOf(1, over))
	assert.Equal(t, []string{Inconclusive}, results1(vs), "more counted than offered beyond the agreement")
	user := dropN
	user.counted, user.expected = false, ""
	vs = check(t, "drop >= 99%", runOf(1, user))
	assert.Equal(t, []string{Inconclusive}, results1(vs), "no counters")
	noLat := dropG
	vs = check(t, "p99[generic] <= 1ms", runOf(1, noLat))
	assert.Equal(t, []string{Inconclusive}, results1(vs))
}

func TestCheckWorkloads(t *testing.T) {
	fs := r{prog: "flowstats", mode: "native", mpps: 1, offered: 10, counted: true, workload: &results.Workload{Flows: &results.FlowFigures{Count: 1024}}}
	assert.Equal(t, []string{Pass}, results1(check(t, "flows == sent", runOf(1024, fs))))
	assert.Equal(t, []string{Fail}, results1(check(t, "flows == sent", runOf(1023, fs))))
	assert.Equal(t, []string{Pass}, results1(check(t, "flows >= 1000", runOf(1, fs))))
	assert.Equal(t, []string{Fail}, results1(check(t, "flows > 1024", runOf(1, fs))))
	lb := r{prog: "l4lb", mode: "native", mpps: 1, offered: 10, counted: true, workload: &results.Workload{LB: &results.LBFigures{Spread: 0.04, Verified: 0.9995}}}
	assert.Equal(t, []string{Pass}, results1(check(t, "spread <= 4%", runOf(1, lb))))
	assert.Equal(t, []string{Fail}, results1(check(t, "spread <= 3.9%", runOf(1, lb))))
	assert.Equal(t, []string{Pass}, results1(check(t, "verified >= 99.95%", runOf(1, lb))))
	assert.Equal(t, []string{Fail}, results1(check(t, "verified >= 99.96%", runOf(1, lb))))
	rl := r{prog: "ratelimit", mode: "native", mpps: 1, offered: 10, counted: true, workload: &results.Workload{RateLimit: &results.RateLimitFigures{Share: 0.97}}}
	assert.Equal(t, []string{Pass}, results1(check(t, "limit >= 97%", runOf(1, rl))))
	assert.Equal(t, []string{Fail}, results1(check(t, "limit >= 97.1%", runOf(1, rl))))
	assert.Equal(t, []string{Fail}, results1(check(t, "limit <= 96%", runOf(1, rl))))
	// A workload's subject on a result without that workload.
	for _, expr := range []string{"flows == sent", "spread <= 5%", "verified >= 99%", "limit >= 95%"} {
		assert.Equal(t, []string{Inconclusive}, results1(check(t, expr, runOf(1, dropN))), expr)
	}
}

func TestOutcome(t *testing.T) {
	assert.Equal(t, Inconclusive, Outcome(nil))
	assert.Equal(t, Pass, Outcome([]Verdict{{Result: Pass}, {Result: Pass}}))
	assert.Equal(t, Inconclusive, Outcome([]Verdict{{Result: Pass}, {Result: Inconclusive}}))
	assert.Equal(t, Fail, Outcome([]Verdict{{Result: Inconclusive}, {Result: Fail}, {Result: Pass}}))
	assert.Equal(t, Fail, Outcome([]Verdict{{Result: Pass}, {}}), "no result is no pass")
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{
		"drop >= 99.9", "loss <= 1", "drop >= 101%", "mpps >= 1%", "mpps >= 2x generic", "native >= 2",
		"native[native] >= 2x generic", "native >= 2x drop", "p99 <= 200", "mpps <= 2us", "flows == 10%",
		"spread <= 5", "verified >= 99", "limit >= 95", "nonsense >= 1", "drop >= sent", "flows == sent%", "",
	} {
		_, err := Parse(s)
		assert.Error(t, err, "%q", s)
	}
	e, err := Parse("native[drop] >= 2x generic")
	require.NoError(t, err)
	assert.Equal(t, Expectation{Text: "native[drop] >= 2x generic", Subject: "native", Program: "drop", Op: ">=", Value: 2, Against: "generic"}, e)
	e, err = Parse("p99[native] <= 200us")
	require.NoError(t, err)
	assert.Equal(t, 200e3, e.Value)
	assert.Equal(t, "native", e.Mode)
	assert.Equal(t, "us", e.Unit)
	e, err = Parse("flows == sent")
	require.NoError(t, err)
	assert.True(t, e.Sent)
	e, err = Parse("LOSS <= 0.5%")
	require.NoError(t, err)
	assert.True(t, e.Percent)
	assert.Equal(t, 0.5, e.Value)
}

// What a verdict says it got: the figures it was decided from.
func TestCheckGot(t *testing.T) {
	vs := check(t, "native >= 2x generic", runOf(1, dropN, dropG))
	require.Len(t, vs, 1)
	assert.Equal(t, "2.50x (10.000 vs 4.000 Mpps)", vs[0].Got)
	vs = check(t, "p99[native] <= 1ms", runOf(1, dropN))
	assert.Equal(t, "15.0 us", vs[0].Got)
	vs = check(t, "drop >= 99%", runOf(1, dropN))
	assert.Equal(t, "99.900% of offered", vs[0].Got)
	exact := dropN
	exact.actions = map[string]uint64{"drop": 1000}
	vs = check(t, "drop >= 100%", runOf(1, exact))
	assert.Equal(t, "100.000% of offered", vs[0].Got, "exactly all is no surplus")
	edge := dropN
	edge.actions = map[string]uint64{"drop": 1010}
	vs = check(t, "drop >= 100%", runOf(1, edge))
	assert.Equal(t, Pass, vs[0].Result, "a surplus of exactly the agreement (1%%) is capped, not undecided")
	assert.Contains(t, vs[0].Got, "(10 frames more than offered")
	// A trial whose sink counted no stamped frame has no latency.
	noCount := dropN
	run := runOf(1, noCount)
	run.Results[0].Trials[0].Latency.Count = 0
	vs = check(t, "p99 <= 1ms", run)
	assert.Equal(t, []string{Inconclusive}, results1(vs))
}

func TestParseMessages(t *testing.T) {
	_, err := Parse("nonsense >= 1")
	assert.ErrorContains(t, err, `unknown subject "nonsense"`)
	_, err = Parse("p99 <= 200")
	assert.ErrorContains(t, err, "p99 is a latency: give it with ns, us or ms")
	e, err := Parse("mpps >= 1")
	require.NoError(t, err)
	assert.Empty(t, e.Mode)
	assert.Empty(t, e.Program)
}

// Parse answers every string with an expectation or an error, and Check
// judges what Parse accepts without a panic and never passes on nothing.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"drop >= 99.9%", "native[drop] >= 2x generic", "p99[native] <= 200us", "flows == sent", "loss < 0.1%", "mpps[l4lb] > 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		vs := Check([]Expectation{e}, nil)
		if len(vs) != 1 || vs[0].Result != Inconclusive {
			t.Fatalf("%q on no results: %+v", s, vs)
		}
		vs = Check([]Expectation{e}, []*results.Run{runOf(1, dropN, dropG, passN)})
		for _, v := range vs {
			if v.Result != Pass && v.Result != Fail && v.Result != Inconclusive {
				t.Fatalf("%q: result %q", s, v.Result)
			}
		}
	})
}

// An action's share is the median over trials of each trial's share, as
// loss and latency are: one trial a noisy host cut short does not decide,
// two do; a trial that offered nothing is no trial.
func TestCheckShareMedianOfTrials(t *testing.T) {
	trial := func(i int, offered, dropped uint64) results.Trial {
		return results.Trial{Index: i, Raw: results.Raw{Generator: results.Counter{Packets: offered}, Program: map[string]results.Counter{"drop": {Packets: dropped}}}}
	}
	res := mk(dropN)
	res.Trials = []results.Trial{trial(0, 1000, 999), trial(1, 1000, 850), trial(2, 2000, 1999), trial(3, 0, 0)}
	run := &results.Run{Config: results.Config{FrameSize: 64, Flows: 1}, Results: []results.Result{res}}
	vs := check(t, "drop >= 99.9%", run)
	require.Len(t, vs, 1)
	assert.Equal(t, Pass, vs[0].Result, "pooled it would be 96.2%%: one trial does not decide")
	assert.Equal(t, "99.900% of offered (median of 3 trials, 85.000% to 99.950%)", vs[0].Got)

	res.Trials[2] = trial(2, 2000, 1900)
	vs = check(t, "drop >= 99.9%", run)
	assert.Equal(t, Fail, vs[0].Result, "two of three trials short")
	assert.Equal(t, "95.000% of offered (median of 3 trials, 85.000% to 99.900%)", vs[0].Got)

	res.Trials[1] = trial(1, 1000, 1011)
	vs = check(t, "drop >= 90%", run)
	assert.Equal(t, Inconclusive, vs[0].Result, "one trial's counters disagree beyond the agreement")
	assert.Contains(t, vs[0].Got, "in trial 1")

	res.Trials[1] = trial(1, 1000, 1005)
	vs = check(t, "drop >= 99.9%", run)
	assert.Equal(t, Pass, vs[0].Result)
	assert.Equal(t, "99.900% of offered (median of 3 trials, 95.000% to 100.000%) (5 frames more than offered, not the generator's: flagged seen-exceeds-offered)", vs[0].Got)
}

// A rate the generator set (unpaced, the DUT took every frame) is only a
// lower bound of the DUT's: it passes an "at least" and fails an "at
// most", and leaves the rest open, saying why; a ratio is bounded from
// the side whose rate is a bound, and from neither when both are.
func TestCheckLowerBound(t *testing.T) {
	bound := passN // loss 0, 2 Mpps
	bound.prog, bound.expected, bound.actions = "drop", "drop", map[string]uint64{"drop": 1000}
	run := runOf(1, bound)
	for expr, want := range map[string]string{
		"mpps >= 2": Pass, "mpps > 1.9": Pass, "mpps >= 2.1": Inconclusive,
		"mpps <= 1.9": Fail, "mpps < 2": Fail, "mpps <= 2": Inconclusive,
		"mpps == 1.5": Fail, "mpps == 2": Inconclusive, "mpps == 3": Inconclusive,
	} {
		vs := check(t, expr, run)
		require.Len(t, vs, 1, expr)
		assert.Equal(t, want, vs[0].Result, "%s: %s", expr, vs[0].Got)
		assert.Contains(t, vs[0].Got, "a lower bound", expr)
	}
	vs := check(t, "mpps >= 2.1", run)
	assert.Contains(t, vs[0].Got, "the DUT took every frame the  generator sent as fast as it could (loss 0.000%)")
	// At 0.1% loss still a bound; past it, not.
	edge := bound
	edge.loss = 0.001
	assert.Equal(t, []string{Inconclusive}, results1(check(t, "mpps >= 2.1", runOf(1, edge))))
	edge.loss = 0.0011
	assert.Equal(t, []string{Fail}, results1(check(t, "mpps >= 2.1", runOf(1, edge))))
	// A paced run's rate is the one asked for, not a bound.
	for _, pace := range []func(*results.Run){func(r *results.Run) { r.Config.RatePPS = 1000 }, func(r *results.Run) { r.Config.RatePercent = 50 }} {
		paced := runOf(1, bound)
		pace(paced)
		assert.Equal(t, []string{Fail}, results1(check(t, "mpps >= 2.1", paced)))
	}

	nb, gb := dropN, dropG // 10 and 4 Mpps
	nb.loss, gb.loss = 0, 0
	for _, c := range []struct {
		native, generic r
		expr, want, why string
	}{
		{nb, dropG, "native >= 2.5x generic", Pass, ""},
		{nb, dropG, "native >= 2.6x generic", Inconclusive, "the native rate is a lower bound"},
		{nb, dropG, "native <= 2x generic", Fail, ""},
		{dropN, gb, "native >= 2.6x generic", Fail, ""},
		{dropN, gb, "native >= 2.5x generic", Inconclusive, "the generic rate is a lower bound"},
		{dropN, gb, "native <= 2.5x generic", Pass, ""},
		{nb, gb, "native >= 2x generic", Inconclusive, "both rates are lower bounds"},
		{nb, gb, "native >= 3x generic", Inconclusive, "both rates are lower bounds"},
	} {
		vs := check(t, c.expr, runOf(1, c.native, c.generic))
		require.Len(t, vs, 1, c.expr)
		assert.Equal(t, c.want, vs[0].Result, "%s: %s", c.expr, vs[0].Got)
		if c.why != "" {
			assert.Contains(t, vs[0].Got, c.why, c.expr)
		}
	}
}

// decides: a verdict on a bound stands only where every value the truth
// may take beyond it gives the same verdict.
func TestDecides(t *testing.T) {
	for _, c := range []struct {
		op        string
		got, want float64
		dir       int
		decided   bool
	}{
		{">=", 5, 4, 0, true}, {">=", 3, 4, 0, true},
		{">=", 5, 4, 1, true}, {">=", 3, 4, 1, false}, {">=", 5, 4, -1, false}, {">=", 3, 4, -1, true},
		{">", 4, 4, 1, false}, {">", 4, 4, -1, true},
		{"<=", 5, 4, 1, true}, {"<=", 3, 4, 1, false}, {"<=", 5, 4, -1, false}, {"<=", 3, 4, -1, true},
		{"<", 4, 4, 1, true}, {"<", 4, 4, -1, false},
		{"==", 5, 4, 1, true}, {"==", 3, 4, 1, false}, {"==", 4, 4, 1, false},
		{"==", 3, 4, -1, true}, {"==", 5, 4, -1, false}, {"==", 4, 4, -1, false},
	} {
		assert.Equal(t, c.decided, decides(c.op, c.got, c.want, c.dir), "%v", c)
	}
}
