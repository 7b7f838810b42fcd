//go:build integration

package topology_test

import (
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/topology"
)

// In a namespace of its own: devices stacked with the one carrying the
// default route are refused too, and so is the one carrying the route to
// this SSH session's client.
func TestIntegrationRouteSafetyStacked(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	h := p.DUTNS.Netlink()
	veth := func(a, b string) netlink.Link {
		t.Helper()
		la := netlink.NewLinkAttrs()
		la.Name = a
		require.NoError(t, h.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: b}))
		l, err := h.LinkByName(a)
		require.NoError(t, err)
		require.NoError(t, h.LinkSetUp(l))
		return l
	}
	add := func(l netlink.Link) (netlink.Link, bool) {
		t.Helper()
		if err := h.LinkAdd(l); err != nil {
			if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL) {
				return nil, false // not built into this kernel
			}
			require.NoError(t, err)
		}
		got, err := h.LinkByName(l.Attrs().Name)
		require.NoError(t, err)
		require.NoError(t, h.LinkSetUp(got))
		return got, true
	}
	defaultVia := func(l netlink.Link, gw string) {
		t.Helper()
		a, err := netlink.ParseAddr(gw + "/24")
		require.NoError(t, err)
		a.IP[len(a.IP)-1] = 1
		require.NoError(t, h.AddrAdd(l, a))
		require.NoError(t, h.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Gw: net.ParseIP(gw)}))
	}
	open := func(name string) error {
		_, err := topology.OpenNIC(topology.NICOptions{Name: name, NS: &p.DUTNS.Handle, NSLabel: p.DUTNS.Name})
		return err
	}

	// A VLAN on top of base carries the default route: base is refused.
	base := veth("rsbase", "rsbasep")
	vl, ok := add(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "rsbase.5", ParentIndex: base.Attrs().Index}, VlanId: 5})
	if ok {
		defaultVia(vl, "198.18.50.2")
		err := open("rsbase")
		require.ErrorIs(t, err, topology.ErrDefaultRoute)
		assert.ErrorContains(t, err, "through rsbase.5, which it is stacked with")
		require.NoError(t, h.LinkDel(vl))
	} else {
		t.Log("no 802.1Q in this kernel: the VLAN case is not checked")
	}
	// A bridge carries the default route: its port is refused, a device
	// elsewhere is not.
	br, ok := add(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "rsbr"}})
	if ok {
		port := veth("rsport", "rsportp")
		require.NoError(t, h.LinkSetMaster(port, br))
		defaultVia(br, "198.18.51.2")
		err := open("rsport")
		require.ErrorIs(t, err, topology.ErrDefaultRoute)
		assert.ErrorContains(t, err, "through rsbr")
		require.NoError(t, open("rsbase"), "not stacked with the bridge")
		_, err = topology.OpenNIC(topology.NICOptions{Name: "rsport", NS: &p.DUTNS.Handle, Force: true})
		require.NoError(t, err, "--force accepts it")
	} else {
		t.Log("no bridge in this kernel: the bridge case is not checked")
	}
	// The route to this session's SSH client leaves through a device.
	ssh := veth("rsssh", "rssshp")
	a, err := netlink.ParseAddr("198.18.52.1/24")
	require.NoError(t, err)
	require.NoError(t, h.AddrAdd(ssh, a))
	t.Setenv("SSH_CONNECTION", "198.18.52.9 50000 198.18.52.1 22")
	err = open("rsssh")
	require.ErrorIs(t, err, topology.ErrDefaultRoute)
	assert.ErrorContains(t, err, "the route to this SSH session's client 198.18.52.9")
	t.Setenv("SSH_CONNECTION", "")
	require.NoError(t, open("rsssh"))
}
