package matrix

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/internal/search"
	"github.com/xdplab/xdplab/internal/spec"
)

func TestScript(t *testing.T) {
	pl := script(Options{Programs: []string{"drop", "tx"}, EquivPrograms: []string{"drop", "tx"}, Duration: 2e9, Trials: 2}, "6.1", []string{"/c/psample.ko", "/c/netdevsim.ko"}, nil, nil)
	s := pl.script
	assert.True(t, strings.HasPrefix(s, "#!/bin/busybox sh\n"))
	assert.Less(t, strings.Index(s, "insmod /lib/modules/psample.ko"), strings.Index(s, "insmod /lib/modules/netdevsim.ko"), "load order kept")
	assert.Contains(t, s, "--prog drop,tx --hooks all --duration 2s", "every hook on veth")
	assert.Contains(t, s, "@@XDPLAB-INIT", "the host sees the init script start")
	assert.Contains(t, s, "timeout -k 10 ", "every step has a budget")
	assert.Contains(t, s, "--modes offload")
	assert.True(t, strings.HasSuffix(s, "poweroff -f\n"))

	assert.Contains(t, s, "/xdplab equiv --prog drop,tx --hooks all", "decisions compared across hooks")

	// Without netdevsim (it did not build) the VM runs all but offload.
	s = script(Options{Programs: []string{"drop"}, EquivPrograms: []string{"drop"}, Duration: 2e9, Trials: 2}, "6.1-rt", []string{"/c/veth.ko"}, nil, nil).script
	assert.NotContains(t, s, "netdevsim")
	assert.Contains(t, s, "probe-veth")
	assert.Contains(t, s, "/xdplab equiv --prog drop")
	assert.NotContains(t, s, "--modes offload")

	s = script(Options{Scenario: "/x/quick.yaml"}, "6.1", nil, nil, nil).script
	assert.Contains(t, s, "/xdplab run --scenario /scenario.yaml")
	assert.NotContains(t, s, "--prog drop --duration")
}

func TestRunRejectsScenario(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(sc, []byte("format: 1\nname: s\nprograms: [drop]\ntopology:\n  kind: nic-pair\n  dut: a\n  peer: b\n"), 0o644))
	_, err := Run(context.Background(), Options{Kernels: []kernels.Spec{{Name: "6.1", Suite: "bookworm"}}, Xdplab: "/bin/true", Scenario: sc})
	assert.ErrorContains(t, err, "leave out object and nic-pair")
	require.NoError(t, os.WriteFile(sc, []byte("format: 1\nname: s\n"), 0o644))
	_, err = Run(context.Background(), Options{Kernels: []kernels.Spec{{Name: "6.1", Suite: "bookworm"}}, Xdplab: "/bin/true", Scenario: sc})
	assert.ErrorContains(t, err, "programs: missing")
}

// A VM's budget grows with its work: programs, trials, trial length, a
// scenario's runs; and every step's budget is within it.
func TestScriptBudget(t *testing.T) {
	mods := []string{"/c/psample.ko", "/c/netdevsim.ko"}
	base := Options{Programs: []string{"drop"}, EquivPrograms: []string{"drop"}, Duration: 2 * time.Second, Trials: 2}
	small := script(base, "6.1", mods, nil, nil).budget
	more := base
	more.Programs, more.EquivPrograms = []string{"drop", "pass", "tx"}, []string{"drop", "pass", "tx"}
	assert.Greater(t, script(more, "6.1", mods, nil, nil).budget, small, "programs")
	longer := base
	longer.Trials, longer.Duration = 5, 10*time.Second
	// 6 hooks (generic, native, tc, socket, afpacket, afxdp) x (5 x 11 s
	// - 2 x 3 s) more trial time, three times over.
	assert.Equal(t, small+3*6*(5*11-2*3)*time.Second, script(longer, "6.1", mods, nil, nil).budget, "trials and their length")
	assert.Less(t, script(base, "6.1", []string{"/c/veth.ko"}, nil, nil).budget, small, "no netdevsim: no offload steps")

	sc := base
	sc.Scenario = "/x/s.yaml"
	r := spec.Run{Programs: []string{"drop", "tx"}, Warmup: time.Second, Duration: 3 * time.Second, Trials: 3}
	one := script(sc, "6.1", mods, []spec.Run{r}, nil).budget
	assert.Equal(t, one+slack*runWork(r), script(sc, "6.1", mods, []spec.Run{r, r}, nil).budget, "each of a scenario's runs")
	assert.Greater(t, runWork(spec.Run{Programs: []string{"drop"}, Duration: time.Second, Trials: 1, Search: &search.Options{MaxTrials: 16, Short: time.Second}}),
		16*2*time.Second, "a search's trials")
	assert.Equal(t, runWork(spec.Run{Programs: []string{"drop"}, Duration: time.Second, Trials: 1})+2*2*time.Second,
		runWork(spec.Run{Programs: []string{"drop"}, Duration: time.Second, Trials: 1, RatePercent: 50, Calibrate: true}), "a rate in percent and calibration each add a trial per mode")

	// Every step's budget adds up to less than the VM's.
	s := script(base, "6.1", mods, nil, nil)
	var sum time.Duration
	for _, m := range regexp.MustCompile(`timeout -k 10 (\d+) `).FindAllStringSubmatch(s.script, -1) {
		n, _ := strconv.Atoi(m[1])
		sum += time.Duration(n)*time.Second + 10*time.Second
	}
	assert.Equal(t, s.budget, sum+bootBudget+sendBudget)
}
