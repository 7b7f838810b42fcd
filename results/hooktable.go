package results

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/xdplab/xdplab/internal/xdpmode"
)

// HasHooks says whether the run measured a hook beside XDP's modes: then
// its table compares where the inspection ran.
func HasHooks(r *Run) bool {
	return len(r.NotRun) > 0 || slices.ContainsFunc(r.Results, func(res Result) bool { return beside(res.Mode) })
}

// beside says whether a result's mode is a hook beside XDP's (schema 8).
func beside(mode string) bool {
	m, err := xdpmode.Parse(mode)
	return err == nil && !m.IsXDP()
}

// notMeasurable is how the hook table writes a figure a hook cannot have.
const notMeasurable = "n/m"

// writeHooks is the comparison of hooks: per program and hook, where it
// ran and how frames reached it, what it took in and missed, the CPU time
// split into user and kernel, a reader's own cost, and latency; a figure
// a hook cannot have is n/m, with the reason under the table.
func writeHooks(w io.Writer, r *Run) error {
	if !HasHooks(r) {
		return nil
	}
	fmt.Fprintln(w, "\nwhere the inspection ran, median over trials (the same frames and rules at every hook):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "program\thook\truns in\tMpps\tloss %\tmissed %\tCPU user/kernel ns/pkt\treader user/kernel ns/frame\tctx sw/M\tsyscalls/k\tcopied B/frame\tlatency p50 ns\t")
	reasons := map[string]string{}
	for _, res := range r.Results {
		h := res.Summary.Hook
		if h == nil || res.ControlPlaneOnly {
			continue
		}
		na := func(key string) string {
			if why, ok := h.NotMeasurable[key]; ok {
				reasons[key+": "+why] = ""
			}
			return notMeasurable
		}
		runs := "kernel"
		if strings.HasPrefix(h.Where, "user space") {
			runs = "user space"
		}
		missed, thread, sw, calls, copied := na("missed"), na("thread"), na("switches"), na("syscalls"), na("copies")
		if h.MissedShare != nil {
			missed = fmt.Sprintf("%.2f", h.MissedShare.Median*100)
			thread = fmt.Sprintf("%.0f/%.0f", h.ThreadUserNsPerFrame.Median, h.ThreadKernelNsPerFrame.Median)
			sw = fmt.Sprintf("%.0f", h.ContextSwitchesPerM.Median)
			calls = fmt.Sprintf("%.2f", h.SyscallsPerK.Median)
			copied = fmt.Sprintf("%.0f", h.CopiedBytesPerFrame.Median)
		}
		lat := "n/m"
		if res.Summary.LatencyP50Ns != nil {
			lat = fmt.Sprintf("%.0f", res.Summary.LatencyP50Ns.Median)
		} else {
			reasons["latency: measured where frames come back out of the DUT to a sink on the generator's clock (tx, redirect at XDP and tx at tc, with --latency)"] = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3f\t%.2f\t%s\t%.0f/%.0f\t%s\t%s\t%s\t%s\t%s\t\n", res.Program.Name, h.Hook, runs,
			res.Summary.ThroughputPPS.Median/1e6, res.Summary.Loss.Median*100, missed,
			h.UserNsPerPkt.Median, h.KernelNsPerPkt.Median, thread, sw, calls, copied, lat)
	}
	for _, n := range r.NotRun {
		fmt.Fprintf(tw, "%s\t%s\tnot run\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", n.Program, n.Hook)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.NotRun {
		fmt.Fprintf(w, "  not run: %s\n", n.Why)
	}
	fmt.Fprintln(w, "Mpps: frames the hook decided on (its program's or reader's count); missed: frames the kernel could not hand a reader (ring full), of those generated;")
	fmt.Fprintln(w, "CPU user/kernel: /proc/stat of the generator's CPUs and a reader's, per offered frame; reader: its thread's time on CPU per frame decided;")
	fmt.Fprintln(w, "ctx sw/M, syscalls/k: the reader thread's context switches per million frames and system calls per thousand; copied: bytes the mechanism copies (derived).")
	seen := map[string]bool{}
	for _, res := range r.Results {
		if h := res.Summary.Hook; h != nil && !seen[h.Hook] {
			seen[h.Hook] = true
			fmt.Fprintf(w, "  %s: %s; %s; drop: %s\n", h.Hook, h.Where, h.Method, h.Drop)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(reasons)) {
		fmt.Fprintf(w, "  n/m %s\n", k)
	}
	return nil
}
