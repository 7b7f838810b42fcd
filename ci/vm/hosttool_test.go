package vm

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A dynamically linked program comes with its loader and every library
// it needs, transitively, where the loader looks without a cache.
func TestHostTool(t *testing.T) {
	const sh = "/bin/sh" // dash on Debian: libc only
	if _, err := os.Stat(sh); err != nil {
		t.Skip("no /bin/sh")
	}
	files, err := HostTool(sh, "sbin/x")
	require.NoError(t, err)
	assert.Equal(t, sh, files["sbin/x"])
	assert.Contains(t, files, "lib64/ld-linux-x86-64.so.2", "the program interpreter, at its path")
	assert.Contains(t, files, "lib/x86_64-linux-gnu/libc.so.6")
	for dst, src := range files {
		_, err := os.Stat(src)
		assert.NoError(t, err, dst)
	}

	if _, err := os.Stat("/usr/sbin/ethtool"); err == nil {
		files, err := HostTool("/usr/sbin/ethtool", "sbin/ethtool")
		require.NoError(t, err)
		assert.Contains(t, files, "lib/x86_64-linux-gnu/libmnl.so.0", "a library beyond libc")
	}

	_, err = HostTool("/nonexistent", "sbin/x")
	assert.ErrorContains(t, err, "/nonexistent")
	notELF := t.TempDir() + "/x"
	require.NoError(t, os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755))
	_, err = HostTool(notELF, "sbin/x")
	assert.ErrorContains(t, err, "host tool "+notELF)
}

// Busybox's static binary comes alone.
func TestHostToolStatic(t *testing.T) {
	if _, err := os.Stat(Busybox); err != nil {
		t.Skip("no busybox-static")
	}
	files, err := HostTool(Busybox, "bin/bb")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"bin/bb": Busybox}, files)
}
