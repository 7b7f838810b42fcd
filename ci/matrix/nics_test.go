package matrix

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
)

func names(ks []NICKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out
}

// --nics: all is what this QEMU emulates; a kind named that it cannot is
// an error that says which QEMU can.
func TestParseNICs(t *testing.T) {
	qemu72 := map[string]bool{"e1000e": true, "virtio-net-pci": true, "vmxnet3": true, "e1000": true}
	qemu10 := map[string]bool{"e1000e": true, "virtio-net-pci": true, "vmxnet3": true, "igb": true}
	k, err := ParseNICs("all", qemu72)
	require.NoError(t, err)
	assert.Equal(t, []string{"virtio", "vmxnet3", "e1000e"}, names(k))
	k, err = ParseNICs("", qemu10)
	require.NoError(t, err)
	assert.Equal(t, []string{"igb", "virtio", "vmxnet3", "e1000e"}, names(k))
	k, err = ParseNICs("none", qemu10)
	require.NoError(t, err)
	assert.Empty(t, k)
	k, err = ParseNICs("e1000e, igb,e1000e", qemu10)
	require.NoError(t, err)
	assert.Equal(t, []string{"e1000e", "igb"}, names(k), "the order given, once each")
	_, err = ParseNICs("igb", qemu72)
	assert.ErrorContains(t, err, "this QEMU cannot emulate igb (QEMU 8.0 or newer can; on Debian 12: apt-get install -t bookworm-backports qemu-system-x86)")
	_, err = ParseNICs("ixgbe", qemu10)
	assert.ErrorContains(t, err, `NIC kind "ixgbe": use igb, virtio, vmxnet3, e1000e, all or none`)
}

// A kind runs where the kernel has every module it needs, as a module or
// built in.
func TestNICMissing(t *testing.T) {
	k := &kernels.Kernel{Wants: map[string]kernels.Want{"igb": {Modules: []string{"/c/igb.ko"}}, "virtio_pci": {Builtin: true}}}
	assert.Empty(t, nicMissing(k, nICKinds[0]))
	assert.Equal(t, "the kernel has no virtio_net module (neither built nor built in)", nicMissing(k, nICKinds[1]))
}

// Each kind's ports are found by their addresses, which are the ones QEMU
// gives them; probe, qualify and a run go to them, and every step has a
// budget.
func TestNICScript(t *testing.T) {
	kinds, err := ParseNICs("igb,e1000e", map[string]bool{"igb": true, "e1000e": true})
	require.NoError(t, err)
	s := script(Options{Programs: []string{"drop"}, EquivPrograms: []string{"drop", "redirect", "tx"}, Duration: time.Second, Trials: 1}, "6.12", []string{"/c/veth.ko"}, nil, kinds)
	assert.Contains(t, s.script, "A=$(nic_by_mac 52:54:00:78:01:01); B=$(nic_by_mac 52:54:00:78:01:02)\necho \"$A $B\" > /out/nic-igb.txt")
	assert.Contains(t, s.script, "A=$(nic_by_mac 52:54:00:78:04:01); B=$(nic_by_mac 52:54:00:78:04:02)\necho \"$A $B\" > /out/nic-e1000e.txt")
	for _, k := range []string{"igb", "e1000e"} {
		assert.Contains(t, s.script, "/xdplab probe --iface \"$A\" --attach -o /out/probe-"+k+".json")
		assert.Contains(t, s.script, "/xdplab qualify --iface \"$A\" --peer \"$B\" --only capabilities,functional --frames 20 -o /out/qualify-"+k)
		assert.Contains(t, s.script, "mv /out/qualify-"+k+"/qualification.md /out/qualify-"+k+".md")
		assert.Contains(t, s.script, "/xdplab run --iface \"$A\" --peer \"$B\" --prog drop")
		assert.Contains(t, s.script, "/xdplab equiv --iface \"$A\" --peer \"$B\" --prog drop,tx -o /out/equiv-"+k+".json", "no redirect on a pair")
		assert.Contains(t, s.script, "timeout -k 10 240 sh /journal-check.sh "+k+" \"$A\" \"$B\"")
		assert.Less(t, strings.Index(s.script, vm.SendFilesSoFar("/out")), strings.Index(s.script, "journal-check.sh "+k), "the files so far go back before a journal check")
		assert.Less(t, strings.Index(s.script, "/out/equiv-e1000e.json"), strings.Index(s.script, vm.SendFilesSoFar("/out")), "every other step before")
	}
	assert.Contains(t, s.script, "equiv --prog drop,redirect,tx --hooks all -o /out/equiv-veth.json", "the veth pair has its sink")
	assert.Less(t, strings.Index(s.script, "nic-e1000e.txt"), strings.Index(s.script, vm.SendFiles("/out")[:20]), "before the files go back")
	none := script(Options{Programs: []string{"drop"}, EquivPrograms: []string{"drop"}, Duration: time.Second, Trials: 1}, "6.12", []string{"/c/veth.ko"}, nil, nil)
	assert.NotContains(t, none.script, "nic_by_mac")
	assert.Greater(t, s.budget, none.budget+2*(nicQualifyBudget+journalBudget), "each kind's steps are in the VM's budget")
	assert.Equal(t, [2]string{"52:54:00:78:02:01", "52:54:00:78:02:02"}, nicMACs(nICKinds[1]))
}

// The driver table: a row per kernel, driver and mode, with the attach,
// the functional checks, the findings and the qualification; a kind the
// kernel lacks says why and fails nothing, a pair without a report fails.
func TestNICTable(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, v any) string {
		p := filepath.Join(dir, name)
		require.NoError(t, results.WriteJSON(p, v))
		return p
	}
	pr := &probe.Report{Schema: probe.ReportSchema, Interfaces: []*offload.InterfaceCaps{{Name: "eth0", Driver: offload.DriverInfo{Driver: "e1000e"},
		Detected: offload.Detected{Attached: true, Modes: map[string]offload.Check{
			"generic": {Result: offload.CheckOK},
			"native":  {Result: offload.CheckFailed, Errno: "EOPNOTSUPP", Explain: "native and generic XDP can't be active at the same time"},
		}}}}}
	q := &results.Qualification{Schema: results.QualificationSchema, Verdict: results.VerdictPass, Checks: []results.QualifyCheck{
		{Section: "capabilities", Name: "XDP_REDIRECT (redirect)", Verdict: results.VerdictWorksNotAdvertised},
		{Section: "functional", Name: "XDP_DROP", Mode: "generic", Verdict: results.VerdictPass},
		{Section: "functional", Name: "XDP_TX", Mode: "generic", Verdict: results.VerdictPass},
		{Section: "functional", Name: "AF_XDP receive (zero-copy)", Mode: "generic", Verdict: results.VerdictNotApplicable},
		{Section: "functional", Name: "attach", Mode: "native", Verdict: results.VerdictNotSupported},
	}}
	nicTxt := filepath.Join(dir, "nic.txt")
	require.NoError(t, os.WriteFile(nicTxt, []byte("eth0 eth1\n"), 0o644))
	text := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	eq := &results.Equivalence{Header: results.Header{Schema: results.EquivalenceSchema}, Verdict: results.VerdictPass}
	journal := text("j.txt", "before: eth0 mtu 1500 -> 1400\nxdplab clean: exit 0\nverdict: restored\n")
	e1000e, igb := nICKinds[3], nICKinds[0]
	krs := []*KernelRun{
		{Spec: kernels.Spec{Name: "6.12"}, Kernel: &kernels.Kernel{Release: "6.12.117+deb13-amd64"}, Accel: vm.Choice{Accel: vm.TCG},
			NICs:   []NICRun{{Kind: e1000e}, {Kind: igb, Skipped: "the kernel has no igb module (neither built nor built in)"}},
			Status: map[string]int{"probe-e1000e": 0, "qualify-e1000e": 0},
			Files: map[string]string{"nic-e1000e.txt": nicTxt, "probe-e1000e.json": file("p.json", pr), "qualify-e1000e.json": file("q.json", q),
				"equiv-e1000e.json": file("e.json", eq), "journal-e1000e.txt": journal}},
		{Spec: kernels.Spec{Name: "sid"}, NICs: []NICRun{{Kind: e1000e}}, Files: map[string]string{"nic-e1000e.txt": nicTxt}, Status: map[string]int{"probe-e1000e": 1}},
	}
	rows := NICRows(krs)
	require.Len(t, rows, 6)
	g, n := rows[0], rows[1]
	assert.Equal(t, "generic", g.Mode)
	assert.Equal(t, "ok", g.Attach.Text)
	assert.True(t, g.Attach.OK)
	assert.Equal(t, map[string]results.Verdict{"XDP_DROP": "pass", "XDP_TX": "pass", "AF_XDP receive (zero-copy)": "not-applicable"}, g.Checks)
	assert.Equal(t, []string{"XDP_REDIRECT (redirect): works-not-advertised"}, g.Findings)
	assert.Equal(t, "failed: EOPNOTSUPP (native and generic XDP can't be active at the same time)", n.Attach.Text, "the kernel's own words")
	assert.False(t, n.Attach.OK)
	assert.Equal(t, Decided, n.Attach.State, "a mode the driver lacks is decided, not missing")
	assert.Equal(t, "not run", rows[2].Attach.Text)
	assert.Equal(t, Skipped, rows[2].Attach.State)
	assert.Contains(t, rows[2].Note, "no igb module")
	assert.Equal(t, "no probe report (probe-e1000e exited 1)", rows[4].Attach.Text)
	assert.Equal(t, Missing, rows[4].Attach.State)
	assert.Equal(t, cellOK("ok"), g.Equiv)
	assert.Equal(t, cellOK("ok"), g.Journal)

	var b bytes.Buffer
	require.NoError(t, WriteNICTable(&b, krs))
	assert.Regexp(t, `(?m)^6\.12\s+tcg\s+e1000e\s+generic\s+ok\s+ok\s+-\s+ok\s+-\s+-\s+-\s+-\s+-\s+n/a\s+ok\s+pass\s+no run \(run-e1000e did not run\)\s+ok\s+XDP_REDIRECT \(redirect\): works-not-advertised`, b.String())
	assert.Regexp(t, `(?m)^6\.12\s+tcg\s+e1000e\s+native\s+failed: EOPNOTSUPP`, b.String())
	assert.Regexp(t, `(?m)^6\.12\s+tcg\s+igb\s+generic\s+not run\s+`, b.String())

	f := Failures(krs, Rows(krs))
	assert.Contains(t, f, "kernel sid: NIC e1000e: no probe report (probe-e1000e exited 1)")
	for _, l := range f {
		assert.NotContains(t, l, "NIC igb", "a driver the kernel does not have fails nothing")
		assert.NotContains(t, l, "kernel 6.12: NIC", "a qualification that passed")
	}

	// A setting the journal did not give back fails the matrix; modes that
	// differ are the driver's finding; checks that did not run fail it.
	krs[0].Files["journal-e1000e.txt"] = text("j2.txt", "verdict: differs: 2 line(s), journal-e1000e.diff\n")
	krs[0].Files["equiv-e1000e.json"] = file("e2.json", &results.Equivalence{Header: results.Header{Schema: results.EquivalenceSchema}, Verdict: results.VerdictFail})
	rows = NICRows(krs)
	assert.Equal(t, Failed, rows[0].Journal.State)
	assert.Equal(t, "DIFFERS: 2 line(s), journal-e1000e.diff", rows[0].Journal.Text)
	assert.Equal(t, cellOf(Finding, "FAIL", "FAIL"), rows[0].Equiv)
	f = Failures(krs, Rows(krs))
	assert.Contains(t, f, "kernel 6.12: NIC e1000e: journal DIFFERS: 2 line(s), journal-e1000e.diff")
	assert.Contains(t, strings.Join(NICFindings(rows), "\n"), "equivalence across modes FAIL (equiv-e1000e.txt)")
	b.Reset()
	require.NoError(t, WriteNICTable(&b, krs))
	assert.Regexp(t, `(?m)^6\.12\s+tcg\s+e1000e\s+generic\s.*\sFAIL\s+pass\s.*\sDIFFERS\s.*journal DIFFERS: 2 line\(s\)`, b.String())
	delete(krs[0].Files, "journal-e1000e.txt")
	delete(krs[0].Files, "equiv-e1000e.json")
	f = Failures(krs, Rows(krs))
	assert.Contains(t, f, "kernel 6.12: NIC e1000e: journal not run (journal-e1000e did not run)")
	assert.Contains(t, f, "kernel 6.12: NIC e1000e: equivalence not run (equiv-e1000e did not run)")
	krs[0].Files["journal-e1000e.txt"] = text("j3.txt", "verdict: not-run: the VM has no ethtool or ip\n")
	for _, l := range Failures(krs, Rows(krs)) {
		assert.NotContains(t, l, "journal", "a check the host could not give the VM its tools for says so and fails nothing")
	}
}

// What differs between kernels for one driver is named; a later kernel
// that lost what an earlier had is a regression, and fails the matrix.
func TestNICDifferences(t *testing.T) {
	row := func(kernel, mode, attach string, tx results.Verdict) NICRow {
		a := cellOf(Decided, attach, attach)
		if strings.HasPrefix(attach, "ok") {
			a = Cell{Word: "ok", Text: attach, OK: true}
		}
		return NICRow{Kernel: kernel, Kind: "igb", Mode: mode, Attach: a, Checks: map[string]results.Verdict{"XDP_TX": tx, "XDP_DROP": "pass"}}
	}
	rows := []NICRow{
		row("5.10", "native", "ok", "pass"), row("6.1", "native", "ok (bpf_link)", "fail"), row("6.12", "native", "ok", "pass"),
		row("5.10", "generic", "failed: EINVAL", "not-supported"), row("6.1", "generic", "ok", "pass"),
		{Kernel: "sid", Kind: "igb", Mode: "native", Attach: cellOf(Skipped, "not run", "not run")},
	}
	ds := NICDifferences(rows)
	require.Len(t, ds, 3)
	assert.Equal(t, "igb native tx: ok on 5.10, 6.12; FAIL on 6.1 (REGRESSION: a later kernel lost it)", ds[0].String())
	assert.Equal(t, "igb generic attach: failed: EINVAL on 5.10; ok on 6.1", ds[1].String())
	assert.False(t, ds[1].Regression, "gained, not lost")
	assert.Equal(t, "igb generic tx: no on 5.10; ok on 6.1", ds[2].String())
	assert.Empty(t, NICDifferences(rows[:1]))
}

// A failed check is the driver's finding, listed under the table; it
// fails the matrix only where a later kernel lost what an earlier had.
func TestNICFindingsAndFailures(t *testing.T) {
	row := func(kernel, tx string) NICRow {
		return NICRow{Kernel: kernel, Kind: "igb", Mode: "generic", Attach: cellOK("ok"), Verdict: cellOf(Decided, tx, tx),
			Checks: map[string]results.Verdict{"XDP_TX": results.Verdict(tx), "XDP_DROP": "pass"}}
	}
	gained := []NICRow{row("5.10", "fail"), row("sid", "pass")}
	assert.Equal(t, []string{"kernel 5.10, igb: qualification fail: tx generic fail (qualify-igb.md)"}, NICFindings(gained))
	for _, d := range NICDifferences(gained) {
		assert.False(t, d.Regression)
	}
	lost := []NICRow{row("5.10", "pass"), row("sid", "fail")}
	require.Len(t, NICDifferences(lost), 1)
	assert.True(t, NICDifferences(lost)[0].Regression)
	withAdv := row("6.1", "pass")
	withAdv.Findings = []string{"XDP_REDIRECT (redirect): works-not-advertised"}
	assert.Equal(t, []string{"kernel 6.1, igb: qualification pass: XDP_REDIRECT (redirect): works-not-advertised (qualify-igb.md)"}, NICFindings([]NICRow{withAdv}))
}

// The counters column: each mode's trial flags, sorted and once each, or
// "agree"; a run that is missing or unreadable says so.
func TestNICCounters(t *testing.T) {
	dir := t.TempDir()
	p := writeRun(t, dir, "run.json", 30, "generic", "native")
	r, err := results.ReadFile(p)
	require.NoError(t, err)
	for i := range r.Results {
		for j := range r.Results[i].Trials {
			r.Results[i].Trials[j].Flags = nil
		}
	}
	g := &r.Results[0]
	require.NotEmpty(t, g.Trials)
	g.Trials[0].Flags = []results.Flag{{Code: results.FlagCountersDisagree}, {Code: "generator-short"}}
	g.Trials = append(g.Trials, g.Trials[0])
	g.Trials[1].Flags = []results.Flag{{Code: results.FlagCountersDisagree}}
	require.NoError(t, results.WriteFile(p, r))
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{"), 0o644))
	kr := &KernelRun{Files: map[string]string{"run-igb.json": p, "run-e1000e.json": bad}, Status: map[string]int{"run-virtio": 1}}
	assert.Equal(t, "generic counters-disagree+generator-short, native agree", nicCounters(kr, "igb"))
	assert.Equal(t, "unreadable run-e1000e.json", nicCounters(kr, "e1000e"))
	assert.Equal(t, "no run (run-virtio exited 1)", nicCounters(kr, "virtio"))
	r.Results = nil
	require.NoError(t, results.WriteFile(p, r))
	assert.Equal(t, "no results", nicCounters(kr, "igb"))
}

// A VM whose kernel died in a journal check: that kind's journal says
// what the kernel said, a kind whose check never ran says so.
func TestJournalKernelBug(t *testing.T) {
	dir := t.TempDir()
	console := filepath.Join(dir, "console.log")
	require.NoError(t, os.WriteFile(console, []byte("@@XDPLAB-START journal-virtio\n[  197.261424] kernel BUG at drivers/virtio/virtio_ring.c:995!\n[  197.263136] Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI\n"), 0o644))
	kr := &KernelRun{Console: console, Files: map[string]string{}, Status: map[string]int{},
		Err: fmt.Errorf("kernel 6.12: %w", &vm.Error{Kind: vm.Exited, Step: "journal-virtio"})}
	v := journalVerdict(kr, "virtio")
	assert.Equal(t, "KERNEL-BUG: the kernel died in the check: kernel BUG at drivers/virtio/virtio_ring.c:995! (console.log)", v.Text)
	assert.Equal(t, Finding, v.State, "the driver's bug, not the journal's")
	v = journalVerdict(kr, "vmxnet3")
	assert.Equal(t, "not run: the kernel ended in journal-virtio before it", v.Text)
	assert.Equal(t, Skipped, v.State)
	kr.Files["journal-igb.txt"] = filepath.Join(dir, "j.txt")
	require.NoError(t, os.WriteFile(kr.Files["journal-igb.txt"], []byte("stuck: x\nverdict: stuck: '/sbin/ethtool -L eth0 combined 1' did not return within 30 s\n"), 0o644))
	v = journalVerdict(kr, "igb")
	assert.Equal(t, "STUCK: '/sbin/ethtool -L eth0 combined 1' did not return within 30 s (journal-igb-dmesg.txt)", v.Text)
	assert.Equal(t, Finding, v.State, "the driver's, not the journal's")
	kr.Err = &vm.Error{Kind: vm.Stuck, Step: "journal-vmxnet3"}
	kr.Console = filepath.Join(dir, "quiet.log") // no BUG said
	v = journalVerdict(kr, "vmxnet3")
	assert.Equal(t, "STUCK: the check outlived its budget and the KILL after it: a process stuck in the kernel (console.log)", v.Text)
	assert.Equal(t, Finding, v.State)
	kr.Err = errors.New("something else")
	v = journalVerdict(kr, "virtio")
	assert.Equal(t, "not run (journal-virtio did not run)", v.Text)
	assert.Equal(t, Missing, v.State)

	kr.Status["journal-e1000e"] = 143
	v = journalVerdict(kr, "e1000e")
	assert.Equal(t, "not run (journal-e1000e exited 143)", v.Text, "it ran: its own end, not the kernel's")
	assert.Equal(t, Missing, v.State)

	// The script's verdicts, each to its state; a line it never writes
	// is no verdict to trust.
	for line, want := range map[string]Cell{
		"verdict: restored":                       cellOK("ok"),
		"verdict: differs: 3 line(s), x.diff":     cellOf(Failed, "DIFFERS", "DIFFERS: 3 line(s), x.diff"),
		"verdict: failed: the run did not hold":   cellOf(Missing, "FAILED", "failed: the run did not hold"),
		"verdict: not-run: no ethtool":            cellOf(Skipped, "not-run", "not-run: no ethtool"),
		"verdict: skipped: journal-igb was stuck": cellOf(Skipped, "skipped", "skipped: journal-igb was stuck"),
		"verdict: restoredx":                      cellOf(Missing, "unknown", `an unknown verdict "restoredx" (journal-e1000e.txt)`),
		"no verdict line":                         cellOf(Missing, "no verdict", "no verdict (journal-e1000e exited 143)"),
	} {
		kr.Files["journal-e1000e.txt"] = filepath.Join(dir, "v.txt")
		require.NoError(t, os.WriteFile(kr.Files["journal-e1000e.txt"], []byte(line+"\n"), 0o644))
		assert.Equal(t, want, journalVerdict(kr, "e1000e"), line)
	}

	rows := []NICRow{{Kernel: "6.12", Kind: "virtio", Mode: "generic", Attach: cellOK("ok"),
		Journal: cellOf(Finding, "KERNEL-BUG", "KERNEL-BUG: the kernel died in the check: kernel BUG at x (console.log)")}}
	assert.Equal(t, []string{"kernel 6.12, virtio: qualification : journal check: KERNEL-BUG: the kernel died in the check: kernel BUG at x (console.log) (qualify-virtio.md)"}, NICFindings(rows))
}

// A VM that failed by its kernel's doing once its results were in (it
// died or hung in a journal check, or sent everything and did not power
// off) is the kernel's finding, listed and not failing the matrix; any
// other VM error still fails it.
func TestKernelFinding(t *testing.T) {
	dir := t.TempDir()
	console := filepath.Join(dir, "console.log")
	require.NoError(t, os.WriteFile(console, []byte("[  197.261424] kernel BUG at drivers/virtio/virtio_ring.c:995!\n"), 0o644))
	stuck := filepath.Join(dir, "journal-igb.txt")
	require.NoError(t, os.WriteFile(stuck, []byte("verdict: stuck: 'ethtool -g eth0' did not return within 30 s\n"), 0o644))
	skipped := filepath.Join(dir, "journal-e1000e.txt")
	require.NoError(t, os.WriteFile(skipped, []byte("verdict: skipped: journal-igb left a command stuck in the kernel (its lock held): this check would meet it\n"), 0o644))
	nics := []NICRun{{Kind: NICKind{Name: "igb"}}, {Kind: NICKind{Name: "e1000e"}}}
	kr := func(err error, done bool) *KernelRun {
		return &KernelRun{Spec: kernels.Spec{Name: "sid"}, Console: console, Done: done, Err: err, NICs: nics,
			Files: map[string]string{"journal-igb.txt": stuck, "journal-e1000e.txt": skipped}, Status: map[string]int{"journal-igb": 3, "journal-e1000e": 0}}
	}
	stalled := &vm.Error{Kind: vm.Stalled, Limit: 45 * time.Second}
	for _, c := range []struct {
		name    string
		kr      *KernelRun
		finding string
	}{
		{"no power-off after DONE", kr(fmt.Errorf("kernel sid: %w", stalled), true),
			"the VM sent all its results and then did not power off (the console was silent for 45s): the kernel hangs at shutdown, where journal-igb left a process stuck in the kernel"},
		{"died in a journal step", kr(&vm.Error{Kind: vm.Exited, Step: "journal-virtio", Err: errors.New("exit status 1")}, false),
			"the VM ended in journal-virtio: qemu: exit status 1: kernel BUG at drivers/virtio/virtio_ring.c:995!"},
		{"stalled before DONE, outside a journal step", kr(&vm.Error{Kind: vm.Stalled, Limit: 45 * time.Second, Step: "run"}, false), ""},
		{"timed out before DONE", kr(&vm.Error{Kind: vm.TimedOut, Limit: time.Minute}, false), ""},
		{"not a VM error", kr(errors.New("no kernel"), true), ""},
		{"no error", kr(nil, true), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.finding, KernelFinding(c.kr))
			f := Failures([]*KernelRun{c.kr}, nil)
			if c.kr.Err != nil {
				assert.Equal(t, c.finding == "", slices.Contains(f, c.kr.Err.Error()), "%q", f)
			}
			for _, l := range f {
				assert.NotContains(t, l, "journal", "a stuck or skipped journal is no failure")
			}
		})
	}
	v := journalVerdict(kr(nil, true), "e1000e")
	assert.Equal(t, "skipped: journal-igb left a command stuck in the kernel (its lock held): this check would meet it", v.Text)
	assert.False(t, v.Fails())
}
