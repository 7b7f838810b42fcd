package bpf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
)

const unsized = "testdata/unsized_bpfel.o" // per_ifindex: max_entries 0

// CheckObject needs no privileges: the same checks as LoadObject, before
// a run.
func TestCheckObject(t *testing.T) {
	var ue *catalog.UnsizedMapsError
	assert.ErrorAs(t, bpf.CheckObject(bpf.ObjectOptions{Path: unsized}), &ue)
	assert.NoError(t, bpf.CheckObject(bpf.ObjectOptions{Path: unsized, MapEntries: map[string]uint32{"per_ifindex": 16}}))
	assert.NoError(t, bpf.CheckObject(bpf.ObjectOptions{Path: "testdata/bench7_bpfel.o", MapCPUs: []string{"*"}}), "one argument sizes all seven")
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
	_, err = bpf.ObjectXDPPrograms("object_test.go")
	require.ErrorContains(t, err, "not a BPF ELF object")
}

// Programs in sections named as libbpf took them before 1.0 (xdp_filter,
// xdp_pass: any name that starts with "xdp") are XDP programs.
func TestObjectLegacySections(t *testing.T) {
	const legacy = "testdata/legacy_bpfel.o"
	progs, err := bpf.ObjectXDPPrograms(legacy)
	require.NoError(t, err)
	assert.Equal(t, []string{"xdp_legacy_filter", "xdp_legacy_pass"}, progs)
	var pc *catalog.ProgramChoiceError
	require.ErrorAs(t, bpf.CheckObject(bpf.ObjectOptions{Path: legacy}), &pc)
	assert.Equal(t, []string{"xdp_legacy_filter", "xdp_legacy_pass"}, pc.Programs)
	assert.NoError(t, bpf.CheckObject(bpf.ObjectOptions{Path: legacy, Program: "xdp_legacy_pass"}))
}
