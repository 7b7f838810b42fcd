package vm

import (
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/u-root/u-root/pkg/cpio"
)

// hello world: 11 bytes
const helloSum = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"

func TestParseConsole(t *testing.T) {
	res := &Result{Files: map[string][]byte{}, Status: map[string]int{}}
	res.Console = []byte("booting\r\n" + markStatus + "insmod-veth 0\r\n" + markStatus + "run 1\n" +
		"[   3.1] some kernel line\n" + markFile + "a.json 11 " + helloSum + "\naGVsbG8g\n[   3.2] a kernel message inside\nd29ybGQ=\n" + markEnd + "\n" + markDone + "\n")
	parse(res)
	assert.Equal(t, map[string]int{"insmod-veth": 0, "run": 1}, res.Status)
	assert.Equal(t, "hello world", string(res.Files["a.json"]), "a kernel line between base64 lines is skipped")
	assert.True(t, res.Done)
	assert.Empty(t, res.Errors)
}

// A file that does not come back whole, or under a name the guest may not
// use, is reported, never dropped silently or written.
func TestParseConsoleBroken(t *testing.T) {
	for _, c := range []struct{ console, want string }{
		{markFile + "a.json 11 " + helloSum + "\naGVsbG8g[ 3.2] x\nd29ybGQ=\n" + markEnd + "\n", "did not come back whole"},
		{markFile + "a.json 12 " + helloSum + "\naGVsbG8gd29ybGQ=\n" + markEnd + "\n", "11 bytes of 12"},
		{markFile + "a.json 11 00" + helloSum[2:] + "\naGVsbG8gd29ybGQ=\n" + markEnd + "\n", "SHA-256 differs"},
		{markFile + "console.log 11 " + helloSum + "\naGVsbG8gd29ybGQ=\n" + markEnd + "\n", "not console.log"},
		{markFile + "../x 11 " + helloSum + "\naGVsbG8gd29ybGQ=\n" + markEnd + "\n", "a name the guest may not send"},
		{markFile + "a.json\naGVsbG8gd29ybGQ=\n" + markEnd + "\n", "without name, length and SHA-256"},
		{markFile + "a.json 99999999999 " + helloSum + "\n" + markEnd + "\n", "out of range"},
		{markFile + "a.json 11 " + helloSum + "\naGVsbG8gd29ybGQ=\n", "ended inside it"},
	} {
		res := &Result{Files: map[string][]byte{}, Status: map[string]int{}, Console: []byte(c.console)}
		parse(res)
		assert.Empty(t, res.Files, c.console)
		require.Len(t, res.Errors, 1, c.console)
		assert.Contains(t, res.Errors[0], c.want)
	}
}

func TestCapped(t *testing.T) {
	c := &capped{n: 5}
	n, err := c.Write([]byte("abc"))
	assert.Equal(t, 3, n)
	require.NoError(t, err)
	n, _ = c.Write([]byte("defg"))
	assert.Equal(t, 4, n, "the writer never fails QEMU's output")
	assert.Equal(t, "abcde", c.b.String())
	assert.True(t, c.cut)
}

func TestStepAndSendFiles(t *testing.T) {
	assert.Equal(t, "echo \"@@XDPLAB-START x\"\ntrue\necho \"@@XDPLAB-STATUS x $?\"\n", Step("x", "true"))
	assert.Contains(t, SendFiles("/out"), "base64")
	assert.Contains(t, SendFiles("/out"), markDone)
}

// Files sent so far come back once, and a script that dies after sending
// them (a kernel BUG in a later step) still gives them back; the final
// send gives the rest.
func TestSendFilesSoFar(t *testing.T) {
	if _, err := os.Stat(Busybox); err != nil {
		t.Skip("needs busybox-static")
	}
	dir := t.TempDir()
	run := func(body string) *Result {
		out, err := exec.Command(Busybox, "sh", "-c", body).Output()
		require.NoError(t, err)
		res := &Result{Files: map[string][]byte{}, Status: map[string]int{}, Console: out}
		parse(res)
		return res
	}
	first := "echo one > " + dir + "/a.txt\n" + SendFilesSoFar(dir) + "echo two > " + dir + "/b.txt\n"
	res := run(first + "kill $XDPLAB_HEARTBEAT\nexit 0\n") // died before the final send
	assert.Equal(t, map[string][]byte{"a.txt": []byte("one\n")}, res.Files)
	assert.False(t, res.Done)
	assert.Empty(t, res.Errors)

	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.Mkdir(dir, 0o755))
	res = run(first + SendFiles(dir))
	assert.Equal(t, map[string][]byte{"a.txt": []byte("one\n"), "b.txt": []byte("two\n")}, res.Files, "each file once")
	assert.True(t, res.Done)
	assert.Empty(t, res.Errors)
}

func TestBuildInitramfs(t *testing.T) {
	if _, err := os.Stat(Busybox); err != nil {
		t.Skip("needs busybox-static")
	}
	dir := t.TempDir()
	extra := filepath.Join(dir, "x")
	require.NoError(t, os.WriteFile(extra, []byte("payload"), 0o644))
	out := filepath.Join(dir, "initrd.gz")
	require.NoError(t, Image{Files: map[string]string{"lib/modules/x.ko": extra}, Texts: map[string]string{"check.sh": "echo hi\n"}, Init: "#!/bin/busybox sh\n"}.Build(out))
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
	for _, n := range []string{"init", "bin/busybox", "lib/modules/x.ko", "check.sh", "dev/console", "var/run", "out"} {
		assert.Contains(t, names, n)
	}
	assert.NotZero(t, names["init"].Mode&0o100, "init is executable")
	text, err := io.ReadAll(io.NewSectionReader(names["check.sh"], 0, int64(names["check.sh"].FileSize)))
	require.NoError(t, err)
	assert.Equal(t, "echo hi\n", string(text))

	require.ErrorContains(t, Image{Busybox: extra}.Build(out), "busybox-static", "not an ELF")
	require.ErrorContains(t, Image{Busybox: "/bin/true"}.Build(out), "dynamically linked")
}

// The console parser takes any console without a panic, and every file it
// keeps has the length and SHA-256 its header gave.
func FuzzParseConsole(f *testing.F) {
	f.Add([]byte(markFile + "a.json 11 " + helloSum + "\naGVsbG8gd29ybGQ=\n" + markEnd + "\n" + markDone + "\n"))
	f.Add([]byte(markStatus + "x 1\n" + markFile + "b 1 00\n=\n" + markEnd + "\n"))
	f.Fuzz(func(t *testing.T, console []byte) {
		res := &Result{Files: map[string][]byte{}, Status: map[string]int{}, Console: console}
		parse(res)
		for name, b := range res.Files {
			if !fileName.MatchString(name) || name == "console.log" {
				t.Fatalf("kept a file named %q", name)
			}
			if len(b) > MaxFile {
				t.Fatalf("kept %d bytes", len(b))
			}
		}
	})
}
