package traffic

import (
	"errors"
	"fmt"

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
