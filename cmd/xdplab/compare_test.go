package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

const fixtureA, fixtureB = "../../results/testdata/run-a-k6.18.json", "../../results/testdata/run-b-k6.1.json"

func TestCompareCommand(t *testing.T) {
	stdout, _, err := xdplab(t, context.Background(), "compare", "--by", "kernel", fixtureA, fixtureB)
	require.NoError(t, err)
	assert.Contains(t, stdout, "Mpps (higher is better)")
	assert.Contains(t, stdout, "verdict: pass")

	stdout, _, err = xdplab(t, context.Background(), "compare", "--format", "markdown", fixtureA, fixtureB)
	require.NoError(t, err)
	assert.Contains(t, stdout, "| by run |")

	out := filepath.Join(t.TempDir(), "x.csv")
	_, _, err = xdplab(t, context.Background(), "compare", "--format", "csv", "-o", out, fixtureA)
	require.NoError(t, err)
	assert.FileExists(t, out)

	// The gate: a 10% throughput drop fails it with exit status 3.
	r, err := results.ReadFile(fixtureA)
	require.NoError(t, err)
	for i := range r.Results {
		for j := range r.Results[i].Trials {
			r.Results[i].Trials[j].Figures.ThroughputPPS *= 0.9
		}
	}
	after := filepath.Join(t.TempDir(), "after.json")
	require.NoError(t, results.WriteFile(after, r))
	stdout, _, err = xdplab(t, context.Background(), "compare", "--threshold", "5%", "--fail-on-regression", fixtureA, after)
	var ge *gateError
	require.True(t, errors.As(err, &ge), "gate error: %v", err)
	assert.Contains(t, stdout, "REGRESSION")
	assert.Contains(t, stdout, "verdict: REGRESSION: 4 significant regression(s)")
	// Without --fail-on-regression the same comparison succeeds.
	_, _, err = xdplab(t, context.Background(), "compare", fixtureA, after)
	assert.NoError(t, err)
}

func TestCompareRejects(t *testing.T) {
	var ue *usageError
	for _, args := range [][]string{
		{"compare"},
		{"compare", "--threshold", "lots", fixtureA},
		{"compare", "--format", "xml", fixtureA},
		{"compare", "--by", "cpu", fixtureA},
	} {
		_, _, err := xdplab(t, context.Background(), args...)
		require.Error(t, err, "%v", args)
		assert.True(t, errorsAs(err, &ue), "usage error for %v: %v", args, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"schema":"xdplab.results","schema_version":99}`), 0o644))
	_, _, err := xdplab(t, context.Background(), "compare", fixtureA, bad)
	assert.ErrorContains(t, err, "bad.json")
	assert.ErrorContains(t, err, "upgrade xdplab")
}

func TestReportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	_, stderr, err := xdplab(t, context.Background(), "report", fixtureA, fixtureB, "../../internal/probe/testdata/probe-virtio_net.json", "-o", out)
	require.NoError(t, err)
	assert.Contains(t, stderr, "4 charts", "one frame size: no size chart")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<svg")

	var ue *usageError
	_, _, err = xdplab(t, context.Background(), "report", fixtureA)
	assert.True(t, errorsAs(err, &ue), "no -o: %v", err)
	_, _, err = xdplab(t, context.Background(), "report", "nosuch.json", "-o", out)
	assert.ErrorContains(t, err, "nosuch.json")
}

// compare and report take every file xdplab writes: results with and
// without trials, qualifications, probe reports and a matrix's directory.
func TestCompareAndReportTakeEveryFile(t *testing.T) {
	dir := t.TempDir()
	run, err := results.ReadFile(fixtureA)
	require.NoError(t, err)
	q := &results.Qualification{Schema: results.QualificationSchema, SchemaVersion: results.QualificationSchemaVersion,
		Suite: "xdplab-qualify/1", Performance: []*results.Run{run}, Checks: []results.QualifyCheck{{Section: "performance", Name: "x", Verdict: results.VerdictPass}}}
	q.Finish()
	qf := filepath.Join(dir, "k", "qualification.json")
	require.NoError(t, results.WriteJSON(qf, q))
	cp := *run
	cp.Results = []results.Result{{Program: results.Program{Name: "drop"}, Mode: "offload", ControlPlaneOnly: true, ControlPlane: []string{"loaded"}}}
	require.NoError(t, results.WriteFile(filepath.Join(dir, "k", "run-netdevsim.json"), &cp))
	probe, err := os.ReadFile("../../internal/probe/testdata/probe-virtio_net.json")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "k", "probe-veth.json"), probe, 0o644))

	stdout, stderr, err := xdplab(t, context.Background(), "compare", fixtureA, qf)
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "Mpps")
	_, stderr, err = xdplab(t, context.Background(), "compare", "--by", "kernel", dir)
	require.NoError(t, err)
	assert.Contains(t, stderr, "skipped "+filepath.Join(dir, "k", "probe-veth.json")+": a probe report (xdplab.probe) holds no measurements")
	stdout, _, err = xdplab(t, context.Background(), "compare", filepath.Join(dir, "k", "run-netdevsim.json"), fixtureA)
	require.NoError(t, err, "a control-plane-only file is no panic")
	assert.Contains(t, stdout, "verdict: INCONCLUSIVE")
	out := filepath.Join(dir, "r.html")
	_, stderr, err = xdplab(t, context.Background(), "report", dir, fixtureB, "-o", out)
	require.NoError(t, err, stderr)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<svg")
	assert.Contains(t, string(b), "virtio_net", "the probe report from the directory")
}

func TestCompareOpenMetrics(t *testing.T) {
	out, stderr, err := xdplab(t, context.Background(), "compare", fixtureA, fixtureB, "--format", "openmetrics")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "# TYPE xdplab_mpps gauge\n"), out[:60])
	assert.Regexp(t, `(?m)^xdplab_mpps\{prog="drop",mode="generic",size="64",run="run-a-k6\.18"\} [0-9.e+-]+ [0-9]+\.[0-9]{3}$`, out)
	assert.True(t, strings.HasSuffix(out, "# EOF\n"))
	assert.NotEmpty(t, stderr, "the verdict goes to stderr")
}
