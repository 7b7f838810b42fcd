// Package liverun runs an XDP program on live frames (BPF_PROG_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES, kernel 5.18+) for as long as the caller wants,
// in one long syscall that Stop interrupts with a signal.
//
// Why not cilium/ebpf's Program.Run: every BPF_PROG_RUN call sets up and
// tears down a page pool, and the teardown sleeps (about 25 ms seen on
// kernel 6.18), so short calls leave the generator's CPU idle a third of the
// time; and Program.Run restarts the whole Repeat on EINTR, so it cannot be
// interrupted. Here the kernel checks for pending signals between batches
// and returns EINTR, which ends the run; frames are counted by the program
// itself, never from the call.
//
// Needs CAP_BPF and CAP_NET_ADMIN; runs on the caller's locked OS thread,
// whose network namespace resolves the ifindexes the program redirects to.
package liverun

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// progRunAttr is the BPF_PROG_TEST_RUN part of union bpf_attr.
type progRunAttr struct {
	ProgFD      uint32
	Retval      uint32
	DataSizeIn  uint32
	DataSizeOut uint32
	DataIn      uint64
	DataOut     uint64
	Repeat      uint32
	Duration    uint32
	CtxSizeIn   uint32
	CtxSizeOut  uint32
	CtxIn       uint64
	CtxOut      uint64
	Flags       uint32
	CPU         uint32
	BatchSize   uint32
	_           uint32
}

const bpfProgTestRun = 10

// maxRepeat bounds one syscall; the loop starts another when it ends.
const maxRepeat = 1 << 30

// Runner runs one thread's live frames. Use a Runner once.
type Runner struct {
	tid  atomic.Int32
	stop atomic.Bool
	done chan struct{}
}

// New returns a Runner.
func New() *Runner { return &Runner{done: make(chan struct{})} }

// Run sends data through the program fd until Stop. It must run on a locked
// OS thread; started is called once the thread is known to Stop. It returns
// nil when stopped, or the syscall's error.
func (r *Runner) Run(progFD int, data []byte, batch uint32, started func()) error {
	defer close(r.done)
	r.tid.Store(int32(unix.Gettid()))
	if started != nil {
		started()
	}
	attr := progRunAttr{
		ProgFD:     uint32(progFD),
		DataSizeIn: uint32(len(data)),
		DataIn:     uint64(uintptr(unsafe.Pointer(&data[0]))),
		Repeat:     maxRepeat,
		Flags:      unix.BPF_F_TEST_XDP_LIVE_FRAMES,
		BatchSize:  batch,
	}
	for !r.stop.Load() {
		_, _, errno := unix.Syscall(unix.SYS_BPF, bpfProgTestRun, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		runtime.KeepAlive(data)
		switch {
		case errno == 0, errno == unix.EINTR:
			continue
		default:
			return fmt.Errorf("BPF_PROG_RUN live frames: %w", errno)
		}
	}
	return nil
}

// Stop ends Run: it sets the stop flag, then signals the thread until Run
// returns (a signal that lands between the flag check and the syscall is
// lost, so it repeats). SIGURG is the signal Go's runtime already handles
// and ignores when it did not ask for it.
func (r *Runner) Stop() error {
	r.stop.Store(true)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if tid := r.tid.Load(); tid != 0 {
			err := unix.Tgkill(unix.Getpid(), int(tid), unix.SIGURG)
			if err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("stop live frames: %w", err)
			}
		}
		select {
		case <-r.done:
			return nil
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return errors.New("stop live frames: the generator thread did not stop within 10s")
		}
	}
}

// Abandon marks a Runner whose Run will never be called as done, so that
// Stop returns at once.
func (r *Runner) Abandon() {
	r.stop.Store(true)
	close(r.done)
}
