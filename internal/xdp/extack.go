package xdp

import (
	"errors"
	"fmt"
	"net"

	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/cilium/ebpf"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// KernelReason asks the kernel why prog cannot be attached to iface in mode
// m: it attaches once more through rtnetlink (RTM_SETLINK with IFLA_XDP)
// and returns the extended acknowledgement the kernel sends with the
// error (such as "Native and generic XDP can't be active at the same
// time."), read from the reply's attribute, never from an error's text.
// Where that attach works after all, the program is detached again and
// the reason is "netlink attach worked where bpf_link failed". Empty: the
// kernel gave no reason.
func KernelReason(ns netns.NsHandle, iface string, m xdpmode.Mode, prog *ebpf.Program) (string, error) {
	var reason string
	err := nsthread.Do(ns, func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		c, err := netlink.Dial(unix.NETLINK_ROUTE, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.SetOption(netlink.ExtendedAcknowledge, true); err != nil {
			return err
		}
		flags := uint32(linkFlags(m)) | unix.XDP_FLAGS_UPDATE_IF_NOEXIST
		err = setXDP(c, ifi.Index, prog.FD(), flags)
		if err == nil {
			reason = "netlink attach worked where bpf_link failed"
			return setXDP(c, ifi.Index, -1, uint32(linkFlags(m)))
		}
		var oe *netlink.OpError
		if errors.As(err, &oe) {
			reason = oe.Message
			return nil
		}
		return err
	})
	return reason, err
}

// setXDP sends RTM_SETLINK with IFLA_XDP {FD, FLAGS} for ifindex.
func setXDP(c *netlink.Conn, ifindex, fd int, flags uint32) error {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(unix.IFLA_XDP, func(nae *netlink.AttributeEncoder) error {
		nae.Int32(unix.IFLA_XDP_FD, int32(fd))
		nae.Uint32(unix.IFLA_XDP_FLAGS, flags)
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return fmt.Errorf("encode IFLA_XDP: %w", err)
	}
	// struct ifinfomsg: family, pad, type, index, flags, change.
	hdr := make([]byte, unix.SizeofIfInfomsg)
	hdr[0] = unix.AF_UNSPEC
	copy(hdr[4:8], nlenc.Int32Bytes(int32(ifindex)))
	_, err = c.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_SETLINK, Flags: netlink.Request | netlink.Acknowledge},
		Data:   append(hdr, attrs...),
	})
	return err
}
