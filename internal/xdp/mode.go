package xdp

import (
	"fmt"
	"strings"

	"github.com/cilium/ebpf/link"
)

// Mode is an XDP attach mode.
type Mode int

// The modes, in the order xdplab runs them.
const (
	Generic Mode = iota + 1 // skb mode: after the stack built an skb
	Native                  // driver mode: in the driver's receive path
	Offload                 // hardware offload: on the NIC
)

// AllModes lists every mode.
var AllModes = []Mode{Generic, Native, Offload}

func (m Mode) String() string {
	switch m {
	case Generic:
		return "generic"
	case Native:
		return "native"
	case Offload:
		return "offload"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// MarshalText writes the mode's name.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode's name.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	*m = v
	return err
}

// ParseMode reads a mode by name; the kernel's and iproute2's names (skb,
// drv, hw, xdpgeneric, xdpdrv, xdpoffload) are accepted too.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "generic", "skb", "xdpgeneric":
		return Generic, nil
	case "native", "drv", "driver", "xdpdrv":
		return Native, nil
	case "offload", "hw", "xdpoffload":
		return Offload, nil
	}
	return 0, fmt.Errorf("unknown XDP mode %q: use generic, native or offload", s)
}

// linkFlags is the attach flag for bpf_link and netlink.
func (m Mode) linkFlags() link.XDPAttachFlags {
	switch m {
	case Generic:
		return link.XDPGenericMode
	case Native:
		return link.XDPDriverMode
	case Offload:
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
func modeFromAttached(v uint32) (Mode, bool) {
	switch v {
	case attachedDriver:
		return Native, true
	case attachedSKB:
		return Generic, true
	case attachedHW:
		return Offload, true
	}
	return 0, false
}
