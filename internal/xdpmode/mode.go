// Package xdpmode is the XDP attach mode as one typed value with one name
// everywhere: flags, scenario keys, results, compare keys and the report.
// Plain data: it touches no kernel (internal/xdp attaches in a mode).
package xdpmode

import (
	"fmt"
	"strings"
)

// Mode is an XDP attach mode.
type Mode int

// The modes, in the order xdplab runs them.
const (
	Generic Mode = iota + 1 // skb mode: after the stack built an skb
	Native                  // driver mode: in the driver's receive path
	Offload                 // hardware offload: on the NIC
)

// All lists every mode, in the order xdplab runs them (a new slice each
// call).
func All() []Mode { return []Mode{Generic, Native, Offload} }

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
	v, err := Parse(string(b))
	*m = v
	return err
}

// Parse reads a mode by name; the kernel's and iproute2's names (skb, drv,
// hw, xdpgeneric, xdpdrv, xdpoffload) are accepted too.
func Parse(s string) (Mode, error) {
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

// Join writes modes as "generic, native".
func Join(ms []Mode) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, ", ")
}
