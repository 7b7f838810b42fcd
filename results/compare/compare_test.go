package compare

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The fixtures: two runs (run-a on kernel 6.18; run-b relabelled as
// kernel 6.1, with an offload control-plane-only result), three modes.
var fixtures = []string{"../testdata/run-a-k6.18.json", "../testdata/run-b-k6.1.json"}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./results/compare -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs: rerun with -update if the change is meant", name)
}

func TestGoldenFormats(t *testing.T) {
	in, _, err := Load(fixtures)
	require.NoError(t, err)
	for _, by := range []string{ByKernel, ByRun, ByMode} {
		c, err := Compare(in, Options{By: by, Threshold: 5})
		require.NoError(t, err)
		for _, f := range []struct {
			ext   string
			write func(*bytes.Buffer) error
		}{
			{"txt", func(b *bytes.Buffer) error { return c.WriteText(b) }},
			{"md", func(b *bytes.Buffer) error { return c.WriteMarkdown(b) }},
			{"csv", func(b *bytes.Buffer) error { return c.WriteCSV(b) }},
		} {
			var b bytes.Buffer
			require.NoError(t, f.write(&b))
			golden(t, "by-"+by+"."+f.ext, b.Bytes())
		}
	}
	var b bytes.Buffer
	require.NoError(t, WriteBenchfmt(&b, in))
	golden(t, "fixtures.bench", b.Bytes())
}

// By kernel the two fixtures pair up: the same configurations on both
// kernels, with the baseline first.
func TestByKernelPairs(t *testing.T) {
	in, _, err := Load(fixtures)
	require.NoError(t, err)
	c, err := Compare(in, Options{By: ByKernel})
	require.NoError(t, err)
	assert.Equal(t, []string{"6.18.44-fc-v595", "6.1.0-41-amd64"}, c.Columns)
	mpps := c.Tables[0]
	require.Equal(t, "Mpps", mpps.Metric.Name)
	require.Len(t, mpps.Rows, 4, "drop and tx, generic and native; offload had no throughput")
	for _, r := range mpps.Rows {
		require.NotNil(t, r.Cells[0])
		require.NotNil(t, r.Cells[1], r.Key.Name())
		assert.Equal(t, 10, r.Cells[1].N)
		assert.True(t, r.Cells[1].Compared)
		assert.Less(t, r.Cells[1].Summary.Lo, r.Cells[1].Summary.Hi, "a finite 95%% interval from 10 trials")
	}
}

// scaled returns a copy of run with every trial's throughput multiplied by
// f(trial index).
func scaled(t *testing.T, path, label string, f func(i int) float64) Input {
	r, err := results.ReadFile(path)
	require.NoError(t, err)
	for ri := range r.Results {
		for ti := range r.Results[ri].Trials {
			r.Results[ri].Trials[ti].Figures.ThroughputPPS *= f(ti)
		}
	}
	return Input{Label: label, Runs: []*results.Run{r}}
}

// The release gate both ways: a 10% throughput drop over 10 trials fails
// it; noise well inside the confidence interval passes it.
func TestRegressionGate(t *testing.T) {
	base := scaled(t, fixtures[0], "before", func(int) float64 { return 1 })

	drop := scaled(t, fixtures[0], "after", func(int) float64 { return 0.9 })
	c, err := Compare([]Input{base, drop}, Options{Threshold: 5})
	require.NoError(t, err)
	regs := c.Regressions()
	require.Len(t, regs, 4, "every program and mode lost 10%% of its throughput")
	assert.Contains(t, regs[0], "Mpps")
	assert.Contains(t, regs[0], "-10.00%")

	// The same drop under a 15% threshold is significant but no regression.
	c, err = Compare([]Input{base, drop}, Options{Threshold: 15})
	require.NoError(t, err)
	assert.Empty(t, c.Regressions())
	assert.True(t, c.Tables[0].Rows[0].Cells[1].Significant)

	// Noise: each trial moved by up to ±0.5%, far inside the spread of
	// the trials themselves.
	rng := rand.New(rand.NewPCG(1, 2))
	noise := scaled(t, fixtures[0], "noise", func(int) float64 { return 1 + (rng.Float64()-0.5)/100 })
	c, err = Compare([]Input{base, noise}, Options{Threshold: 5})
	require.NoError(t, err)
	assert.Empty(t, c.Regressions())
	for _, r := range c.Tables[0].Rows {
		assert.False(t, r.Cells[1].Significant, "%s: p=%.3f", r.Key.Name(), r.Cells[1].P)
	}
}

func TestCompareRejects(t *testing.T) {
	_, err := Compare(nil, Options{})
	assert.ErrorContains(t, err, "nothing to compare")
	in, _, err := Load(fixtures[:1])
	require.NoError(t, err)
	_, err = Compare(in, Options{By: "cpu"})
	assert.ErrorContains(t, err, `--by "cpu"`)
	_, _, err = Load([]string{"testdata/nosuch.json"})
	assert.ErrorContains(t, err, "nosuch.json")
}

func goCommand(t *testing.T) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p, err := exec.LookPath("go") // go test puts its own go first on PATH
	if err != nil {
		t.Fatalf("no go command to run benchstat with")
	}
	return p
}

// benchstat (golang.org/x/perf/cmd/benchstat, a tool of this module) reads
// the benchfmt output and compares the kernels.
func TestBenchstatReadsBenchfmt(t *testing.T) {
	in, _, err := Load(fixtures)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteBenchfmt(&b, in))
	path := filepath.Join(t.TempDir(), "x.bench")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	cmd := exec.Command(goCommand(t), "tool", "benchstat", "-col", "kernel", "-row", ".fullname", path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	s := string(out)
	assert.Contains(t, s, "6.1.0-41-amd64")
	assert.Contains(t, s, "6.18.44-fc-v595")
	assert.Contains(t, s, "Mpps")
	assert.Contains(t, s, "cpu-sec/pkt", "benchstat scales ns to seconds with SI prefixes")
	assert.Contains(t, s, "XDP/prog=drop/mode=native/size=64")
	assert.NotContains(t, s, "parsing error")
}

// Hooks pair like modes: a run of every hook against one where only tc
// lost half its throughput moves the tc rows alone.
func TestComparePairsByHook(t *testing.T) {
	const hooks = "../testdata/run-hooks-k6.18.json"
	base := scaled(t, hooks, "before", func(int) float64 { return 1 })
	after := scaled(t, hooks, "after", func(int) float64 { return 1 })
	for ri := range after.Runs[0].Results {
		if after.Runs[0].Results[ri].Mode == "tc" {
			for ti := range after.Runs[0].Results[ri].Trials {
				after.Runs[0].Results[ri].Trials[ti].Figures.ThroughputPPS /= 2
			}
		}
	}
	c, err := Compare([]Input{base, after}, Options{Threshold: 5})
	require.NoError(t, err)
	var tput *Table
	for i := range c.Tables {
		if c.Tables[i].Metric.JSON == "throughput_pps" {
			tput = &c.Tables[i]
		}
	}
	require.NotNil(t, tput)
	modes := map[string]bool{}
	for _, r := range tput.Rows {
		modes[r.Key.Mode] = true
		require.Len(t, r.Cells, 2, r.Key.Name())
		if r.Key.Mode == "tc" {
			assert.InDelta(t, -50, r.Cells[1].Delta, 0.01, r.Key.Name())
		} else {
			assert.InDelta(t, 0, r.Cells[1].Delta, 1e-9, r.Key.Name())
		}
	}
	for _, m := range []string{"generic", "native", "tc", "socket", "afpacket", "afxdp"} {
		assert.True(t, modes[m], "a row for %s", m)
	}
	assert.Len(t, tput.Rows, 11, "drop at six hooks, filter at five")
}
