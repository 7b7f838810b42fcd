package matrix

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/caps"
)

// NICRow is one kernel, NIC driver and mode of the driver table.
type NICRow struct {
	Kernel, Release string
	Accel           vm.Accel
	Kind            string // igb, virtio, ...
	Driver          string // the driver as ethtool names it (from the probe)
	Mode            string
	// Attach: the probe's minimal program attached in this mode and read
	// back (ok, or why not).
	Attach Cell
	// Checks are the qualification's functional checks in this mode, by
	// name, with their verdicts.
	Checks map[string]results.Verdict
	// Verdict is the qualification's verdict on the pair (all modes);
	// Findings its checks where advertised and detected disagree.
	Verdict  Cell
	Findings []string
	// Counters: the short run's counter cross-check (its trial flags),
	// or why there is none.
	Counters string
	// Equiv is the equivalence check across the driver's modes, the same
	// on every mode's row (a Finding where its programs differ).
	Equiv Cell
	// Journal is the journal check on the pair: restored, differs
	// (Failed), stuck in the kernel (a Finding), or not run with why.
	Journal Cell
	Note    string
}

// The functional checks the driver table shows, in its column order.
var nicChecks = []struct{ name, short string }{
	{"XDP_DROP", "drop"}, {"XDP_PASS", "pass"}, {"XDP_TX", "tx"}, {"XDP_REDIRECT", "redirect"}, {"XDP_ABORTED", "aborted"},
	{"head and tail adjustment", "adjust"}, {"multi-buffer (MTU 9000, xdp.frags)", "mbuf"},
	{"AF_XDP receive (copy)", "xsk-copy"}, {"AF_XDP receive (zero-copy)", "xsk-zc"},
}

// nicModes are the modes a driver row is shown in: offload exists on no
// emulated NIC.
var nicModes = []string{"generic", "native"}

// NICRows are the driver table's rows, kernel by kernel, kind by kind.
func NICRows(krs []*KernelRun) []NICRow {
	var rows []NICRow
	for _, kr := range krs {
		rel := ""
		if kr.Kernel != nil {
			rel = kr.Kernel.Release
		}
		for _, n := range kr.NICs {
			base := NICRow{Kernel: kr.Spec.Name, Release: rel, Accel: kr.Accel.Accel, Kind: n.Kind.Name, Driver: n.Kind.Driver}
			switch {
			case n.Skipped != "":
				base.Attach, base.Note = cellOf(Skipped, "not run", "not run"), n.Skipped
			case kr.Err != nil && len(kr.Files) == 0:
				base.Attach = cellOf(Skipped, "kernel failed", "kernel failed")
			}
			if base.Attach.State == Skipped {
				for _, m := range nicModes {
					r := base
					r.Mode = m
					rows = append(rows, r)
				}
				continue
			}
			probe, _ := readProbe(kr.Files["probe-"+n.Kind.Name+".json"])
			q := readQualification(kr.Files["qualify-"+n.Kind.Name+".json"])
			ports := ""
			if p, ok := kr.Files["nic-"+n.Kind.Name+".txt"]; ok {
				b, _ := os.ReadFile(p)
				ports = strings.TrimSpace(string(b))
			}
			counters := nicCounters(kr, n.Kind.Name)
			base.Equiv = nicEquivalence(kr, n.Kind.Name)
			base.Journal = journalVerdict(kr, n.Kind.Name)
			for _, m := range nicModes {
				r := base
				r.Mode, r.Attach, r.Counters = m, cellOf(Missing, "no probe report", "no probe report ("+statusOf(kr, "probe-"+n.Kind.Name)+")"), counters
				if len(strings.Fields(ports)) < 2 {
					r.Attach = cellOf(Missing, "not-run", fmt.Sprintf("not run: the guest did not find both ports (%q)", ports))
				}
				if probe != nil && len(probe.Interfaces) > 0 {
					ic := probe.Interfaces[0]
					r.Attach = attachCell(ic.Detected.Modes[m])
					if ic.Driver.Driver != "" {
						r.Driver = ic.Driver.Driver
					}
				}
				if q == nil {
					r.Verdict = cellOf(Missing, "no report", "no report ("+statusOf(kr, "qualify-"+n.Kind.Name)+")")
				} else {
					r.Verdict = Cell{Word: string(q.Verdict), Text: string(q.Verdict), OK: q.Verdict == results.VerdictPass}
					r.Checks = map[string]results.Verdict{}
					for _, c := range q.Checks {
						switch {
						case c.Section == "functional" && c.Mode == m:
							r.Checks[c.Name] = c.Verdict
						}
						if c.Verdict == results.VerdictWorksNotAdvertised || c.Verdict == results.VerdictAdvertisedFails {
							if c.Section == "capabilities" {
								r.Findings = append(r.Findings, c.Name+": "+string(c.Verdict))
							} else if c.Mode == m {
								r.Findings = append(r.Findings, c.Name+" ("+m+"): "+string(c.Verdict))
							}
						}
					}
					slices.Sort(r.Findings)
					r.Findings = slices.Compact(r.Findings)
				}
				rows = append(rows, r)
			}
		}
	}
	return rows
}

// nicCounters is the short run's cross-check of the program's count
// against the driver's own counters, in a few words.
func nicCounters(kr *KernelRun, kind string) string {
	p, ok := kr.Files["run-"+kind+".json"]
	if !ok {
		return "no run (" + statusOf(kr, "run-"+kind) + ")"
	}
	run, err := results.ReadFile(p)
	if err != nil {
		return "unreadable run-" + kind + ".json"
	}
	var parts []string
	for _, res := range run.Results {
		flags := map[string]bool{}
		for _, t := range res.Trials {
			for _, f := range t.Flags {
				flags[f.Code] = true
			}
		}
		s := res.Mode + " agree"
		if len(flags) > 0 {
			var fs []string
			for f := range flags {
				fs = append(fs, f)
			}
			slices.Sort(fs)
			s = res.Mode + " " + strings.Join(fs, "+")
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "no results"
	}
	return strings.Join(parts, ", ")
}

// nicEquivalence is a pair's equivalence check: the same verdict in
// every mode, a Finding where its programs differed between the
// driver's modes, Missing where it did not run or report.
func nicEquivalence(kr *KernelRun, kind string) Cell {
	p, ok := kr.Files["equiv-"+kind+".json"]
	if !ok {
		return cellOf(Missing, "not-run", "not run ("+statusOf(kr, "equiv-"+kind)+")")
	}
	e, err := readJSON[results.Equivalence](p)
	if err != nil || e.Schema != results.EquivalenceSchema {
		return cellOf(Missing, "unreadable", "unreadable equiv-"+kind+".json")
	}
	switch e.Verdict {
	case results.VerdictPass:
		return cellOK("ok")
	case results.VerdictFail:
		return cellOf(Finding, "FAIL", "FAIL")
	}
	return cellOf(Decided, short(e.Verdict), short(e.Verdict))
}

// attachCell is the probe's attach in one mode: ok, or why not (the
// kernel's own words).
func attachCell(c caps.Check) Cell {
	if c.OK() {
		return Cell{Word: "ok", Text: c.String(), OK: true}
	}
	return cellOf(Decided, c.String(), c.String())
}

// journalVerdict is the journal check's cell, from its last line,
// "verdict: KIND[: why]", which journal-check.sh writes: restored,
// differs (Failed: a setting did not come back), stuck (a command on the
// driver did not return: the kernel's Finding), failed (the run did not
// hold the pair: Missing), not-run and skipped (Skipped, with why).
func journalVerdict(kr *KernelRun, kind string) Cell {
	step := "journal-" + kind
	p, ok := kr.Files[step+".txt"]
	if !ok {
		return journalMissing(kr, step)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return cellOf(Missing, "unreadable", "unreadable journal-"+kind+".txt")
	}
	v, found := "", false
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "verdict: "); ok {
			v, found = rest, true
		}
	}
	word, why, _ := strings.Cut(v, ":")
	why = strings.TrimSpace(why)
	switch word {
	case "restored":
		return cellOK("ok")
	case "differs":
		return cellOf(Failed, "DIFFERS", "DIFFERS: "+why)
	case "stuck":
		return cellOf(Finding, "STUCK", "STUCK: "+why+" (journal-"+kind+"-dmesg.txt)")
	case "failed":
		return cellOf(Missing, "FAILED", "failed: "+why)
	case "not-run", "skipped":
		return cellOf(Skipped, word, v)
	}
	if !found {
		return cellOf(Missing, "no verdict", "no verdict ("+statusOf(kr, step)+")")
	}
	return cellOf(Missing, "unknown", fmt.Sprintf("an unknown verdict %q (journal-%s.txt)", v, kind))
}

// journalMissing is a journal check that wrote nothing: the kernel died
// or hung in it (its Finding), an earlier check brought the kernel down
// (Skipped), or it did not run (Missing).
func journalMissing(kr *KernelRun, step string) Cell {
	if bug := kernelBug(kr, step); bug != "" {
		return cellOf(Finding, "KERNEL-BUG", "KERNEL-BUG: the kernel died in the check: "+bug+" (console.log)")
	}
	var ve *vm.Error
	died := errors.As(kr.Err, &ve) && strings.HasPrefix(ve.Step, "journal-")
	switch _, ran := kr.Status[step]; {
	case died && ve.Kind == vm.Stuck && ve.Step == step:
		return cellOf(Finding, "STUCK", "STUCK: the check outlived its budget and the KILL after it: a process stuck in the kernel (console.log)")
	case died && ve.Step != step && !ran:
		// A later check of a VM whose kernel an earlier one brought down.
		return cellOf(Skipped, "not-run", "not run: the kernel ended in "+ve.Step+" before it")
	}
	return cellOf(Missing, "not-run", "not run ("+statusOf(kr, step)+")")
}

// KernelFinding is, where kr's VM failed by its kernel's doing once its
// other results were in, what the kernel did: it died or hung in a
// journal check (the last steps, after every other file was sent), or it
// sent everything and then did not power off. The matrix lists it as the
// kernel's finding, not as its own failure. Empty otherwise.
func KernelFinding(kr *KernelRun) string {
	var ve *vm.Error
	if !errors.As(kr.Err, &ve) {
		return ""
	}
	switch {
	case kr.Done && (ve.Kind == vm.Stalled || ve.Kind == vm.TimedOut):
		f := "the VM sent all its results and then did not power off (" + ve.Reason() + "): the kernel hangs at shutdown"
		if j := stuckJournal(kr); j != "" {
			f += ", where " + j + " left a process stuck in the kernel"
		}
		return f
	case strings.HasPrefix(ve.Step, "journal-"):
		f := "the VM ended in " + ve.Step + ": " + ve.Reason()
		if bug := kernelBug(kr, ve.Step); bug != "" {
			f += ": " + bug
		}
		return f
	}
	return ""
}

// stuckJournal names the journal check of kr whose verdict is stuck.
func stuckJournal(kr *KernelRun) string {
	for _, n := range kr.NICs {
		if c := journalVerdict(kr, n.Kind.Name); c.State == Finding {
			return "journal-" + n.Kind.Name
		}
	}
	return ""
}

// kernelBug is the line the kernel said it died with ("kernel BUG at
// ...", "BUG: ...", "Oops: ..."), where the VM died in step; empty where it
// did not.
func kernelBug(kr *KernelRun, step string) string {
	var ve *vm.Error
	if !errors.As(kr.Err, &ve) || ve.Step != step || kr.Console == "" {
		return ""
	}
	b, err := os.ReadFile(kr.Console)
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if _, rest, ok := strings.Cut(l, "] "); ok {
			if strings.HasPrefix(rest, "kernel BUG at ") || strings.HasPrefix(rest, "BUG: ") || strings.HasPrefix(rest, "Oops: ") || strings.HasPrefix(rest, "Kernel panic") {
				return strings.TrimSpace(rest)
			}
		}
	}
	return ""
}

// short is a verdict in the table's few letters.
func short(v results.Verdict) string {
	switch v {
	case "":
		return "-"
	case results.VerdictPass:
		return "ok"
	case results.VerdictFail:
		return "FAIL"
	case results.VerdictNotSupported:
		return "no"
	case results.VerdictNotApplicable:
		return "n/a"
	case results.VerdictNotRun:
		return "not-run"
	case results.VerdictWorksNotAdvertised:
		return "works*"
	case results.VerdictAdvertisedFails:
		return "ADV-FAILS"
	case results.VerdictInconclusive:
		return "?"
	}
	return string(v)
}

// WriteNICTable writes the driver table: kernel x driver x mode.
func WriteNICTable(w io.Writer, krs []*KernelRun) error {
	rows := NICRows(krs)
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nNIC drivers (QEMU's emulated NICs, two ports cabled back to back; the kernel's real drivers):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "kernel\taccel\tdriver\tmode\tattach\t"
	for _, c := range nicChecks {
		head += c.short + "\t"
	}
	fmt.Fprintln(tw, head+"equiv\tqualify\tcounters\tjournal\tfindings / note\t")
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t", r.Kernel, dash(string(r.Accel)), r.Driver, r.Mode, r.Attach.Word)
		for _, c := range nicChecks {
			line += short(r.Checks[c.name]) + "\t"
		}
		note := strings.Join(r.Findings, "; ")
		if r.Note != "" {
			note = strings.TrimPrefix(note+"; "+r.Note, "; ")
		}
		if m := r.Attach.More(); m != "" && !r.Attach.OK {
			note = strings.TrimPrefix(note+"; "+m, "; ")
		}
		if m := r.Equiv.More(); m != "" {
			note = strings.TrimPrefix(note+"; equiv "+m, "; ")
		}
		if m := r.Journal.More(); m != "" {
			note = strings.TrimPrefix(note+"; journal "+m, "; ")
		}
		if m := r.Verdict.More(); m != "" {
			note = strings.TrimPrefix(note+"; qualification "+m, "; ")
		}
		fmt.Fprintln(tw, line+dash(r.Equiv.Word)+"\t"+dash(r.Verdict.Word)+"\t"+dash(r.Counters)+"\t"+dash(r.Journal.Word)+"\t"+note+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "attach: a minimal program attached in that mode and read back (xdplab probe --attach). drop ... xsk-zc: the")
	fmt.Fprintln(w, "qualification's functional checks in that mode (ok, FAIL, no: not supported, n/a, not-run, ?: inconclusive,")
	fmt.Fprintln(w, "works*: works but not advertised, ADV-FAILS: advertised but fails). qualify: the pair's verdict; findings:")
	fmt.Fprintln(w, "where the driver's advertised features and what works disagree. counters: the short run's cross-check of the")
	fmt.Fprintln(w, "program's count against the driver's counters (its trial flags). equiv: the same frames through each program")
	fmt.Fprintln(w, "in each mode the driver attaches, compared frame by frame (xdplab equiv). journal: MTU, rings, channels and")
	fmt.Fprintln(w, "GRO set off their defaults, a run killed with SIGKILL while it held the pair, xdplab clean, and ip -d link and")
	fmt.Fprintln(w, "ethtool -g/-l/-k as before (journal-K.txt). An emulated NIC's throughput under TCG is no measurement: no Mpps")
	fmt.Fprintln(w, "is shown and no performance check runs.")
	if fs := NICFindings(rows); len(fs) > 0 {
		fmt.Fprintln(w, "\ndriver findings (the qualification's failed checks and its advertised-versus-detected disagreements):")
		for _, f := range fs {
			fmt.Fprintln(w, "  "+f)
		}
	}
	if ds := NICDifferences(rows); len(ds) > 0 {
		fmt.Fprintln(w, "\nwhat differs between kernels, per driver and mode:")
		for _, d := range ds {
			fmt.Fprintln(w, "  "+d.String())
		}
	}
	return nil
}

// NICDifference is one column of one driver and mode whose value differs
// between kernels.
type NICDifference struct {
	Kind, Mode, Column string
	// Values are the kernels by value, in the matrix's kernel order.
	Values []KernelsWith
	// Regression: a kernel later in the matrix's order lost what an
	// earlier one had (ok before, not ok after).
	Regression bool
}

// KernelsWith are the kernels where a column had one value.
type KernelsWith struct {
	Value   string
	Kernels []string
}

func (d NICDifference) String() string {
	var parts []string
	for _, v := range d.Values {
		parts = append(parts, v.Value+" on "+strings.Join(v.Kernels, ", "))
	}
	s := fmt.Sprintf("%s %s %s: %s", d.Kind, d.Mode, d.Column, strings.Join(parts, "; "))
	if d.Regression {
		s += " (REGRESSION: a later kernel lost it)"
	}
	return s
}

// NICDifferences names every column of a driver and mode that differs
// between kernels (kernels where the kind did not run are left out). The
// kernels' order is the matrix's, oldest first as --kernels lists them.
func NICDifferences(rows []NICRow) []NICDifference {
	type key struct{ kind, mode string }
	var keys []key
	byKey := map[key][]NICRow{}
	for _, r := range rows {
		if r.Attach.State == Skipped {
			continue
		}
		k := key{r.Kind, r.Mode}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	var out []NICDifference
	for _, k := range keys {
		rs := byKey[k]
		// A column's value in a row: its words, whether it worked, and
		// whether the row has it at all (a check a qualification lacks).
		type value struct {
			text      string
			ok, known bool
		}
		type column struct {
			name string
			get  func(NICRow) value
		}
		cols := []column{{"attach", func(r NICRow) value {
			if r.Attach.OK {
				return value{"ok", true, true}
			}
			return value{r.Attach.Text, false, true}
		}}}
		for _, c := range nicChecks {
			cols = append(cols, column{c.short, func(r NICRow) value {
				v := r.Checks[c.name]
				return value{short(v), v == results.VerdictPass, v != ""}
			}})
		}
		cols = append(cols, column{"equiv", func(r NICRow) value { return value{dash(r.Equiv.Word), r.Equiv.OK, r.Equiv.Word != ""} }})
		for _, c := range cols {
			d := NICDifference{Kind: k.kind, Mode: k.mode, Column: c.name}
			seenOK := false
			for _, r := range rs {
				cv := c.get(r)
				v, ok := cv.text, cv.ok
				if seenOK && !ok && cv.known {
					d.Regression = true
				}
				seenOK = seenOK || ok
				i := slices.IndexFunc(d.Values, func(kw KernelsWith) bool { return kw.Value == v })
				if i < 0 {
					d.Values = append(d.Values, KernelsWith{Value: v})
					i = len(d.Values) - 1
				}
				d.Values[i].Kernels = append(d.Values[i].Kernels, r.Kernel)
			}
			if len(d.Values) > 1 {
				out = append(out, d)
			}
		}
	}
	return out
}

// NICFindings are, per kernel and driver, the checks of its qualification
// that failed and where advertised and detected disagree, in a line each.
func NICFindings(rows []NICRow) []string {
	type key struct{ kernel, kind string }
	var keys []key
	failed := map[key][]string{}
	verdict := map[key]string{}
	for _, r := range rows {
		k := key{r.Kernel, r.Kind}
		if _, ok := verdict[k]; !ok {
			keys = append(keys, k)
			verdict[k] = r.Verdict.Text
		}
		for _, c := range nicChecks {
			if v := r.Checks[c.name]; v == results.VerdictFail || v == results.VerdictAdvertisedFails {
				failed[k] = append(failed[k], fmt.Sprintf("%s %s %s", c.short, r.Mode, v))
			}
		}
		for _, f := range r.Findings {
			if !slices.Contains(failed[k], f) {
				failed[k] = append(failed[k], f)
			}
		}
		if f := "equivalence across modes FAIL (equiv-" + r.Kind + ".txt)"; r.Equiv.State == Finding && !slices.Contains(failed[k], f) {
			failed[k] = append(failed[k], f)
		}
		if f := "journal check: " + r.Journal.Text; r.Journal.State == Finding && !slices.Contains(failed[k], f) {
			failed[k] = append(failed[k], f)
		}
	}
	var out []string
	for _, k := range keys {
		if len(failed[k]) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("kernel %s, %s: qualification %s: %s (qualify-%s.md)", k.kernel, k.kind, verdict[k], strings.Join(failed[k], "; "), k.kind))
	}
	return out
}
