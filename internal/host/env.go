package host

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/results"
)

// sysRoot is where /proc and /sys are read from (tests point it at a
// fixture tree).
var sysRoot = "/"

func read(path string) string {
	b, err := os.ReadFile(filepath.Join(sysRoot, path))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Environment is what this machine is for a change point to be explained
// by: the kernel's build and command line, the CPU's microcode,
// mitigations, preemption, frequency governor, boost and SMT. A value the
// machine does not say is left empty. NICs are the topology's to add.
func Environment() *results.Environment {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	e := &results.Environment{
		KernelVersion: unix.ByteSliceToString(uts.Version[:]),
		Cmdline:       read("proc/cmdline"),
		Microcode:     cpuinfo("microcode"),
		Governor:      read("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
		SMT:           read("sys/devices/system/cpu/smt/control"),
	}
	if sysRoot != "/" {
		e.KernelVersion = read("proc/sys/kernel/version")
	}
	if b := read("sys/devices/system/cpu/cpufreq/boost"); b != "" {
		e.Boost = map[string]string{"0": "off", "1": "on"}[b]
	} else if b := read("sys/devices/system/cpu/intel_pstate/no_turbo"); b != "" {
		e.Boost = map[string]string{"0": "on", "1": "off"}[b]
	}
	e.Preemption = preemption(e.KernelVersion)
	ents, _ := os.ReadDir(filepath.Join(sysRoot, "sys/devices/system/cpu/vulnerabilities"))
	for _, d := range ents {
		if v := read(filepath.Join("sys/devices/system/cpu/vulnerabilities", d.Name())); v != "" {
			if e.Mitigations == nil {
				e.Mitigations = map[string]string{}
			}
			e.Mitigations[d.Name()] = v
		}
	}
	return e
}

// preemption is the preemption model: the current one of a dynamic
// kernel where debugfs says it (the word in parentheses), else what the
// kernel's version string says it was built with.
func preemption(version string) string {
	if s := read("sys/kernel/debug/sched/preempt"); s != "" {
		for _, w := range strings.Fields(s) {
			if strings.HasPrefix(w, "(") && strings.HasSuffix(w, ")") {
				return "dynamic: " + strings.Trim(w, "()")
			}
		}
	}
	switch {
	case strings.Contains(version, "PREEMPT_RT"):
		return "rt"
	case strings.Contains(version, "PREEMPT_DYNAMIC"):
		return "dynamic"
	case strings.Contains(version, "PREEMPT_LAZY"):
		return "lazy"
	case strings.Contains(version, "PREEMPT"):
		return "full"
	}
	return ""
}

func cpuinfo(key string) string {
	f, err := os.Open(filepath.Join(sysRoot, "proc/cpuinfo"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// IRQs lists the interrupts /proc/interrupts names for an interface (its
// queues' vectors, "enp3s0f0-TxRx-0") with the CPUs each may run on.
func IRQs(iface string) []string {
	f, err := os.Open(filepath.Join(sysRoot, "proc/interrupts"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.HasSuffix(fields[0], ":") {
			continue
		}
		name := fields[len(fields)-1]
		if name != iface && !strings.HasPrefix(name, iface+"-") {
			continue
		}
		irq := strings.TrimSuffix(fields[0], ":")
		out = append(out, irq+" "+name+": cpus "+read(filepath.Join("proc/irq", irq, "smp_affinity_list")))
	}
	return out
}
