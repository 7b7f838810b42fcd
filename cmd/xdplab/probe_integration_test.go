//go:build integration

package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink"

	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/internal/testenv"
)

func TestIntegrationProbe(t *testing.T) {
	testenv.RequireRoot(t)
	out := filepath.Join(t.TempDir(), "probe.json")
	stdout, stderr, err := xdplab(t, context.Background(), "probe", "--json", "-o", out)
	require.NoError(t, err, stderr)
	var rep probe.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Equal(t, probe.ReportSchema, rep.Schema)
	require.Len(t, rep.Interfaces, 2)
	assert.FileExists(t, out)

	stdout, _, err = xdplab(t, context.Background(), "probe")
	require.NoError(t, err)
	assert.Contains(t, stdout, "CAPABILITY")
	assert.Contains(t, stdout, "offload failed: EINVAL")
	assert.Contains(t, stdout, "0 mismatch(es)")
}

// The interface with the host's default route is refused without --force,
// before anything is attached. (Skipped where the host has no default
// route.)
func TestIntegrationProbeRefusesDefaultRoute(t *testing.T) {
	testenv.RequireRoot(t)
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: nil}, 0)
	require.NoError(t, err)
	dev := ""
	for _, r := range routes {
		isDefault := r.Dst == nil
		if r.Dst != nil {
			ones, _ := r.Dst.Mask.Size()
			isDefault = ones == 0
		}
		if isDefault && r.LinkIndex > 0 {
			l, err := netlink.LinkByIndex(r.LinkIndex)
			require.NoError(t, err)
			dev = l.Attrs().Name
			break
		}
	}
	if dev == "" {
		t.Skip("this host has no IPv4 default route")
	}
	out := filepath.Join(t.TempDir(), "probe.json")
	_, _, err = xdplab(t, context.Background(), "probe", "--iface", dev, "--attach", "-o", out)
	require.Error(t, err)
	assert.ErrorContains(t, err, "carries the default route")
	assert.ErrorContains(t, err, "--force")
	assert.NoFileExists(t, out)
}
