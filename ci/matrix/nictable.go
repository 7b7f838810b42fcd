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
	Attach string
	// Checks are the qualification's functional checks in this mode, by
	// name, with their verdicts.
	Checks map[string]results.Verdict
	// Verdict is the qualification's verdict on the pair (all modes);
	// Findings its checks where advertised and detected disagree.
	Verdict  string
	Findings []string
	// Counters: the short run's counter cross-check (its trial flags),
	// or why there is none.
	Counters string
	// Equiv is the equivalence check across the driver's modes, the same
	// on every mode's row; EquivFailed where its programs differ.
	Equiv       string
	EquivFailed bool
	// Journal is the journal check on the pair: restored, differs, or
	// not-run with why; JournalFailed where it differs.
	Journal       string
	JournalFailed bool
	Note          string
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
				base.Attach, base.Note = "not run", n.Skipped
			case kr.Err != nil && len(kr.Files) == 0:
				base.Attach = "kernel failed"
			}
			if base.Attach != "" {
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
			base.Equiv, base.EquivFailed = nicEquivalence(kr, n.Kind.Name)
			base.Journal, base.JournalFailed = journalVerdict(kr, n.Kind.Name)
			for _, m := range nicModes {
				r := base
				r.Mode, r.Attach, r.Counters = m, "no probe report ("+statusOf(kr, "probe-"+n.Kind.Name)+")", counters
				if len(strings.Fields(ports)) < 2 {
					r.Attach = fmt.Sprintf("not run: the guest did not find both ports (%q)", ports)
				}
				if probe != nil && len(probe.Interfaces) > 0 {
					ic := probe.Interfaces[0]
					r.Attach = ic.Detected.Modes[m].String()
					if ic.Driver.Driver != "" {
						r.Driver = ic.Driver.Driver
					}
				}
				if q == nil {
					r.Verdict = "no report (" + statusOf(kr, "qualify-"+n.Kind.Name) + ")"
				} else {
					r.Verdict = string(q.Verdict)
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

// nicEquivalence is a pair's equivalence check in a word or two, and
// whether its programs differed between the driver's modes.
func nicEquivalence(kr *KernelRun, kind string) (string, bool) {
	p, ok := kr.Files["equiv-"+kind+".json"]
	if !ok {
		return "not run (" + statusOf(kr, "equiv-"+kind) + ")", false
	}
	e, err := readJSON[results.Equivalence](p)
	if err != nil || e.Schema != results.EquivalenceSchema {
		return "unreadable equiv-" + kind + ".json", false
	}
	switch e.Verdict {
	case results.VerdictPass:
		return "ok", false
	case results.VerdictFail:
		return "FAIL", true
	}
	return short(e.Verdict), false
}

// journalVerdict is the journal check's last line, "verdict: ...", and
// whether a setting did not come back.
func journalVerdict(kr *KernelRun, kind string) (string, bool) {
	step := "journal-" + kind
	p, ok := kr.Files[step+".txt"]
	if !ok {
		if bug := kernelBug(kr, step); bug != "" {
			return "KERNEL-BUG: the kernel died in the check: " + bug + " (console.log)", false
		}
		var ve *vm.Error
		died := errors.As(kr.Err, &ve) && strings.HasPrefix(ve.Step, "journal-")
		switch _, ran := kr.Status[step]; {
		case died && ve.Kind == vm.Stuck && ve.Step == step:
			return "STUCK: the check outlived its budget and the KILL after it: a process stuck in the kernel (console.log)", false
		case died && ve.Step != step && !ran:
			// A later check of a VM whose kernel an earlier one brought down.
			return "not run: the kernel ended in " + ve.Step + " before it", false
		}
		return "not run (" + statusOf(kr, step) + ")", false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "unreadable journal-" + kind + ".txt", false
	}
	v := ""
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "verdict: "); ok {
			v = rest
		}
	}
	switch {
	case v == "":
		return "no verdict (" + statusOf(kr, step) + ")", false
	case v == "restored":
		return "ok", false
	case strings.HasPrefix(v, "differs"):
		return "DIFFERS: " + strings.TrimPrefix(strings.TrimPrefix(v, "differs"), ": "), true
	case strings.HasPrefix(v, "stuck"):
		// The driver's: a command on it did not return.
		return "STUCK: " + strings.TrimPrefix(strings.TrimPrefix(v, "stuck"), ": ") + " (journal-" + kind + "-dmesg.txt)", false
	}
	// not-run: why (the run did not hold the pair: xdplab's; no tools;
	// skipped: an earlier check left the kernel stuck).
	return v, false
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
		if v, _ := journalVerdict(kr, n.Kind.Name); strings.HasPrefix(v, "STUCK") {
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
		attach := r.Attach
		if strings.HasPrefix(attach, "ok") {
			attach = "ok"
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t", r.Kernel, dash(string(r.Accel)), r.Driver, r.Mode, attach)
		for _, c := range nicChecks {
			line += short(r.Checks[c.name]) + "\t"
		}
		note := strings.Join(r.Findings, "; ")
		if r.Note != "" {
			note = strings.TrimPrefix(note+"; "+r.Note, "; ")
		}
		if !strings.HasPrefix(r.Attach, "ok") && r.Attach != attach {
			note = strings.TrimPrefix(note+"; "+r.Attach, "; ")
		}
		if r.Equiv != "" && r.Equiv != "ok" && r.Equiv != cell(r.Equiv) {
			note = strings.TrimPrefix(note+"; equiv "+r.Equiv, "; ")
		}
		if r.Journal != "" && r.Journal != "ok" && r.Journal != cell(r.Journal) {
			note = strings.TrimPrefix(note+"; journal "+r.Journal, "; ")
		}
		fmt.Fprintln(tw, line+cell(r.Equiv)+"\t"+dash(r.Verdict)+"\t"+dash(r.Counters)+"\t"+cell(r.Journal)+"\t"+note+"\t")
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

// cell is a long verdict in a word ("not run (why)" is not-run): the
// rest is in the note.
func cell(s string) string {
	if strings.HasPrefix(s, "not run") {
		return "not-run"
	}
	if f := strings.Fields(s); len(f) > 0 {
		return strings.TrimSuffix(f[0], ":")
	}
	return "-"
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
		if r.Attach == "not run" || r.Attach == "kernel failed" {
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
		cols := []struct {
			name string
			get  func(NICRow) string
		}{{"attach", func(r NICRow) string {
			if strings.HasPrefix(r.Attach, "ok") {
				return "ok"
			}
			return r.Attach
		}}}
		for _, c := range nicChecks {
			cols = append(cols, struct {
				name string
				get  func(NICRow) string
			}{c.short, func(r NICRow) string { return short(r.Checks[c.name]) }})
		}
		cols = append(cols, struct {
			name string
			get  func(NICRow) string
		}{"equiv", func(r NICRow) string { return cell(r.Equiv) }})
		for _, c := range cols {
			d := NICDifference{Kind: k.kind, Mode: k.mode, Column: c.name}
			seenOK := false
			for _, r := range rs {
				v := c.get(r)
				ok := v == "ok"
				if seenOK && !ok && v != "-" {
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
			verdict[k] = r.Verdict
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
		if f := "equivalence across modes FAIL (equiv-" + r.Kind + ".txt)"; r.EquivFailed && !slices.Contains(failed[k], f) {
			failed[k] = append(failed[k], f)
		}
		if f := "journal check: " + r.Journal; (strings.HasPrefix(r.Journal, "KERNEL-BUG") || strings.HasPrefix(r.Journal, "STUCK")) && !slices.Contains(failed[k], f) {
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
