package runner

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/internal/hook"
	"github.com/xdplab/xdplab/internal/procstat"
)

// A reader's figures: its thread's cost per frame decided in the timed
// window, what it missed over the settled counts and the frames
// generated.
func TestReaderFigures(t *testing.T) {
	start := hook.Usage{Read: 100, Copied: 6000, Syscalls: 10, Missed: 5,
		Thread: procstat.Thread{RunNs: 1000, UserTicks: 1, SystemTicks: 1, Voluntary: 3, Involuntary: 1}}
	end := hook.Usage{Read: 1100, Copied: 66000, Syscalls: 30, Missed: 15,
		Thread: procstat.Thread{RunNs: 101000, UserTicks: 2, SystemTicks: 4, Voluntary: 8, Involuntary: 1}}
	final := end
	final.Read, final.Missed = 1200, 25
	f := readerFigures(start, end, final, 2000, 1000)
	assert.Equal(t, uint64(1100), f.Read)
	assert.Equal(t, uint64(20), f.Missed)
	assert.InDelta(t, 0.01, f.MissedShare, 1e-12)
	// 100000 ns over 1000 frames, a quarter of the ticks user.
	assert.InDelta(t, 25, f.ThreadUserNsPerFrame, 1e-9)
	assert.InDelta(t, 75, f.ThreadKernelNsPerFrame, 1e-9)
	assert.InDelta(t, 5000, f.ContextSwitchesPerM, 1e-9)
	assert.InDelta(t, 20, f.SyscallsPerK, 1e-9)
	assert.InDelta(t, 60, f.CopiedBytesPerFrame, 1e-9)

	// Nothing decided: no per-frame figure, the misses still counted.
	f = readerFigures(start, end, final, 0, 0)
	assert.Zero(t, f.ThreadUserNsPerFrame)
	assert.Zero(t, f.MissedShare)
	assert.Equal(t, uint64(20), f.Missed)
}
