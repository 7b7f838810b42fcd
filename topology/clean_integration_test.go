//go:build integration

package topology_test

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/safchain/ethtool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/topology"
)

// kill makes a journal's owner a dead process, as SIGKILL would.
func kill(t *testing.T, runID string) {
	t.Helper()
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	path := filepath.Join(topology.RunDir(), runID+".json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var j map[string]any
	require.NoError(t, json.Unmarshal(b, &j))
	j["pid"] = cmd.Process.Pid
	b, err = json.Marshal(j)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

func exists(name string) bool {
	_, err := os.Stat(filepath.Join("/var/run/netns", name))
	return err == nil
}

// A live run's state is left alone; once its process is dead, clean
// removes it and its journal.
func TestIntegrationCleanOwnership(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	gen, dut := p.GenNS.Name, p.DUTNS.Name
	journal := filepath.Join(topology.RunDir(), p.RunID+".json")
	require.FileExists(t, journal, "journaled before the namespaces were made")

	rep, err := topology.Clean(topology.CleanOptions{})
	require.NoError(t, err)
	assert.True(t, exists(gen) && exists(dut), "a live run's namespaces stay")
	assert.Contains(t, rep.LeftAlone, rep.LeftAlone[0])
	assert.Condition(t, func() bool {
		for _, l := range rep.LeftAlone {
			if l[:len("run "+p.RunID)] == "run "+p.RunID {
				return true
			}
		}
		return false
	}, "%v", rep.LeftAlone)

	// The same id again is refused while its run lives.
	_, err = topology.NewPair(topology.PairOptions{RunID: p.RunID})
	assert.ErrorContains(t, err, "in use by pid")

	kill(t, p.RunID)
	rep, err = topology.Clean(topology.CleanOptions{DryRun: true})
	require.NoError(t, err)
	assert.Contains(t, rep.Removed, "would remove namespace "+gen+" (dead run "+p.RunID+")")
	assert.True(t, exists(gen), "a dry run changes nothing")
	rep, err = topology.Clean(topology.CleanOptions{})
	require.NoError(t, err)
	assert.Contains(t, rep.Removed, "namespace "+gen+" (dead run "+p.RunID+")")
	assert.Contains(t, rep.Removed, "namespace "+dut+" (dead run "+p.RunID+")")
	assert.False(t, exists(gen) || exists(dut))
	assert.NoFileExists(t, journal)
}

// Names that are not xdplab's exact forms are never touched: a host link
// named like xdplab's (xlan0) and a namespace xdplab-something.
func TestIntegrationCleanNotOurs(t *testing.T) {
	testenv.RequireRoot(t)
	la := netlink.NewLinkAttrs()
	la.Name = "xlan0"
	require.NoError(t, netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "xlan1"}))
	defer func() {
		if l, err := netlink.LinkByName("xlan0"); err == nil {
			_ = netlink.LinkDel(l)
		}
	}()
	uh := newNamed(t, "xdplab-users-own")
	uh.Close()
	defer netns.DeleteNamed("xdplab-users-own")

	rep, err := topology.Clean(topology.CleanOptions{})
	require.NoError(t, err)
	_, err = netlink.LinkByName("xlan0")
	assert.NoError(t, err, "xlan0 is the user's")
	assert.True(t, exists("xdplab-users-own"))
	assert.Contains(t, rep.LeftAlone, "namespace xdplab-users-own: not a name xdplab makes (xdplab-<id>-gen|dut|sink)")
}

// An interface lent to a run that died goes back with every setting the
// journal holds: MTU, address, route, every feature.
func TestIntegrationCleanRestoresLent(t *testing.T) {
	testenv.RequireRoot(t)
	dut, peer := testenv.LentVeth(t, 1400, "198.18.9.1/24")
	l, err := netlink.LinkByName(dut)
	require.NoError(t, err)
	_, dst, _ := net_ParseCIDR("198.19.9.0/24")
	require.NoError(t, netlink.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: dst, Gw: []byte{198, 18, 9, 2}}))
	eth, err := ethtool.NewEthtool()
	require.NoError(t, err)
	defer eth.Close()
	require.NoError(t, eth.Change(dut, map[string]bool{"rx-gro": true}))
	before, err := eth.Features(dut)
	require.NoError(t, err)

	p, err := topology.NewNICPair(topology.NICPairOptions{DUT: dut, Peer: peer})
	require.NoError(t, err)
	// The run changes what runs change, and something else changes a
	// feature no run sets (as a driver's reset or an XDP attach does:
	// the kernel turns LRO off for good on a generic attach).
	require.NoError(t, p.DUT.SetGRO(false))
	require.NoError(t, nsthread.Do(p.DUT.NS.Handle, func() error {
		e, err := ethtool.NewEthtool()
		if err != nil {
			return err
		}
		defer e.Close()
		return e.Change(dut, map[string]bool{"tx-checksum-ip-generic": !before["tx-checksum-ip-generic"]})
	}))
	_, err = netlink.LinkByName(dut)
	require.Error(t, err, "moved into the run's namespace")

	kill(t, p.RunID)
	rep, err := topology.Clean(topology.CleanOptions{})
	require.NoError(t, err)
	require.Len(t, rep.Restored, 2, "%v", rep.Restored)
	l, err = netlink.LinkByName(dut)
	require.NoError(t, err, "back in the host's namespace")
	assert.Equal(t, 1400, l.Attrs().MTU)
	assert.NotZero(t, l.Attrs().Flags&1, "up again")
	addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
	require.NoError(t, err)
	require.Len(t, addrs, 1)
	assert.Equal(t, "198.18.9.1/24", addrs[0].IPNet.String())
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst}, netlink.RT_FILTER_DST)
	require.NoError(t, err)
	require.Len(t, routes, 1, "the static route is back")
	assert.Equal(t, "198.18.9.2", routes[0].Gw.String())
	after, err := eth.Features(dut)
	require.NoError(t, err)
	assert.Equal(t, before["rx-gro"], after["rx-gro"])
	assert.Equal(t, before, after, "every feature as it was")
	_, err = netlink.LinkByName(peer)
	require.NoError(t, err)
	assert.NoFileExists(t, filepath.Join(topology.RunDir(), p.RunID+".json"))
	require.NoError(t, p.Close(), "closing the dead run's handles is harmless")
}

// A namespace of xdplab's form without a journal (a run older than the
// journal) is removed, and a user's interface in it is moved back first,
// not destroyed.
func TestIntegrationCleanOrphan(t *testing.T) {
	testenv.RequireRoot(t)
	user, other := testenv.HostVeth(t, 1500)
	id := topology.NewRunID()
	name := "xdplab-" + id + "-dut"
	h := newNamed(t, name)
	defer h.Close()
	defer netns.DeleteNamed(name) // in case clean did not
	l, err := netlink.LinkByName(user)
	require.NoError(t, err)
	require.NoError(t, netlink.LinkSetNsFd(l, int(h)))
	rep, err := topology.Clean(topology.CleanOptions{})
	require.NoError(t, err)
	assert.False(t, exists(name))
	_, err = netlink.LinkByName(user)
	assert.NoError(t, err, "the user's veth was moved back, not destroyed")
	_, err = netlink.LinkByName(other)
	assert.NoError(t, err)
	assert.Contains(t, rep.Removed, "namespace "+name+" (no journal: from a dead run)")
}

func net_ParseCIDR(s string) (net.IP, *net.IPNet, error) { return net.ParseCIDR(s) }

// newNamed makes a named namespace the way a user (or an old xdplab)
// would, on a locked thread that goes back to where it was.
func newNamed(t *testing.T, name string) netns.NsHandle {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	require.NoError(t, err)
	defer orig.Close()
	h, err := netns.NewNamed(name)
	require.NoError(t, err)
	require.NoError(t, netns.Set(orig))
	return h
}

// A dead run's half-written journal is removed; a live run's stays.
func TestIntegrationCleanStaleTemp(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, os.MkdirAll(topology.RunDir(), 0o700))
	dead := topology.NewRunID()
	stale := filepath.Join(topology.RunDir(), "."+dead+".json.tmp123")
	live := filepath.Join(topology.RunDir(), "."+p.RunID+".json.tmp456")
	for _, f := range []string{stale, live} {
		require.NoError(t, os.WriteFile(f, []byte("{"), 0o600))
	}
	defer os.Remove(live)
	rep, err := topology.Clean(topology.CleanOptions{})
	require.NoError(t, err)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, live, "the live run may be writing it")
	assert.Contains(t, rep.Removed, "stale temporary file "+stale)
}
