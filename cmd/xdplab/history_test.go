package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results/history/historytest"
)

const nightTemplate = "../../results/history/testdata/night.json"

// The history: 30 nights, a 20% drop at night 20: the gate exits
// 3; the same nights without the drop exit 0; two nights are too few (6).
func TestHistoryGate(t *testing.T) {
	step := t.TempDir()
	historytest.Nightly(t, nightTemplate, step, 30, 1, historytest.Step(20, 7.5e6, 6.0e6), nil)
	stdout, stderr, err := xdplab(t, context.Background(), "history", step, "--metric", "Mpps", "--fail-on-regression", "--threshold", "5%")
	require.Error(t, err)
	assert.Equal(t, exitRegression, exitStatus(err), "%v", err)
	assert.Contains(t, stdout, "change: 7.50 → 6.00 Mpps (-20.1%, regression, p<1e-9) at night-20")
	assert.Contains(t, stderr, "regression: prog=drop/mode=native/size=64 Mpps: -20.1% at night-20 (7.50 → 6.00 Mpps, p<1e-9)")

	flat := t.TempDir()
	historytest.Nightly(t, nightTemplate, flat, 30, 1, historytest.Step(99, 7.5e6, 7.5e6), nil)
	_, stderr, err = xdplab(t, context.Background(), "history", flat, "--metric", "Mpps", "--fail-on-regression")
	require.NoError(t, err)
	assert.Contains(t, stderr, "history gate: pass")

	few := t.TempDir()
	historytest.Nightly(t, nightTemplate, few, 2, 1, historytest.Step(99, 7.5e6, 7.5e6), nil)
	_, _, err = xdplab(t, context.Background(), "history", few, "--metric", "Mpps", "--fail-on-regression")
	assert.Equal(t, exitInconclusive, exitStatus(err), "%v", err)
}

func TestHistoryFormats(t *testing.T) {
	dir := t.TempDir()
	historytest.Nightly(t, nightTemplate, dir, 30, 1, historytest.Step(20, 7.5e6, 6.0e6), nil)
	out, _, err := xdplab(t, context.Background(), "history", dir, "--metric", "Mpps", "--format", "csv")
	require.NoError(t, err)
	assert.Contains(t, out, "configuration,metric,unit,kind,run,value,lo,hi,before,after,step,step_unit,direction,p,runs,environment\n")
	assert.Contains(t, out, "prog=drop/mode=native/size=64,Mpps,Mpps,change,night-20,")
	out, _, err = xdplab(t, context.Background(), "history", dir, "--metric", "Mpps", "--format", "openmetrics")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "# TYPE xdplab_mpps gauge\n# HELP xdplab_mpps "), out[:80])
	assert.Contains(t, out, `xdplab_mpps{prog="drop",mode="native",size="64"} `)
	assert.True(t, strings.HasSuffix(out, "# EOF\n"))
	assert.Equal(t, 60+3, strings.Count(out, "\n"), "a sample per run and series, two comment lines, EOF")
	out, _, err = xdplab(t, context.Background(), "history", dir, "--json")
	require.NoError(t, err)
	assert.Contains(t, out, `"changes"`)
	o := filepath.Join(t.TempDir(), "h.md")
	_, stderr, err := xdplab(t, context.Background(), "history", dir, "--format", "markdown", "-o", o)
	require.NoError(t, err)
	assert.Contains(t, stderr, "history written to "+o)
	b, err := os.ReadFile(o)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "# History: 30 runs"))
}

func TestHistoryRejects(t *testing.T) {
	dir := t.TempDir()
	historytest.Nightly(t, nightTemplate, dir, 3, 1, historytest.Step(99, 1, 1), nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"history", dir, "--format", "xml"}, `--format "xml"`},
		{[]string{"history", dir, "--threshold", "lots"}, "--threshold"},
		{[]string{"history", dir, "--metric", "speed"}, `metric "speed": use one of Mpps`},
		{[]string{"history", dir, "--order", "random"}, `order "random"`},
		{[]string{"history", filepath.Join(dir, "none")}, "no such file"},
		{[]string{"history", t.TempDir()}, "a directory without .json files"},
	} {
		_, _, err := xdplab(t, context.Background(), c.args...)
		require.Error(t, err, "%v", c.args)
		assert.Contains(t, err.Error(), c.want, "%v", c.args)
	}
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"schema":"xdplab.results","schema_version":7,`), 0o644))
	_, _, err := xdplab(t, context.Background(), "history", dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.json", "the file is named")
}

func TestReportHistory(t *testing.T) {
	dir := t.TempDir()
	historytest.Nightly(t, nightTemplate, dir, 10, 1, historytest.Step(6, 7.5e6, 6.0e6), nil)
	out := filepath.Join(t.TempDir(), "trends.html")
	_, stderr, err := xdplab(t, context.Background(), "report", "--history", dir, "-o", out)
	require.NoError(t, err)
	assert.Contains(t, stderr, "(4 charts)", "Mpps and CPU ns/pkt of drop in two modes")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), "night-06 -20."), "the change point is labelled")
	_, _, err = xdplab(t, context.Background(), "report", "-o", out)
	assert.Equal(t, exitUsage, exitStatus(err))
}
