// Package nsthread runs functions on an OS thread that has entered a network
// namespace. Interface indexes in bpf_link and netlink attach, BPF_PROG_RUN
// live frames, and the sockets of ethtool and generic netlink all take the
// namespace of the calling thread, so they must run there.
//
// The thread is never handed back to the Go scheduler: the goroutine exits
// while still locked, so the runtime destroys the thread and no other
// goroutine can ever run in the wrong namespace. Entering a namespace needs
// CAP_SYS_ADMIN.
package nsthread

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Do runs fn on a fresh OS thread inside ns and returns its error. A panic
// in fn is returned as an error.
func Do(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread dies with this goroutine.
		defer func() {
			if r := recover(); r != nil {
				errc <- fmt.Errorf("panic in namespace %s: %v", ns, r)
			}
		}()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter network namespace %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Go starts fn on a fresh OS thread inside ns, like Do, and returns at once;
// fn's error arrives on the returned channel.
func Go(ns netns.NsHandle, fn func() error) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- Do(ns, fn) }()
	return errc
}

// ScratchBPFFS is where DoWithScratchBPFFS mounts its bpffs, in the
// thread's own mount namespace: the host's /sys/fs/bpf is not touched.
const ScratchBPFFS = "/sys/fs/bpf"

// DoWithScratchBPFFS is Do with a fresh, empty bpffs at ScratchBPFFS,
// seen by this thread only: the thread gets a mount namespace of its own
// (unshare CLONE_NEWNS, mounts made private), and when it dies, so do the
// namespace, the mount and every pin in it, whatever ends the process. A
// loader pins there what an object asks to pin by name, and nothing stays
// behind. It needs CAP_SYS_ADMIN.
func DoWithScratchBPFFS(ns netns.NsHandle, fn func(pinPath string) error) error {
	return Do(ns, func() error {
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return fmt.Errorf("scratch bpffs: a mount namespace of its own: %w", err)
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("scratch bpffs: make mounts private: %w", err)
		}
		if err := unix.Mount("bpf", ScratchBPFFS, "bpf", 0, "mode=0700"); err != nil {
			return fmt.Errorf("scratch bpffs: mount at %s: %w", ScratchBPFFS, err)
		}
		return fn(ScratchBPFFS)
	})
}
