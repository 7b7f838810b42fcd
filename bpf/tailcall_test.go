package bpf

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A --tail-call that names no program array, a slot out of range, a
// program that is not XDP, or a slot the object fills is refused before
// anything loads.
func TestTailCallRefused(t *testing.T) {
	for _, c := range []struct {
		tc   TailCall
		want string
	}{
		{TailCall{Map: "stage_hits", Index: 0, Program: "xdp_stage_v4"}, `no program array "stage_hits"; its program arrays are stages`},
		{TailCall{Map: "stages", Index: 2, Program: "xdp_stage_v4"}, "slot 2 out of range: stages has 2 slots"},
		{TailCall{Map: "stages", Index: 1, Program: "tc_companion"}, `no XDP program "tc_companion"`},
		{TailCall{Map: "stages", Index: 0, Program: "xdp_stage_other"}, "slot 0 of stages is filled already"},
	} {
		err := CheckObject(ObjectOptions{Path: "testdata/tailcall_bpfel.o", Program: "xdp_entry", TailCalls: []TailCall{c.tc}})
		assert.ErrorContains(t, err, c.want, c.tc.String())
	}
}
