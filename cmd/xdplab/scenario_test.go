package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScenarioValidate(t *testing.T) {
	stdout, _, err := xdplab(t, context.Background(), "scenario", "validate", "../../scenarios/library/quick.yaml")
	require.NoError(t, err)
	assert.Contains(t, stdout, "ok: quick")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("format: 1\nname: x\nprograms: [drop]\ntrials:\n  cont: 3\n"), 0o644))
	_, _, err = xdplab(t, context.Background(), "scenario", "validate", bad)
	var ue *usageError
	require.True(t, errorsAs(err, &ue), "usage error: %v", err)
	assert.ErrorContains(t, err, bad+":5")
	assert.ErrorContains(t, err, `unknown field "cont"`)
}

func TestRunScenarioRejects(t *testing.T) {
	var ue *usageError
	out := t.TempDir()
	_, _, err := xdplab(t, context.Background(), "run", "--scenario", "../../scenarios/library/quick.yaml", "--prog", "tx", "-o", out)
	require.True(t, errorsAs(err, &ue), "usage error: %v", err)
	assert.ErrorContains(t, err, "--prog: the scenario file")
	_, _, err = xdplab(t, context.Background(), "run", "--scenario", "nosuch.yaml", "-o", out)
	assert.ErrorContains(t, err, "nosuch.yaml")
	entries, _ := os.ReadDir(out)
	assert.Empty(t, entries, "no results file")
}
