package hook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// User space applies the built-in programs' rules: drop drops and pass
// passes every frame; a program user space has no rule for is refused.
func TestRules(t *testing.T) {
	for prog, want := range map[string]catalog.Action{"drop": catalog.Drop, "pass": catalog.Pass} {
		d, err := Rules(prog)
		require.NoError(t, err, prog)
		assert.Equal(t, want, d([]byte{1, 2, 3}), prog)
		assert.Equal(t, want, d(nil), prog)
	}
	for _, prog := range []string{"tx", "redirect", "filter", ""} {
		_, err := Rules(prog)
		require.Error(t, err, prog)
	}
}

// A reader files each decision under its action, frames and bytes.
func TestReaderCounts(t *testing.T) {
	n := 0
	r := &Reader{decide: func(f []byte) catalog.Action {
		n++
		if len(f) > 2 {
			return catalog.Drop
		}
		return catalog.Pass
	}}
	r.count([]byte{1, 2, 3}, 64)
	r.count([]byte{1}, 70)
	r.count([]byte{1, 2, 3, 4}, 100)
	s := r.Stats()
	assert.Equal(t, uint64(2), s[catalog.Drop].Packets)
	assert.Equal(t, uint64(164), s[catalog.Drop].Bytes)
	assert.Equal(t, uint64(1), s[catalog.Pass].Packets)
	assert.Equal(t, uint64(70), s[catalog.Pass].Bytes)
	assert.Zero(t, s[catalog.TX].Packets)
	assert.Equal(t, 3, n)
	var nilReader *Reader
	require.NoError(t, nilReader.Close())
}
