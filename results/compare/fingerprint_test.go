package compare

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

func u64(v uint64) *uint64 { return &v }

// fp is a fingerprint with the given verifier and JIT figures.
func fp(verified, jit uint64) *results.Fingerprint {
	return &results.Fingerprint{VerifiedInsns: u64(verified), TotalStates: u64(2), PeakStates: u64(2), StackDepth: u64(8),
		XlatedInsns: u64(35), JITBytes: u64(jit), VerifyTimeUS: u64(100 + verified)}
}

// fpRun is one run whose results carry fingerprints: drop in generic
// and native mode with 10 trials, and offload control plane only.
func fpRun(kernel string, generic, native, offload *results.Fingerprint) *results.Run {
	run := mkRun(kernel, 64, res{prog: "drop", mode: "generic", mpps: spread(10, 2)}, res{prog: "drop", mode: "native", mpps: spread(10, 7)},
		res{prog: "drop", mode: "offload", controlPlane: true})
	run.Results[0].Fingerprint, run.Results[1].Fingerprint, run.Results[2].Fingerprint = generic, native, offload
	return run
}

func cellOf(t *testing.T, c *Comparison, metric, row string, col int) *Cell {
	t.Helper()
	for _, tb := range c.Tables {
		if tb.Metric.Name != metric {
			continue
		}
		for _, r := range tb.Rows {
			if r.Key.Name() == row {
				return r.Cells[col]
			}
		}
	}
	require.Failf(t, "no row", "%s %s", metric, row)
	return nil
}

// Equal fingerprints pass with no statistics: one value a side is enough,
// and the offload control plane's fingerprint is judged too.
func TestGateExactEqual(t *testing.T) {
	c, g := gate(t, Options{By: ByKernel},
		in("a", fpRun("6.1", fp(28, 172), fp(28, 172), fp(30, 0))), in("b", fpRun("6.12", fp(28, 172), fp(28, 172), fp(30, 0))))
	assert.Equal(t, GatePass, g.Verdict, g.Why)
	cell := cellOf(t, c, "verified-insns", "prog=drop/mode=offload/size=64", 1)
	require.NotNil(t, cell)
	assert.True(t, cell.Compared)
	assert.True(t, cell.Reachable)
	assert.False(t, cell.Significant)
	assert.Equal(t, "=", c.delta(cell0Metric(c, "verified-insns"), cell))
	var b bytes.Buffer
	require.NoError(t, c.WriteText(&b))
	assert.Regexp(t, `prog=drop/mode=offload/size=64\s+30\s+30\s+=\s+exact n=1`, b.String(), "exact counts as integers")
	for _, u := range g.Untested {
		assert.NotContains(t, u, "verified-insns", "an exact figure is judged, not untested")
	}
}

func cell0Metric(c *Comparison, name string) Metric {
	for _, t := range c.Tables {
		if t.Metric.Name == name {
			return t.Metric
		}
	}
	return Metric{}
}

// Any growth of the verifier's work or the image is a regression at a 0
// threshold; under the threshold it is a change, not a regression; a
// shrink is never one. The verification time is not judged.
func TestGateExactGrowth(t *testing.T) {
	base := in("a", fpRun("6.1", fp(100, 200), fp(100, 200), nil))
	grown := in("b", fpRun("6.12", fp(104, 200), fp(100, 260), nil))
	c, g := gate(t, Options{By: ByKernel, Threshold: 5}, base, grown)
	assert.Equal(t, GateRegression, g.Verdict)
	assert.True(t, regressed(g, "jit-bytes"), g.Regressions)
	assert.False(t, regressed(g, "verified-insns"), "4% is under the 5% threshold")
	cell := cellOf(t, c, "verified-insns", "prog=drop/mode=generic/size=64", 1)
	assert.True(t, cell.Significant, "any change of an exact figure is a finding")
	assert.InDelta(t, 4, cell.Delta, 1e-9)
	for _, tb := range c.Tables {
		assert.NotEqual(t, "verify-time-us", tb.Metric.Name)
	}

	_, g = gate(t, Options{By: ByKernel, Threshold: 3}, base, grown)
	assert.True(t, regressed(g, "verified-insns"))

	_, g = gate(t, Options{By: ByKernel}, grown, base)
	assert.False(t, regressed(g, "jit-bytes"), "smaller is better")
	assert.False(t, regressed(g, "verified-insns"))
}

// Loads of one column that do not repeat cannot be judged exactly.
func TestGateExactVaries(t *testing.T) {
	a := in("a", fpRun("6.1", fp(100, 200), fp(100, 200), nil), fpRun("6.1", fp(120, 200), fp(100, 200), nil))
	b := in("b", fpRun("6.12", fp(100, 200), fp(100, 200), nil))
	c, g := gate(t, Options{By: ByKernel}, a, b)
	assert.Equal(t, GateInconclusive, g.Verdict)
	var reasons []string
	for _, u := range g.Unpaired {
		reasons = append(reasons, u.String())
	}
	assert.Contains(t, reasons, "verified-insns prog=drop/mode=generic/size=64 in 6.12: not exact: the loads in 6.1 or 6.12 do not repeat (not exact: the loads give 100 to 120)")
	cell := cellOf(t, c, "verified-insns", "prog=drop/mode=generic/size=64", 0)
	assert.True(t, cell.Varies)
	cell = cellOf(t, c, "jit-bytes", "prog=drop/mode=generic/size=64", 1)
	assert.False(t, cell.Varies)
	assert.True(t, cell.Reachable)
}

// A fingerprint missing on one side (an older file, a figure the kernel
// did not report) leaves that row unjudged: never a pass on nothing.
func TestGateExactMissing(t *testing.T) {
	old := fp(100, 200)
	old.JITBytes = nil
	_, g := gate(t, Options{By: ByKernel}, in("a", fpRun("6.1", fp(100, 200), fp(100, 200), nil)), in("b", fpRun("6.12", old, fp(100, 200), nil)))
	assert.Equal(t, GateInconclusive, g.Verdict)
	require.NotEmpty(t, g.Unpaired)
	assert.Equal(t, "jit-bytes", g.Unpaired[0].Metric)
}

// Inspections (xdplab inspect --json) compare as runs of fingerprints: a
// pre-commit gate on the verifier's work and the image; an equivalence
// check beside them is skipped, said so.
func TestGateInspections(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, jit uint64) string {
		in := &results.Inspection{Header: results.Header{Schema: results.InspectionSchema, SchemaVersion: results.InspectionSchemaVersion,
			Host: results.Host{Kernel: "6.18"}}, Modes: []string{"generic", "native"}}
		for _, m := range in.Modes {
			in.Programs = append(in.Programs, results.Inspected{Program: results.Program{Name: "drop"}, Mode: m, AttachMethod: "bpf_link", AttachedMode: m, Fingerprint: fp(28, jit)})
		}
		p := filepath.Join(dir, name)
		require.NoError(t, results.WriteJSON(p, in))
		return p
	}
	eq := filepath.Join(dir, "equiv.json")
	require.NoError(t, results.WriteJSON(eq, &results.Equivalence{Header: results.Header{Schema: results.EquivalenceSchema, SchemaVersion: 1}}))
	base, same, grown := write("before.json", 172), write("same.json", 172), write("after.json", 200)

	in, skipped, err := Load([]string{base, same, eq})
	require.NoError(t, err)
	require.Len(t, skipped, 1)
	assert.Contains(t, skipped[0].Why, "an equivalence check")
	_, g := gate(t, Options{}, in...)
	assert.Equal(t, GatePass, g.Verdict, g.Why)

	in, _, err = Load([]string{base, grown})
	require.NoError(t, err)
	_, g = gate(t, Options{}, in...)
	assert.Equal(t, GateRegression, g.Verdict)
	assert.True(t, regressed(g, "jit-bytes"), g.Regressions)
}

// From a figure of 0 (a program without stack) any growth is a
// regression, shown as from 0; 0 against 0 is equal, a change of 0%.
func TestGateExactFromZero(t *testing.T) {
	none, some := fp(28, 172), fp(28, 172)
	none.StackDepth, some.StackDepth = u64(0), u64(8)
	c, g := gate(t, Options{By: ByKernel}, in("a", fpRun("6.1", none, none, nil)), in("b", fpRun("6.12", some, none, nil)))
	assert.True(t, regressed(g, "stack-depth"), g.Regressions)
	cell := cellOf(t, c, "stack-depth", "prog=drop/mode=generic/size=64", 1)
	assert.True(t, math.IsNaN(cell.Delta))
	assert.Equal(t, "from 0", deltaString(cell))
	cell = cellOf(t, c, "stack-depth", "prog=drop/mode=native/size=64", 1)
	assert.False(t, cell.Significant)
	assert.Equal(t, 0.0, cell.Delta)
	assert.Equal(t, "=", c.delta(cell0Metric(c, "stack-depth"), cell))

	_, g = gate(t, Options{By: ByKernel}, in("a", fpRun("6.1", some, some, nil)), in("b", fpRun("6.12", none, some, nil)))
	assert.False(t, regressed(g, "stack-depth"), "down to 0 is better")
}
