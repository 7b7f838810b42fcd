package remote

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipping command, run by a real shell: the payload arrives whole,
// runs with its arguments, and its directory is gone afterwards.
func TestShipCommand(t *testing.T) {
	tmp := t.TempDir()
	payload := "#!/bin/sh\necho \"ran $0 with [$*]\"\n"
	run := func(cmd string, stdin string) (string, error) {
		c := exec.Command("sh", "-c", cmd)
		c.Env = append(os.Environ(), "TMPDIR="+tmp)
		c.Stdin = strings.NewReader(stdin)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	out, err := run(shipCommand(len(payload), shellQuote("clean")+" "+shellQuote("--dry-run"), false), payload+"and what follows stays on stdin")
	require.NoError(t, err, out)
	assert.Regexp(t, `^ran .*/`+shipDirPrefix+`[A-Za-z0-9]{8}/xdplab with \[clean --dry-run\]\n$`, out)
	left, _ := filepath.Glob(filepath.Join(tmp, shipDirPrefix+"*"))
	assert.Empty(t, left, "removed when the command ends")

	out, err = run(shipCommand(len(payload), "agent", true), payload)
	require.NoError(t, err, out)
	assert.Regexp(t, `with \[agent --remove-dir /.*/`+shipDirPrefix+`[A-Za-z0-9]{8}\]`, out, "the agent is told its directory")
	left, _ = filepath.Glob(filepath.Join(tmp, shipDirPrefix+"*"))
	require.Len(t, left, 1, "the agent removes it itself")
	require.NoError(t, os.RemoveAll(left[0]))

	out, err = run(shipCommand(len(payload)+10, "agent", true), payload)
	require.Error(t, err, "a short upload runs nothing: %s", out)
	assert.NotContains(t, out, "ran ")
	left, _ = filepath.Glob(filepath.Join(tmp, shipDirPrefix+"*"))
	assert.Empty(t, left, "and leaves nothing")
}

func TestShellQuote(t *testing.T) {
	out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(`it's $HOME; rm -rf /`)).Output()
	require.NoError(t, err)
	assert.Equal(t, `it's $HOME; rm -rf /`, string(out))
}

func TestShippable(t *testing.T) {
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	sh, _ = filepath.EvalSymlinks(sh)
	_, _, err = shippable(sh, "riscv-z", "gen")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "it is riscv-z")
	assert.Contains(t, err.Error(), "--remote-xdplab")
	_, _, err = shippable(sh, "x86_64", "gen")
	if err != nil { // a static sh would ship
		assert.Contains(t, err.Error(), "dynamically linked")
		assert.Contains(t, err.Error(), "CGO_ENABLED=0")
	}
	_, _, err = shippable(filepath.Join(t.TempDir(), "none"), "x86_64", "gen")
	assert.Error(t, err)
	notELF := filepath.Join(t.TempDir(), "script")
	require.NoError(t, os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755))
	_, _, err = shippable(notELF, "x86_64", "gen")
	assert.Error(t, err)
}

func TestRemoveShipped(t *testing.T) {
	for _, dir := range []string{"relative/xdplab-agent.x", "/tmp/not-ours", "/tmp/" + shipDirPrefix + "elsewhere"} {
		assert.Error(t, RemoveShipped(dir), dir)
	}
}
