package probe

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xdplab/xdplab/offload"
)

// ReportSchema names the probe report format.
const (
	ReportSchema        = "xdplab.probe"
	ReportSchemaVersion = 1
)

// Report is what `xdplab probe` prints and writes.
type Report struct {
	Schema        string                   `json:"schema"`
	SchemaVersion int                      `json:"schema_version"`
	Tool          string                   `json:"tool"` // "xdplab <version>"
	Created       time.Time                `json:"created"`
	Kernel        offload.KernelCaps       `json:"kernel"`
	Interfaces    []*offload.InterfaceCaps `json:"interfaces"`
	Notes         []string                 `json:"notes,omitempty"`
}

// Findings counts mismatches over all interfaces.
func (r *Report) Findings() int {
	n := 0
	for _, c := range r.Interfaces {
		for _, row := range c.Comparison {
			if row.Verdict == offload.VerdictMismatch {
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
			if v == offload.VerdictMismatch {
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

func writeDetected(w io.Writer, d offload.Detected) {
	fmt.Fprintf(w, "  detected: generic %s; native %s; offload %s\n",
		d.Modes["generic"], d.Modes["native"], d.Modes["offload"])
	fmt.Fprintf(w, "  detected: multi-buffer (frags program, native, MTU %d) %s; plain program there %s\n",
		offload.JumboMTU, d.MultiBuffer, d.NonFragsAtJumbo)
	fmt.Fprintf(w, "  detected: rx hash %s; rx timestamp %s\n", d.RxMetadata["hash"], d.RxMetadata["timestamp"])
}

// ReportJSONSchema is the JSON Schema (draft 2020-12) of Report.
//
//go:embed probe.schema.json
var ReportJSONSchema []byte
