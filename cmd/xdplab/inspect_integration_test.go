//go:build integration

package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/schematest"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// inspect of an object with several XDP programs looks at every one in
// every mode without --program, which narrows it; an object with no XDP
// program is refused with what it holds.
func TestIntegrationInspectEveryProgram(t *testing.T) {
	testenv.RequireRoot(t)
	out, _, err := xdplab(t, context.Background(), "inspect", "../../bpf/dut_bpfel.o", "--modes", "generic,native", "--json")
	require.NoError(t, err)
	var in results.Inspection
	require.NoError(t, json.Unmarshal([]byte(out), &in))
	var rows []string
	for _, p := range in.Programs {
		rows = append(rows, p.Program.Name+" "+p.Mode)
		require.NotNil(t, p.Fingerprint, p.Program.Name)
	}
	assert.Equal(t, []string{"xdp_drop generic", "xdp_drop native", "xdp_pass generic", "xdp_pass native", "xdp_redirect generic", "xdp_redirect native",
		"xdp_tx generic", "xdp_tx native", "xdp_xsk generic", "xdp_xsk native"}, rows)
	out, _, err = xdplab(t, context.Background(), "inspect", "../../bpf/dut_bpfel.o", "--program", "xdp_tx", "--modes", "native", "--json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &in))
	require.Len(t, in.Programs, 1)
	assert.Equal(t, "xdp_tx", in.Programs[0].Program.Name)
	_, _, err = xdplab(t, context.Background(), "inspect", "../../bpf/testdata/tponly_bpfel.o")
	require.ErrorContains(t, err, "holds no XDP program (it holds 2 tracepoint program(s)): xdplab loads XDP programs")
}

// inspect of a user's object whose map its loader sizes: refused by name
// without --map-size, fingerprinted with it, as JSON.
func TestIntegrationInspectObject(t *testing.T) {
	testenv.RequireRoot(t)
	_, _, err := xdplab(t, context.Background(), "inspect", "../../bpf/testdata/unsized_bpfel.o")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--map-size per_ifindex=N")

	out, _, err := xdplab(t, context.Background(), "inspect", "../../bpf/testdata/unsized_bpfel.o", "--map-size", "per_ifindex=16", "--modes", "generic,native", "--json")
	require.NoError(t, err)
	schematest.ValidateJSON(t, results.InspectionJSONSchema, []byte(out), results.JSONSchema)
	var in results.Inspection
	require.NoError(t, json.Unmarshal([]byte(out), &in))
	require.Len(t, in.Programs, 2)
	for _, p := range in.Programs {
		assert.Equal(t, "xdp_count_pass", p.Program.Name)
		assert.Equal(t, p.Mode, p.AttachedMode)
		require.NotNil(t, p.Fingerprint)
		require.NotNil(t, p.Fingerprint.VerifiedInsns)
		assert.Equal(t, []string{"bpf_map_lookup_elem", "bpf_map_update_elem"}, p.Fingerprint.Helpers)
		require.Len(t, p.Fingerprint.Maps, 1)
		assert.Equal(t, uint32(16), p.Fingerprint.Maps[0].MaxEntries)
		assert.True(t, p.Offloadable)
	}

	_, _, err = xdplab(t, context.Background(), "inspect", "x.o", "--prog", "drop")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "inspect either built-ins or an object")
}
