package host

import (
	"bufio"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/results"
)

// Info describes this machine: name, kernel, CPU, and whether BPF
// run-time stats are on.
func Info() results.Host {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	host, _ := os.Hostname()
	stats, _ := os.ReadFile("/proc/sys/kernel/bpf_stats_enabled")
	return results.Host{
		Hostname: host, Kernel: unix.ByteSliceToString(uts.Release[:]), Machine: unix.ByteSliceToString(uts.Machine[:]),
		CPUModel: cpuModel(), Cores: runtime.NumCPU(), BPFStatsEnabled: strings.TrimSpace(string(stats)) == "1",
	}
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// CPUs lists the CPUs this process may run on.
func CPUs() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		var out []int
		for i := range runtime.NumCPU() {
			out = append(out, i)
		}
		return out
	}
	var out []int
	for i := range 1024 {
		if set.IsSet(i) {
			out = append(out, i)
		}
	}
	return out
}
