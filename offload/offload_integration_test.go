//go:build integration

package offload_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/topology"
)

func TestIntegrationAttachReadsModeBack(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	prog, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop"})
	require.NoError(t, err)
	defer prog.Close()
	for _, netlinkPath := range []bool{false, true} {
		for _, m := range []offload.Mode{offload.Generic, offload.Native} {
			a, err := offload.Attach(offload.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: m, ForceNetlink: netlinkPath})
			require.NoError(t, err, "%s netlink=%v", m, netlinkPath)
			assert.Equal(t, m, a.Mode, "mode read back")
			want := map[bool]string{false: "bpf_link", true: "netlink"}[netlinkPath]
			assert.Equal(t, want, a.Method)
			// A second program on the same interface is refused, not replaced.
			_, err = offload.Attach(offload.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: m, ForceNetlink: true})
			assert.Error(t, err)
			require.NoError(t, a.Close())
			require.NoError(t, a.Close(), "twice")
			l, err := p.DUTNS.Netlink().LinkByName(p.DUT.Name)
			require.NoError(t, err)
			assert.False(t, l.Attrs().Xdp != nil && l.Attrs().Xdp.Attached, "detached")
		}
	}
}

func TestIntegrationProbeModesVeth(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	s, err := offload.ProbeModes(p.DUTNS.Handle, p.DUT.Name, p.DUT.Ifindex, "veth")
	require.NoError(t, err)
	assert.Equal(t, []offload.Mode{offload.Generic, offload.Native}, s.Modes)
	err = s.Check(offload.Offload)
	var ue *offload.UnsupportedModeError
	require.ErrorAs(t, err, &ue)
	assert.ErrorContains(t, err, "veth has no hardware offload")
	assert.ErrorContains(t, err, "modes available here: generic, native")

	// The offload attach itself fails with a sentence, not a bare EINVAL.
	prog, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop"})
	require.NoError(t, err)
	defer prog.Close()
	_, err = offload.Attach(offload.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: offload.Offload})
	assert.ErrorContains(t, err, "cannot offload")
}

func TestIntegrationKernelProbes(t *testing.T) {
	testenv.RequireRoot(t)
	assert.NoError(t, offload.HaveXDPLink(), "kernel %s", kernel())
	assert.NoError(t, offload.HaveLiveFrames())
}
