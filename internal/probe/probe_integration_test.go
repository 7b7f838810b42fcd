//go:build integration

package probe_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/offload"
)

// Advertised against detected on a veth pair xdplab builds.
func TestIntegrationProbeVethPair(t *testing.T) {
	testenv.RequireRoot(t)
	rep, err := probe.Run(context.Background(), probe.Options{Version: "test"})
	require.NoError(t, err)
	validate(t, rep)

	assert.Equal(t, offload.CheckOK, rep.Kernel.XDPLink.Result)
	if testenv.Generator(t) == stream.LiveFrames {
		assert.Equal(t, offload.CheckOK, rep.Kernel.LiveFrames.Result)
	} else {
		assert.Equal(t, offload.CheckFailed, rep.Kernel.LiveFrames.Result, "said, with why: %s", rep.Kernel.LiveFrames)
	}
	assert.Contains(t, rep.Kernel.Tracepoints, "xdp_exception")
	require.Len(t, rep.Interfaces, 2, "both ends")
	for _, c := range rep.Interfaces {
		assert.True(t, c.MadeByXdplab)
		assert.Equal(t, "veth", c.Driver.Driver)
		assert.Equal(t, "veth", c.Kind)
		assert.Contains(t, c.XDPStats, "rx_queue_0_xdp_drops")
		assert.Contains(t, c.RingsErr, "EOPNOTSUPP")

		require.True(t, c.Advertised.Reported, "kernel 6.3+ reports xdp-features")
		assert.Equal(t, []string{"basic", "redirect", "rx-sg"}, c.Advertised.XDPFeatures, c.Name)
		require.NotNil(t, c.AdvertisedWhilePeerNative)
		assert.Contains(t, c.AdvertisedWhilePeerNative.XDPFeatures, "ndo-xmit", "ndo-xmit appears while the peer has a native program")

		d := c.Detected
		assert.True(t, d.Attached)
		assert.Equal(t, offload.CheckOK, d.Modes["generic"].Result)
		assert.Equal(t, offload.CheckOK, d.Modes["native"].Result)
		off := d.Modes["offload"]
		assert.Equal(t, offload.CheckFailed, off.Result)
		assert.Equal(t, "EINVAL", off.Errno)
		assert.NotEmpty(t, off.Explain)
		assert.Equal(t, offload.CheckOK, d.MultiBuffer.Result, "a frags-aware program attaches at MTU 9000")
		assert.Equal(t, offload.CheckFailed, d.NonFragsAtJumbo.Result, "a plain one does not")
		assert.NotEmpty(t, d.NonFragsAtJumbo.Explain, "the kernel's extended ack says why")
		for _, k := range []string{"hash", "timestamp"} {
			assert.Equal(t, offload.CheckOK, d.RxMetadata[k].Result, "%s: %s", k, d.RxMetadata[k])
		}
		for _, r := range c.Comparison {
			assert.NotEqual(t, offload.VerdictMismatch, r.Verdict, "veth does what it advertises: %+v", r)
		}
	}
	assert.Zero(t, rep.Findings())
	var b bytes.Buffer
	require.NoError(t, rep.WriteText(&b))
	assert.Contains(t, b.String(), "ADVERTISED")
}

// A named interface is probed read-only unless Attach is set; lo carries
// no default route, so it is accepted.
func TestIntegrationProbeNamedReadOnly(t *testing.T) {
	testenv.RequireRoot(t)
	rep, err := probe.Run(context.Background(), probe.Options{Ifaces: []string{"lo"}, Version: "test"})
	require.NoError(t, err)
	validate(t, rep)
	require.Len(t, rep.Interfaces, 1)
	c := rep.Interfaces[0]
	assert.Equal(t, "host", c.Namespace)
	assert.False(t, c.MadeByXdplab)
	assert.False(t, c.Detected.Attached)
	assert.Equal(t, offload.CheckNotTested, c.Detected.Modes["native"].Result)
	assert.Contains(t, rep.Notes[0], "read-only")

	_, err = probe.Run(context.Background(), probe.Options{Ifaces: []string{"lo", "xlnosuch0"}})
	assert.ErrorContains(t, err, "xlnosuch0")
}
