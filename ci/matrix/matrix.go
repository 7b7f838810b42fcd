// Package matrix runs xdplab on several Debian kernels, one QEMU VM each:
// in every VM it probes a veth pair and a netdevsim device, runs the chosen
// programs in every mode the veth supports, and offload mode on netdevsim
// (control plane only), then hands the files back. A kernel that fails is
// reported with its console log and the others go on.
package matrix

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/xdplab/xdplab/ci/kernels"
	"github.com/xdplab/xdplab/ci/vm"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/scenarios"
)

// journalCheck is the journal check a VM runs on each NIC pair.
//
//go:embed journal-check.sh
var journalCheck string

// journalTools are the host's ethtool and ip (iproute2's, for -d), with
// their libraries, at /sbin in the image: the journal check's independent
// view of a port's settings.
func journalTools() (map[string]string, error) {
	files := map[string]string{}
	for _, t := range []string{"ethtool", "ip"} {
		path, err := exec.LookPath(t)
		if err != nil {
			for _, d := range []string{"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"} {
				if _, serr := os.Stat(d + t); serr == nil {
					path, err = d+t, nil
					break
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w (apt-get install ethtool iproute2)", t, err)
		}
		f, err := vm.HostTool(path, "sbin/"+t)
		if err != nil {
			return nil, err
		}
		maps.Copy(files, f)
	}
	return files, nil
}

// Options configure a matrix run.
type Options struct {
	Kernels []kernels.Spec
	Cache   string // kernels and apt lists
	Out     string // results, probe reports and console logs, per kernel
	Xdplab  string // the static xdplab binary to put in the VMs
	// Programs, Duration and Trials shape the veth run in each VM.
	Programs []string
	// EquivPrograms are the programs of the equivalence check on veth
	// (xdplab equiv) in each VM: Programs, or the scenario's, by default.
	EquivPrograms []string
	Duration      time.Duration
	Trials        int
	// Timeout bounds each VM; zero: the budget of its script's work.
	Timeout time.Duration
	// Stall ends a VM whose console is silent this long (default
	// vm.DefaultStall).
	Stall time.Duration
	// KVMDevice is the KVM device to try (default /dev/kvm).
	KVMDevice string
	// NICs are the NIC kinds each VM gets a cabled pair of (ParseNICs);
	// none: no NICs.
	NICs []NICKind
	Log  io.Writer
	// Scenario, when set, is a scenario file each VM runs on veth instead
	// of Programs, Duration and Trials (its results files are named
	// run-veth-<its name>...json).
	Scenario string
	// hostTools are the host's ethtool and ip with their libraries, for
	// the journal check on NIC pairs (Run finds them).
	hostTools map[string]string
	// BeforeSteps adds shell lines to a kernel's VM script (by the
	// kernel's name), run after the modules load and before xdplab: to
	// set up, or to inject a fault in tests.
	BeforeSteps map[string]string
}

// KernelRun is one kernel's outcome.
type KernelRun struct {
	Spec   kernels.Spec
	Kernel *kernels.Kernel
	Dir    string            // where its files and console log are
	Files  map[string]string // name -> path
	Status map[string]int
	// Accel is the accelerator the VM ran with and why.
	Accel vm.Choice
	// Boot is how long the kernel took to reach the init script.
	Boot    time.Duration
	Elapsed time.Duration
	// Budget is the time the VM was given.
	Budget time.Duration
	// Steps are the script's steps with their times, in order.
	Steps []vm.StepTime
	// Done: the VM said it had sent every file (whatever came after).
	Done    bool
	Err     error
	Console string // path of the console log
	// NoOffload says why offload did not run on this kernel: netdevsim
	// did not build for it, or did not load. The kernel ran the rest.
	NoOffload string
	// NICs are the emulated NIC pairs of this kernel's VM, by kind.
	NICs []NICRun
	// Transfer are files the guest sent that did not come back whole, or
	// a console cut short: reported, never silently dropped.
	Transfer []string
}

// plan is a VM's /init script and the time it may take.
type plan struct {
	script string
	budget time.Duration // the boot, every step's budget, the files' transfer
}

// NICRun is one NIC kind in one kernel's VM.
type NICRun struct {
	Kind NICKind
	// Skipped says why the kind did not run here (its driver is not in
	// this kernel, or did not load); empty where it ran.
	Skipped string
}

// script is the VM's /init, with a budget for each step from the work it
// does (budget.go). scenario holds the scenario's runs when o.Scenario is
// set; nics are the NIC kinds the VM has.
func script(o Options, name string, modules []string, scenario []spec.Run, nics []NICKind) plan {
	var b strings.Builder
	total := bootBudget + sendBudget
	step := func(name string, budget time.Duration, command string) {
		total += budget + 10*time.Second // timeout's grace before KILL
		b.WriteString(vm.TimedStep(name, budget, command))
	}
	b.WriteString(`mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
echo "@@XDPLAB-KERNEL $(uname -r)"
`)
	for _, m := range modules {
		name := strings.TrimSuffix(filepath.Base(m), ".ko")
		step("insmod-"+name, 30*time.Second, "insmod /lib/modules/"+filepath.Base(m))
	}
	nsim := false
	for _, m := range modules {
		nsim = nsim || filepath.Base(m) == "netdevsim.ko"
	}
	if nsim {
		b.WriteString(`echo "1 2" > /sys/bus/netdevsim/new_device
sleep 1
set -- $(ls /sys/bus/netdevsim/devices/netdevsim1/net/ 2>/dev/null | sort)
P0=$1; P1=$2
echo "@@XDPLAB-NETDEVSIM $P0 $P1"
`)
	}
	b.WriteString("cd /tmp\n")
	if extra := o.BeforeSteps[name]; extra != "" {
		b.WriteString(extra + "\n")
	}
	dur := fmt.Sprintf("%ds", int(o.Duration.Seconds()))
	probe := time.Minute
	step("probe-veth", probe, "/xdplab probe -o /out/probe-veth.json > /out/probe-veth.txt 2>&1")
	if nsim {
		step("probe-netdevsim", probe, "/xdplab probe --iface \"$P0\" --attach -o /out/probe-netdevsim.json > /out/probe-netdevsim.txt 2>&1")
	}
	if o.Scenario != "" {
		var work time.Duration
		for _, r := range scenario {
			work += runWork(r)
		}
		step("run-veth", measureBudget(work), "/xdplab run --scenario /scenario.yaml -q -o /out/scenario > /out/run-veth.txt 2>&1")
		b.WriteString("for f in /out/scenario/*.json; do [ -f \"$f\" ] && mv \"$f\" \"/out/run-veth-$(basename $f)\"; done\n")
	} else {
		// Every hook, XDP's modes and those beside them: a change in a
		// hook's relative cost between kernels shows in the table.
		work := runWork(spec.Run{Programs: o.Programs, Warmup: time.Second, Duration: o.Duration, Trials: o.Trials, ProgStats: time.Second, AllHooks: true})
		step("run-veth", measureBudget(work), fmt.Sprintf("/xdplab run --prog %s --hooks all --duration %s --warmup 1s --trials %d --prog-stats 1s --no-calibrate -q -o /out/run-veth.json > /out/run-veth.txt 2>&1",
			strings.Join(o.Programs, ","), dur, o.Trials))
	}
	step("equiv-veth", stepBase+time.Duration(len(o.EquivPrograms))*90*time.Second, fmt.Sprintf("/xdplab equiv --prog %s --hooks all -o /out/equiv-veth.json > /out/equiv-veth.txt 2>&1",
		strings.Join(o.EquivPrograms, ",")))
	if nsim {
		work := runWork(spec.Run{Programs: []string{"drop"}, Modes: []xdpmode.Mode{xdpmode.Offload}, Duration: time.Second, Trials: 1})
		step("run-netdevsim", measureBudget(work), "/xdplab run --iface \"$P0\" --peer \"$P1\" --prog drop --modes offload --no-calibrate --trials 1 --duration 1s --prog-stats 0 -q -o /out/run-netdevsim.json > /out/run-netdevsim.txt 2>&1")
		step("qualify-netdevsim", qualifyBudget, "/xdplab qualify --iface \"$P0\" --peer \"$P1\" --only capabilities,functional --frames 20 -o /out/qualify > /out/qualify-netdevsim.txt 2>&1")
		b.WriteString("[ -f /out/qualify/qualification.json ] && mv /out/qualify/qualification.json /out/qualify-netdevsim.json\n")
	}
	nicScript(step, &b, nics, nicMACs, o.EquivPrograms)
	b.WriteString("dmesg > /out/dmesg.txt\n")
	b.WriteString(vm.SendFiles("/out"))
	b.WriteString("poweroff -f\n")
	return plan{script: vm.Script(b.String()), budget: total}
}

// Run runs every kernel, one after another; a kernel's failure is in its
// KernelRun, not in the error, which is for what stops the whole matrix.
func Run(ctx context.Context, o Options) ([]*KernelRun, error) {
	if o.Duration == 0 {
		o.Duration = 2 * time.Second
	}
	if o.Trials == 0 {
		o.Trials = 2
	}
	if len(o.Programs) == 0 {
		o.Programs = []string{"drop"}
	}
	if _, err := os.Stat(o.Xdplab); err != nil {
		return nil, fmt.Errorf("matrix: the xdplab binary for the VMs: %w", err)
	}
	var scenario []spec.Run
	if o.Scenario != "" {
		sc, err := scenarios.Load(o.Scenario)
		if err != nil {
			return nil, fmt.Errorf("matrix: %w", err)
		}
		if r := sc.Runs[0]; r.Object != "" || r.DUTIface != "" {
			return nil, fmt.Errorf("matrix: scenario %s: the VMs run built-in programs on veth: leave out object and nic-pair", o.Scenario)
		}
		if len(o.EquivPrograms) == 0 {
			o.EquivPrograms = sc.Runs[0].Programs
		}
		scenario = sc.Runs
	}
	if len(o.EquivPrograms) == 0 {
		o.EquivPrograms = o.Programs
	}
	if len(o.NICs) > 0 {
		var err error
		if o.hostTools, err = journalTools(); err != nil && o.Log != nil {
			fmt.Fprintf(o.Log, "matrix: no journal check on the NIC pairs: %v\n", err)
		}
	}
	accel, err := vm.Choose(o.KVMDevice)
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	if o.Log != nil {
		fmt.Fprintf(o.Log, "matrix: accelerator %s\n", accel)
	}
	p := &kernels.Preparer{Cache: o.Cache, Log: o.Log}
	var out []*KernelRun
	for _, s := range o.Kernels {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		kr := &KernelRun{Spec: s, Dir: filepath.Join(o.Out, s.Name), Files: map[string]string{}}
		out = append(out, kr)
		kr.Err = runOne(ctx, o, p, kr, accel, scenario)
		switch f := KernelFinding(kr); {
		case f != "" && o.Log != nil:
			fmt.Fprintf(o.Log, "kernel %s: the kernel's finding, its results stand: %s\n", s.Name, f)
		case kr.Err != nil && o.Log != nil:
			fmt.Fprintf(o.Log, "kernel %s: FAILED: %v\n", s.Name, kr.Err)
		}
		// The first VM that boots decides for the matrix: a KVM that
		// could not boot it is not tried again.
		if accel.Accel == vm.KVM && kr.Accel.Accel == vm.TCG {
			accel = kr.Accel
			if o.Log != nil {
				fmt.Fprintf(o.Log, "matrix: %s, for every kernel of this matrix\n", accel.Why)
			}
		}
	}
	return out, nil
}

func runOne(ctx context.Context, o Options, p *kernels.Preparer, kr *KernelRun, accel vm.Choice, scenario []spec.Run) error {
	if err := os.MkdirAll(kr.Dir, 0o755); err != nil {
		return err
	}
	k, err := p.Prepare(ctx, kr.Spec)
	if err != nil {
		return err
	}
	kr.Kernel = k
	if !k.HasNetdevsim() {
		kr.NoOffload = fmt.Sprintf("netdevsim did not build: %s (log %s)", k.NetdevsimError, k.NetdevsimLog)
	}
	files := map[string]string{"xdplab": o.Xdplab}
	if len(o.NICs) > 0 {
		maps.Copy(files, o.hostTools)
	}
	if o.Scenario != "" {
		files["scenario.yaml"] = o.Scenario
	}
	for _, m := range k.Modules {
		files["lib/modules/"+filepath.Base(m)] = m
	}
	initrd := filepath.Join(kr.Dir, "initramfs.cpio.gz")
	nics, pairs := planNICs(o.NICs, k, kr)
	pl := script(o, kr.Spec.Name, k.Modules, scenario, nics)
	if err := (vm.Image{Files: files, Texts: map[string]string{"journal-check.sh": journalCheck}, Init: pl.script}).Build(initrd); err != nil {
		return err
	}
	defer os.Remove(initrd)
	kr.Budget = pl.budget
	if o.Timeout > 0 {
		kr.Budget = o.Timeout
	}
	if o.Log != nil {
		fmt.Fprintf(o.Log, "kernel %s: booting %s in QEMU with %s, for at most %s\n", kr.Spec.Name, k.Release, accel.Accel, kr.Budget)
	}
	res, verr := vm.Run(ctx, vm.Options{Kernel: k.Vmlinuz, Initrd: initrd, Timeout: kr.Budget, Accel: accel, Stall: o.Stall, NICs: pairs})
	if res != nil && o.Log != nil {
		if res.FellBack {
			fmt.Fprintf(o.Log, "kernel %s: %s\n", kr.Spec.Name, res.Accel.Why)
		}
		var steps []string
		for _, st := range res.Steps {
			steps = append(steps, fmt.Sprintf("%s %.0fs", st.Name, st.Took.Seconds()))
		}
		fmt.Fprintf(o.Log, "kernel %s: VM ran %.0fs (%s; first console line %.1fs, init script %.1fs; %s)\n", kr.Spec.Name, res.Elapsed.Seconds(),
			res.Accel.Accel, res.FirstOutput.Seconds(), res.Boot.Seconds(), strings.Join(steps, ", "))
	}
	if res != nil {
		kr.Console = filepath.Join(kr.Dir, "console.log")
		_ = results.WriteBytes(kr.Console, res.Console)
		kr.Status, kr.Accel, kr.Elapsed, kr.Transfer = res.Status, res.Accel, res.Elapsed, res.Errors
		kr.Boot, kr.Steps, kr.Done = res.Boot, res.Steps, res.Done
		for name, b := range res.Files {
			path := filepath.Join(kr.Dir, name)
			if err := results.WriteBytes(path, b); err != nil {
				return err
			}
			kr.Files[name] = path
		}
	}
	if verr != nil {
		return fmt.Errorf("kernel %s (%s): %w; console log: %s", kr.Spec.Name, k.Release, verr, kr.Console)
	}
	return moduleFailures(kr, k)
}

// planNICs records each NIC kind in kr, with why where the kernel lacks
// its driver, and returns the kinds the VM gets and their pairs.
func planNICs(kinds []NICKind, k *kernels.Kernel, kr *KernelRun) ([]NICKind, []vm.NICPair) {
	var nics []NICKind
	var pairs []vm.NICPair
	for _, n := range kinds {
		nr := NICRun{Kind: n, Skipped: nicMissing(k, n)}
		kr.NICs = append(kr.NICs, nr)
		if nr.Skipped == "" {
			nics = append(nics, n)
			pairs = append(pairs, vm.NICPair{Model: n.Model, MACs: nicMACs(n)})
		}
	}
	return nics, pairs
}

// moduleFailures sorts the insmod steps that failed by what needs their
// module: netdevsim's cost offload, a NIC driver's that NIC kind (both
// recorded in kr); veth's, the tc hook's (sch_ingress, cls_bpf), or any
// other step's, fail the kernel.
func moduleFailures(kr *KernelRun, k *kernels.Kernel) error {
	users := map[string][]string{} // insmod step -> the wanted modules that need it
	for w, want := range k.Wants {
		for _, m := range want.Modules {
			step := "insmod-" + strings.TrimSuffix(filepath.Base(m), ".ko")
			users[step] = append(users[step], w)
		}
	}
	var failed, offload []string
	wantFailed := map[string][]string{}
	for name, st := range kr.Status {
		if st == 0 || !strings.HasPrefix(name, "insmod-") {
			continue
		}
		what := fmt.Sprintf("%s exited %d", name, st)
		us := users[name]
		if len(us) == 0 || slices.Contains(us, "veth") || slices.Contains(us, "sch_ingress") || slices.Contains(us, "cls_bpf") {
			failed = append(failed, what)
			continue
		}
		for _, u := range us {
			if u == "netdevsim" {
				offload = append(offload, what)
			} else {
				wantFailed[u] = append(wantFailed[u], what)
			}
		}
	}
	if len(offload) > 0 && kr.NoOffload == "" {
		slices.Sort(offload)
		kr.NoOffload = "netdevsim did not load: " + strings.Join(offload, ", ") + " (" + kr.Console + ")"
	}
	for i := range kr.NICs {
		var why []string
		for _, w := range kr.NICs[i].Kind.Wants {
			why = append(why, wantFailed[w]...)
		}
		if len(why) > 0 && kr.NICs[i].Skipped == "" {
			slices.Sort(why)
			kr.NICs[i].Skipped = "the driver did not load: " + strings.Join(why, ", ") + " (" + kr.Console + ")"
		}
	}
	if len(failed) > 0 {
		slices.Sort(failed)
		return fmt.Errorf("kernel %s (%s): %s; console log: %s", kr.Spec.Name, k.Release, strings.Join(failed, ", "), kr.Console)
	}
	return nil
}

// ErrFailed says some kernel or expected mode failed.
var ErrFailed = errors.New("matrix: a kernel or a mode that should work failed")
