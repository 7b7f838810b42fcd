package offload

import (
	"errors"
	"fmt"
	"os"
	"strings"

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

// XDPFeature is a bit of the netdev family's xdp-features.
type XDPFeature uint64

// The xdp-features bits (enum netdev_xdp_act).
const (
	FeatureBasic       XDPFeature = 1 << 0 // XDP_PASS/DROP/ABORTED/TX in native mode
	FeatureRedirect    XDPFeature = 1 << 1 // XDP_REDIRECT in native mode
	FeatureNdoXmit     XDPFeature = 1 << 2 // accepts redirected frames (ndo_xdp_xmit) now
	FeatureXSKZeroCopy XDPFeature = 1 << 3
	FeatureHWOffload   XDPFeature = 1 << 4
	FeatureRxSG        XDPFeature = 1 << 5
	FeatureNdoXmitSG   XDPFeature = 1 << 6
)

var featureNames = []struct {
	f    XDPFeature
	name string
}{
	{FeatureBasic, "basic"}, {FeatureRedirect, "redirect"}, {FeatureNdoXmit, "ndo-xmit"},
	{FeatureXSKZeroCopy, "xsk-zerocopy"}, {FeatureHWOffload, "hw-offload"},
	{FeatureRxSG, "rx-sg"}, {FeatureNdoXmitSG, "ndo-xmit-sg"},
}

// Names lists the set bits by the kernel's names.
func (f XDPFeature) Names() []string {
	var out []string
	for _, n := range featureNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	if rest := f &^ (1<<7 - 1); rest != 0 {
		out = append(out, fmt.Sprintf("unknown(%#x)", uint64(rest)))
	}
	return out
}

func (f XDPFeature) String() string {
	if f == 0 {
		return "none"
	}
	return strings.Join(f.Names(), ",")
}

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
