package xdp

import (
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/cilium/ebpf/link"
)

// linkFlags is the attach flag for bpf_link and netlink.
func linkFlags(m xdpmode.Mode) link.XDPAttachFlags {
	switch m {
	case xdpmode.Generic:
		return link.XDPGenericMode
	case xdpmode.Native:
		return link.XDPDriverMode
	case xdpmode.Offload:
		return link.XDPOffloadMode
	}
	return 0
}

// The attach modes netlink reports (IFLA_XDP_ATTACHED).
const (
	attachedDriver = 1
	attachedSKB    = 2
	attachedHW     = 3
)

// modeFromAttached maps netlink's IFLA_XDP_ATTACHED to a Mode.
func modeFromAttached(v uint32) (xdpmode.Mode, bool) {
	switch v {
	case attachedDriver:
		return xdpmode.Native, true
	case attachedSKB:
		return xdpmode.Generic, true
	case attachedHW:
		return xdpmode.Offload, true
	}
	return 0, false
}
