package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/internal/testenv"
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
