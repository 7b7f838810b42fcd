//go:build integration

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
