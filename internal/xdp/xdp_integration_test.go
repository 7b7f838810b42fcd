//go:build integration

package xdp_test

import (
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
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
		for _, m := range []xdpmode.Mode{xdpmode.Generic, xdpmode.Native} {
			a, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: m, ForceNetlink: netlinkPath})
			require.NoError(t, err, "%s netlink=%v", m, netlinkPath)
			assert.Equal(t, m, a.Mode, "mode read back")
			want := map[bool]string{false: "bpf_link", true: "netlink"}[netlinkPath]
			assert.Equal(t, want, a.Method)
			// A second program on the same interface is refused, not replaced.
			_, err = xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: m, ForceNetlink: true})
			assert.Error(t, err)
			require.NoError(t, a.Close())
			require.NoError(t, a.Close(), "twice")
			l, err := p.DUTNS.Netlink().LinkByName(p.DUT.Name)
			require.NoError(t, err)
			assert.False(t, l.Attrs().Xdp != nil && l.Attrs().Xdp.Attached, "detached")
		}
	}
}

func TestIntegrationKernelProbes(t *testing.T) {
	testenv.RequireRoot(t)
	assert.NoError(t, xdp.HaveXDPLink(), "kernel %s", osRelease())
	// Live frames: 5.18+, and some builds refuse them (EPERM); the probe
	// answers supported or not, never "could not tell", and agrees with
	// a live-frames run of its own.
	err := xdp.HaveLiveFrames()
	if err != nil {
		assert.ErrorIs(t, err, ebpf.ErrNotSupported)
	}
	p, lerr := bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Drop})
	require.NoError(t, lerr)
	defer p.Close()
	_, rerr := p.Run(&ebpf.RunOptions{Data: make([]byte, 64), Repeat: 1, Flags: unix.BPF_F_TEST_XDP_LIVE_FRAMES, BatchSize: 1})
	assert.Equal(t, rerr == nil, err == nil, "probe %v, a run of live frames %v", err, rerr)
}

func osRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return string(b)
}

// The kernel's own reason for a refused attach comes from its extended
// ack, read from the netlink reply; an attach that works is undone.
func TestIntegrationKernelReason(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	prog, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop"})
	require.NoError(t, err)
	defer prog.Close()

	why, err := xdp.KernelReason(p.DUTNS.Handle, p.DUT.Name, xdpmode.Native, prog.Program)
	require.NoError(t, err)
	assert.Equal(t, "netlink attach worked where bpf_link failed", why)
	l, err := p.DUTNS.Netlink().LinkByName(p.DUT.Name)
	require.NoError(t, err)
	assert.False(t, l.Attrs().Xdp != nil && l.Attrs().Xdp.Attached, "the trial attach was undone")

	a, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: xdpmode.Native})
	require.NoError(t, err)
	defer a.Close()
	why, err = xdp.KernelReason(p.DUTNS.Handle, p.DUT.Name, xdpmode.Generic, prog.Program)
	require.NoError(t, err)
	assert.Contains(t, why, "can't be active at the same time", "the kernel's extended ack")
}
