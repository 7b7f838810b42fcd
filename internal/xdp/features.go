package xdp

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
)

// A feature probe answers nil (supported), an error wrapping
// ebpf.ErrNotSupported, or another error when it could not tell. Only the
// first two are cached.
type featureTest struct {
	mu   sync.Mutex
	done bool
	err  error
	fn   func() error
}

func (p *featureTest) result() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return p.err
	}
	err := p.fn()
	if err == nil || errors.Is(err, ebpf.ErrNotSupported) {
		p.done, p.err = true, err
	}
	return err
}

var liveFrames = featureTest{fn: func() error {
	prog, err := bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Drop})
	if err != nil {
		return fmt.Errorf("probe live frames: %w", err)
	}
	defer prog.Close()
	// Kernels before 5.18 ignore the flag and run an ordinary test run;
	// batch_size, added with live frames, is past the end of their
	// attribute, which they refuse (E2BIG) when it is not zero.
	_, err = prog.Run(&ebpf.RunOptions{
		Data:      make([]byte, 64),
		Repeat:    1,
		Flags:     unix.BPF_F_TEST_XDP_LIVE_FRAMES,
		BatchSize: 1,
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.E2BIG), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, ebpf.ErrNotSupported):
		return fmt.Errorf("BPF_PROG_RUN live frames (kernel 5.18+): %w", ebpf.ErrNotSupported)
	case errors.Is(err, unix.EPERM):
		// Seen on a 6.18 built for Firecracker, as root with every
		// capability that matters: an ordinary test run works, live
		// frames are refused. Not this process's privileges (xdplab
		// refuses to start without them): the kernel's policy.
		return fmt.Errorf("BPF_PROG_RUN live frames: this kernel refuses them (EPERM, although an ordinary BPF_PROG_RUN works): %w", ebpf.ErrNotSupported)
	}
	return fmt.Errorf("probe live frames: %w", err)
}}

// HaveLiveFrames tells whether BPF_PROG_RUN runs XDP programs on live frames
// (BPF_F_TEST_XDP_LIVE_FRAMES, kernel 5.18+).
func HaveLiveFrames() error { return liveFrames.result() }

var xdpLink = featureTest{fn: func() error {
	prog, err := bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Drop})
	if err != nil {
		return fmt.Errorf("probe xdp bpf_link: %w", err)
	}
	defer prog.Close()
	errc := make(chan error, 1)
	go func() {
		// A scratch namespace, gone with this thread: attach to its lo.
		runtime.LockOSThread()
		ns, err := netns.New()
		if err != nil {
			errc <- fmt.Errorf("probe xdp bpf_link: new namespace: %w", err)
			return
		}
		defer ns.Close()
		l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: 1, Flags: link.XDPGenericMode})
		if err == nil {
			errc <- l.Close()
			return
		}
		if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.EINVAL) {
			errc <- fmt.Errorf("XDP bpf_link (kernel 5.9+): %w", ebpf.ErrNotSupported)
			return
		}
		errc <- fmt.Errorf("probe xdp bpf_link: %w", err)
	}()
	return <-errc
}}

// HaveXDPLink tells whether XDP programs attach through bpf_link (5.9+).
func HaveXDPLink() error { return xdpLink.result() }
