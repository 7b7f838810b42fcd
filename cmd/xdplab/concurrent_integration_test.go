//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// Two runs at once, started in the same second into the same default
// results directory, and an `xdplab clean` in the middle of both: neither
// run is disturbed, each writes its own file, and nothing is left.
func TestIntegrationConcurrentRunsAndClean(t *testing.T) {
	testenv.RequireRoot(t)
	bin := built(t)
	dir := t.TempDir()
	start := func() *watched {
		cmd := exec.Command(bin, "run", "--prog", "drop", "--modes", "native", "--duration", "3s", "--trials", "2",
			"--warmup", "500ms", "--prog-stats", "0", "--no-calibrate")
		cmd.Dir = dir
		return startWatched(t, cmd)
	}
	a := start()
	b := start()
	a.waitStarted(t)
	b.waitStarted(t)
	code, out := exitOf(t, "clean")
	require.Equal(t, 0, code, out)
	assert.NotContains(t, out, "removed namespace", "clean removes nothing of a live run")
	assert.Contains(t, out, "left alone: run ", "and says it left them alone")
	require.NoError(t, a.wait(), a.text())
	require.NoError(t, b.wait(), b.text())
	files, err := filepath.Glob(filepath.Join(dir, DefaultResultsDir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 2, "two runs, two files, neither replaced")
	for _, f := range files {
		r, err := results.ReadFile(f)
		require.NoError(t, err, f)
		require.Len(t, r.Results, 1)
		assert.NotZero(t, r.Results[0].Summary.ThroughputPPS.Median, "%s measured", f)
	}
	leaks, err := testenv.SettledLeaks()
	require.NoError(t, err)
	for _, l := range leaks {
		assert.NotContains(t, l, "journal", "the runs' journals are gone")
	}
	_ = os.RemoveAll(filepath.Join(dir, DefaultResultsDir))
}
