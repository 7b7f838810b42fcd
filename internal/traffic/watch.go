package traffic

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Arrival is a frame one of a Watch's receivers got.
type Arrival struct {
	Where string // the receiver's name
	Frame []byte
}

// Watch listens on several receivers at once, each named.
type Watch struct {
	names []string
	rs    []*Receiver
}

// Add adds a receiver under a name; the watch closes it.
func (w *Watch) Add(name string, r *Receiver) {
	w.names = append(w.names, name)
	w.rs = append(w.rs, r)
}

// Drain drops every frame waiting on every receiver.
func (w *Watch) Drain() error {
	_, err := w.Wait(0, 0)
	return err
}

// Wait collects the frames that arrive (frames the interfaces send are
// left out): it waits up to first for one, then settle after the last,
// and returns them in arrival order.
func (w *Watch) Wait(first, settle time.Duration) ([]Arrival, error) {
	var out []Arrival
	deadline := time.Now().Add(first)
	buf := make([]byte, 65536)
	fds := make([]unix.PollFd, len(w.rs))
	for i, r := range w.rs {
		fds[i] = unix.PollFd{Fd: int32(r.fd), Events: unix.POLLIN}
	}
	for {
		wait := time.Until(deadline)
		if wait < 0 {
			wait = 0
		}
		n, err := unix.Poll(fds, int(wait.Milliseconds()))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("watch: poll: %w", err)
		}
		if n == 0 {
			return out, nil
		}
		got := false
		for i, r := range w.rs {
			if fds[i].Revents&unix.POLLIN == 0 {
				continue
			}
			for {
				m, from, err := unix.Recvfrom(r.fd, buf, unix.MSG_DONTWAIT)
				if errors.Is(err, unix.EAGAIN) {
					break
				}
				if err != nil {
					return out, fmt.Errorf("watch %s: receive: %w", w.names[i], err)
				}
				if outgoing(from) {
					continue
				}
				out = append(out, Arrival{Where: w.names[i], Frame: append([]byte(nil), buf[:m]...)})
				got = true
			}
		}
		if got {
			deadline = time.Now().Add(settle)
		}
	}
}

// Close closes every receiver.
func (w *Watch) Close() error {
	var errs []error
	for _, r := range w.rs {
		errs = append(errs, r.Close())
	}
	w.rs, w.names = nil, nil
	return errors.Join(errs...)
}
