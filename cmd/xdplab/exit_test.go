package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

var (
	builtOnce sync.Once
	builtPath string
	builtErr  error
)

// built is the xdplab binary, built once per test process the way `make
// build` builds it.
func built(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xdplab-bin")
		if err != nil {
			builtErr = err
			return
		}
		// go test puts its own go first on PATH.
		goCmd, err := exec.LookPath("go")
		if err != nil {
			builtErr = err
			return
		}
		builtPath = filepath.Join(dir, "xdplab")
		cmd := exec.Command(goCmd, "build", "-o", builtPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			builtErr = errors.New(string(out))
		}
	})
	require.NoError(t, builtErr)
	return builtPath
}

// exitOf runs the built binary and returns its exit status and output.
func exitOf(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(built(t), args...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, string(out))
	return 0, string(out)
}

// writeScaled writes fixtureA with every trial's throughput scaled by f.
func writeScaled(t *testing.T, f float64) string {
	return writeModified(t, func(r *results.Run) {
		for i := range r.Results {
			for j := range r.Results[i].Trials {
				r.Results[i].Trials[j].Figures.ThroughputPPS *= f
			}
		}
	})
}

// writeModified writes fixtureA as mod leaves it.
func writeModified(t *testing.T, mod func(r *results.Run)) string {
	r, err := results.ReadFile(fixtureA)
	require.NoError(t, err)
	mod(r)
	p := filepath.Join(t.TempDir(), "modified.json")
	require.NoError(t, results.WriteFile(p, r))
	return p
}

// The exit statuses the README lists that need no root, each through the
// built binary (4 and 5 need a run: TestIntegrationExitStatuses).
func TestExitStatuses(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.json")
	r, err := results.ReadFile(fixtureA)
	require.NoError(t, err)
	r.Results = nil
	require.NoError(t, results.WriteFile(empty, r))
	for _, c := range []struct {
		name string
		args []string
		want int
		out  string
	}{
		{"success", []string{"version"}, 0, "xdplab"},
		{"the gate on two runs of the same thing", []string{"compare", "--fail-on-regression", fixtureA, writeScaled(t, 1)}, 0, "verdict: pass"},
		{"an error", []string{"compare", "nosuch.json"}, 1, "nosuch.json"},
		{"a usage mistake", []string{"compare", "--format", "xml", fixtureA}, 2, "--format"},
		{"a regression", []string{"compare", "--fail-on-regression", fixtureA, writeScaled(t, 0.9)}, 3, "REGRESSION"},
		{"an empty candidate", []string{"compare", "--fail-on-regression", fixtureA, empty}, 6, "inconclusive"},
		{"one file", []string{"compare", "--fail-on-regression", fixtureA}, 6, "nothing to compare against"},
		{"a different frame size", []string{"compare", "--fail-on-regression", fixtureA, writeModified(t, func(r *results.Run) { r.Config.FrameSize = 128 })}, 6, "different configuration (size 64 -> 128)"},
		{"three trials a side", []string{"compare", "--fail-on-regression", writeModified(t, func(r *results.Run) { trim(r, 3) }), writeModified(t, func(r *results.Run) { trim(r, 3) })}, 6, "too few trials: 3"},
		{"a probe report only", []string{"compare", "--fail-on-regression", "../../internal/probe/testdata/probe-virtio_net.json"}, 1, "holds no measurements"},
		{"no gate asked", []string{"compare", fixtureA, empty}, 0, "verdict: INCONCLUSIVE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, out := exitOf(t, c.args...)
			assert.Equal(t, c.want, got, out)
			assert.Contains(t, out, c.out)
		})
	}
}

func TestExitStatusTable(t *testing.T) {
	assert.Equal(t, 0, exitStatus(nil))
	assert.Equal(t, 1, exitStatus(errors.New("x")))
	assert.Equal(t, 2, exitStatus(usagef("x")))
	assert.Equal(t, 3, exitStatus(&gateError{1}))
	assert.Equal(t, 4, exitStatus(&expectError{n: 1}))
	assert.Equal(t, 5, exitStatus(&qualifyError{}))
	assert.Equal(t, 6, exitStatus(&inconclusiveError{"gate", "why"}))
	assert.Equal(t, 6, exitStatus(errors.Join(errors.New("a"), &inconclusiveError{"gate", "why"})))
}

func trim(r *results.Run, n int) {
	for i := range r.Results {
		if len(r.Results[i].Trials) > n {
			r.Results[i].Trials = r.Results[i].Trials[:n]
		}
	}
}
