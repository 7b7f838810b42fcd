package results

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the run as a text table for terminals: one row per
// program and mode, each figure as median with min and max over trials,
// then what the figures mean, the fingerprints, searches, latency, the
// workloads' own figures and the flagged trials.
func WriteTable(w io.Writer, r *Run) error {
	if err := writeRows(w, r); err != nil {
		return err
	}
	writeLegend(w, r)
	if err := writeHooks(w, r); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := WriteFingerprints(w, r.Results); err != nil {
		return err
	}
	writeSearches(w, r)
	writeLatency(w, r)
	for _, res := range r.Results {
		if res.Workload != nil {
			writeWorkload(w, res)
		}
		if res.Returned != nil {
			writeReturned(w, res)
		}
	}
	writeFlagged(w, r)
	return nil
}

// writeRows is the header and the table of figures.
func writeRows(w io.Writer, r *Run) error {
	c := r.Config
	label := ""
	if r.Label != "" {
		label = "  run " + r.Label
	}
	fmt.Fprintf(w, "xdplab %s  kernel %s  %s  %d cores%s\n", r.Tool.Version, r.Host.Kernel, r.Host.CPUModel, r.Host.Cores, label)
	rm := r.Topology.Remote
	if rm != nil {
		fmt.Fprintf(w, "generator on %s: xdplab %s  kernel %s  %s  %d cores%s\n", rm.Target, rm.Version, rm.Host.Kernel, rm.Host.CPUModel, rm.Host.Cores, rm.delay())
	}
	fmt.Fprintf(w, "%s\n\n", Text(Describe(c, nil)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "program\tmode\tMpps\tGbit/s L2\tloss %\tCPU ns/pkt\tDUT ns/pkt\tprog ns/pkt\tflags\t")
	for _, res := range r.Results {
		s := res.Summary
		dut, prog := s.DUTString(len(res.Trials)), res.ProgNsPerPkt.String("%.1f")
		flags := "-"
		if s.Flagged > 0 {
			flags = fmt.Sprintf("%d/%d", s.Flagged, len(res.Trials))
		}
		name := res.Program.Name
		if !res.Program.Counted {
			name += "*"
		}
		if res.ControlPlaneOnly {
			fmt.Fprintf(tw, "%s\t%s\tcontrol plane only\t-\t-\t-\t-\t-\t-\t\n", name, res.Mode)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, res.Mode,
			span(s.ThroughputPPS, 1e-6, "%.2f"), span(s.L2BitsPerSec, 1e-9, "%.2f"),
			span(s.Loss, 100, "%.2f"), span(s.CPUNsPerPkt, 1, "%.1f"), dut, prog, flags)
	}
	return tw.Flush()
}

// writeLegend says what each column is and where it comes from.
func writeLegend(w io.Writer, r *Run) {
	rm := r.Topology.Remote
	fmt.Fprintln(w, "\nmedian [min-max] over trials. Mpps: frames the DUT program counted; loss: 1 - counted/offered;")
	switch {
	case rm != nil && rm.SameMachine:
		fmt.Fprintln(w, "CPU ns/pkt: /proc/stat busy time of every CPU of this host per offered frame; the generator's host shares this kernel, so it includes the generator;")
	case rm != nil:
		fmt.Fprintln(w, "CPU ns/pkt: /proc/stat busy time of every CPU of this host (the DUT's) per offered frame; the generator's CPU is on its own host;")
	case HasHooks(r):
		fmt.Fprintln(w, "CPU ns/pkt: /proc/stat busy time of the generator CPUs per offered frame (generator + veth + DUT), and of a user-space reader's CPU at afpacket, socket and afxdp;")
	default:
		fmt.Fprintln(w, "CPU ns/pkt: /proc/stat busy time of the generator CPUs per offered frame (generator + veth + DUT);")
	}
	if r.Calibration != nil {
		noise := ""
		if n := r.Calibration.Noise; n != nil {
			noise = fmt.Sprintf("; a share within the calibration's noise (%.1f) shows as < %.1f, flagged %s", n.Value, n.Value, FlagDUTWithinNoise)
		}
		fmt.Fprintf(w, "DUT ns/pkt: CPU ns/pkt minus the generator's %.1f ns/pkt (calibrated against a minimal sink)%s;\n", r.Calibration.GeneratorNsPerPkt.Value, noise)
	}
	fmt.Fprintln(w, "prog ns/pkt: BPF run-time stats in a separate pass, net of what the stats cost per run (an empty program, same pass);")
	fmt.Fprintf(w, "  a net figure within the noise of that cost shows as < bound (within noise), flagged %s.\n", FlagProgWithinNoise)
	for _, res := range r.Results {
		if !res.Program.Counted {
			fmt.Fprintf(w, "* %s has no xdplab counters: its Mpps is the DUT veth's rx_queue_*_xdp_packets (or netlink rx_packets where that stays 0).\n", res.Program.Name)
			break
		}
	}
}

// writeSearches is each NDR and PDR search's outcome, and the results
// without traffic.
func writeSearches(w io.Writer, r *Run) {
	for _, res := range r.Results {
		for _, t := range []*Throughput{res.NDR, res.PDR} {
			if t == nil {
				continue
			}
			if rate, ok := t.Found(); ok {
				note := ""
				if t.Note != "" {
					note = "; " + t.Note
				}
				fmt.Fprintf(w, "%s %s %s (loss <= %g%%): %.3f Mpps, confirmed, %d trials%s\n", res.Program.Name, res.Mode,
					strings.ToUpper(t.Goal), t.MaxLoss*100, rate/1e6, t.Trials, note)
				continue
			}
			fmt.Fprintf(w, "%s %s %s (loss <= %g%%): not found: no rate confirmed in %d trials: %s\n", res.Program.Name, res.Mode,
				strings.ToUpper(t.Goal), t.MaxLoss*100, t.Trials, t.StepsString())
		}
	}
	for _, res := range r.Results {
		if res.ControlPlaneOnly {
			fmt.Fprintf(w, "%s %s: control plane only, no throughput: %s.\n", res.Program.Name, res.Mode, strings.Join(res.ControlPlane, "; "))
		}
	}
}

// writeLatency is the latency of each result that measured it, or the
// pace of a paced one.
func writeLatency(w io.Writer, r *Run) {
	lat := false
	for _, res := range r.Results {
		if res.Summary.LatencyP50Ns != nil {
			if !lat {
				fmt.Fprintln(w, "\none-way latency (generator stamp to sink, same host clock), median [min-max] over trials:")
				lat = true
			}
			var lo, hi float64
			for i, t := range res.Trials {
				if t.Latency == nil || t.Latency.Count == 0 {
					continue
				}
				if i == 0 || t.Latency.MinNs < lo {
					lo = t.Latency.MinNs
				}
				hi = max(hi, t.Latency.MaxNs)
			}
			at := ""
			if res.RateTarget != nil {
				at = fmt.Sprintf(" at %.3f Mpps (%g%% of %.3f)", float64(res.RateTarget.RatePPS)/1e6, res.RateTarget.Percent, res.RateTarget.MaxPPS/1e6)
			}
			fmt.Fprintf(w, "  %s %s%s: p50 %s us, p99 %s us, min %.1f us, max %.1f us\n", res.Program.Name, res.Mode, at,
				span(*res.Summary.LatencyP50Ns, 1e-3, "%.1f"), span(*res.Summary.LatencyP99Ns, 1e-3, "%.1f"), lo/1e3, hi/1e3)
		} else if res.RateTarget != nil {
			fmt.Fprintf(w, "%s %s paced to %.3f Mpps: %g%% of the %.3f Mpps an unpaced trial measured\n", res.Program.Name, res.Mode,
				float64(res.RateTarget.RatePPS)/1e6, res.RateTarget.Percent, res.RateTarget.MaxPPS/1e6)
		}
	}
}

// writeWorkload is a reference workload's own figures.
func writeWorkload(w io.Writer, res Result) {
	wl := res.Workload
	if len(wl.Rules) > 0 {
		src := "the program's rule_hits map"
		if res.Program.Object == UserSpaceObject {
			src = "the user-space filter's own counts"
		}
		fmt.Fprintf(w, "\n%s %s: frames dropped per rule over the trials (%s):\n", res.Program.Name, res.Mode, src)
		for _, h := range wl.Rules {
			fmt.Fprintf(w, "  %12d  %s\n", h.Packets, h.Rule)
		}
	}
	if l := wl.RateLimit; l != nil {
		fmt.Fprintf(w, "%s %s: passed %.0f frames/s of %.0f offered: %.2f%% of the limit %d/s x %d source(s) (burst %d); %d over the limit, %d lost the bucket's race, %d malformed\n",
			res.Program.Name, res.Mode, l.PassedPPS, l.OfferedPPS, 100*l.Share, l.LimitPPS, l.Sources, l.Burst, l.Over, l.Contended, l.Malformed)
	}
	if f := wl.Flows; f != nil {
		fmt.Fprintf(w, "\n%s %s: %d flows, %d packets in the flow table (%d malformed frames passed unfiled); top flows:\n", res.Program.Name, res.Mode, f.Count, f.Packets, f.Malformed)
		for _, fl := range f.Top {
			fmt.Fprintf(w, "  %12d pkts %14d bytes  proto %d  %s:%d -> %s:%d", fl.Packets, fl.Bytes, fl.Proto, fl.Src, fl.Sport, fl.Dst, fl.Dport)
			if fl.VLAN != 0 {
				fmt.Fprintf(w, "  vlan %d", fl.VLAN)
			}
			fmt.Fprintln(w)
		}
	}
	if lb := wl.LB; lb != nil {
		fmt.Fprintf(w, "\n%s %s: VIP %s, frames per backend at the sink (spread %.2f%% from even; %.3f%% verified encapsulated; %d new-flow and %d connection-table lookups):\n",
			res.Program.Name, res.Mode, lb.VIP, 100*lb.Spread, 100*lb.Verified, lb.NewFlows, lb.KnownFlows)
		for _, b := range lb.Backends {
			fmt.Fprintf(w, "  %12d  %s\n", b.Packets, b.Addr)
		}
	}
	if u := wl.RuleUpdates; u != nil {
		fmt.Fprintf(w, "%s %s rule updates under load: %d rule updates, p50 %.1f us, p99 %.1f us, max %.1f us; %.3f Mpps during them against %.3f without\n",
			res.Program.Name, res.Mode, u.Updates, u.P50Us, u.P99Us, u.MaxUs, u.ThroughputPPS/1e6, u.BaselinePPS/1e6)
	}
}

// writeReturned is what a user's object sent back to the generator's
// port, as the return sink checked it.
func writeReturned(w io.Writer, res Result) {
	rt := res.Returned
	if rt.Frames == 0 {
		fmt.Fprintf(w, "%s %s: no frame came back out of the DUT to the generator's port (return sink)\n", res.Program.Name, res.Mode)
		return
	}
	share := fmt.Sprintf("%.3f%%", 100*rt.EncapsulatedShare())
	if rt.Encapsulated < rt.Frames && share == "100.000%" {
		share = ">99.999%" // never all where some were not
	}
	fmt.Fprintf(w, "\n%s %s: %d frames came back out of the DUT (return sink on the generator's veth): %s encapsulated with a sound inner packet, %d not encapsulated, %d with a bad inner packet; by outer destination:\n",
		res.Program.Name, res.Mode, rt.Frames, share, rt.NotEncapsulated, rt.InnerBad)
	for _, b := range rt.ByDestination {
		fmt.Fprintf(w, "  %12d  %s\n", b.Packets, b.Addr)
	}
	if rt.OtherDestinations > 0 {
		fmt.Fprintf(w, "  %12d  other destinations, past the first ones the sink names\n", rt.OtherDestinations)
	}
}

// writeFlagged lists every flagged trial, and the command that reruns.
func writeFlagged(w io.Writer, r *Run) {
	var flagged []string
	for _, res := range r.Results {
		for _, t := range res.Trials {
			for _, f := range t.Flags {
				flagged = append(flagged, fmt.Sprintf("  %s %s trial %d: %s: %s", res.Program.Name, res.Mode, t.Index, f.Code, f.Message))
			}
		}
	}
	if len(flagged) > 0 {
		fmt.Fprintln(w, "\nflagged trials:")
		fmt.Fprintln(w, strings.Join(flagged, "\n"))
	}
	if r.Rerun != "" {
		fmt.Fprintf(w, "\nrerun: %s\n", r.Rerun)
	}
}

// span writes a Stat as "median [min-max]" scaled by k.
func span(s Stat, k float64, f string) string {
	if s.N == 0 {
		return "-"
	}
	if s.N == 1 {
		return fmt.Sprintf(f, s.Median*k)
	}
	return fmt.Sprintf(f+" ["+f+"-"+f+"]", s.Median*k, s.Min*k, s.Max*k)
}

// delay says the control channel's one-way delay, where measured.
func (rm *Remote) delay() string {
	d := rm.ControlDelay
	if d == nil || d.Snapshots == 0 {
		return ""
	}
	return fmt.Sprintf("  control channel %.2f ms one way (median of %d snapshots, at most %.2f ms)", d.MedianS*1e3, d.Snapshots, d.MaxS*1e3)
}
