// Package caps holds the documents of what kernels and interfaces can do
// for XDP, as xdplab writes them: a capability check's answer, a kernel's
// and an interface's capabilities (advertised against detected), and the
// probe report (xdplab.probe). Plain data: offload fills them, and the
// report, compare and the matrix read them without touching a kernel.
package caps

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Check is the answer of one capability check.
type Check struct {
	// Result is ok, failed, skipped (could not be tried here) or
	// not-tested (xdplab did not try, Explain says why).
	Result string `json:"result"`
	Errno  string `json:"errno,omitempty"` // EINVAL, EOPNOTSUPP, ...
	Error  string `json:"error,omitempty"`
	// Explain is the kernel's own words where it gave some (the verifier
	// log line, the netlink extended ack), or why a check was skipped.
	Explain string `json:"explain,omitempty"`
}

// The results of a Check.
const (
	CheckOK        = "ok"
	CheckFailed    = "failed"
	CheckSkipped   = "skipped"
	CheckNotTested = "not-tested"
)

// OK tells whether the check passed.
func (c Check) OK() bool { return c.Result == CheckOK }

func (c Check) String() string {
	switch c.Result {
	case CheckOK:
		if c.Explain != "" {
			return "ok (" + c.Explain + ")"
		}
		return "ok"
	case CheckFailed:
		s := "failed"
		if c.Errno != "" {
			s += ": " + c.Errno
		}
		if c.Explain != "" {
			s += " (" + c.Explain + ")"
		}
		return s
	}
	if c.Explain != "" {
		return c.Result + ": " + c.Explain
	}
	return c.Result
}

// KernelCaps is what the running kernel offers XDP.
type KernelCaps struct {
	Release    string `json:"release"`
	BTF        Check  `json:"btf"`         // /sys/kernel/btf/vmlinux parses
	XDPLink    Check  `json:"xdp_link"`    // XDP through bpf_link (5.9+)
	LiveFrames Check  `json:"live_frames"` // BPF_F_TEST_XDP_LIVE_FRAMES (5.18+)
	XDPFrags   Check  `json:"xdp_frags"`   // frags-aware programs, BPF_F_XDP_HAS_FRAGS (5.18+)
	JIT        JIT    `json:"jit"`
	// Tracepoints are the xdp tracepoints the kernel has (from its BTF,
	// btf_trace_* types, so no tracefs is needed).
	Tracepoints    []string `json:"xdp_tracepoints"`
	TracepointsErr string   `json:"xdp_tracepoints_error,omitempty"`
}

// JIT is the BPF JIT's sysctls (net.core.bpf_jit_*); -1 where unreadable.
type JIT struct {
	Enable   int `json:"enable"` // 0 off, 1 on, 2 on with debug output
	Harden   int `json:"harden"`
	Kallsyms int `json:"kallsyms"`
}

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

// InterfaceCaps is what one interface advertises and what xdplab detected.
type InterfaceCaps struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Ifindex   int    `json:"ifindex"`
	Kind      string `json:"kind"` // netlink link type: veth, device, ...
	MTU       int    `json:"mtu"`
	// MadeByXdplab: xdplab built this interface for the probe.
	MadeByXdplab bool `json:"made_by_xdplab"`

	Driver      DriverInfo      `json:"driver"`
	Features    map[string]bool `json:"ethtool_features"`
	Channels    *Channels       `json:"channels,omitempty"`
	ChannelsErr string          `json:"channels_error,omitempty"`
	Rings       *Rings          `json:"rings,omitempty"`
	RingsErr    string          `json:"rings_error,omitempty"`
	// XDPStats names the driver's ethtool statistics about XDP
	// (rx_queue_0_xdp_drops, ...).
	XDPStats []string `json:"xdp_stat_names"`

	Advertised Advertised `json:"advertised"`
	// AdvertisedWhilePeerNative is, for a veth, what it advertises while
	// its peer has a native XDP program (ndo-xmit appears then).
	AdvertisedWhilePeerNative *Advertised `json:"advertised_while_peer_native,omitempty"`
	Detected                  Detected    `json:"detected"`
	Comparison                []Row       `json:"comparison"`
}

// DriverInfo is ethtool's driver information.
type DriverInfo struct {
	Driver   string `json:"driver"`
	Version  string `json:"version"`
	Firmware string `json:"firmware"`
	BusInfo  string `json:"bus_info"`
	Error    string `json:"error,omitempty"`
}

// Channels is ethtool's channel counts (current and maximum).
type Channels struct {
	Rx          uint32 `json:"rx"`
	Tx          uint32 `json:"tx"`
	Other       uint32 `json:"other"`
	Combined    uint32 `json:"combined"`
	MaxRx       uint32 `json:"max_rx"`
	MaxTx       uint32 `json:"max_tx"`
	MaxOther    uint32 `json:"max_other"`
	MaxCombined uint32 `json:"max_combined"`
}

// Rings is ethtool's ring sizes (current and maximum).
type Rings struct {
	Rx    uint32 `json:"rx"`
	Tx    uint32 `json:"tx"`
	MaxRx uint32 `json:"max_rx"`
	MaxTx uint32 `json:"max_tx"`
}

// Advertised is what the netdev family reports.
type Advertised struct {
	// Reported is false on kernels without the netdev family (before 6.3);
	// NotReported says so.
	Reported       bool     `json:"reported"`
	NotReported    string   `json:"not_reported,omitempty"`
	XDPFeatures    []string `json:"xdp_features"`
	XDPFeaturesRaw uint64   `json:"xdp_features_raw"`
	XDPZCMaxSegs   uint32   `json:"xdp_zc_max_segs"`
	RxMetadata     []string `json:"xdp_rx_metadata_features"`
	RxMetadataRaw  uint64   `json:"xdp_rx_metadata_features_raw"`
	XSK            []string `json:"xsk_features"`
	XSKRaw         uint64   `json:"xsk_features_raw"`
}

// Has tells whether an xdp-features bit is advertised.
func (a Advertised) Has(f XDPFeature) bool { return a.XDPFeaturesRaw&uint64(f) != 0 }

// Detected is what attach and load probes found.
type Detected struct {
	// Attached is false for a read-only probe: nothing was attached and
	// every check below is not-tested.
	Attached bool `json:"attached"`
	// Modes: a minimal XDP_PASS program attached in each mode (offload:
	// loaded bound to the device) and the mode read back.
	Modes map[string]Check `json:"modes"`
	// MultiBuffer: a frags-aware XDP_PASS program attached in native mode
	// at MTU 9000; NonFragsAtJumbo: the same without frags, for contrast.
	MultiBuffer     Check `json:"multi_buffer"`
	NonFragsAtJumbo Check `json:"non_frags_at_jumbo"`
	// RxMetadata: per kfunc (hash, timestamp), a device-bound program that
	// calls it loads; and, where xdplab can send a frame, what the kfunc
	// returned on it.
	RxMetadata map[string]Check `json:"rx_metadata"`
}

// Row sets what an interface advertises against what xdplab detected for
// one capability, like the kernel's xdp_features tool (DETECTED /
// ADVERTISED).
type Row struct {
	// ID names the capability for code (CapBasic, ...); Capability is
	// its label for people.
	ID         CapabilityID `json:"id"`
	Capability string       `json:"capability"`
	// Advertised is yes, no or not-reported; Detected is yes, no, or the
	// Check's result when it did not run (not-tested, skipped).
	Advertised Answer `json:"advertised"`
	Detected   Answer `json:"detected"`
	// Verdict is match, mismatch (a finding) or unverified.
	Verdict RowVerdict `json:"verdict"`
	Note    string     `json:"note,omitempty"`
}

// CapabilityID names a row of the advertised-against-detected table.
type CapabilityID string

// The capabilities the table holds.
const (
	CapBasic       CapabilityID = "basic"        // native XDP
	CapHWOffload   CapabilityID = "hw-offload"   // hardware offload
	CapRxSG        CapabilityID = "rx-sg"        // multi-buffer at MTU 9000
	CapRxHash      CapabilityID = "rx-hash"      // the rx hash kfunc
	CapRxTimestamp CapabilityID = "rx-timestamp" // the rx timestamp kfunc
	CapRedirect    CapabilityID = "redirect"     // XDP_REDIRECT
	CapNdoXmit     CapabilityID = "ndo-xmit"     // a redirect target
	CapXSKZeroCopy CapabilityID = "xsk-zerocopy" // AF_XDP zero-copy
)

// Answer is one side of a row: yes, no, or why there is none.
type Answer string

// The answers; Detected also takes a Check's result (not-tested,
// skipped) when the check did not run.
const (
	Yes         Answer = "yes"
	No          Answer = "no"
	NotReported Answer = "not-reported"
)

// RowVerdict is a row's verdict.
type RowVerdict string

// The verdicts.
const (
	VerdictMatch      RowVerdict = "match"
	VerdictMismatch   RowVerdict = "mismatch"
	VerdictUnverified RowVerdict = "unverified"
)

// ReportSchema names the probe report format.
const (
	ReportSchema        = "xdplab.probe"
	ReportSchemaVersion = 1
)

// Report is what `xdplab probe` prints and writes.
type Report struct {
	Schema        string           `json:"schema"`
	SchemaVersion int              `json:"schema_version"`
	Tool          string           `json:"tool"` // "xdplab <version>"
	Created       time.Time        `json:"created"`
	Kernel        KernelCaps       `json:"kernel"`
	Interfaces    []*InterfaceCaps `json:"interfaces"`
	Notes         []string         `json:"notes,omitempty"`
}

// Findings counts mismatches over all interfaces.
func (r *Report) Findings() int {
	n := 0
	for _, c := range r.Interfaces {
		for _, row := range c.Comparison {
			if row.Verdict == VerdictMismatch {
				n++
			}
		}
	}
	return n
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// WriteText writes the report for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	k := r.Kernel
	fmt.Fprintf(w, "%s  kernel %s\n", r.Tool, k.Release)
	fmt.Fprintf(w, "kernel: BTF %s; XDP bpf_link %s; live frames %s; xdp.frags %s; JIT enable=%d harden=%d\n",
		k.BTF, k.XDPLink, k.LiveFrames, k.XDPFrags, k.JIT.Enable, k.JIT.Harden)
	tp := joinOrNone(k.Tracepoints)
	if k.TracepointsErr != "" {
		tp += " (" + k.TracepointsErr + ")"
	}
	fmt.Fprintf(w, "xdp tracepoints: %s\n", tp)
	for _, c := range r.Interfaces {
		fmt.Fprintln(w)
		made := ""
		if c.MadeByXdplab {
			made = ", made by xdplab"
		}
		fmt.Fprintf(w, "%s (ifindex %d, namespace %s, %s%s): driver %s %s, firmware %s, bus %s, mtu %d\n",
			c.Name, c.Ifindex, c.Namespace, c.Kind, made, orDash(c.Driver.Driver), orDash(c.Driver.Version),
			orDash(c.Driver.Firmware), orDash(c.Driver.BusInfo), c.MTU)
		if c.Channels != nil {
			fmt.Fprintf(w, "  channels: rx %d/%d tx %d/%d combined %d/%d (current/max)\n",
				c.Channels.Rx, c.Channels.MaxRx, c.Channels.Tx, c.Channels.MaxTx, c.Channels.Combined, c.Channels.MaxCombined)
		} else {
			fmt.Fprintf(w, "  channels: %s\n", c.ChannelsErr)
		}
		if c.Rings != nil {
			fmt.Fprintf(w, "  rings: rx %d/%d tx %d/%d\n", c.Rings.Rx, c.Rings.MaxRx, c.Rings.Tx, c.Rings.MaxTx)
		} else {
			fmt.Fprintf(w, "  rings: %s\n", c.RingsErr)
		}
		var feats []string
		for _, f := range []string{"rx-gro", "hw-tc-offload", "rx-checksum", "rx-hashing", "large-receive-offload", "rx-vlan-hw-parse"} {
			if on, ok := c.Features[f]; ok {
				feats = append(feats, fmt.Sprintf("%s %s", f, map[bool]string{true: "on", false: "off"}[on]))
			}
		}
		fmt.Fprintf(w, "  ethtool features: %s (all %d in --json)\n", joinOrNone(feats), len(c.Features))
		fmt.Fprintf(w, "  xdp stats: %s\n", joinOrNone(c.XDPStats))
		a := c.Advertised
		if a.Reported {
			fmt.Fprintf(w, "  advertised: xdp-features %s (%#x); xdp-zc-max-segs %d; rx-metadata %s; xsk %s\n",
				joinOrNone(a.XDPFeatures), a.XDPFeaturesRaw, a.XDPZCMaxSegs, joinOrNone(a.RxMetadata), joinOrNone(a.XSK))
		} else {
			fmt.Fprintf(w, "  advertised: %s\n", a.NotReported)
		}
		if p := c.AdvertisedWhilePeerNative; p != nil && p.Reported {
			fmt.Fprintf(w, "  advertised while the peer has a native program: xdp-features %s (%#x)\n",
				joinOrNone(p.XDPFeatures), p.XDPFeaturesRaw)
		}
		d := c.Detected
		if !d.Attached {
			fmt.Fprintln(w, "  detected: not tested (read-only probe: add --attach to attach test programs)")
		} else {
			writeDetected(w, d)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  CAPABILITY\tADVERTISED\tDETECTED\tVERDICT\tNOTE")
		for _, row := range c.Comparison {
			v := row.Verdict
			if v == VerdictMismatch {
				v = "MISMATCH"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", row.Capability, row.Advertised, row.Detected, v, row.Note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote: %s", n)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintf(w, "\n%d mismatch(es) between advertised and detected\n", r.Findings())
	return err
}

func writeDetected(w io.Writer, d Detected) {
	fmt.Fprintf(w, "  detected: generic %s; native %s; offload %s\n",
		d.Modes["generic"], d.Modes["native"], d.Modes["offload"])
	fmt.Fprintf(w, "  detected: multi-buffer (frags program, native, MTU %d) %s; plain program there %s\n",
		JumboMTU, d.MultiBuffer, d.NonFragsAtJumbo)
	fmt.Fprintf(w, "  detected: rx hash %s; rx timestamp %s\n", d.RxMetadata["hash"], d.RxMetadata["timestamp"])
}

// JumboMTU is the MTU of the multi-buffer check.
const JumboMTU = 9000

// ReportJSONSchema is the JSON Schema (draft 2020-12) of Report.
//
//go:embed probe.schema.json
var ReportJSONSchema []byte
