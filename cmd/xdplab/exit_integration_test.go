//go:build integration

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/topology"
)

// The exit statuses that need a run, each through the built binary: 4 an
// expectation that did not hold, 5 a failed qualification check, 6 an
// expectation no result could answer, 7 a teardown that could not restore
// what it was lent, 8 a program that differs between modes.
func TestIntegrationExitStatuses(t *testing.T) {
	testenv.RequireRoot(t)
	scenario := func(expect string) string {
		p := filepath.Join(t.TempDir(), "s.yaml")
		body := fmt.Sprintf("format: 1\nname: exit\nprograms: [drop]\nmodes: [native]\ntraffic: {sizes: [64]}\n"+
			"trials: {warmup: 500ms, duration: 1s, count: 1, prog_stats: 0s, calibrate: false}\nexpect: [%q]\n", expect)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	t.Run("4 an expectation failed", func(t *testing.T) {
		// Not a rate floor: where the generator sets the rate (the DUT took
		// every frame) a floor it misses is undecided, not failed.
		code, out := exitOf(t, "run", "--scenario", scenario("drop <= 1%"), "-o", t.TempDir(), "-q")
		assert.Equal(t, 4, code, out)
		assert.Contains(t, out, "FAIL drop <= 1%")
	})
	t.Run("8 a program differs between modes", func(t *testing.T) {
		code, out := exitOf(t, "equiv", "../../bpf/testdata/modediff_bpfel.o", "--program", "xdp_to_lo", "--modes", "generic,native")
		assert.Equal(t, 8, code, out)
		assert.Contains(t, out, "FINDING frame 1 (ipv4 udp min (64 bytes)): generic redirect (60 bytes at lo), native redirect-failed")
		assert.Contains(t, out, "modes differ")
		code, out = exitOf(t, "equiv", "--prog", "tx", "--modes", "generic,native")
		assert.Equal(t, 0, code, out)
		assert.Contains(t, out, "verdict: pass")
		code, out = exitOf(t, "equiv", "--prog", "tx", "--modes", "native")
		assert.Equal(t, 6, code, out)
		assert.Contains(t, out, "only 1 mode(s): nothing to compare against")
	})
	t.Run("6 an expectation undecided", func(t *testing.T) {
		code, out := exitOf(t, "run", "--scenario", scenario("mpps[offload] >= 1"), "-o", t.TempDir(), "-q")
		assert.Equal(t, 6, code, out)
		assert.Contains(t, out, "applies to no measured result")
	})
	t.Run("5 a qualification check failed", func(t *testing.T) {
		code, out := exitOf(t, "qualify", "--only", "functional", "--frames", "20", "--inject-bad-action", "9")
		assert.Equal(t, 5, code, out)
	})
	t.Run("7 a teardown left something", func(t *testing.T) {
		dut, peer := testenv.LentVeth(t, 1400, "198.18.8.1/24")
		id := topology.NewRunID()
		cmd := exec.Command(built(t), "run", "--duration", "30s", "--run-id", id, "--output", filepath.Join(t.TempDir(), "r.json"), "--iface", dut, "--peer", peer)
		run := startWatched(t, cmd)
		t.Cleanup(func() {
			// What the broken teardown left: the journal and namespaces.
			_ = os.Remove(filepath.Join(topology.RunDir(), id+".json"))
			for _, r := range []string{"gen", "dut", "sink"} {
				_ = netns.DeleteNamed("xdplab-" + id + "-" + r)
			}
		})
		run.waitStarted(t)
		// The lent pair vanishes under the run (as a hot-unplugged NIC
		// would): nothing can give it back.
		out, err := exec.Command("ip", "netns", "exec", "xdplab-"+id+"-dut", "ip", "link", "del", dut).CombinedOutput()
		require.NoError(t, err, string(out))
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		err = run.wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 7, ee.ExitCode(), run.text())
		assert.Contains(t, run.text(), "interrupted: teardown incomplete")
		assert.Contains(t, run.text(), "not restored: the journal")
		assert.NotContains(t, run.text(), "every setting restored")
	})
}
