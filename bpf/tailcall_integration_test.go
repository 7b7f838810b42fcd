//go:build integration

package bpf

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// An object of several XDP programs chained by tail calls: the slot its
// ELF fills and the slot --tail-call fills both run; its tc companion
// stays unloaded; its pinned map loads unpinned, said so.
func TestIntegrationTailCallsAndCompanions(t *testing.T) {
	requireRoot(t)
	p, err := LoadObject(ObjectOptions{Path: "testdata/tailcall_bpfel.o", Program: "xdp_entry",
		TailCalls: []catalog.TailCall{{Map: "stages", Index: 1, Program: "xdp_stage_other"}}})
	require.NoError(t, err)
	defer p.Close()
	assert.NotContains(t, p.coll.Programs, "tc_companion", "a program of another type stays out")
	assert.Contains(t, p.coll.Programs, "xdp_stage_v4", "a tail call target the ELF names loads")
	assert.Contains(t, p.Notes, "map(s) stage_hits ask to be pinned by name: loaded unpinned (--pin scratch pins them in a scratch bpffs)")
	v4 := make([]byte, 60)
	v4[12], v4[13] = 0x08, 0x00
	v6 := make([]byte, 60)
	v6[12], v6[13] = 0x86, 0xdd
	for _, f := range [][]byte{v4, v4, v6} {
		ret, err := p.Program.Run(&ebpf.RunOptions{Data: f})
		require.NoError(t, err)
		assert.Equal(t, uint32(catalog.Pass), ret)
	}
	hits := p.coll.Maps["stage_hits"]
	var n [4]uint64
	for k := range n {
		require.NoError(t, hits.Lookup(uint32(k), &n[k]))
	}
	assert.Equal(t, [4]uint64{3, 2, 1, 0}, n, "entry 3 times, the ELF's slot twice, --tail-call's once, no fall-through")

	// Without the loader's slot, IPv6 falls through.
	q, err := LoadObject(ObjectOptions{Path: "testdata/tailcall_bpfel.o", Program: "xdp_entry"})
	require.NoError(t, err)
	defer q.Close()
	_, err = q.Program.Run(&ebpf.RunOptions{Data: v6})
	require.NoError(t, err)
	require.NoError(t, q.coll.Maps["stage_hits"].Lookup(uint32(3), &n[3]))
	assert.Equal(t, uint64(1), n[3])
}
