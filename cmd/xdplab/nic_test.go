package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// cable makes a veth in the host's namespace standing for two NICs cabled
// back to back, with an address and an MTU the run must give back.
func cable(t *testing.T) (dut, peer string) {
	t.Helper()
	dut, peer = testenv.HostVeth(t, 1400)
	l, err := netlink.LinkByName(dut)
	require.NoError(t, err)
	a, err := netlink.ParseAddr("198.18.7.1/24")
	require.NoError(t, err)
	require.NoError(t, netlink.AddrAdd(l, a))
	return dut, peer
}

func requireGivenBack(t *testing.T, dut, peer string) {
	t.Helper()
	l, err := netlink.LinkByName(dut)
	require.NoError(t, err, "%s is back in the host's namespace", dut)
	assert.Equal(t, 1400, l.Attrs().MTU)
	addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
	require.NoError(t, err)
	require.Len(t, addrs, 1)
	assert.Equal(t, "198.18.7.1/24", addrs[0].IPNet.String())
	_, err = netlink.LinkByName(peer)
	require.NoError(t, err, "%s is back in the host's namespace", peer)
}

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
	assert.ErrorContains(t, err, "--iface and --peer go together")
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
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "Mpps") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.Error(t, cmd.Wait())
	assert.Contains(t, stderr.String(), "interrupted")
	assert.NoFileExists(t, out)
	requireGivenBack(t, dut, peer)
}
