package matrix

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/ci/kernels"
)

func TestScript(t *testing.T) {
	s := script(Options{Programs: []string{"drop", "tx"}, EquivPrograms: []string{"drop", "tx"}, Duration: 2e9, Trials: 2}, "6.1", []string{"/c/psample.ko", "/c/netdevsim.ko"})
	assert.True(t, strings.HasPrefix(s, "#!/bin/busybox sh\n"))
	assert.Less(t, strings.Index(s, "insmod /lib/modules/psample.ko"), strings.Index(s, "insmod /lib/modules/netdevsim.ko"), "load order kept")
	assert.Contains(t, s, "--prog drop,tx --duration 2s")
	assert.Contains(t, s, "--modes offload")
	assert.True(t, strings.HasSuffix(s, "poweroff -f\n"))

	assert.Contains(t, s, "/xdplab equiv --prog drop,tx --modes generic,native")

	// Without netdevsim (it did not build) the VM runs all but offload.
	s = script(Options{Programs: []string{"drop"}, EquivPrograms: []string{"drop"}, Duration: 2e9, Trials: 2}, "6.1-rt", []string{"/c/veth.ko"})
	assert.NotContains(t, s, "netdevsim")
	assert.Contains(t, s, "probe-veth")
	assert.Contains(t, s, "/xdplab equiv --prog drop")
	assert.NotContains(t, s, "--modes offload")

	s = script(Options{Scenario: "/x/quick.yaml"}, "6.1", nil)
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
