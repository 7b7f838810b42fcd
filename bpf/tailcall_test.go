package bpf

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// A --tail-call that names no program array, a slot out of range, a
// program that is not XDP, or a slot the object fills is refused before
// anything loads.
func TestTailCallRefused(t *testing.T) {
	for _, c := range []struct {
		tc   catalog.TailCall
		want string
	}{
		{catalog.TailCall{Map: "stage_hits", Index: 0, Program: "xdp_stage_v4"}, `no program array "stage_hits"; its program arrays are stages`},
		{catalog.TailCall{Map: "stages", Index: 2, Program: "xdp_stage_v4"}, "slot 2 out of range: stages has 2 slots"},
		{catalog.TailCall{Map: "stages", Index: 1, Program: "tc_companion"}, `no XDP program "tc_companion"`},
		{catalog.TailCall{Map: "stages", Index: 0, Program: "xdp_stage_other"}, "slot 0 of stages is filled already"},
	} {
		err := CheckObject(ObjectOptions{Path: "testdata/tailcall_bpfel.o", Program: "xdp_entry", TailCalls: []catalog.TailCall{c.tc}})
		assert.ErrorContains(t, err, c.want, c.tc.String())
	}
}

// Every workload of the catalogue has its loader here, and every loader
// its catalogue entry.
func TestWorkloadsRegistered(t *testing.T) {
	n := 0
	for _, b := range catalog.Builtins() {
		if b.Workload {
			n++
			w := lookupWorkload(b.Name)
			if assert.NotNil(t, w, b.Name) {
				assert.Equal(t, b, w.Builtin)
			}
		}
	}
	assert.Len(t, workloads, n)
}

// A workload's settings are of the type its file declares: none gives the
// zero value (the workload says what is missing), another type is named.
func TestSettingsOf(t *testing.T) {
	l, err := settingsOf[catalog.RateLimit]("ratelimit", DUTOptions{})
	assert.NoError(t, err)
	assert.Zero(t, l)
	l, err = settingsOf[catalog.RateLimit]("ratelimit", DUTOptions{Settings: catalog.RateLimit{PPS: 5, Burst: 2}})
	assert.NoError(t, err)
	assert.Equal(t, catalog.RateLimit{PPS: 5, Burst: 2}, l)
	_, err = settingsOf[*LBConfig]("l4lb", DUTOptions{Settings: catalog.RateLimit{}})
	assert.EqualError(t, err, "l4lb: settings of type catalog.RateLimit, not the *bpf.LBConfig it takes")
}
