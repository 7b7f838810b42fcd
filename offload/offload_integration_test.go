//go:build integration

package offload_test

import (
	"github.com/xdplab/xdplab/internal/xdpmode"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/topology"
)

func TestIntegrationProbeModesVeth(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	s, err := offload.ProbeModes(p.DUTNS.Handle, p.DUT.Name, p.DUT.Ifindex, "veth")
	require.NoError(t, err)
	assert.Equal(t, []xdpmode.Mode{xdpmode.Generic, xdpmode.Native}, s.Modes)
	err = s.Check(xdpmode.Offload)
	var ue *offload.UnsupportedModeError
	require.ErrorAs(t, err, &ue)
	assert.ErrorContains(t, err, "veth has no hardware offload")
	assert.ErrorContains(t, err, "modes available here: generic, native")

	// The offload attach itself fails with a sentence, not a bare EINVAL.
	prog, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop"})
	require.NoError(t, err)
	defer prog.Close()
	_, err = xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: xdpmode.Offload})
	assert.ErrorContains(t, err, "cannot offload")
}
