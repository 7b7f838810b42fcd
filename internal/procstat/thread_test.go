package procstat

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A command with spaces and parentheses does not shift the fields.
func TestParseTaskStat(t *testing.T) {
	line := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 17 23 0 0 20 0 1 0 100 1000 10\n"
	u, s, err := parseTaskStat([]byte(line))
	require.NoError(t, err)
	assert.Equal(t, uint64(17), u)
	assert.Equal(t, uint64(23), s)
	_, _, err = parseTaskStat([]byte("4242 no parenthesis"))
	require.Error(t, err)
	_, _, err = parseTaskStat([]byte("4242 (x) S 1 2"))
	require.Error(t, err, "too few fields")
}

func TestParseSwitches(t *testing.T) {
	v, n, err := parseSwitches([]byte("Name:\tx\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n"))
	require.NoError(t, err)
	assert.Equal(t, uint64(12), v)
	assert.Equal(t, uint64(3), n)
	_, _, err = parseSwitches([]byte("voluntary_ctxt_switches:\t12\n"))
	require.Error(t, err, "one count missing")
	_, _, err = parseSwitches([]byte("voluntary_ctxt_switches:\tx\nnonvoluntary_ctxt_switches:\t3\n"))
	require.Error(t, err)
}

// Time on CPU splits by the ticks' ratio; with no tick, all of it is
// system time (a reader that waits in poll).
func TestThreadSplit(t *testing.T) {
	u, s := Thread{RunNs: 1000, UserTicks: 1, SystemTicks: 3}.Split()
	assert.InDelta(t, 250, u, 1e-9)
	assert.InDelta(t, 750, s, 1e-9)
	u, s = Thread{RunNs: 1000}.Split()
	assert.Zero(t, u)
	assert.InDelta(t, 1000, s, 1e-9)
	d := Thread{RunNs: 10, UserTicks: 5, SystemTicks: 6, Voluntary: 7, Involuntary: 8}.Sub(Thread{RunNs: 1, UserTicks: 1, SystemTicks: 2, Voluntary: 3, Involuntary: 4})
	assert.Equal(t, Thread{RunNs: 9, UserTicks: 4, SystemTicks: 4, Voluntary: 4, Involuntary: 4}, d)
}

// This thread's own figures read back, and grow as it works.
func TestReadThread(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc here")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	a, err := ReadThread(tid)
	require.NoError(t, err)
	x := 0
	for i := range 20_000_000 {
		x += i
	}
	_ = x
	b, err := ReadThread(tid)
	require.NoError(t, err)
	assert.Greater(t, b.RunNs, a.RunNs)
	_, err = ReadThread(1 << 30)
	require.Error(t, err)
}
