package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
)

// aliasBomb nests nine-fold aliases eight deep under key (9^9 values when
// expanded).
func aliasBomb(key, leaf string) string {
	b := fmt.Sprintf("format: 1\nname: bomb\nprograms: [drop]\n%s[&l0 [%s]", key, strings.TrimSuffix(strings.Repeat(leaf+",", 9), ","))
	for i := 1; i < 9; i++ {
		b += fmt.Sprintf(", &l%d [%s]", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 9), ","))
	}
	return b + "]\n"
}

// Every hostile scenario file is refused by name, with an error under
// 1 KiB, within 1 s and 100 MiB of memory (the process runs under an
// address-space limit too, so that a runaway fails rather than swaps).
func TestHostileScenarioFiles(t *testing.T) {
	prlimit := testenv.RequireTool(t, "prlimit")
	dir := t.TempDir()
	files := map[string]struct {
		body string
		want string
	}{
		"alias-bomb-flows.yaml":  {aliasBomb("traffic:\n  flows: ", "1"), "aliases expanded"},
		"alias-bomb-expect.yaml": {aliasBomb("expect: ", `"mpps >= 1"`), "aliases expanded"},
		"alias-bomb-sizes.yaml":  {aliasBomb("traffic:\n  sizes: ", "64"), "aliases expanded"},
		"brackets.yaml":          {"format: 1\nname: x\nprograms: " + strings.Repeat("[", 150000) + strings.Repeat("]", 150000) + "\n", "nested more than 16 deep"},
		"indent.yaml":            {"format: 1\nname: x\ntraffic:\n" + strings.Repeat(" ", 200) + "sizes: [64]\n", "indented more than"},
		"huge.yaml":              {"format: 1\nname: x\n# " + strings.Repeat("x", 2<<20) + "\n", "at most 1048576"},
		"long-name.yaml":         {"format: 1\nname: " + strings.Repeat("n", 900<<10) + "\nprograms: [drop]\n", "give a name of 1 to 64 characters"},
		"bad-name.yaml":          {"format: 1\nname: ../../etc/x\nprograms: [drop]\n", "use letters, digits"},
		"nested-list.yaml":       {"format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: [[64, 128]]\n", "a list holds numbers, not lists"},
		"force.yaml":             {"format: 1\nname: x\nprograms: [drop]\ntopology: {kind: nic-pair, dut: a, peer: b, force: true}\n", "give --force on the command line"},
		"long-value.yaml":        {"format: 1\nname: x\nprograms: [drop]\ntraffic:\n  sizes: " + strings.Repeat("z", 800<<10) + "\n", "bytes"},
	}
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, []byte(f.body), 0o644))
			bin := built(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			// Go reserves about 800 MiB of address space at start: the
			// limit stops a runaway; the resident size is what is held
			// to 100 MiB.
			cmd := exec.CommandContext(ctx, prlimit, "--as=1073741824", bin, "scenario", "validate", p)
			out, err := cmd.CombinedOutput()
			require.NoError(t, ctx.Err(), "refused within 1 s")
			var ee *exec.ExitError
			require.True(t, errors.As(err, &ee), "refused: %s", out)
			assert.Equal(t, exitUsage, ee.ExitCode(), "a bad scenario file is a usage mistake: %s", out)
			assert.Less(t, len(out), 1024, "an error under 1 KiB: %.300s", out)
			assert.Contains(t, string(out), name, "the error names the file")
			assert.Contains(t, string(out), f.want)
			ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			require.True(t, ok)
			assert.Less(t, ru.Maxrss, int64(100<<10), "resident memory under 100 MiB (KiB: %d)", ru.Maxrss)
		})
	}
}
