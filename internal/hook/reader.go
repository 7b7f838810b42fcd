package hook

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/procstat"
)

// Usage is what a reader cost, cumulative since it started.
type Usage struct {
	// Thread is the reading thread's CPU time and context switches.
	Thread procstat.Thread
	// Syscalls the reader made (polls, wake-ups), counted by the reader.
	Syscalls uint64
	// Read is the frames user space read; Copied the bytes the kernel
	// copied to hand them over.
	Read   uint64
	Copied uint64
	// Missed is the frames the kernel could not hand over (a full ring),
	// from MissedSource.
	Missed       uint64
	MissedSource string
}

// Reader is a user-space inspector on its own thread: it reads frames
// from the kernel, applies its rule to each and counts the decisions.
type Reader struct {
	// Method says how frames reach user space.
	Method string
	// CPU is the CPU its thread is pinned to.
	CPU int

	decide Decide
	stats  [catalog.NumActions]struct{ packets, bytes atomic.Uint64 }
	read   atomic.Uint64
	copied atomic.Uint64
	calls  atomic.Uint64
	tid    atomic.Int64
	stop   atomic.Bool
	done   chan error
	once   sync.Once
	// missed reads the kernel's count of frames it could not hand over
	// (cumulative), and its source.
	missed func() (uint64, error)
	source string
	closer func() error
}

// count files one frame's decision.
func (r *Reader) count(frame []byte, wireLen uint32) {
	a := r.decide(frame)
	if int(a) < len(r.stats) {
		r.stats[a].packets.Add(1)
		r.stats[a].bytes.Add(uint64(wireLen))
	}
}

// run starts the reading loop on a thread of its own, pinned to cpu.
func (r *Reader) run(cpu int, loop func() error) error {
	started := make(chan error, 1)
	r.done = make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the loop
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			started <- fmt.Errorf("pin the reader to CPU %d: %w", cpu, err)
			return
		}
		r.tid.Store(int64(unix.Gettid()))
		started <- nil
		r.done <- loop()
	}()
	return <-started
}

// Stats are the decisions so far, by action.
func (r *Reader) Stats() bpf.Stats {
	var s bpf.Stats
	for i := range r.stats {
		s[i] = bpf.Counter{Packets: r.stats[i].packets.Load(), Bytes: r.stats[i].bytes.Load()}
	}
	return s
}

// Usage is what the reader cost so far.
func (r *Reader) Usage() (Usage, error) {
	u := Usage{Syscalls: r.calls.Load(), Read: r.read.Load(), Copied: r.copied.Load(), MissedSource: r.source}
	var err error
	if u.Thread, err = procstat.ReadThread(int(r.tid.Load())); err != nil {
		return u, fmt.Errorf("the reader's thread: %w", err)
	}
	if r.missed != nil {
		if u.Missed, err = r.missed(); err != nil {
			return u, err
		}
	}
	return u, nil
}

// Close stops the reader and closes what it read from. It is safe to
// call twice.
func (r *Reader) Close() error {
	if r == nil {
		return nil
	}
	var err error
	r.once.Do(func() {
		r.stop.Store(true)
		if r.done != nil {
			err = <-r.done
		}
		if r.closer != nil {
			err = errors.Join(err, r.closer())
		}
	})
	return err
}
