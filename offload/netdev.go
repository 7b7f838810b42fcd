package offload

import (
	"errors"
	"fmt"
	"os"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// The netdev generic-netlink family (include/uapi/linux/netdev.h).
const (
	netdevFamily    = "netdev"
	netdevCmdDevGet = 1

	netdevAttrIfindex       = 1
	netdevAttrXDPFeatures   = 3
	netdevAttrXDPZCMaxSegs  = 4
	netdevAttrXDPRxMetadata = 5
	netdevAttrXSKFeatures   = 6
)

// DevFeatures is what the netdev family reports for one interface.
type DevFeatures struct {
	Ifindex      uint32
	XDP          XDPFeature
	XDPZCMaxSegs uint32
	RxMetadata   uint64 // xdp-rx-metadata-features: timestamp 1, hash 2, vlan-tag 4
	XSK          uint64 // xsk-features
}

// ErrNotReported says the kernel has no netdev family (before 6.3): the
// features are not reported, which is no error in the interface.
var ErrNotReported = errors.New("xdp-features not reported by this kernel (netdev netlink family needs 6.3+)")

// ReadFeatures asks the netdev family about ifindex over c.
func ReadFeatures(c *genetlink.Conn, ifindex uint32) (DevFeatures, error) {
	fam, err := c.GetFamily(netdevFamily)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT) {
			return DevFeatures{}, ErrNotReported
		}
		return DevFeatures{}, fmt.Errorf("netdev family: %w", err)
	}
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(netdevAttrIfindex, ifindex)
	data, err := ae.Encode()
	if err != nil {
		return DevFeatures{}, err
	}
	msgs, err := c.Execute(genetlink.Message{
		Header: genetlink.Header{Command: netdevCmdDevGet, Version: fam.Version},
		Data:   data,
	}, fam.ID, netlink.Request)
	if err != nil {
		return DevFeatures{}, fmt.Errorf("netdev dev-get ifindex %d: %w", ifindex, err)
	}
	if len(msgs) != 1 {
		return DevFeatures{}, fmt.Errorf("netdev dev-get ifindex %d: %d replies, want 1", ifindex, len(msgs))
	}
	return decodeDev(msgs[0].Data)
}

func decodeDev(b []byte) (DevFeatures, error) {
	var d DevFeatures
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return d, fmt.Errorf("netdev reply: %w", err)
	}
	for ad.Next() {
		switch ad.Type() {
		case netdevAttrIfindex:
			d.Ifindex = ad.Uint32()
		case netdevAttrXDPFeatures:
			d.XDP = XDPFeature(ad.Uint64())
		case netdevAttrXDPZCMaxSegs:
			d.XDPZCMaxSegs = ad.Uint32()
		case netdevAttrXDPRxMetadata:
			d.RxMetadata = ad.Uint64()
		case netdevAttrXSKFeatures:
			d.XSK = ad.Uint64()
		}
	}
	if err := ad.Err(); err != nil {
		return d, fmt.Errorf("netdev reply: %w", err)
	}
	return d, nil
}

// Features reads the xdp-features of an interface in namespace ns.
func Features(ns netns.NsHandle, ifindex int) (DevFeatures, error) {
	var d DevFeatures
	err := nsthread.Do(ns, func() error {
		c, err := genetlink.Dial(nil)
		if err != nil {
			return fmt.Errorf("generic netlink: %w", err)
		}
		defer c.Close()
		d, err = ReadFeatures(c, uint32(ifindex))
		return err
	})
	return d, err
}
