package results

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/schematest"
)

func u64(v uint64) *uint64 { return &v }

func sampleFingerprint() *Fingerprint {
	return &Fingerprint{
		VerifiedInsns: u64(28), TotalStates: u64(2), PeakStates: u64(2), StackDepth: u64(8), VerifyTimeUS: u64(177),
		XlatedInsns: u64(35), XlatedBytes: u64(280), XlatedSHA256: "0fbb6077f893e21d63d157413140fa4a0672c1867c32a5edd9a122839c8e133d",
		MemlockBytes: u64(4096), LoadTimeUS: u64(26226),
		Maps:    []FingerprintMap{{Name: "xdp_stats", Type: "PerCPUArray", KeySize: 4, ValueSize: 16, MaxEntries: 5, MemlockBytes: u64(512)}},
		Helpers: []string{"bpf_map_lookup_elem"}, Kfuncs: []string{},
		NotReported: map[string]string{"jit_bytes": "no JIT image", "jit_sha256": "no JIT image"},
	}
}

// A fingerprint with figures not reported is a valid schema 6 result, and
// the table shows n/r with why, never 0.
func TestFingerprintTableAndSchema(t *testing.T) {
	r, err := ReadFile("testdata/run-a-k6.18.json")
	require.NoError(t, err)
	r.SchemaVersion = SchemaVersion
	r.Results[0].Fingerprint = sampleFingerprint()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	schematest.ValidateJSON(t, JSONSchema, b)

	var out bytes.Buffer
	require.NoError(t, WriteFingerprints(&out, r.Results[:1]))
	s := out.String()
	assert.Contains(t, s, "program fingerprint")
	assert.Regexp(t, `drop\s+generic\s+28\s+2\s+2\s+8\s+35\s+n/r\s+177\s+26226\s+0fbb6077f893\s+n/r`, s)
	assert.Contains(t, s, "drop: maps xdp_stats:PerCPUArray; calls bpf_map_lookup_elem")
	assert.Contains(t, s, "drop generic: n/r jit_bytes: no JIT image")

	out.Reset()
	require.NoError(t, WriteFingerprints(&out, []Result{{Program: Program{Name: "drop"}}}))
	assert.Empty(t, out.String(), "nothing without fingerprints")
}

func TestFingerprintTexts(t *testing.T) {
	f := &Fingerprint{Helpers: []string{"bpf_redirect_map"}, Kfuncs: []string{"bpf_xdp_metadata_rx_hash"}}
	assert.Equal(t, "bpf_redirect_map bpf_xdp_metadata_rx_hash (kfunc)", f.CallsText())
	assert.Equal(t, "-", f.MapsText())
	assert.Equal(t, "-", (&Fingerprint{}).CallsText())
	assert.Equal(t, "n/r", ShortHash(""))
	assert.Equal(t, "0123456789ab", ShortHash("0123456789abcdef"))
	_, ok := fingerprintFigures[0].Get(nil)
	assert.False(t, ok)
}
