// Package afxdp is a minimal AF_XDP receive socket: one UMEM, a fill ring
// and an RX ring, bound to one queue of an interface in copy or zero-copy
// mode. An XDP program redirects frames to it through an XSKMAP. It is
// what `xdplab qualify` needs to check AF_XDP receive, and what the afxdp
// hook reads (Drain); it does not send.
//
// Needs CAP_NET_RAW and CAP_BPF (root); Open must run in the interface's
// network namespace.
package afxdp

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	frameSize = 2048
	nFrames   = 1024
	ringSize  = 1024 // a power of two
)

// Socket is an AF_XDP socket with its UMEM and rings.
type Socket struct {
	fd    int
	umem  []byte
	fill  ring
	rx    ring
	maps  [][]byte
	Mode  string // copy or zero-copy
	count uint64
}

type ring struct {
	producer *uint32
	consumer *uint32
	desc     unsafe.Pointer
	mask     uint32
}

// Open makes a socket bound to queue of ifindex; zeroCopy asks for
// XDP_ZEROCOPY, else XDP_COPY.
func Open(ifindex, queue int, zeroCopy bool) (_ *Socket, err error) {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("af_xdp socket: %w", err)
	}
	s := &Socket{fd: fd, Mode: "copy"}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.umem, err = unix.Mmap(-1, 0, frameSize*nFrames, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS); err != nil {
		return nil, fmt.Errorf("af_xdp umem: %w", err)
	}
	reg := unix.XDPUmemReg{Addr: uint64(uintptr(unsafe.Pointer(&s.umem[0]))), Len: uint64(len(s.umem)), Size: frameSize}
	if _, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_XDP, unix.XDP_UMEM_REG, uintptr(unsafe.Pointer(&reg)), unsafe.Sizeof(reg), 0); e != 0 {
		return nil, fmt.Errorf("af_xdp umem register: %w", e)
	}
	for _, opt := range []int{unix.XDP_UMEM_FILL_RING, unix.XDP_UMEM_COMPLETION_RING, unix.XDP_RX_RING} {
		if err := unix.SetsockoptInt(fd, unix.SOL_XDP, opt, ringSize); err != nil {
			return nil, fmt.Errorf("af_xdp ring %d: %w", opt, err)
		}
	}
	var off unix.XDPMmapOffsets
	size := uint32(unsafe.Sizeof(off))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_XDP, unix.XDP_MMAP_OFFSETS, uintptr(unsafe.Pointer(&off)), uintptr(unsafe.Pointer(&size)), 0); e != 0 {
		return nil, fmt.Errorf("af_xdp mmap offsets: %w", e)
	}
	if s.fill, err = s.mapRing(off.Fr, unix.XDP_UMEM_PGOFF_FILL_RING, 8); err != nil {
		return nil, err
	}
	if s.rx, err = s.mapRing(off.Rx, unix.XDP_PGOFF_RX_RING, uint64(unsafe.Sizeof(unix.XDPDesc{}))); err != nil {
		return nil, err
	}
	// Every frame of the UMEM goes to the fill ring.
	for i := uint32(0); i < nFrames && i < ringSize; i++ {
		*(*uint64)(unsafe.Add(s.fill.desc, uintptr(i)*8)) = uint64(i) * frameSize
	}
	atomic.StoreUint32(s.fill.producer, min(nFrames, ringSize))
	flags := uint16(unix.XDP_COPY)
	if zeroCopy {
		flags, s.Mode = unix.XDP_ZEROCOPY, "zero-copy"
	}
	if err := unix.Bind(fd, &unix.SockaddrXDP{Flags: flags, Ifindex: uint32(ifindex), QueueID: uint32(queue)}); err != nil {
		return nil, fmt.Errorf("af_xdp bind ifindex %d queue %d (%s): %w", ifindex, queue, s.Mode, err)
	}
	return s, nil
}

func (s *Socket) mapRing(o unix.XDPRingOffset, pgoff int64, descSize uint64) (ring, error) {
	b, err := unix.Mmap(s.fd, pgoff, int(o.Desc+ringSize*descSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return ring{}, fmt.Errorf("af_xdp ring mmap: %w", err)
	}
	s.maps = append(s.maps, b)
	base := unsafe.Pointer(&b[0])
	return ring{producer: (*uint32)(unsafe.Add(base, o.Producer)), consumer: (*uint32)(unsafe.Add(base, o.Consumer)),
		desc: unsafe.Add(base, o.Desc), mask: ringSize - 1}, nil
}

// FD is the socket, for the XSKMAP.
func (s *Socket) FD() int { return s.fd }

// Receive reads frames until it has max or quiet passes without one; each
// frame's buffer goes back to the fill ring.
func (s *Socket) Receive(max int, quiet time.Duration) ([][]byte, error) {
	var out [][]byte
	last := time.Now()
	for len(out) < max && time.Since(last) < quiet {
		prod := atomic.LoadUint32(s.rx.producer)
		cons := atomic.LoadUint32(s.rx.consumer)
		if prod == cons {
			fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
			if _, err := unix.Poll(fds, 10); err != nil && !errors.Is(err, unix.EINTR) {
				return out, fmt.Errorf("af_xdp poll: %w", err)
			}
			continue
		}
		for ; cons != prod; cons++ {
			d := (*unix.XDPDesc)(unsafe.Add(s.rx.desc, uintptr(cons&s.rx.mask)*unsafe.Sizeof(unix.XDPDesc{})))
			out = append(out, append([]byte(nil), s.umem[d.Addr:d.Addr+uint64(d.Len)]...))
			// The buffer goes back to the fill ring (copy mode hands out
			// chunk-aligned addresses).
			fp := atomic.LoadUint32(s.fill.producer)
			*(*uint64)(unsafe.Add(s.fill.desc, uintptr(fp&s.fill.mask)*8)) = d.Addr &^ (frameSize - 1)
			atomic.StoreUint32(s.fill.producer, fp+1)
		}
		atomic.StoreUint32(s.rx.consumer, cons)
		last = time.Now()
	}
	s.count += uint64(len(out))
	return out, nil
}

// Drain hands every frame in the RX ring to fn, in place (the buffer is
// the UMEM's; fn must not keep it), and returns each buffer to the fill
// ring. It does not wait: see Wait.
func (s *Socket) Drain(fn func(frame []byte)) int {
	prod := atomic.LoadUint32(s.rx.producer)
	cons := atomic.LoadUint32(s.rx.consumer)
	n := int(prod - cons)
	if n == 0 {
		return 0
	}
	fp := atomic.LoadUint32(s.fill.producer)
	for ; cons != prod; cons++ {
		d := (*unix.XDPDesc)(unsafe.Add(s.rx.desc, uintptr(cons&s.rx.mask)*unsafe.Sizeof(unix.XDPDesc{})))
		fn(s.umem[d.Addr : d.Addr+uint64(d.Len)])
		*(*uint64)(unsafe.Add(s.fill.desc, uintptr(fp&s.fill.mask)*8)) = d.Addr &^ (frameSize - 1)
		fp++
	}
	atomic.StoreUint32(s.rx.consumer, cons)
	atomic.StoreUint32(s.fill.producer, fp)
	s.count += uint64(n)
	return n
}

// Stats are the kernel's counts of frames the socket could not take
// (XDP_STATISTICS): dropped for want of a fill buffer or other reasons,
// and the RX ring full.
func (s *Socket) Stats() (dropped, ringFull uint64, err error) {
	var st unix.XDPStatistics
	size := uint32(unsafe.Sizeof(st))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.fd), unix.SOL_XDP, unix.XDP_STATISTICS, uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&size)), 0); e != 0 {
		return 0, 0, fmt.Errorf("af_xdp XDP_STATISTICS: %w", e)
	}
	return st.Rx_dropped, st.Rx_ring_full, nil
}

// Wait polls the sockets for frames, up to ms milliseconds.
func Wait(socks []*Socket, ms int) error {
	fds := make([]unix.PollFd, len(socks))
	for i, s := range socks {
		fds[i] = unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN}
	}
	if _, err := unix.Poll(fds, ms); err != nil && !errors.Is(err, unix.EINTR) {
		return fmt.Errorf("af_xdp poll: %w", err)
	}
	return nil
}

// Close closes the socket and unmaps its memory.
func (s *Socket) Close() error {
	if s == nil {
		return nil
	}
	for _, m := range s.maps {
		_ = unix.Munmap(m)
	}
	s.maps = nil
	if s.umem != nil {
		_ = unix.Munmap(s.umem)
		s.umem = nil
	}
	if s.fd >= 0 {
		err := unix.Close(s.fd)
		s.fd = -1
		return err
	}
	return nil
}
