// Package xdpmode is where a program inspects frames, as one typed value
// with one name everywhere: flags, scenario keys, results, compare keys
// and the report. XDP's three attach modes come first; the hooks beside
// them (tc ingress, a socket filter, and user space reading an AF_PACKET
// ring or an AF_XDP socket) are the same dimension, so a run, a compare
// and a report treat "native against tc" as they treat "native against
// generic". Plain data: it touches no kernel (internal/xdp attaches in a
// mode, internal/hook at the other hooks).
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
	// TC: the program at tc ingress (tcx, or cls_bpf on clsact), on the
	// skb after the stack built it.
	TC
	// Socket: a BPF socket filter on an AF_PACKET socket that user space
	// reads, as a libpcap capture with a compiled filter runs.
	Socket
	// AFPacket: user space reads every frame from an AF_PACKET TPACKET_V3
	// ring and applies the rules itself.
	AFPacket
	// AFXDP: an XDP program hands every frame to an AF_XDP socket and
	// user space applies the rules.
	AFXDP
)

// All lists XDP's attach modes, in the order xdplab runs them (a new
// slice each call).
func All() []Mode { return []Mode{Generic, Native, Offload} }

// Hooks lists every hook, XDP's modes first, in the order xdplab runs
// them (a new slice each call).
func Hooks() []Mode { return []Mode{Generic, Native, Offload, TC, Socket, AFPacket, AFXDP} }

// Beside lists the hooks beside XDP's modes, in the order xdplab runs
// them: what --hooks all adds to the modes the DUT supports (a new slice
// each call).
func Beside() []Mode { return []Mode{TC, Socket, AFPacket, AFXDP} }

// IsXDP says whether m is one of XDP's attach modes.
func (m Mode) IsXDP() bool { return m >= Generic && m <= Offload }

// InUserSpace says whether the rules run in user space (the kernel only
// hands frames over).
func (m Mode) InUserSpace() bool { return m == AFPacket || m == AFXDP }

// HookName is the hook's name in the hook vocabulary: xdp-generic,
// xdp-native, xdp-offload, tc, socket, afpacket, afxdp. Results keep
// String's name (generic, native, ...), which older files hold.
func (m Mode) HookName() string {
	if m.IsXDP() {
		return "xdp-" + m.String()
	}
	return m.String()
}

func (m Mode) String() string {
	switch m {
	case Generic:
		return "generic"
	case Native:
		return "native"
	case Offload:
		return "offload"
	case TC:
		return "tc"
	case Socket:
		return "socket"
	case AFPacket:
		return "afpacket"
	case AFXDP:
		return "afxdp"
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

// Parse reads a mode or hook by name; the kernel's and iproute2's names
// (skb, drv, hw, xdpgeneric, xdpdrv, xdpoffload) and the hook names
// (xdp-generic, ...) are accepted too.
func Parse(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "generic", "skb", "xdpgeneric", "xdp-generic":
		return Generic, nil
	case "native", "drv", "driver", "xdpdrv", "xdp-native":
		return Native, nil
	case "offload", "hw", "xdpoffload", "xdp-offload":
		return Offload, nil
	case "tc", "tcx", "cls_bpf":
		return TC, nil
	case "socket", "socket-filter", "so_attach_bpf":
		return Socket, nil
	case "afpacket", "af-packet", "af_packet":
		return AFPacket, nil
	case "afxdp", "af-xdp", "af_xdp", "xsk":
		return AFXDP, nil
	}
	return 0, fmt.Errorf("unknown mode or hook %q: use generic, native or offload (XDP's modes), or tc, socket, afpacket, afxdp", s)
}

// Join writes modes as "generic, native".
func Join(ms []Mode) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, ", ")
}

// Where says where in the receive path the hook runs and what it sees.
func (m Mode) Where() string {
	switch m {
	case Generic:
		return "kernel: XDP after the stack built an skb (generic receive path)"
	case Native:
		return "kernel: XDP in the driver's receive path, before any skb"
	case Offload:
		return "NIC: the program runs on the device"
	case TC:
		return "kernel: tc ingress, on the skb before the IP stack"
	case Socket:
		return "kernel: a BPF socket filter on an AF_PACKET socket's copy; user space reads what it accepts"
	case AFPacket:
		return "user space: every frame copied into an AF_PACKET TPACKET_V3 ring"
	case AFXDP:
		return "user space: an XDP program redirects every frame to an AF_XDP socket"
	}
	return m.String()
}

// The built-in programs each hook runs. XDP runs them all; the other
// hooks run what has a meaning there, and say why not the rest.
var hookPrograms = map[Mode][]string{
	TC:       {"drop", "pass", "tx", "filter"},
	Socket:   {"drop", "pass"},
	AFPacket: {"drop", "pass", "filter"},
	AFXDP:    {"drop", "pass", "filter"},
}

// cannot says why a hook does not run a program, by program and hook (""
// for every hook).
var cannot = map[[2]string]string{
	{"tx", "afpacket"}:   "user space would send the frame back itself, another mechanism than a hook's transmit",
	{"tx", "afxdp"}:      "user space would send the frame back itself, another mechanism than a hook's transmit",
	{"tx", "socket"}:     "a socket filter only accepts or refuses the socket's copy",
	{"redirect", ""}:     "redirect is XDP's, through a devmap; the other hooks' builds have none",
	{"filter", "socket"}: "a socket filter has no direct packet access, and the filter's parser reads the frame in place (built for XDP, tc and user space)",
	{"ratelimit", ""}:    "the workload is built for XDP only so far",
	{"flowstats", ""}:    "the workload is built for XDP only so far",
	{"l4lb", ""}:         "the workload is built for XDP only so far",
}

// Runs says whether the hook runs built-in program prog, and if not,
// why: an action the hook cannot take is named, not faked.
func (m Mode) Runs(prog string) error {
	progs, limited := hookPrograms[m]
	if !limited {
		return nil
	}
	for _, p := range progs {
		if p == prog {
			return nil
		}
	}
	why, ok := cannot[[2]string{prog, m.String()}]
	if !ok {
		why, ok = cannot[[2]string{prog, ""}]
	}
	if !ok {
		why = "it has no equivalent there"
	}
	return fmt.Errorf("%s does not run at the %s hook: %s (it runs %s)", prog, m.HookName(), why, strings.Join(progs, ", "))
}

// DropMeaning says what "drop" means at the hook: at a socket filter or
// in user space the frame was a copy and still reached the stack, so the
// drop is a decision counted, not a frame removed.
func (m Mode) DropMeaning() string {
	if d, ok := dropMeanings[m]; ok {
		return d
	}
	return "XDP_DROP: the frame is freed"
}

var dropMeanings = map[Mode]string{
	TC:       "TC_ACT_SHOT: the skb is freed before the IP stack",
	Socket:   "the filter refuses the socket's copy; the stack still receives the frame",
	AFPacket: "a decision counted: the reader saw a copy; the stack still receives the frame",
	AFXDP:    "the frame is taken from the stack by the XDP redirect and its buffer recycled",
}
