package bpf_test

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
)

const unsized = "testdata/unsized_bpfel.o" // per_ifindex: max_entries 0

// A map whose size the object leaves to its loader is refused by name
// before anything is loaded, and sized when told how.
func TestSizeMaps(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpec(unsized)
	require.NoError(t, err)
	require.Zero(t, spec.Maps["per_ifindex"].MaxEntries, "the fixture leaves the size to its loader")

	err = bpf.SizeMaps(unsized, spec, nil)
	var ue *catalog.UnsizedMapsError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, []string{"per_ifindex"}, ue.Maps)

	err = bpf.SizeMaps(unsized, spec, map[string]uint32{"nosuch": 4})
	assert.ErrorContains(t, err, `no map "nosuch" to size: its maps are per_ifindex`)

	require.NoError(t, bpf.SizeMaps(unsized, spec, map[string]uint32{"per_ifindex": 64}))
	assert.Equal(t, uint32(64), spec.Maps["per_ifindex"].MaxEntries)

	// Maps the kernel or cilium/ebpf size stay 0.
	spec.Maps["per_ifindex"].Type, spec.Maps["per_ifindex"].MaxEntries = ebpf.PerfEventArray, 0
	assert.NoError(t, bpf.SizeMaps(unsized, spec, nil))
}

// CheckObject needs no privileges: the same checks as LoadObject, before
// a run.
func TestCheckObject(t *testing.T) {
	var ue *catalog.UnsizedMapsError
	assert.ErrorAs(t, bpf.CheckObject(bpf.ObjectOptions{Path: unsized}), &ue)
	assert.NoError(t, bpf.CheckObject(bpf.ObjectOptions{Path: unsized, MapEntries: map[string]uint32{"per_ifindex": 16}}))
	var pc *catalog.ProgramChoiceError
	require.ErrorAs(t, bpf.CheckObject(bpf.ObjectOptions{Path: "dut_bpfel.o"}), &pc)
	assert.Equal(t, []string{"xdp_drop", "xdp_pass", "xdp_redirect", "xdp_tx", "xdp_xsk"}, pc.Programs)
}

// Every XDP program of an object, by name; an object with none is
// refused with what it holds, whether or not a program was named.
func TestObjectXDPPrograms(t *testing.T) {
	progs, err := bpf.ObjectXDPPrograms("dut_bpfel.o")
	require.NoError(t, err)
	assert.Equal(t, []string{"xdp_drop", "xdp_pass", "xdp_redirect", "xdp_tx", "xdp_xsk"}, progs)
	progs, err = bpf.ObjectXDPPrograms(unsized)
	require.NoError(t, err)
	assert.Equal(t, []string{"xdp_count_pass"}, progs)

	const tp = "testdata/tponly_bpfel.o"
	for _, err := range []error{
		func() error { _, err := bpf.ObjectXDPPrograms(tp); return err }(),
		bpf.CheckObject(bpf.ObjectOptions{Path: tp}),
		bpf.CheckObject(bpf.ObjectOptions{Path: tp, Program: "tp_rx"}),
	} {
		var pc *catalog.ProgramChoiceError
		require.ErrorAs(t, err, &pc)
		assert.True(t, pc.NoXDP())
		assert.Equal(t, []string{"2 tracepoint program(s)"}, pc.Others)
		assert.EqualError(t, err, "load object testdata/tponly_bpfel.o: it holds no XDP program (it holds 2 tracepoint program(s)): xdplab loads XDP programs")
	}
	_, err = bpf.ObjectXDPPrograms("testdata/nosuch.o")
	require.Error(t, err)
	_, err = bpf.ObjectXDPPrograms("mapsize_test.go")
	require.ErrorContains(t, err, "not a BPF ELF object")
}
