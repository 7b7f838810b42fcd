//go:build integration

package runner

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/scenarios"
	"github.com/xdplab/xdplab/scenarios/expect"
)

// Every library scenario runs here, shortened, and its expectations hold.
func TestIntegrationLibrary(t *testing.T) {
	testenv.RequireRoot(t)
	files, err := filepath.Glob("../../scenarios/library/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := scenarios.Load(f)
			require.NoError(t, err)
			var runs []*results.Run
			for _, d := range s.Runs {
				cfg := Config{Run: d}
				cfg.Duration, cfg.Warmup, cfg.Trials, cfg.ProgStats, cfg.Calibrate = spec.MinDuration, 500*time.Millisecond, 1, 0, false
				r, err := Run(context.Background(), cfg)
				require.NoError(t, err, "%s %dB %d flows", f, cfg.FrameSize, cfg.Flows)
				runs = append(runs, r)
			}
			for _, v := range expect.Check(s.Expect, runs) {
				assert.True(t, v.Pass, "%s: %s on %s %s %dB %d flow(s): %s", f, v.Expectation, v.Program, v.Mode, v.FrameSize, v.Flows, v.Got)
			}
		})
	}
}
