package traffic

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// SendFrames writes frame n times on the interface ifindex of namespace ns
// through an AF_PACKET socket (the normal transmit path, qdisc included):
// a few test frames, not a load.
func SendFrames(ns netns.NsHandle, ifindex int, frame []byte, n int) error {
	if !ns.IsOpen() {
		return errors.New("send frames: no namespace: xdplab only sends from a namespace it made")
	}
	return nsthread.Do(ns, func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("send frames: af_packet socket: %w", err)
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
		if err := unix.Bind(fd, sa); err != nil {
			return fmt.Errorf("send frames: bind ifindex %d: %w", ifindex, err)
		}
		for range n {
			if _, err := unix.Write(fd, frame); err != nil {
				return fmt.Errorf("send frames on ifindex %d: %w", ifindex, err)
			}
		}
		return nil
	})
}

// Receiver collects the frames that arrive on one interface of a namespace
// xdplab made, through an AF_PACKET socket (frames the interface sends are
// left out).
type Receiver struct {
	fd int
}

// Listen opens a receiver on ifindex in ns. Close it.
func Listen(ns netns.NsHandle, ifindex int) (*Receiver, error) {
	if !ns.IsOpen() {
		return nil, errors.New("listen: no namespace: xdplab only listens in a namespace it made")
	}
	r := &Receiver{fd: -1}
	err := nsthread.Do(ns, func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("listen: af_packet socket: %w", err)
		}
		r.fd = fd
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}); err != nil {
			return fmt.Errorf("listen: bind ifindex %d: %w", ifindex, err)
		}
		tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Collect reads frames that keep accepts (nil: all) until it has max of
// them or quiet passes without one.
func (r *Receiver) Collect(max int, quiet time.Duration, keep func([]byte) bool) ([][]byte, error) {
	return collect(r.fd, max, quiet, func(from unix.Sockaddr, b []byte) bool {
		if outgoing(from) {
			return false
		}
		return keep == nil || keep(b)
	})
}

// outgoing tells whether an AF_PACKET socket's frame is one its interface
// sent, not one it received.
func outgoing(from unix.Sockaddr) bool {
	ll, ok := from.(*unix.SockaddrLinklayer)
	return ok && ll.Pkttype == unix.PACKET_OUTGOING
}

// collect reads from fd (a socket with a receive timeout) what keep
// accepts, until it has max or quiet passes without one.
func collect(fd, max int, quiet time.Duration, keep func(unix.Sockaddr, []byte) bool) ([][]byte, error) {
	var out [][]byte
	buf := make([]byte, 65536)
	last := time.Now()
	for len(out) < max && time.Since(last) < quiet {
		n, from, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("receive: %w", err)
		}
		if b := buf[:n]; keep(from, b) {
			out = append(out, append([]byte(nil), b...))
			last = time.Now()
		}
	}
	return out, nil
}

// Close closes the socket.
func (r *Receiver) Close() error {
	if r == nil || r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// UDPReceiver is a UDP socket in a namespace xdplab made: what a stack
// delivers to an application.
type UDPReceiver struct {
	fd int
}

// ListenUDP binds a UDP socket to addr in ns. Close it.
func ListenUDP(ns netns.NsHandle, addr netip.AddrPort) (*UDPReceiver, error) {
	u := &UDPReceiver{fd: -1}
	err := nsthread.Do(ns, func() error {
		family := unix.AF_INET
		var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
		if addr.Addr().Is6() && !addr.Addr().Is4In6() {
			family = unix.AF_INET6
			sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
		}
		fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("listen udp %s: %w", addr, err)
		}
		u.fd = fd
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
			return fmt.Errorf("listen udp %s: %w", addr, err)
		}
		if err := unix.Bind(fd, sa); err != nil {
			return fmt.Errorf("listen udp %s: %w", addr, err)
		}
		tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err != nil {
		u.Close()
		return nil, err
	}
	return u, nil
}

// Collect reads datagrams' payloads until it has max or quiet passes
// without one.
func (u *UDPReceiver) Collect(max int, quiet time.Duration) ([][]byte, error) {
	return collect(u.fd, max, quiet, func(unix.Sockaddr, []byte) bool { return true })
}

// Close closes the socket.
func (u *UDPReceiver) Close() error {
	if u == nil || u.fd < 0 {
		return nil
	}
	err := unix.Close(u.fd)
	u.fd = -1
	return err
}
