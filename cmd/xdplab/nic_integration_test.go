//go:build integration

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

func TestIntegrationRunNICPair(t *testing.T) {
	testenv.RequireRoot(t)
	dut, peer := cable(t)
	r := runJSON(t, "--iface", dut, "--peer", peer, "--prog", "drop,tx", "--modes", "generic,native")
	requireGivenBack(t, dut, peer)
	assert.Equal(t, "nic-pair", r.Topology.Kind)
	assert.Equal(t, []string{peer, dut}, r.Topology.Borrowed)
	require.Len(t, r.Results, 4)
	for _, res := range r.Results {
		tr := res.Trials[0]
		gen := tr.Raw.Generator.Packets
		require.NotZero(t, gen, "%s %s", res.Program.Name, res.Mode)
		switch res.Program.Name {
		case "drop":
			assert.GreaterOrEqual(t, float64(tr.Raw.Program["drop"].Packets), 0.99*float64(gen))
		case "tx":
			require.NotNil(t, tr.Raw.Sink)
			assert.InEpsilon(t, tr.Raw.Program["tx"].Packets, tr.Raw.Sink.Packets, 0.01)
		}
		noFlag(t, res, results.FlagCountersDisagree, results.FlagDUTSawNothing)
	}

	out := filepath.Join(t.TempDir(), "r.json")
	_, _, err := xdplab(t, context.Background(), append(quick(out), "--iface", dut)...)
	assert.ErrorContains(t, err, "--iface: the DUT's interface and --peer go together")
	_, _, err = xdplab(t, context.Background(), append(quick(out), "--iface", dut, "--peer", peer, "--prog", "redirect")...)
	assert.ErrorContains(t, err, "redirect needs a second DUT port")
	_, _, err = xdplab(t, context.Background(), append(quick(out), "--iface", dut, "--peer", "xlnosuch")...)
	assert.ErrorContains(t, err, "xlnosuch")
	assert.NoFileExists(t, out)
	requireGivenBack(t, dut, peer)
}

// equiv runs on a lent pair too: every built-in a pair can take (no
// redirect, which needs a second DUT port), each mode the driver attaches,
// and both ports given back with their settings.
func TestIntegrationEquivNICPair(t *testing.T) {
	testenv.RequireRoot(t)
	dut, peer := cable(t)
	out := filepath.Join(t.TempDir(), "e.json")
	stdout, stderr, err := xdplab(t, context.Background(), "equiv", "--iface", dut, "--peer", peer, "--modes", "generic,native", "--json", "-o", out)
	require.NoError(t, err, stderr)
	requireGivenBack(t, dut, peer)
	var e results.Equivalence
	require.NoError(t, json.Unmarshal([]byte(stdout), &e))
	assert.Equal(t, results.VerdictPass, e.Verdict, e.Why)
	assert.Equal(t, []string{"generic", "native"}, e.Modes)
	var names []string
	for _, p := range e.Programs {
		names = append(names, p.Program.Name)
		for _, m := range p.Modes {
			require.Len(t, m.Frames, len(p.Frames), "%s %s", p.Program.Name, m.Mode)
		}
		if p.Program.Name == "tx" {
			for _, f := range p.Modes[0].Frames {
				if f.Verdict == "tx" {
					assert.Equal(t, "gen", f.Where, "an XDP_TX'd frame comes back at the peer")
				}
			}
		}
	}
	assert.NotContains(t, names, "redirect")
	assert.Contains(t, names, "tx")
	assert.Contains(t, strings.Join(e.Notes, "\n"), "IPv6 is off on both lent ports")
	assert.FileExists(t, out)
}

// SIGINT in the middle of a NIC run gives the interfaces back too.
func TestIntegrationRunNICPairInterrupted(t *testing.T) {
	testenv.RequireRoot(t)
	dut, peer := cable(t)
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := exec.Command(selfBinary(t), "run", "--duration", "30s", "--output", out, "--iface", dut, "--peer", peer)
	cmd.Env = append(os.Environ(), "XDPLAB_TEST_AS_MAIN=1")
	run := startWatched(t, cmd)
	run.waitStarted(t)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.Error(t, run.wait())
	assert.Contains(t, run.text(), "interrupted")
	assert.NoFileExists(t, out)
	requireGivenBack(t, dut, peer)
}
