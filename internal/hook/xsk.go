package hook

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netns"

	"github.com/xdplab/xdplab/internal/afxdp"
	"github.com/xdplab/xdplab/internal/nsthread"
)

// XSKOptions says where a user-space AF_XDP inspector reads.
type XSKOptions struct {
	NS      netns.NsHandle // the interface's namespace
	Ifindex int
	Queues  int // rx queues to bind a socket to (one each)
	// ZeroCopy binds with XDP_ZEROCOPY (the driver advertises it), else
	// XDP_COPY.
	ZeroCopy bool
	// Put puts a queue's socket into the XDP program's XSKMAP.
	Put    func(queue, fd int) error
	Decide Decide
	CPU    int
}

// OpenXSK binds an AF_XDP socket to each rx queue, puts them in the XDP
// program's map, and reads them all on one thread pinned to o.CPU.
func OpenXSK(o XSKOptions) (_ *Reader, err error) {
	if o.Decide == nil || o.Put == nil {
		return nil, errors.New("af_xdp reader: no rule to apply or no map to put the sockets in")
	}
	var socks []*afxdp.Socket
	closeAll := func() error {
		var errs []error
		for _, s := range socks {
			errs = append(errs, s.Close())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, closeAll())
		}
	}()
	err = nsthread.Do(o.NS, func() error {
		for q := range max(o.Queues, 1) {
			s, err := afxdp.Open(o.Ifindex, q, o.ZeroCopy)
			if err != nil {
				return err
			}
			socks = append(socks, s)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for q, s := range socks {
		if err := o.Put(q, s.FD()); err != nil {
			return nil, fmt.Errorf("af_xdp: put the socket of queue %d in the XSKMAP: %w", q, err)
		}
	}
	r := &Reader{Method: fmt.Sprintf("AF_XDP socket (%s mode) on %d rx queue(s), an XDP program redirects to it", socks[0].Mode, len(socks)),
		decide: o.Decide, closer: closeAll, source: "XDP_STATISTICS rx_dropped + rx_ring_full"}
	zeroCopy := socks[0].Mode == "zero-copy"
	r.missed = func() (uint64, error) {
		var n uint64
		for _, s := range socks {
			d, f, err := s.Stats()
			if err != nil {
				return n, err
			}
			n += d + f
		}
		return n, nil
	}
	err = r.run(o.CPU, func() error {
		for !r.stop.Load() {
			got := 0
			for _, s := range socks {
				got += s.Drain(func(frame []byte) {
					r.count(frame, uint32(len(frame)))
					r.read.Add(1)
					if !zeroCopy {
						r.copied.Add(uint64(len(frame)))
					}
				})
			}
			if got == 0 {
				r.calls.Add(1)
				if err := afxdp.Wait(socks, pollMs); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
