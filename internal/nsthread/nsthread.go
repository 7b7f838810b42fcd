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
