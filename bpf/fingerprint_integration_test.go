//go:build integration

package bpf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// Two loads of one program give the same fingerprint, the times aside;
// every figure is reported on this kernel; programs that differ have
// other hashes.
func TestIntegrationFingerprintRepeats(t *testing.T) {
	testenv.RequireRoot(t)
	load := func(name string) *results.Fingerprint {
		p, err := bpf.LoadDUT(bpf.DUTOptions{Program: name})
		require.NoError(t, err, name)
		defer p.Close()
		require.NotNil(t, p.Fingerprint, name)
		return p.Fingerprint
	}
	hashes := map[string]string{}
	for _, name := range []string{"drop", "pass", "tx", "redirect", "flowstats"} {
		a, b := load(name), load(name)
		assert.Empty(t, a.NotReported, name)
		assert.Empty(t, a.Warnings, name)
		for _, ff := range results.FingerprintFigures() {
			va, ok := ff.Get(a)
			assert.True(t, ok, "%s %s", name, ff.Name)
			vb, _ := ff.Get(b)
			if ff.Exact {
				assert.Equal(t, va, vb, "%s %s", name, ff.Name)
				if ff.Name != "stack_depth" {
					assert.NotZero(t, va, "%s %s", name, ff.Name)
				}
			}
		}
		assert.Equal(t, a.XlatedSHA256, b.XlatedSHA256, name)
		assert.Equal(t, a.JITSHA256, b.JITSHA256, name)
		assert.Len(t, a.JITSHA256, 64)
		assert.Equal(t, a.Maps, b.Maps, name)
		assert.Equal(t, *a.XlatedInsns*8, *a.XlatedBytes)
		assert.Contains(t, a.Helpers, "bpf_map_lookup_elem", name)
		if other, ok := hashes[a.JITSHA256]; ok {
			t.Errorf("%s and %s have one JIT hash", name, other)
		}
		hashes[a.JITSHA256] = name
	}
	r := load("redirect")
	assert.Contains(t, r.Helpers, "bpf_redirect_map")
	var names []string
	for _, m := range r.Maps {
		names = append(names, m.Name+":"+m.Type)
	}
	assert.Contains(t, names, "tx_port:DevMap")
	assert.Contains(t, names, "xdp_stats:PerCPUArray")
}

// A user's object carries its fingerprint too.
func TestIntegrationFingerprintOfObject(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := bpf.LoadObject(bpf.ObjectOptions{Path: "testdata/unsized_bpfel.o", MapEntries: map[string]uint32{"per_ifindex": 4}})
	require.NoError(t, err)
	defer p.Close()
	require.NotNil(t, p.Fingerprint)
	v, ok := results.FingerprintFigures()[0].Get(p.Fingerprint)
	assert.True(t, ok)
	assert.NotZero(t, v)
	require.NotEmpty(t, p.Fingerprint.Maps)
	found := false
	for _, m := range p.Fingerprint.Maps {
		found = found || m.Name == "per_ifindex" && m.MaxEntries == 4
	}
	assert.True(t, found, "the map as sized at load: %+v", p.Fingerprint.Maps)
}
