package vm

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/u-root/u-root/pkg/cpio"
)

func TestParseConsole(t *testing.T) {
	res := &Result{Files: map[string][]byte{}, Status: map[string]int{}}
	res.Console = []byte("booting\r\n" + markStatus + "insmod-veth 0\r\n" + markStatus + "run 1\n" +
		"[   3.1] some kernel line\n" + markFile + "a.json\naGVsbG8g\nd29ybGQ=\n" + markEnd + "\n" + markDone + "\n")
	parse(res)
	assert.Equal(t, map[string]int{"insmod-veth": 0, "run": 1}, res.Status)
	assert.Equal(t, "hello world", string(res.Files["a.json"]))
	assert.True(t, res.Done)
}

func TestStepAndSendFiles(t *testing.T) {
	assert.Equal(t, "true\necho \"@@XDPLAB-STATUS x $?\"\n", Step("x", "true"))
	assert.Contains(t, SendFiles("/out"), "base64")
	assert.Contains(t, SendFiles("/out"), markDone)
}

func TestBuildInitramfs(t *testing.T) {
	if _, err := os.Stat(Busybox); err != nil {
		t.Skip("needs busybox-static")
	}
	dir := t.TempDir()
	extra := filepath.Join(dir, "x")
	require.NoError(t, os.WriteFile(extra, []byte("payload"), 0o644))
	out := filepath.Join(dir, "initrd.gz")
	require.NoError(t, Image{Files: map[string]string{"lib/modules/x.ko": extra}, Init: "#!/bin/busybox sh\n"}.Build(out))
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(strings.NewReader(string(raw))))
	require.NoError(t, err)
	names := map[string]cpio.Record{}
	for _, r := range recs {
		names[r.Name] = r
	}
	for _, n := range []string{"init", "bin/busybox", "lib/modules/x.ko", "dev/console", "var/run", "out"} {
		assert.Contains(t, names, n)
	}
	assert.NotZero(t, names["init"].Mode&0o100, "init is executable")

	require.ErrorContains(t, Image{Busybox: extra}.Build(out), "busybox-static", "not an ELF")
	require.ErrorContains(t, Image{Busybox: "/bin/true"}.Build(out), "dynamically linked")
}
