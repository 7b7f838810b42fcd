package compare

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

// res is a synthetic result: one trial per value of mpps, the other
// figures set by the options.
type res struct {
	prog, mode   string
	mpps         []float64 // Mpps per trial
	loss         []float64 // ratio per trial (nil: 0)
	cpu          []float64 // ns/pkt per trial (nil: 100)
	p50, p99     []float64 // ns per trial (nil: no latency)
	ndr, pdr     float64   // frames/s, confirmed (0: no search)
	unconfirmed  bool
	controlPlane bool
}

func mkResult(r res) results.Result {
	out := results.Result{Program: results.Program{Name: r.prog}, Mode: r.mode, ControlPlaneOnly: r.controlPlane}
	for i, v := range r.mpps {
		t := results.Trial{Index: i, Figures: results.Figures{ThroughputPPS: v * 1e6, CPUNsPerPkt: 100}}
		if r.loss != nil {
			t.Figures.Loss = r.loss[i]
		}
		if r.cpu != nil {
			t.Figures.CPUNsPerPkt = r.cpu[i]
		}
		if r.p50 != nil {
			t.Latency = &results.Latency{Count: 1000, P50Ns: r.p50[i], P99Ns: r.p99[i]}
		}
		out.Trials = append(out.Trials, t)
	}
	if r.ndr > 0 {
		out.NDR = &results.Throughput{Goal: "ndr", RatePPS: r.ndr, Confirmed: !r.unconfirmed}
		out.PDR = &results.Throughput{Goal: "pdr", RatePPS: r.pdr, Confirmed: !r.unconfirmed}
	}
	return out
}

func mkRun(kernel string, size int, rs ...res) *results.Run {
	run := &results.Run{Header: results.Header{Schema: results.SchemaName, SchemaVersion: results.SchemaVersion,
		Host: results.Host{Kernel: kernel}}, Config: results.Config{FrameSize: size, Flows: 1, Threads: 1, IPVersion: 4}}
	for _, r := range rs {
		run.Results = append(run.Results, mkResult(r))
	}
	return run
}

func in(label string, runs ...*results.Run) Input { return Input{Label: label, Runs: runs} }

func fill(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// spread is n values around v, ±1% in a fixed pattern, so that two
// samples of one spread are the same distribution.
func spread(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v * (1 + 0.01*float64(i%5-2)/2)
	}
	return out
}

func scale(vs []float64, f float64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v * f
	}
	return out
}

func gate(t *testing.T, o Options, inputs ...Input) (*Comparison, Gate) {
	t.Helper()
	if o.Threshold == 0 {
		o.Threshold = 5
	}
	c, err := Compare(inputs, o)
	require.NoError(t, err)
	// Every format writes without panicking, whatever the comparison.
	var b bytes.Buffer
	require.NoError(t, c.WriteText(&b))
	require.NoError(t, c.WriteMarkdown(&b))
	require.NoError(t, c.WriteCSV(&b))
	return c, c.Gate()
}

func regressed(g Gate, metric string) bool {
	for _, r := range g.Regressions {
		if len(r) > len(metric) && r[:len(metric)+1] == metric+" " {
			return true
		}
	}
	return false
}

func TestMinP(t *testing.T) {
	assert.InDelta(t, 0.1, MinP(3, 3), 1e-12, "2/C(6,3)")
	assert.InDelta(t, 2.0/70, MinP(4, 4), 1e-12)
	assert.InDelta(t, 2.0/45, MinP(2, 8), 1e-12)
	assert.InDelta(t, 2.0/36, MinP(2, 7), 1e-12)
	assert.Equal(t, 1.0, MinP(1, 1))
	assert.Equal(t, 1.0, MinP(0, 5))
	assert.Equal(t, 4, MinTrials(0.05))
	assert.Equal(t, 5, MinTrials(0.01))
	assert.Equal(t, 3, MinTrials(0.11))
}

func TestGateSameThingPasses(t *testing.T) {
	a := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)}, res{prog: "drop", mode: "generic", mpps: spread(5, 3)})
	b := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)}, res{prog: "drop", mode: "generic", mpps: spread(5, 3)})
	_, g := gate(t, Options{}, in("a", a), in("b", b))
	assert.Equal(t, GatePass, g.Verdict, g.Why)
	assert.Empty(t, g.Unpaired)
	assert.Equal(t, 2*3, g.Judged, "Mpps, loss and CPU of two rows")
}

// Each metric judged in its own direction.
func TestGateDirections(t *testing.T) {
	base := res{prog: "drop", mode: "native", mpps: spread(6, 10), cpu: spread(6, 100)}
	for _, c := range []struct {
		name   string
		mod    func(r *res)
		metric string
		want   bool
	}{
		{"Mpps down 10%", func(r *res) { r.mpps = scale(r.mpps, 0.9) }, "Mpps", true},
		{"Mpps up 10%", func(r *res) { r.mpps = scale(r.mpps, 1.1) }, "Mpps", false},
		{"Mpps down 3% under a 5% threshold", func(r *res) { r.mpps = scale(r.mpps, 0.97) }, "Mpps", false},
		{"CPU up 10%", func(r *res) { r.cpu = scale(r.cpu, 1.1) }, "cpu-ns/pkt", true},
		{"CPU down 10%", func(r *res) { r.cpu = scale(r.cpu, 0.9) }, "cpu-ns/pkt", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cand := base
			c.mod(&cand)
			_, g := gate(t, Options{}, in("a", mkRun("6.1", 64, base)), in("b", mkRun("6.1", 64, cand)))
			assert.Equal(t, c.want, regressed(g, c.metric), "%v", g.Regressions)
			if c.want {
				assert.Equal(t, GateRegression, g.Verdict)
				assert.Len(t, g.Regressions, 1, "only %s", c.metric)
			} else {
				assert.Equal(t, GatePass, g.Verdict, "%s %v", g.Why, g.Unpaired)
			}
		})
	}
}

// A change of exactly the threshold is a regression; just under it is not.
func TestGateThresholdInclusive(t *testing.T) {
	base := res{prog: "drop", mode: "native", mpps: fill(5, 10)}
	cand := res{prog: "drop", mode: "native", mpps: fill(5, 9)}
	a, b := in("a", mkRun("6.1", 64, base)), in("b", mkRun("6.1", 64, cand))
	_, g := gate(t, Options{Threshold: 10}, a, b)
	assert.True(t, regressed(g, "Mpps"), "10%% down at a 10%% threshold")
	_, g = gate(t, Options{Threshold: 10.01}, a, b)
	assert.False(t, regressed(g, "Mpps"))
	assert.Equal(t, GatePass, g.Verdict)
	c, _ := gate(t, Options{Threshold: 10}, a, b)
	cell := c.Tables[0].Rows[0].Cells[1]
	assert.InDelta(t, -10, cell.Delta, 1e-9)
	assert.Equal(t, "%", cell.DeltaUnit)
}

// Loss is judged in percentage points: from 50% to 52% is 2 points (4%
// relative); from 0 to 0.6% is 0.6 points (infinite relative).
func TestGateLossInPoints(t *testing.T) {
	run := func(loss float64) *results.Run {
		return mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: fill(5, 10), loss: fill(5, loss)})
	}
	c, g := gate(t, Options{Threshold: 3}, in("a", run(0.50)), in("b", run(0.52)))
	assert.False(t, regressed(g, "loss-%"), "2 points under a threshold of 3")
	cell := c.Tables[1].Rows[0].Cells[1]
	require.Equal(t, "loss-%", c.Tables[1].Metric.Name)
	assert.InDelta(t, 2, cell.Delta, 1e-9)
	assert.Equal(t, "pp", cell.DeltaUnit)
	_, g = gate(t, Options{Threshold: 1.5}, in("a", run(0.50)), in("b", run(0.52)))
	assert.True(t, regressed(g, "loss-%"), "2 points over a threshold of 1.5")
	_, g = gate(t, Options{Threshold: 0.5}, in("a", run(0)), in("b", run(0.006)))
	assert.True(t, regressed(g, "loss-%"), "0 to 0.6%%: 0.6 points")
	_, g = gate(t, Options{Threshold: 0.5}, in("a", run(0.006)), in("b", run(0)))
	assert.False(t, regressed(g, "loss-%"), "less loss is better")
	assert.Equal(t, GatePass, g.Verdict)
}

// Latency percentiles are told apart: p99 grew, p50 did not.
func TestGateLatencyPercentiles(t *testing.T) {
	base := res{prog: "tx", mode: "native", mpps: spread(5, 5), p50: spread(5, 8000), p99: spread(5, 15000)}
	cand := base
	cand.p99 = scale(base.p99, 1.2)
	_, g := gate(t, Options{}, in("a", mkRun("6.1", 64, base)), in("b", mkRun("6.1", 64, cand)))
	assert.True(t, regressed(g, "lat-p99-us"))
	assert.False(t, regressed(g, "lat-p50-us"))
	cand = base
	cand.p50 = scale(base.p50, 1.2)
	_, g = gate(t, Options{}, in("a", mkRun("6.1", 64, base)), in("b", mkRun("6.1", 64, cand)))
	assert.True(t, regressed(g, "lat-p50-us"))
	assert.False(t, regressed(g, "lat-p99-us"))
	// Latency in the baseline only: the candidate cannot answer it.
	plain := base
	plain.p50, plain.p99 = nil, nil
	_, g = gate(t, Options{}, in("a", mkRun("6.1", 64, base)), in("b", mkRun("6.1", 64, plain)))
	assert.Equal(t, GateInconclusive, g.Verdict)
	require.Len(t, g.Unpaired, 2, "p50 and p99")
}

// NDR and PDR are measured once per result: pooled over five runs per
// kernel they are judged, each on its own.
func TestGateNDRPDRPooled(t *testing.T) {
	var a, b []Input
	for i := range 5 {
		f := 1 + 0.005*float64(i)
		a = append(a, in("a", mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(4, 10), ndr: 8e6 * f, pdr: 9e6 * f})))
		b = append(b, in("b", mkRun("6.12", 64, res{prog: "drop", mode: "native", mpps: spread(4, 10), ndr: 8e6 * f, pdr: 8e6 * f})))
	}
	_, g := gate(t, Options{By: ByKernel}, append(a, b...)...)
	assert.True(t, regressed(g, "PDR-Mpps"), "PDR fell 11%%: %v", g.Regressions)
	assert.False(t, regressed(g, "NDR-Mpps"))
	// One run a side: shown, not tested, and no reason for inconclusive.
	_, g = gate(t, Options{}, a[0], b[0])
	assert.Equal(t, GatePass, g.Verdict, "%s %v", g.Why, g.Unpaired)
	assert.Len(t, g.Untested, 2)
	// An unconfirmed search has no rate to compare.
	u := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(4, 10), ndr: 9e6, pdr: 9e6, unconfirmed: true})
	c, _ := gate(t, Options{}, a[0], in("u", u))
	for _, tb := range c.Tables {
		if tb.Metric.Name == "NDR-Mpps" {
			assert.Nil(t, tb.Rows[0].Cells[1], "no value from an unconfirmed search")
		}
	}
}

func TestGateInconclusive(t *testing.T) {
	drop64 := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)})
	for _, c := range []struct {
		name   string
		inputs []Input
		why    string // in Gate.Why
		reason string // in the first unpaired row's reason
	}{
		{"the candidate holds no results", []Input{in("a", drop64), in("b", mkRun("6.1", 64))}, "could not be judged", "missing in b, which has no measured results"},
		{"the candidate file is no run at all", []Input{in("a", drop64), in("b")}, "could not be judged", "no measured results"},
		{"a different frame size", []Input{in("a", drop64), in("b", mkRun("6.1", 128, res{prog: "drop", mode: "native", mpps: spread(5, 10)}))},
			"could not be judged", "different configuration (size 64 -> 128)"},
		{"another mode only", []Input{in("a", drop64), in("b", mkRun("6.1", 64, res{prog: "drop", mode: "generic", mpps: spread(5, 10)}))},
			"could not be judged", "mode native -> generic"},
		{"three trials a side", []Input{in("a", mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(3, 10)})),
			in("b", mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(3, 5)}))}, "could not be judged", "too few trials: 3 in a and 3 in b; the Mann-Whitney U test needs at least 4 a side"},
		{"one file", []Input{in("a", drop64)}, "nothing to compare against: only a", ""},
		{"control plane only", []Input{in("a", mkRun("6.1", 64, res{prog: "drop", mode: "offload", controlPlane: true})), in("b", drop64)},
			"the baseline a has no measured results", ""},
		{"nothing measured anywhere", []Input{in("a", mkRun("6.1", 64, res{prog: "drop", mode: "offload", controlPlane: true}))}, "nothing to compare against", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, g := gate(t, Options{}, c.inputs...)
			assert.Equal(t, GateInconclusive, g.Verdict)
			assert.Contains(t, g.Why, c.why)
			if c.reason != "" {
				require.NotEmpty(t, g.Unpaired)
				assert.Contains(t, g.Unpaired[0].Reason, c.reason)
			}
		})
	}
	// A regression found stays a regression even where another row did
	// not pair.
	a := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)}, res{prog: "pass", mode: "native", mpps: spread(5, 2)})
	b := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 5)})
	_, g := gate(t, Options{}, in("a", a), in("b", b))
	assert.Equal(t, GateRegression, g.Verdict)
	assert.NotEmpty(t, g.Unpaired)
	// A row only the candidate has is no reason for doubt.
	b = mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)}, res{prog: "pass", mode: "native", mpps: spread(5, 2)}, res{prog: "tx", mode: "native", mpps: spread(5, 2)})
	_, g = gate(t, Options{}, in("a", a), in("b", b))
	assert.Equal(t, GatePass, g.Verdict, "%s %v", g.Why, g.Unpaired)
}

// By run, a kernel upgrade pairs rows across the kernel, with a note.
func TestGateAcrossKernels(t *testing.T) {
	a := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)})
	b := mkRun("6.12", 64, res{prog: "drop", mode: "native", mpps: spread(5, 8)})
	c, g := gate(t, Options{}, in("a", a), in("b", b))
	assert.Equal(t, GateRegression, g.Verdict)
	require.Len(t, c.Notes, 1)
	assert.Contains(t, c.Notes[0], "kernels differ: a ran on 6.1, b on 6.12")
	// By mode, native against generic of the same run.
	r := mkRun("6.1", 64, res{prog: "drop", mode: "generic", mpps: spread(5, 3)}, res{prog: "drop", mode: "native", mpps: spread(5, 10)})
	c, g = gate(t, Options{By: ByMode}, in("a", r))
	assert.Equal(t, []string{"generic", "native"}, c.Columns)
	assert.Equal(t, GatePass, g.Verdict, "native is faster: %v", g.Regressions)
}

func TestCompareRejectsOptions(t *testing.T) {
	a := in("a", mkRun("6.1", 64))
	for _, o := range []Options{{Alpha: 2}, {Alpha: -1}, {Threshold: -1}} {
		_, err := Compare([]Input{a}, o)
		assert.Error(t, err, "%+v", o)
	}
}

func TestWriteVerdict(t *testing.T) {
	a := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(3, 10)})
	c, _ := gate(t, Options{}, in("a", a), in("b", mkRun("6.1", 64)))
	var b bytes.Buffer
	require.NoError(t, c.WriteVerdict(&b))
	assert.Contains(t, b.String(), "verdict: INCONCLUSIVE")
	assert.Contains(t, b.String(), "Mpps prog=drop/mode=native/size=64 in b: missing in b")
	assert.NotContains(t, b.String(), "no regressions")
}

func TestMinPEdges(t *testing.T) {
	assert.InDelta(t, 1.0/3, MinP(1, 5), 1e-12)
	assert.Equal(t, 4, MinTrials(0.1), "0.1 itself is not below 0.1")
	c, _ := gate(t, Options{Alpha: 0.1}, in("a", mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(3, 10)})),
		in("b", mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(3, 10)})))
	assert.False(t, c.Tables[0].Rows[0].Cells[1].Reachable, "MinP(3,3) = 0.1 is not below alpha 0.1")
	_, err := Compare([]Input{in("a", mkRun("6.1", 64))}, Options{Alpha: 1})
	assert.Error(t, err)
}

func TestCompareLabelsAndOrder(t *testing.T) {
	r := mkRun("6.1", 64, res{prog: "tx", mode: "native", mpps: spread(4, 5)}, res{prog: "drop", mode: "native", mpps: spread(4, 10)})
	c, err := Compare([]Input{in("x", r), in("x", r), in("x", r)}, Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "x#2", "x#3"}, c.Columns)
	require.Len(t, c.Tables[0].Rows, 2)
	assert.Equal(t, "prog=drop/mode=native/size=64", c.Tables[0].Rows[0].Key.Name(), "rows sorted by name")
	assert.Equal(t, "prog=tx/mode=native/size=64", c.Tables[0].Rows[1].Key.Name())
}

// A key names the settings that pair and are not defaults, from
// results.Describe: the stream, and the work the program did.
func TestKeyName(t *testing.T) {
	name := func(c results.Config, work string) string {
		return KeyOf(&results.Run{Config: c}, &results.Result{Program: results.Program{Work: work}}).Name()
	}
	assert.Equal(t, "", name(results.Config{Protocol: "udp", IPVersion: 4, Flows: 1, Threads: 1}, "no-touch"))
	assert.Equal(t, "proto=tcp-syn/vlan=7/imix=64:7+1518:1/malformed-ppm=10000/rate=50%/pcap=x.pcap",
		name(results.Config{Protocol: "tcp-syn", VLAN: 7, IMIX: "64:7,1518:1", MalformedPPM: 10000, RatePercent: 50, RatePPS: 9, Pcap: "/tmp/x.pcap"}, ""))
	assert.Equal(t, "rate=250000", name(results.Config{RatePPS: 250000}, ""))
	assert.Equal(t, "ip=6/flows=16/threads=2/work=swap-macs", name(results.Config{IPVersion: 6, Flows: 16, Threads: 2, Trials: 9, Generator: "af-packet"}, "swap-macs"),
		"trials and the generator say how, not what: they do not pair")
	a := KeyOf(&results.Run{Config: results.Config{FrameSize: 64, Flows: 1}}, &results.Result{})
	b := KeyOf(&results.Run{Config: results.Config{FrameSize: 128, Flows: 16, VLAN: 7}}, &results.Result{})
	assert.Equal(t, []string{"size 64 -> 128", "flows 1 -> 16", "vlan none -> 7"}, a.diff(b))
}

// A trial whose latency sink counted nothing has no latency.
func TestLatencyWithoutFrames(t *testing.T) {
	r := mkRun("6.1", 64, res{prog: "tx", mode: "native", mpps: spread(4, 5), p50: spread(4, 8000), p99: spread(4, 9000)})
	for i := range r.Results[0].Trials {
		r.Results[0].Trials[i].Latency.Count = 0
	}
	c, _ := gate(t, Options{}, in("a", r), in("b", r))
	for _, tb := range c.Tables {
		if tb.Metric.Name == "lat-p50-us" {
			assert.Empty(t, tb.Rows)
		}
	}
}

// A threshold for a lower-is-better metric is relative: +5% CPU is under 6%.
func TestGateLowerBetterThreshold(t *testing.T) {
	base := res{prog: "drop", mode: "native", mpps: fill(5, 10), cpu: fill(5, 100)}
	cand := base
	cand.cpu = fill(5, 105)
	a, b := in("a", mkRun("6.1", 64, base)), in("b", mkRun("6.1", 64, cand))
	_, g := gate(t, Options{Threshold: 6}, a, b)
	assert.False(t, regressed(g, "cpu-ns/pkt"))
	_, g = gate(t, Options{Threshold: 5}, a, b)
	assert.True(t, regressed(g, "cpu-ns/pkt"))
}

// Pooled per-result figures with enough values a side must pair like any.
func TestGatePooledMissing(t *testing.T) {
	var inputs []Input
	for range 4 {
		inputs = append(inputs, in("a", mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(4, 10), ndr: 8e6, pdr: 9e6})))
	}
	for range 4 {
		inputs = append(inputs, in("b", mkRun("6.12", 64, res{prog: "drop", mode: "native", mpps: spread(4, 10)})))
	}
	_, g := gate(t, Options{By: ByKernel}, inputs...)
	assert.Equal(t, GateInconclusive, g.Verdict, "4 NDR values in the baseline, none in the candidate")
	require.Len(t, g.Unpaired, 2)
	assert.Equal(t, "NDR-Mpps", g.Unpaired[0].Metric)
}

// Three fields apart is still "a different configuration"; four is not.
func TestGateDifferentConfiguration(t *testing.T) {
	a := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)})
	b := mkRun("6.1", 128, res{prog: "drop", mode: "native", mpps: spread(5, 10)})
	b.Config.Flows, b.Config.Threads = 8, 2
	_, g := gate(t, Options{}, in("a", a), in("b", b))
	require.NotEmpty(t, g.Unpaired)
	assert.Contains(t, g.Unpaired[0].Reason, "different configuration (size 64 -> 128, flows 1 -> 8, threads 1 -> 2)")
	b.Config.IPVersion = 6
	_, g = gate(t, Options{}, in("a", a), in("b", b))
	assert.Equal(t, "missing in b", g.Unpaired[0].Reason)
}

func TestDeltaString(t *testing.T) {
	assert.Equal(t, "+1.00pp", deltaString(&Cell{Delta: 1, DeltaUnit: "pp"}))
	assert.Equal(t, "+0.5pp", deltaString(&Cell{Delta: 0.5, DeltaUnit: "pp"}))
	assert.Equal(t, "+0.00pp", deltaString(&Cell{Delta: 0, DeltaUnit: "pp"}))
	assert.Equal(t, "-12.50%", deltaString(&Cell{Delta: -12.5, DeltaUnit: "%"}))
	assert.Equal(t, "from 0", deltaString(&Cell{Delta: math.NaN(), DeltaUnit: "%"}))
}

// A row a candidate lacks keeps the markdown table's columns.
func TestMarkdownMissingCell(t *testing.T) {
	a := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)}, res{prog: "tx", mode: "native", mpps: spread(5, 5)})
	b := mkRun("6.1", 64, res{prog: "drop", mode: "native", mpps: spread(5, 10)})
	c, _ := gate(t, Options{}, in("a", a), in("b", b))
	var buf bytes.Buffer
	require.NoError(t, c.WriteMarkdown(&buf))
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(l, "| `prog=tx") {
			assert.Equal(t, 6, strings.Count(l, "|"), "%s", l)
		}
	}
	buf.Reset()
	require.NoError(t, c.WriteVerdict(&buf))
	assert.NotContains(t, buf.String(), "measured once per result")
}

func TestLoadKinds(t *testing.T) {
	_, sk, err := Load([]string{"../../internal/probe/testdata/probe-virtio_net.json"})
	assert.ErrorContains(t, err, "a probe report (xdplab.probe) holds no measurements")
	require.Len(t, sk, 1)
	inputs, sk, err := Load([]string{fixtures[0], "../../internal/probe/testdata/probe-virtio_net.json"})
	require.NoError(t, err)
	assert.Len(t, inputs, 1)
	assert.Len(t, sk, 1)
	inputs, _, err = Load([]string{"../testdata"})
	require.NoError(t, err)
	assert.Len(t, inputs, 4, "the directory's four results files")
	assert.Equal(t, "run-a-k6.18", inputs[0].Label)
}

// A key holds every setting that pairs, however many a run has: none is
// cut off, so two results never pair for a setting the key dropped.
func TestKeyHoldsEveryPairingSetting(t *testing.T) {
	c := results.Config{FrameSize: 128, IPVersion: 6, Flows: 16, Threads: 2, Protocol: "tcp-syn", VLAN: 7, IMIX: "64:7,1518:1",
		MalformedPPM: 10, RatePercent: 50, Pcap: "x.pcap", MapEntries: map[string]uint32{"m": 4}}
	res := &results.Result{Program: results.Program{Name: "tx", Work: "swap-macs"}, Mode: "native"}
	var pairing []string
	for _, kv := range results.Describe(c, res) {
		if kv.Pairs && kv.Key != "prog" && kv.Key != "mode" && kv.Key != "size" {
			pairing = append(pairing, kv.Key)
		}
	}
	k := KeyOf(&results.Run{Config: c}, res)
	var held []string
	for _, kv := range k.Settings.list() {
		held = append(held, kv.Key)
	}
	assert.Equal(t, pairing, held)
	assert.Less(t, len(pairing), len(k.Settings), "room for more")
}
