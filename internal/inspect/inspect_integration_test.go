//go:build integration

package inspect

import (
	"context"
	"os"
	"testing"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// inspectConfig inspects every built-in in generic and native mode.
func inspectConfig(tb testing.TB) runner.Config {
	return runner.Config{Run: testenv.EveryBuiltin(tb), Version: "test"}
}

// Every built-in loads, verifies and attaches in both modes, reads back
// the mode it was asked, and carries a full fingerprint that is the same
// in both modes (one object, one verifier: the mode is the attach's).
func TestIntegrationInspectBuiltins(t *testing.T) {
	testenv.RequireRoot(t)
	in, err := Inspect(context.Background(), inspectConfig(t))
	require.NoError(t, err)
	assert.Equal(t, results.InspectionSchema, in.Schema)
	assert.Equal(t, []string{"generic", "native"}, in.Modes)
	require.Len(t, in.Programs, 2*len(catalog.BuiltinNames()))
	byProg := map[string][]results.Inspected{}
	for _, p := range in.Programs {
		assert.Equal(t, p.Mode, p.AttachedMode, p.Program.Name)
		require.NotNil(t, p.Fingerprint, p.Program.Name)
		assert.Empty(t, p.Fingerprint.NotReported, p.Program.Name)
		byProg[p.Program.Name] = append(byProg[p.Program.Name], p)
	}
	for name, ps := range byProg {
		require.Len(t, ps, 2, name)
		a, b := ps[0].Fingerprint, ps[1].Fingerprint
		assert.Equal(t, a.JITSHA256, b.JITSHA256, name)
		assert.Equal(t, *a.VerifiedInsns, *b.VerifiedInsns, name)
	}
	assert.True(t, byProg["drop"][0].Offloadable)
	assert.False(t, byProg["redirect"][0].Offloadable)
	assert.Contains(t, byProg["filter"][0].OffloadBlockers, "LPM trie map src4")
}

// An asked mode the pair does not support is refused before loading.
func TestIntegrationInspectOffloadOnVeth(t *testing.T) {
	testenv.RequireRoot(t)
	cfg := inspectConfig(t)
	cfg.Programs, cfg.Modes = []string{"drop"}, []xdpmode.Mode{xdpmode.Offload}
	_, err := Inspect(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "offload")
}

// BenchmarkInspectBuiltins times inspect of every built-in in two modes:
// the target for a pre-commit hook is under 2 s.
func BenchmarkInspectBuiltins(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	cfg := inspectConfig(b)
	for b.Loop() {
		if _, err := Inspect(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
}
