//go:build integration

package topology_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/topology"
)

func TestIntegrationPair(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{Queues: 2, Sink: true})
	require.NoError(t, err)
	defer p.Close()

	for _, n := range p.Namespaces() {
		assert.FileExists(t, filepath.Join("/var/run/netns", n.Name))
		assert.Regexp(t, `^xdplab-[0-9a-f]{6}-(gen|dut|sink)$`, n.Name)
	}
	// The directory is a shared mount point of its own, as ip netns
	// makes it, and each namespace is mounted on it, not beneath it
	// (where a later ip netns would hide it).
	mi, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	dirID := ""
	parents := map[string]string{}
	for _, l := range strings.Split(string(mi), "\n") {
		f := strings.Fields(l)
		if len(f) < 7 {
			continue
		}
		switch {
		case f[4] == "/run/netns" || f[4] == "/var/run/netns":
			dirID = f[0]
			assert.Contains(t, l, " shared:", "propagation: %s", l)
		case strings.HasPrefix(f[4], "/run/netns/xdplab-") || strings.HasPrefix(f[4], "/var/run/netns/xdplab-"):
			parents[filepath.Base(f[4])] = f[1]
		}
	}
	require.NotEmpty(t, dirID, "/run/netns is a mount point")
	for _, n := range p.Namespaces() {
		assert.Equal(t, dirID, parents[n.Name], "%s mounted on the directory's own mount", n.Name)
	}
	for _, e := range p.Endpoints() {
		assert.Regexp(t, `^xl[0-9a-f]{6}[gdos]$`, e.Name)
		assert.NotZero(t, e.Ifindex)
		assert.Len(t, e.MAC, 6)
		rx, tx, err := e.Queues()
		require.NoError(t, err)
		assert.Equal(t, 2, rx)
		assert.Equal(t, 2, tx)
		d, err := e.Driver()
		require.NoError(t, err)
		assert.Equal(t, "veth", d)
	}
	// The links live in the namespaces, not in the host's.
	_, err = netlink.LinkByName(p.DUT.Name)
	assert.Error(t, err)

	require.NoError(t, p.DUT.SetGRO(true))
	on, err := p.DUT.GRO()
	require.NoError(t, err)
	assert.True(t, on)

	c, err := p.DUT.Counters()
	require.NoError(t, err)
	_, ok := c.SumQueues("rx", "xdp_packets")
	assert.True(t, ok, "veth reports per-queue XDP counters")

	names := []string{}
	for _, n := range p.Namespaces() {
		names = append(names, n.Name)
	}
	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "Close twice")
	for _, n := range names {
		_, err := os.Stat(filepath.Join("/var/run/netns", n))
		assert.True(t, os.IsNotExist(err), "namespace %s removed", n)
	}
}

// A NIC the user names is opened where it is; the one with the default
// route is refused without Force.
func TestIntegrationNICDefaultRoute(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()

	n, err := topology.OpenNIC(topology.NICOptions{Name: p.DUT.Name, NS: &p.DUTNS.Handle, NSLabel: p.DUTNS.Name})
	require.NoError(t, err, "no default route yet")
	assert.False(t, n.DefaultRoute)
	require.NoError(t, n.Close())

	gw := topology.GenIPv4.Addr().AsSlice()
	require.NoError(t, p.DUTNS.Netlink().RouteAdd(&netlink.Route{LinkIndex: p.DUT.Ifindex, Gw: gw}))
	_, err = topology.OpenNIC(topology.NICOptions{Name: p.DUT.Name, NS: &p.DUTNS.Handle})
	require.ErrorIs(t, err, topology.ErrDefaultRoute)
	assert.ErrorContains(t, err, "--force")
	assert.ErrorContains(t, err, p.DUT.Name)

	n, err = topology.OpenNIC(topology.NICOptions{Name: p.DUT.Name, NS: &p.DUTNS.Handle, Force: true})
	require.NoError(t, err)
	assert.True(t, n.DefaultRoute)
	require.NoError(t, n.Close())

	_, err = topology.OpenNIC(topology.NICOptions{Name: "xlnosuch", NS: &p.DUTNS.Handle})
	assert.ErrorContains(t, err, "ip link")
	_, err = os.Stat(filepath.Join("/var/run/netns", p.DUTNS.Name))
	assert.NoError(t, err, "closing a NIC leaves its namespace alone")
}

// Every setting changed through a NIC is restored by Close.
func TestIntegrationNICRestore(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{Queues: 2})
	require.NoError(t, err)
	defer p.Close()

	read := func() (mtu int, gro bool, rx uint32) {
		l, err := p.DUTNS.Netlink().LinkByIndex(p.DUT.Ifindex)
		require.NoError(t, err)
		f, err := p.DUTNS.Ethtool().Features(p.DUT.Name)
		require.NoError(t, err)
		ch, err := p.DUTNS.Ethtool().GetChannels(p.DUT.Name)
		require.NoError(t, err)
		return l.Attrs().MTU, f["rx-gro"], ch.RxCount
	}
	mtu0, gro0, rx0 := read()
	require.Equal(t, uint32(2), rx0)

	n, err := topology.OpenNIC(topology.NICOptions{Name: p.DUT.Name, NS: &p.DUTNS.Handle})
	require.NoError(t, err)
	require.NoError(t, n.SetMTU(4000))
	require.NoError(t, n.SetFeature("rx-gro", !gro0))
	require.NoError(t, n.SetQueues(1))
	assert.ErrorContains(t, n.SetFeature("no-such-feature", true), "no such feature")
	mtu, gro, rx := read()
	assert.Equal(t, 4000, mtu)
	assert.Equal(t, !gro0, gro)
	assert.Equal(t, uint32(1), rx)
	assert.Len(t, n.Changes(), 3)

	require.NoError(t, n.Close())
	mtu, gro, rx = read()
	assert.Equal(t, mtu0, mtu, "mtu restored")
	assert.Equal(t, gro0, gro, "rx-gro restored")
	assert.Equal(t, rx0, rx, "queues restored")
}

// A NIC pair moves the user's interfaces into xdplab's namespaces and gives
// them back as they were.
func TestIntegrationNICPair(t *testing.T) {
	testenv.RequireRoot(t)
	a, b := testenv.LentVeth(t, 1400, "198.18.5.1/24")

	_, err := topology.NewNICPair(topology.NICPairOptions{DUT: a, Peer: a})
	assert.ErrorContains(t, err, "name two interfaces")
	_, err = topology.NewNICPair(topology.NICPairOptions{DUT: a, Peer: "xlnosuch"})
	assert.ErrorContains(t, err, "xlnosuch")
	_, err = netlink.LinkByName(a)
	require.NoError(t, err, "a refused pair leaves the interfaces where they were")

	p, err := topology.NewNICPair(topology.NICPairOptions{DUT: a, Peer: b})
	require.NoError(t, err)
	assert.Equal(t, []string{b, a}, p.Borrowed())
	_, err = netlink.LinkByName(a)
	assert.Error(t, err, "moved out of the host's namespace")
	assert.Equal(t, a, p.DUT.Name)
	assert.Equal(t, b, p.Gen.Name)
	l, err := p.DUTNS.Netlink().LinkByName(a)
	require.NoError(t, err)
	addrs, err := p.DUTNS.Netlink().AddrList(l, netlink.FAMILY_V4)
	require.NoError(t, err)
	require.Len(t, addrs, 1)
	assert.Equal(t, topology.DUTIPv4.String(), addrs[0].IPNet.String())
	gro0, err := p.DUT.GRO()
	require.NoError(t, err)
	require.NoError(t, p.DUT.SetGRO(!gro0))

	require.NoError(t, p.Close())
	la, err := netlink.LinkByName(a)
	require.NoError(t, err, "given back")
	assert.Equal(t, 1400, la.Attrs().MTU)
	assert.NotZero(t, la.Attrs().Flags&net.FlagUp, "up again")
	addrs, err = netlink.AddrList(la, netlink.FAMILY_V4)
	require.NoError(t, err)
	require.Len(t, addrs, 1)
	assert.Equal(t, "198.18.5.1/24", addrs[0].IPNet.String(), "its address restored")
	lb, err := netlink.LinkByName(b)
	require.NoError(t, err)
	assert.Zero(t, lb.Attrs().Flags&net.FlagUp, "the peer was down and stays down")
	n, err := topology.OpenNIC(topology.NICOptions{Name: a})
	require.NoError(t, err)
	f, err := n.NS.Ethtool().Features(a)
	require.NoError(t, err)
	assert.Equal(t, gro0, f["rx-gro"], "GRO restored")
	require.NoError(t, n.Close())
}
