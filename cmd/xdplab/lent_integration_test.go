//go:build integration

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/internal/testenv"
)

// ipState is what `ip -d link` and `ip addr` say of an interface, less what
// changes by itself (counters, the link's index and the peer's, which a
// move between namespaces renumbers, and address lifetimes).
func ipState(t *testing.T, name string) string {
	t.Helper()
	var b strings.Builder
	for _, args := range [][]string{{"-d", "link", "show", name}, {"addr", "show", name}, {"route", "show", "dev", name}} {
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(t, err, "ip %v: %s", args, out)
		b.Write(out)
	}
	return normalizeIP(b.String())
}

// normalizeIP drops from ip's output what changes by itself.
func normalizeIP(s string) string {
	s = regexp.MustCompile(`(?m)^\d+: `).ReplaceAllString(s, "")
	s = regexp.MustCompile(`@if\d+`).ReplaceAllString(s, "@if")
	s = regexp.MustCompile(`(?m)^\s+valid_lft.*$`).ReplaceAllString(s, "")
	return s
}

// lent makes two interfaces a run is lent: an address, a route, MTU 1400
// and GRO on the DUT, both up.
func lent(t *testing.T) (dut, peer string) {
	t.Helper()
	testenv.RequireTool(t, "ip")
	testenv.RequireTool(t, "ethtool")
	dut, peer = testenv.LentVeth(t, 1400, "198.18.7.1/24")
	for _, c := range [][]string{
		{"ip", "link", "set", peer, "up"},
		{"ip", "route", "add", "198.19.7.0/24", "via", "198.18.7.2", "dev", dut},
		{"ethtool", "-K", dut, "gro", "on"},
	} {
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		require.NoError(t, err, "%v: %s", c, out)
	}
	return dut, peer
}

// startRun starts the built binary on the lent pair and waits for its
// first live line.
func startRun(t *testing.T, dut, peer string) *watched {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := exec.Command(built(t), "run", "--duration", "30s", "--trials", "3", "--output", out, "--iface", dut, "--peer", peer)
	w := startWatched(t, cmd)
	w.waitStarted(t)
	return w
}

// However a run ends (the terminal closing, its stderr piped into a
// program that quit, SIGKILL and then xdplab clean), the interfaces it was
// lent are back in the host's namespace exactly as they were.
func TestIntegrationLentInterfacesEveryEnd(t *testing.T) {
	testenv.RequireRoot(t)
	t.Run("SIGHUP", func(t *testing.T) {
		dut, peer := lent(t)
		before := ipState(t, dut) + ipState(t, peer)
		run := startRun(t, dut, peer)
		require.NoError(t, run.cmd.Process.Signal(syscall.SIGHUP))
		err := run.wait()
		require.Error(t, err)
		assert.Contains(t, run.text(), "interrupted: everything xdplab made was removed and every setting restored")
		assert.Equal(t, before, ipState(t, dut)+ipState(t, peer))
	})
	t.Run("SIGPIPE", func(t *testing.T) {
		dut, peer := lent(t)
		before := ipState(t, dut) + ipState(t, peer)
		// `xdplab run ... 2>&1 | head -c 1`: the reader quits at once.
		r, w, err := os.Pipe()
		require.NoError(t, err)
		out := filepath.Join(t.TempDir(), "r.json")
		cmd := exec.Command(built(t), "run", "--duration", "2s", "--trials", "2", "--output", out, "--iface", dut, "--peer", peer, "--prog", "drop")
		cmd.Stderr, cmd.Stdout = w, w
		require.NoError(t, cmd.Start())
		w.Close()
		buf := make([]byte, 1)
		_, _ = r.Read(buf)
		r.Close() // every later write to the pipe is EPIPE
		// The run goes on with nobody reading: the live line stops, the
		// results are written, the table on stdout fails (EPIPE, not a
		// kill), and the teardown gives everything back.
		err = cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, 1, ee.ExitCode(), "an error, not death by SIGPIPE")
		assert.FileExists(t, out)
		assert.Equal(t, before, ipState(t, dut)+ipState(t, peer))
	})
	t.Run("SIGKILL and clean", func(t *testing.T) {
		dut, peer := lent(t)
		before := ipState(t, dut) + ipState(t, peer)
		run := startRun(t, dut, peer)
		require.NoError(t, run.cmd.Process.Kill())
		_ = run.wait()
		_, err := netlink.LinkByName(dut)
		require.Error(t, err, "stranded in the dead run's namespace")
		code, out := exitOf(t, "clean", "--dry-run")
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, "would restore "+dut)
		code, out = exitOf(t, "clean")
		require.Equal(t, 0, code, out)
		assert.Contains(t, out, "restored "+dut)
		assert.Contains(t, out, "restored "+peer)
		assert.Equal(t, before, ipState(t, dut)+ipState(t, peer), "every setting back")
		code, out = exitOf(t, "clean")
		assert.Equal(t, 0, code)
		assert.NotContains(t, out, dut, "nothing left to clean")
	})
}
