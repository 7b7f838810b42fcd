package history

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/history/historytest"
)

func nightly(tb testing.TB, dir string, n int, seed uint64, level func(i int) float64, env func(i int, r *results.Run)) {
	tb.Helper()
	historytest.Nightly(tb, historytest.Template, dir, n, seed, level, env)
}

var step = historytest.Step

// The case: 30 nights, a 20% drop at night 20.
func TestStepAtNight20(t *testing.T) {
	dir := t.TempDir()
	nightly(t, dir, 30, 1, step(20, 7.5e6, 6.0e6), func(i int, r *results.Run) {
		if i+1 >= 20 {
			r.Host.Kernel = "6.12.48"
			r.Environment.Mitigations["spec_rstack_overflow"] = "Mitigation: Safe RET"
			for ri := range r.Results {
				r.Results[ri].Fingerprint.JITSHA256 = "1df2f0c5a3e6" + r.Results[ri].Fingerprint.JITSHA256[12:]
			}
		}
	})
	h, err := Read([]string{dir}, Options{Metrics: []string{"Mpps"}})
	require.NoError(t, err)
	h.Analyse()
	require.Len(t, h.Series, 2, "drop generic and native")
	for _, s := range h.Series {
		require.Len(t, s.Changes, 1, "%s: one change point", s.Key)
		c := s.Changes[0]
		assert.Equal(t, "night-20", c.Run, s.Key)
		assert.Equal(t, "regression", c.Direction)
		assert.InDelta(t, -20, c.Step, 1)
		assert.Less(t, c.P, 1e-6)
		assert.Contains(t, c.Environment, "kernel 6.18.44-fc-v1045 → 6.12.48")
		assert.Contains(t, c.Environment, "mitigations changed: spec_rstack_overflow Vulnerable → Mitigation: Safe RET")
		assert.Contains(t, c.Environment, "JIT image sha256 f29dbd40f3a5 → 1df2f0c5a3e6", "the program's own change too")
		assert.Equal(t, 11, s.Level.Runs)
	}
	v := h.Gate(5)
	assert.Equal(t, results.VerdictFail, v.Verdict)
	assert.Len(t, v.Regressions, 2)
	assert.Equal(t, results.VerdictPass, h.Gate(25).Verdict, "a 20% step is under a 25% threshold")

	flat := t.TempDir()
	nightly(t, flat, 30, 1, step(99, 7.5e6, 7.5e6), nil)
	h, err = Read([]string{flat}, Options{Metrics: []string{"Mpps"}})
	require.NoError(t, err)
	h.Analyse()
	for _, s := range h.Series {
		assert.Empty(t, s.Changes, s.Key)
	}
	assert.Equal(t, results.VerdictPass, h.Gate(5).Verdict)
}

func TestGateTooNew(t *testing.T) {
	dir := t.TempDir()
	nightly(t, dir, 22, 2, step(21, 7.5e6, 6.0e6), nil)
	h, err := Read([]string{dir}, Options{Metrics: []string{"Mpps"}})
	require.NoError(t, err)
	h.Analyse()
	v := h.Gate(5)
	assert.Equal(t, results.VerdictInconclusive, v.Verdict, "%v", v)
	assert.Contains(t, v.Undecided[0], "seen in 2 run(s) so far")

	few := t.TempDir()
	nightly(t, few, 2, 3, step(99, 7.5e6, 7.5e6), nil)
	h, err = Read([]string{few}, Options{Metrics: []string{"Mpps"}})
	require.NoError(t, err)
	h.Analyse()
	assert.Equal(t, results.VerdictInconclusive, h.Gate(5).Verdict)
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	nightly(t, dir, 30, 1, step(20, 7.5e6, 6.0e6), func(i int, r *results.Run) {
		if i+1 >= 20 {
			r.Host.Kernel = "6.12.48"
		}
		if i+1 == 8 {
			for ri := range r.Results {
				for ti := range r.Results[ri].Trials {
					r.Results[ri].Trials[ti].Figures.ThroughputPPS *= 0.5 // one bad night
				}
			}
		}
	})
	h, err := Read([]string{dir}, Options{Metrics: []string{"Mpps"}})
	require.NoError(t, err)
	h.Analyse()
	for name, write := range map[string]func(*bytes.Buffer) error{
		"history.txt": func(b *bytes.Buffer) error { return h.WriteText(b) },
		"history.md":  func(b *bytes.Buffer) error { return h.WriteMarkdown(b) },
	} {
		var b bytes.Buffer
		require.NoError(t, write(&b))
		golden := filepath.Join("testdata", name)
		if os.Getenv("UPDATE_GOLDEN") == "1" {
			require.NoError(t, os.WriteFile(golden, b.Bytes(), 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err)
		assert.Equal(t, string(want), b.String(), name)
	}
}
