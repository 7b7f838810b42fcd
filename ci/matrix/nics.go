package matrix

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/ci/vm"
)

// NICKind is a NIC QEMU emulates whose Linux driver is the real one: a VM
// gets two of a kind, cabled back to back, and xdplab qualifies the pair
// as it would a lab's NIC.
type NICKind struct {
	Name   string   // what --nics calls it
	Model  string   // QEMU's device
	Driver string   // the Linux driver, as ethtool names it
	Wants  []string // the modules it needs (kernels.Wanted())
	// Since is the QEMU release that first emulates it, for the error
	// where the installed one does not.
	Since string
}

// nICKinds are the kinds the matrix knows, in the table's order.
var nICKinds = []NICKind{
	{Name: "igb", Model: "igb", Driver: "igb", Wants: []string{"igb"}, Since: "8.0"},
	{Name: "virtio", Model: "virtio-net-pci", Driver: "virtio_net", Wants: []string{"virtio_pci", "virtio_net"}, Since: "1.0"},
	{Name: "vmxnet3", Model: "vmxnet3", Driver: "vmxnet3", Wants: []string{"vmxnet3"}, Since: "1.0"},
	{Name: "e1000e", Model: "e1000e", Driver: "e1000e", Wants: []string{"e1000e"}, Since: "2.7"},
}

// NICKinds returns a copy of nICKinds, which no importer can change.
func NICKinds() []NICKind { return slices.Clone(nICKinds) }

// ParseNICs reads --nics: kind names, "all" (every kind this QEMU can
// emulate, the default) or "none". devices are the QEMU's (vm.Devices);
// a kind named that it cannot emulate is an error saying which QEMU does.
func ParseNICs(s string, devices map[string]bool) ([]NICKind, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "none":
		return nil, nil
	case "", "all":
		var out []NICKind
		for _, k := range nICKinds {
			if devices[k.Model] {
				out = append(out, k)
			}
		}
		return out, nil
	}
	var out []NICKind
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		i := slices.IndexFunc(nICKinds, func(k NICKind) bool { return k.Name == n })
		if i < 0 {
			var names []string
			for _, k := range nICKinds {
				names = append(names, k.Name)
			}
			return nil, fmt.Errorf("NIC kind %q: use %s, all or none", n, strings.Join(names, ", "))
		}
		k := nICKinds[i]
		if !devices[k.Model] {
			return nil, fmt.Errorf("NIC kind %s: this QEMU cannot emulate %s (QEMU %s or newer can; on Debian 12: apt-get install -t bookworm-backports qemu-system-x86), or leave %s out", n, k.Model, k.Since, n)
		}
		if !slices.ContainsFunc(out, func(o NICKind) bool { return o.Name == n }) {
			out = append(out, k)
		}
	}
	return out, nil
}

// DefaultNICs are the kinds this host's QEMU can emulate.
func DefaultNICs(ctx context.Context) ([]NICKind, error) {
	d, err := vm.Devices(ctx)
	if err != nil {
		return nil, err
	}
	return ParseNICs("all", d)
}

// nicMACs are a kind's two ports' addresses: 52:54:00 (QEMU's), 78
// ('x'), the kind's place in nICKinds, the port.
func nicMACs(n NICKind) [2]string {
	i := slices.IndexFunc(nICKinds, func(k NICKind) bool { return k.Name == n.Name })
	return [2]string{fmt.Sprintf("52:54:00:78:%02x:01", i+1), fmt.Sprintf("52:54:00:78:%02x:02", i+1)}
}

// nicMissing says why a kernel cannot run a kind: a module it needs is
// neither a module of the kernel nor built in. Empty: it can.
func nicMissing(k *kernels.Kernel, n NICKind) string {
	var miss []string
	for _, w := range n.Wants {
		if _, ok := k.Wants[w]; !ok {
			miss = append(miss, w)
		}
	}
	if len(miss) == 0 {
		return ""
	}
	return fmt.Sprintf("the kernel has no %s module (neither built nor built in)", strings.Join(miss, ", "))
}

// nicQualifyBudget is one kind's qualification: capabilities and every
// functional check in every mode the driver attaches.
const nicQualifyBudget = 4 * time.Minute

// journalBudget is the journal check: settings changed, a run that holds
// the pair (it waits up to 2 minutes for it), SIGKILL, clean.
const journalBudget = 4 * time.Minute

// nicEquivPrograms are the equivalence check's programs on a NIC pair:
// the veth's, less redirect, which needs a second DUT port.
func nicEquivPrograms(progs []string) []string {
	return slices.DeleteFunc(slices.Clone(progs), func(p string) bool { return p == "redirect" })
}

// nicScript is the part of the VM script for the NIC pairs: each kind's
// ports found by their addresses, then probe, qualify, a short run of drop,
// the equivalence of equivProgs across the driver's modes; then, after
// the files so far are sent back, the journal check (journal-check.sh) on
// each pair. Files: nic-K.txt (the ports' names),
// probe-K.json, qualify-K.{json,md,html}, run-K.json, equiv-K.json,
// journal-K*.txt and each step's .txt.
func nicScript(step func(name string, budget time.Duration, command string), b *strings.Builder, kinds []NICKind, macsOf func(NICKind) [2]string, equivProgs []string) {
	if len(kinds) == 0 {
		return
	}
	b.WriteString(`nic_by_mac() { for d in /sys/class/net/*; do [ "$(cat $d/address 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return; }; done; }
`)
	for _, k := range kinds {
		m := macsOf(k)
		fmt.Fprintf(b, "A=$(nic_by_mac %s); B=$(nic_by_mac %s)\necho \"$A $B\" > /out/nic-%s.txt\nif [ -n \"$A\" ] && [ -n \"$B\" ]; then\n", m[0], m[1], k.Name)
		step("probe-"+k.Name, time.Minute, fmt.Sprintf("/xdplab probe --iface \"$A\" --attach -o /out/probe-%s.json > /out/probe-%s.txt 2>&1", k.Name, k.Name))
		step("qualify-"+k.Name, nicQualifyBudget, fmt.Sprintf("/xdplab qualify --iface \"$A\" --peer \"$B\" --only capabilities,functional --frames 20 -o /out/qualify-%s > /out/qualify-%s.txt 2>&1", k.Name, k.Name))
		for _, ext := range []string{"json", "md", "html"} {
			fmt.Fprintf(b, "[ -f /out/qualify-%s/qualification.%s ] && mv /out/qualify-%s/qualification.%s /out/qualify-%s.%s\n", k.Name, ext, k.Name, ext, k.Name, ext)
		}
		step("run-"+k.Name, measureBudget(30*time.Second), fmt.Sprintf("/xdplab run --iface \"$A\" --peer \"$B\" --prog drop --trials 1 --duration 1s --warmup 1s --prog-stats 0 --no-calibrate -q -o /out/run-%s.json > /out/run-%s.txt 2>&1", k.Name, k.Name))
		if progs := nicEquivPrograms(equivProgs); len(progs) > 0 {
			step("equiv-"+k.Name, stepBase+time.Duration(len(progs))*45*time.Second, fmt.Sprintf("/xdplab equiv --iface \"$A\" --peer \"$B\" --prog %s -o /out/equiv-%s.json > /out/equiv-%s.txt 2>&1", strings.Join(progs, ","), k.Name, k.Name))
		}
		b.WriteString("fi\n")
	}
	// The journal checks last, after the files so far went back: they
	// change rings and channels under a driver, which can bring the kernel
	// down (6.12's virtio_net hit a BUG in ethtool -G), and a dead kernel
	// then loses only the journals.
	b.WriteString(vm.SendFilesSoFar("/out"))
	for _, k := range kinds {
		m := macsOf(k)
		fmt.Fprintf(b, "A=$(nic_by_mac %s); B=$(nic_by_mac %s)\nif [ -n \"$A\" ] && [ -n \"$B\" ]; then\n", m[0], m[1])
		step("journal-"+k.Name, journalBudget, fmt.Sprintf("sh /journal-check.sh %s \"$A\" \"$B\"", k.Name))
		b.WriteString("fi\n")
	}
}
