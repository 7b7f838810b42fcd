package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/results"
)

// A results file far past anything xdplab writes (valid, a real run with
// one 120 MiB note) is refused by compare, history and report from its
// size: each exits 1 with an error of a line naming the file and the
// bound, and allocates less than 100 MiB doing so. A directory of files that are each within the bound but
// past the total a command holds is refused too.
func TestHugeResultsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 120 MiB file")
	}
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.json")
	writeWithNote(t, huge, 120<<20)
	_, err := results.ReadFile(huge)
	var tl *results.TooLargeError
	require.ErrorAs(t, err, &tl)

	for _, args := range [][]string{
		{"compare", fixtureA, huge},
		{"history", dir},
		{"report", fixtureA, huge, "-o", filepath.Join(dir, "r.html")},
	} {
		// What the command allocates, in this process: a reader that
		// took the file in would allocate its 120 MiB at least.
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, stderr, err := xdplab(t, context.Background(), args...)
		runtime.ReadMemStats(&after)
		require.Error(t, err, "%v", args)
		assert.Equal(t, 1, exitStatus(err), "%v: %v", args, err)
		msg := err.Error()
		assert.Less(t, len(msg)+len(stderr), 1024, "%v: %s %s", args, msg, stderr)
		assert.Contains(t, msg, huge, args)
		assert.Contains(t, msg, "at most 32 MiB", args)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(100<<20), "%v allocated %d MiB", args, (after.TotalAlloc-before.TotalAlloc)>>20)
		assert.NoFileExists(t, filepath.Join(dir, "r.html"))
	}

	// Five files of 30 MiB each: each one within the bound, together past
	// what compare holds, refused before any is read.
	many := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		writeWithNote(t, filepath.Join(many, n+".json"), 30<<20)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = results.ReadContents([]string{many})
	runtime.ReadMemStats(&after)
	require.ErrorAs(t, err, &tl)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "refused from the sizes, before a file is read")
	assert.True(t, tl.Total)
	assert.Contains(t, err.Error(), "name fewer files at once")
}

// writeWithNote writes a valid results file, the fixture's run with one
// note of n bytes, without holding it in memory.
func writeWithNote(t *testing.T, path string, n int) {
	t.Helper()
	r, err := results.ReadFile(fixtureA)
	require.NoError(t, err)
	const mark = "NOTE-GOES-HERE"
	r.Notes = append(r.Notes, mark)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	head, tail, ok := strings.Cut(string(b), mark)
	require.True(t, ok)
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString(head)
	require.NoError(t, err)
	chunk := []byte(strings.Repeat("x", 1<<20))
	for left := n; left > 0; left -= len(chunk) {
		_, err = f.Write(chunk[:min(left, len(chunk))])
		require.NoError(t, err)
	}
	_, err = f.WriteString(tail)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
