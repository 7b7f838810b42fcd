package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/schematest"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

func TestMain(m *testing.M) {
	// Re-executed as the xdplab binary by tests that need a process of
	// their own (dropped privileges, signals).
	if os.Getenv("XDPLAB_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	testenv.MainWith(m, func() {
		if builtPath != "" {
			_ = os.RemoveAll(filepath.Dir(builtPath)) // the binary built() made
		}
	})
}

// xdplab runs the CLI in-process.
func xdplab(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = Run(ctx, args, &o, &e)
	return o.String(), e.String(), err
}

// quick are the flags of a short run.
func quick(out string) []string {
	return []string{"run", "--duration", "1s", "--warmup", "500ms", "--trials", "1", "--prog-stats", "0", "--no-calibrate", "-q", "--output", out}
}

// replayQuick are quick's flags without --warmup, which a replay refuses.
func replayQuick(out string) []string {
	q := quick(out)
	for i := range q {
		if q[i] == "--warmup" {
			return append(q[:i:i], q[i+2:]...)
		}
	}
	return q
}

func runJSON(t *testing.T, args ...string) *results.Run {
	t.Helper()
	return runJSONWith(t, quick, args...)
}

func runJSONWith(t *testing.T, base func(out string) []string, args ...string) *results.Run {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, err := xdplab(t, context.Background(), append(append(base(out), "--json"), args...)...)
	require.NoError(t, err, stderr)
	var r results.Run
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	fromFile, err := results.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, len(r.Results), len(fromFile.Results), "the file holds what stdout showed")
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	schematest.ValidateJSON(t, results.JSONSchema, raw)
	return &r
}

func noFlag(t *testing.T, res results.Result, codes ...string) {
	t.Helper()
	for _, tr := range res.Trials {
		for _, f := range tr.Flags {
			for _, c := range codes {
				assert.NotEqual(t, c, f.Code, "%s %s: %s", res.Program.Name, res.Mode, f.Message)
			}
		}
	}
}

// A replay speed that is no number is refused before any measurement.
func TestRunRejectsReplaySpeed(t *testing.T) {
	for _, v := range []string{"NaN", "+Inf", "-1"} {
		out := filepath.Join(t.TempDir(), "r.json")
		args := append(replayQuick(out), "--pcap", "../../scenarios/library/pcap/udp-100.pcap", "--replay-timing", "capture", "--replay-speed", v)
		_, _, err := xdplab(t, context.Background(), args...)
		require.Error(t, err)
		assert.ErrorContains(t, err, "--replay-speed: "+v)
		var ue *usageError
		assert.True(t, errorsAs(err, &ue), "usage error (exit 2): %v", err)
		assert.NoFileExists(t, out)
	}
}

func errorsAs(err error, ue **usageError) bool {
	for e := err; e != nil; {
		if u, ok := e.(*usageError); ok {
			*ue = u
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// selfBinary copies the test binary where an unprivileged user can run it.
func selfBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "xdplab-bin")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	self, err := os.ReadFile("/proc/self/exe")
	require.NoError(t, err)
	bin := filepath.Join(dir, "xdplab")
	require.NoError(t, os.WriteFile(bin, self, 0o755))
	return bin
}

func TestHelpTexts(t *testing.T) {
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range root.Commands() {
		if c.Name() == "completion" || c.Name() == "help" {
			continue
		}
		assert.NotEmpty(t, c.Short, c.Name())
		assert.False(t, strings.HasSuffix(c.Short, "."), "%s: short help without a full stop", c.Name())
		stdout, _, err := xdplab(t, context.Background(), c.Name(), "--help")
		require.NoError(t, err)
		assert.Contains(t, stdout, "Usage:", c.Name())
	}
	_, _, err := xdplab(t, context.Background(), "frob")
	assert.Error(t, err)
}

// Flags the run refuses before anything touches the kernel: a usage error
// (exit 2) naming the flag, no results file, and no root needed.
func TestRunRejects(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"unknown program", []string{"--prog", "frobnicate"}, true, `unknown program "frobnicate"`},
		{"bad size", []string{"--size", "10"}, true, "--size: 10 out of range"},
		{"ipv6 too small", []string{"--ipv6", "--size", "64"}, true, "UDP over IPv6 needs 66"},
		{"bad mode", []string{"--modes", "turbo"}, true, `unknown mode or hook "turbo"`},
		{"bad duration", []string{"--duration", "10ms"}, true, "--duration: 10ms out of range"},
		{"not a number", []string{"--threads", "many"}, true, `--threads: "many": give a whole number`},
		{"too many threads", []string{"--threads", "4096"}, true, "--threads: 4096 out of range"},
		{"bad format", []string{"--format", "xml"}, true, `--format "xml"`},
		{"object and prog", []string{"--object", "x.o", "--prog", "drop"}, true, "--object: programs and an object exclude each other"},
		// Refused before any measurement, not when the results are written.
		{"rate NaN%", []string{"--rate", "NaN%"}, true, `rate "NaN%"`},
		{"rate Inf", []string{"--rate", "Inf"}, true, `rate "Inf"`},
		{"rate NaN", []string{"--rate", "NaN"}, true, `rate "NaN"`},
		{"malformed NaN%", []string{"--malformed", "NaN%"}, true, `share "NaN%"`},
		{"output a directory", []string{"--output", os.TempDir()}, true, "is a directory"},
		{"output name too long", []string{"--output", filepath.Join(os.TempDir(), strings.Repeat("n", 300)+".json")}, true, "the limit is 255"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			_, _, err := xdplab(t, context.Background(), append(quick(out), c.args...)...)
			require.Error(t, err)
			assert.ErrorContains(t, err, c.want)
			var ue *usageError
			assert.Equal(t, c.usage, errorsAs(err, &ue), "usage error (exit 2): %v", err)
			assert.NoFileExists(t, out)
		})
	}
}
