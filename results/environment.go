package results

import "strings"

// Environment is what the machine of a run was, beyond Host: what a
// change in its figures may be explained by (schema 7). A value the
// machine did not say is empty.
type Environment struct {
	KernelVersion string `json:"kernel_version,omitempty"` // uname -v: the build, its preemption
	Cmdline       string `json:"cmdline,omitempty"`
	Microcode     string `json:"microcode,omitempty"`
	// Mitigations are /sys/devices/system/cpu/vulnerabilities, by name.
	Mitigations map[string]string `json:"mitigations,omitempty"`
	Preemption  string            `json:"preemption,omitempty"`
	Governor    string            `json:"governor,omitempty"` // cpu0's scaling governor
	Boost       string            `json:"boost,omitempty"`    // on or off
	SMT         string            `json:"smt,omitempty"`      // /sys/devices/system/cpu/smt/control
	NICs        []NICEnvironment  `json:"nics,omitempty"`
}

// NICEnvironment is an interface of the topology as its driver has it.
type NICEnvironment struct {
	Role          string   `json:"role"`
	Name          string   `json:"name"`
	Driver        string   `json:"driver,omitempty"`
	DriverVersion string   `json:"driver_version,omitempty"`
	Firmware      string   `json:"firmware,omitempty"`
	Rings         string   `json:"rings,omitempty"`    // "rx 1024 tx 1024"
	Channels      string   `json:"channels,omitempty"` // "rx 1 tx 1" or "combined 8"
	IRQs          []string `json:"irqs,omitempty"`     // "45 enp3s0f0-TxRx-0: cpus 0"
}

// Flat is the run's environment as keys and values, for telling what
// changed between two runs: the kernel, the CPU, each NIC by its role and
// xdplab's version.
func (e *Environment) Flat(r *Run) map[string]string {
	m := map[string]string{
		"kernel.release": r.Host.Kernel,
		"cpu.model":      r.Host.CPUModel,
		"xdplab.version": r.Tool.Version,
	}
	if e == nil {
		return m
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("kernel.version", e.KernelVersion)
	set("kernel.cmdline", e.Cmdline)
	set("cpu.microcode", e.Microcode)
	set("cpu.preemption", e.Preemption)
	set("cpu.governor", e.Governor)
	set("cpu.boost", e.Boost)
	set("cpu.smt", e.SMT)
	for k, v := range e.Mitigations {
		set("cpu.mitigations."+k, v)
	}
	for _, n := range e.NICs {
		p := "nic." + n.Role + "."
		set(p+"driver", strings.TrimSpace(n.Driver+" "+n.DriverVersion))
		set(p+"firmware", n.Firmware)
		set(p+"rings", n.Rings)
		set(p+"channels", n.Channels)
		set(p+"irqs", strings.Join(n.IRQs, "; "))
	}
	return m
}

// Rerun is the command line that repeats a run, quoted for a POSIX shell.
func Rerun(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@%+", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
