package matrix

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/compare"
)

// Row is one kernel and mode of the matrix table.
type Row struct {
	Kernel, Release, Mode, Device string
	Accel                         vm.Accel // the VM's accelerator
	Attach                        Cell     // ok, or why not
	Expected                      bool     // this mode must work here
	Programs                      []string
	Mpps                          []string // per program: median (emulated)
	Drop                          string   // drop's share of offered, for the drop program
	Generator                     string
	// Equiv is the equivalence check's verdict on veth (one per kernel,
	// on both veth rows): a fail is Failed (xdplab's own programs differ
	// between modes), a check that did not run or cannot be read Missing.
	Equiv Cell
	// Missing says what result of an expected mode is not there (the
	// run's, the offload run's); it fails the matrix.
	Missing string
	Note    string
}

// readJSON reads one of a VM's JSON files.
func readJSON[T any](path string) (*T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &v, nil
}

func readProbe(path string) (*probe.Report, error) { return readJSON[probe.Report](path) }

// Rows builds the table: per kernel, generic and native on veth, offload on
// netdevsim.
func Rows(krs []*KernelRun) []Row {
	var rows []Row
	for _, kr := range krs {
		rel := ""
		if kr.Kernel != nil {
			rel = kr.Kernel.Release
		}
		if kr.Err != nil && len(kr.Files) == 0 {
			for _, m := range []string{"generic", "native", "offload"} {
				rows = append(rows, Row{Kernel: kr.Spec.Name, Release: rel, Accel: kr.Accel.Accel, Mode: m, Expected: true, Attach: cellOf(Skipped, "kernel failed", "kernel failed")})
			}
			continue
		}
		rows = append(rows, vethRows(kr, rel)...)
		rows = append(rows, offloadRow(kr, rel))
	}
	return rows
}

// vethRows are a kernel's generic and native rows on veth.
func vethRows(kr *KernelRun, rel string) []Row {
	var rows []Row
	runs := vethRuns(kr)
	equiv := equivalence(kr)
	veth, _ := readProbe(kr.Files["probe-veth.json"])
	for _, m := range []string{"generic", "native"} {
		r := Row{Kernel: kr.Spec.Name, Release: rel, Accel: kr.Accel.Accel, Mode: m, Device: "veth", Expected: true, Attach: noProbe, Equiv: equiv}
		if veth != nil && len(veth.Interfaces) > 0 {
			r.Attach = attachCell(veth.Interfaces[0].Detected.Modes[m])
		}
		for _, run := range runs {
			r.Generator = run.Config.Generator
			for _, res := range run.Results {
				if res.Mode != m {
					continue
				}
				name := res.Program.Name
				if len(runs) > 1 {
					name = fmt.Sprintf("%s@%dB/%df", name, run.Config.FrameSize, run.Config.Flows)
				}
				r.Programs = append(r.Programs, name)
				r.Mpps = append(r.Mpps, fmt.Sprintf("%.3f", res.Summary.ThroughputPPS.Median/1e6))
				if res.Program.Name == "drop" {
					r.Drop = dropShare(res)
				}
			}
		}
		switch st := kr.Status["run-veth"]; {
		case len(runs) == 0:
			r.Missing = "no run results (" + statusOf(kr, "run-veth") + ")"
		case st == 4:
			r.Note = "the scenario's expectations did not all hold (run-veth.txt)"
		case st == 6:
			r.Note = "the scenario's expectations could not all be decided: inconclusive (run-veth.txt)"
		}
		rows = append(rows, r)
	}
	return rows
}

// dropShare is the drop program's drops per frame the generator sent,
// over its trials; empty where it sent none.
func dropShare(res results.Result) string {
	var off, drop uint64
	for _, t := range res.Trials {
		off += t.Raw.Generator.Packets
		drop += t.Raw.Program["drop"].Packets
	}
	switch {
	case off == 0:
		return ""
	case drop > off:
		// Never a share above 100%: the surplus is not the generator's
		// (the trials are flagged).
		return fmt.Sprintf("100%% (+%d not offered: %s)", drop-off, results.FlagSeenExceedsOffered)
	}
	return fmt.Sprintf("%.2f%%", 100*float64(drop)/float64(off))
}

// offloadRow is a kernel's offload row on netdevsim: control plane
// only, or why it did not run.
func offloadRow(kr *KernelRun, rel string) Row {
	if kr.NoOffload != "" {
		return Row{Kernel: kr.Spec.Name, Release: rel, Accel: kr.Accel.Accel, Mode: "offload", Device: "netdevsim", Attach: cellOf(Skipped, "not run: "+kr.NoOffload, "not run: "+kr.NoOffload)}
	}
	nsim, _ := readProbe(kr.Files["probe-netdevsim.json"])
	r := Row{Kernel: kr.Spec.Name, Release: rel, Accel: kr.Accel.Accel, Mode: "offload", Device: "netdevsim", Expected: true, Attach: noProbe}
	if nsim != nil && len(nsim.Interfaces) > 0 {
		r.Attach = attachCell(nsim.Interfaces[0].Detected.Modes["offload"])
		r.Device = nsim.Interfaces[0].Driver.Driver
	}
	if p, ok := kr.Files["run-netdevsim.json"]; ok {
		if nr, err := results.ReadFile(p); err == nil {
			for _, res := range nr.Results {
				if res.ControlPlaneOnly {
					r.Programs, r.Mpps = append(r.Programs, res.Program.Name), append(r.Mpps, "-")
					r.Note = "control plane only: netdevsim runs no offloaded program on packets"
				}
			}
		}
	} else {
		r.Missing = "no offload run (" + statusOf(kr, "run-netdevsim") + ")"
	}
	if q := readQualification(kr.Files["qualify-netdevsim.json"]); q != nil {
		r.Note = strings.TrimPrefix(r.Note+fmt.Sprintf("; qualify %s: %s", q.Verdict, qualifySummary(q)), "; ")
	} else {
		r.Note = strings.TrimPrefix(r.Note+"; no qualification ("+statusOf(kr, "qualify-netdevsim")+")", "; ")
	}
	return r
}

// equivalence is a kernel's equivalence check in a few words, and whether
// it fails the kernel: a fail, and a check that should have run on every
// kernel and did not.
func equivalence(kr *KernelRun) Cell {
	p, ok := kr.Files["equiv-veth.json"]
	if !ok {
		return cellOf(Missing, "not-run", "not run ("+statusOf(kr, "equiv-veth")+")")
	}
	e, err := readJSON[results.Equivalence](p)
	if err != nil || e.Schema != results.EquivalenceSchema {
		return cellOf(Missing, "unreadable", fmt.Sprintf("unreadable (%s)", filepath.Base(p)))
	}
	findings := 0
	for _, p := range e.Programs {
		findings += len(p.Findings)
	}
	switch e.Verdict {
	case results.VerdictPass:
		return Cell{Word: "pass", Text: fmt.Sprintf("pass (%d programs alike)", len(e.Programs)), OK: true}
	case results.VerdictFail:
		return cellOf(Failed, "FAIL", fmt.Sprintf("FAIL: %d finding(s), equiv-veth.txt", findings))
	}
	return cellOf(Decided, string(e.Verdict), string(e.Verdict)+": "+e.Why)
}

// noProbe is an attach cell with no probe report behind it.
var noProbe = cellOf(Missing, "no probe report", "no probe report")

// readQualification reads a VM's qualification report; nil when absent.
func readQualification(path string) *results.Qualification {
	if path == "" {
		return nil
	}
	q, _ := readJSON[results.Qualification](path)
	return q
}

// qualifySummary names the offload checks' verdicts and counts the rest.
func qualifySummary(q *results.Qualification) string {
	var parts []string
	for _, c := range q.Checks {
		if c.Mode == "offload" {
			parts = append(parts, c.Name+" "+string(c.Verdict))
		}
	}
	var counts []string
	for v, n := range q.Counts {
		counts = append(counts, fmt.Sprintf("%s %d", v, n))
	}
	sort.Strings(counts)
	return strings.Join(parts, ", ") + " (checks: " + strings.Join(counts, ", ") + ")"
}

func statusOf(kr *KernelRun, step string) string {
	st, ok := kr.Status[step]
	if !ok {
		return step + " did not run"
	}
	return fmt.Sprintf("%s exited %d", step, st)
}

// Failures lists expected modes that did not attach, and failed kernels.
func Failures(krs []*KernelRun, rows []Row) []string {
	var out []string
	for _, kr := range krs {
		if kr.Err != nil && KernelFinding(kr) == "" {
			out = append(out, kr.Err.Error())
		}
		for _, e := range kr.Transfer {
			out = append(out, fmt.Sprintf("kernel %s: transfer from the VM: %s", kr.Spec.Name, e))
		}
	}
	// A NIC pair whose probe or qualification did not report fails the
	// matrix: xdplab could not judge the driver. What the qualification
	// found (a check that failed, advertised and detected apart) is the
	// driver's, shown in the table and listed under it; a capability a
	// later kernel lost is a regression and fails the matrix (below). A
	// driver this kernel does not have fails nothing.
	nicSeen := map[string]bool{}
	for _, r := range NICRows(krs) {
		key := r.Kernel + "/" + r.Kind
		if nicSeen[key] || r.Attach.State == Skipped {
			continue
		}
		nicSeen[key] = true
		if r.Attach.Fails() {
			out = append(out, fmt.Sprintf("kernel %s: NIC %s: %s", r.Kernel, r.Kind, r.Attach))
			continue
		}
		if r.Verdict.Fails() {
			out = append(out, fmt.Sprintf("kernel %s: NIC %s: qualification %s (qualify-%s.md)", r.Kernel, r.Kind, r.Verdict, r.Kind))
		}
		if r.Equiv.Fails() {
			out = append(out, fmt.Sprintf("kernel %s: NIC %s: equivalence %s", r.Kernel, r.Kind, r.Equiv))
		}
		// The journal is xdplab's own: a setting it did not give back
		// fails the matrix, as does a check that could not run.
		if r.Journal.Fails() {
			out = append(out, fmt.Sprintf("kernel %s: NIC %s: journal %s", r.Kernel, r.Kind, r.Journal))
		}
	}
	for _, d := range NICDifferences(NICRows(krs)) {
		if d.Regression {
			out = append(out, "NIC "+d.String())
		}
	}
	equivSeen := map[string]bool{}
	for _, r := range rows {
		if r.Equiv.Fails() && !equivSeen[r.Kernel] {
			equivSeen[r.Kernel] = true
			out = append(out, fmt.Sprintf("kernel %s: equivalence on veth: %s", r.Kernel, r.Equiv))
		}
		if r.Expected && !r.Attach.OK && r.Attach.State != Skipped {
			out = append(out, fmt.Sprintf("kernel %s: %s on %s: %s", r.Kernel, r.Mode, r.Device, r.Attach))
		} else if r.Expected && r.Missing != "" {
			out = append(out, fmt.Sprintf("kernel %s: %s on %s: %s", r.Kernel, r.Mode, r.Device, r.Missing))
		}
	}
	return out
}

// WriteTable writes the kernel x mode table.
func WriteTable(w io.Writer, krs []*KernelRun) error {
	rows := Rows(krs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "kernel\trelease\taccel\tmode\tdevice\tattach\tprograms\tMpps (emulated)\tdrop\tgenerator\tsame verdict\tnote\t")
	for _, r := range rows {
		attach := r.Attach.Text
		if r.Attach.OK {
			attach = "ok"
		}
		note := r.Note
		if r.Missing != "" {
			note = strings.TrimSuffix(r.Missing+"; "+note, "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Kernel, r.Release, dash(string(r.Accel)), r.Mode, dash(r.Device), attach,
			dash(strings.Join(r.Programs, ",")), dash(strings.Join(r.Mpps, ",")), dash(r.Drop), dash(r.Generator), dash(r.Equiv.Text), note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nMpps: frames the DUT program counted (xdplab stats map), median over trials inside a QEMU VM (emulated CPU):")
	fmt.Fprintln(w, "compare kernels and modes with each other, never with bare metal. drop: the drop program's drops per frame the generator sent.")
	fmt.Fprintln(w, "attach: a minimal program attached in that mode and read back (xdplab probe). same verdict: xdplab equiv of the programs")
	fmt.Fprintln(w, "at every hook on veth (generic, native, tc, socket, afpacket, afxdp where each runs the program), every frame of its set compared")
	fmt.Fprintln(w, "(the same result on both veth rows). The veth run measures every hook too: the comparison by kernel below has a row per hook.")
	fmt.Fprintln(w, "accel: QEMU's accelerator (kvm, or tcg: emulated, and slower still).")
	for _, kr := range krs {
		if kr.Kernel != nil {
			fmt.Fprintf(w, "%s: %s %s, %s, boot %.1fs, VM %.0fs of %s; files in %s\n", kr.Spec.Name, kr.Kernel.Package, kr.Kernel.Version,
				dash(kr.Accel.String()), kr.Boot.Seconds(), kr.Elapsed.Seconds(), kr.Budget, kr.Dir)
		}
	}
	var found []string
	for _, kr := range krs {
		if f := KernelFinding(kr); f != "" {
			found = append(found, fmt.Sprintf("  kernel %s: %s (console.log)", kr.Spec.Name, f))
		}
	}
	if len(found) > 0 {
		fmt.Fprintln(w, "\nkernel findings (the kernel's own, after the VM had sent its other results: those stand):")
		fmt.Fprintln(w, strings.Join(found, "\n"))
	}
	if err := WriteNICTable(w, krs); err != nil {
		return err
	}
	return writeFingerprints(w, krs)
}

// writeFingerprints writes the program fingerprints, kernel x mode: exact
// where the throughput of an emulated VM is not.
func writeFingerprints(w io.Writer, krs []*KernelRun) error {
	fmt.Fprintln(w, "\nprogram fingerprint per kernel and mode (exact, unlike the emulated Mpps; n/r: the kernel did not report it):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "kernel\tmode\tprogram\t"
	for _, ff := range results.FingerprintFigures() {
		if ff.Exact {
			head += ff.Short + "\t"
		}
	}
	fmt.Fprintln(tw, head+"xlated sha256\tjit sha256\t")
	for _, kr := range krs {
		n := 0
		for _, run := range kernelRuns(kr) {
			for _, res := range run.Results {
				f := res.Fingerprint
				if f == nil {
					continue
				}
				n++
				line := kr.Spec.Name + "\t" + res.Mode + "\t" + res.Program.Name + "\t"
				for _, ff := range results.FingerprintFigures() {
					if ff.Exact {
						line += ff.Text(f) + "\t"
					}
				}
				fmt.Fprintln(tw, line+results.ShortHash(f.XlatedSHA256)+"\t"+results.ShortHash(f.JITSHA256)+"\t")
			}
		}
		if n == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\tno fingerprint: no results from this kernel\t\n", kr.Spec.Name)
		}
	}
	return tw.Flush()
}

// kernelRuns are a kernel's veth runs, then its netdevsim run.
func kernelRuns(kr *KernelRun) []*results.Run {
	runs := vethRuns(kr)
	if p, ok := kr.Files["run-netdevsim.json"]; ok {
		if r, err := results.ReadFile(p); err == nil {
			runs = append(runs, r)
		}
	}
	return runs
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// vethRuns reads a kernel's veth results: run-veth.json, or a scenario's
// run-veth-*.json, in name order.
func vethRuns(kr *KernelRun) []*results.Run {
	var names []string
	for name := range kr.Files {
		if strings.HasPrefix(name, "run-veth") && strings.HasSuffix(name, ".json") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []*results.Run
	for _, n := range names {
		if r, err := results.ReadFile(kr.Files[n]); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Inputs are the veth and netdevsim runs of every kernel, for
// results/compare (netdevsim's give fingerprints only).
func Inputs(krs []*KernelRun) []compare.Input {
	var in []compare.Input
	for _, kr := range krs {
		for _, r := range kernelRuns(kr) {
			label := kr.Spec.Name
			if r.Topology.Kind != "pair" {
				label += " " + r.Topology.Kind
			}
			in = append(in, compare.Input{Label: label, Runs: []*results.Run{r}})
		}
	}
	return in
}
