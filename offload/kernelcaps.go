package offload

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/xdp"
)

// Check is the answer of one capability check.
type Check struct {
	// Result is ok, failed, skipped (could not be tried here) or
	// not-tested (xdplab did not try, Explain says why).
	Result string `json:"result"`
	Errno  string `json:"errno,omitempty"` // EINVAL, EOPNOTSUPP, ...
	Error  string `json:"error,omitempty"`
	// Explain is the kernel's own words where it gave some (the verifier
	// log line, the netlink extended ack), or why a check was skipped.
	Explain string `json:"explain,omitempty"`
}

// The results of a Check.
const (
	CheckOK        = "ok"
	CheckFailed    = "failed"
	CheckSkipped   = "skipped"
	CheckNotTested = "not-tested"
)

// OK tells whether the check passed.
func (c Check) OK() bool { return c.Result == CheckOK }

func (c Check) String() string {
	switch c.Result {
	case CheckOK:
		if c.Explain != "" {
			return "ok (" + c.Explain + ")"
		}
		return "ok"
	case CheckFailed:
		s := "failed"
		if c.Errno != "" {
			s += ": " + c.Errno
		}
		if c.Explain != "" {
			s += " (" + c.Explain + ")"
		}
		return s
	}
	if c.Explain != "" {
		return c.Result + ": " + c.Explain
	}
	return c.Result
}

func okCheck(explain string) Check { return Check{Result: CheckOK, Explain: explain} }

// failCheck turns an error into a failed check with its errno and, where
// there is one, the verifier line that explains it.
func failCheck(err error) Check {
	c := Check{Result: CheckFailed, Error: err.Error(), Explain: bpf.VerifierLine(err)}
	var errno unix.Errno
	if errors.As(err, &errno) {
		c.Errno = unix.ErrnoName(errno)
	}
	if c.Errno == "" && errors.Is(err, ebpf.ErrNotSupported) {
		c.Errno = "ENOTSUPP"
	}
	return c
}

func checkOf(err error) Check {
	if err == nil {
		return okCheck("")
	}
	return failCheck(err)
}

// KernelCaps is what the running kernel offers XDP.
type KernelCaps struct {
	Release    string `json:"release"`
	BTF        Check  `json:"btf"`         // /sys/kernel/btf/vmlinux parses
	XDPLink    Check  `json:"xdp_link"`    // XDP through bpf_link (5.9+)
	LiveFrames Check  `json:"live_frames"` // BPF_F_TEST_XDP_LIVE_FRAMES (5.18+)
	XDPFrags   Check  `json:"xdp_frags"`   // frags-aware programs, BPF_F_XDP_HAS_FRAGS (5.18+)
	JIT        JIT    `json:"jit"`
	// Tracepoints are the xdp tracepoints the kernel has (from its BTF,
	// btf_trace_* types, so no tracefs is needed).
	Tracepoints    []string `json:"xdp_tracepoints"`
	TracepointsErr string   `json:"xdp_tracepoints_error,omitempty"`
}

// JIT is the BPF JIT's sysctls (net.core.bpf_jit_*); -1 where unreadable.
type JIT struct {
	Enable   int `json:"enable"` // 0 off, 1 on, 2 on with debug output
	Harden   int `json:"harden"`
	Kallsyms int `json:"kallsyms"`
}

func readSysctlInt(name string) int {
	b, err := os.ReadFile("/proc/sys/net/core/" + name)
	if err != nil {
		return -1
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return v
}

// xdpTracepoint tells whether a tracepoint belongs to the xdp group
// (include/trace/events/xdp.h).
func xdpTracepoint(name string) bool {
	return strings.HasPrefix(name, "xdp_") || strings.HasPrefix(name, "mem_") || name == "bpf_xdp_link_attach_failed"
}

// ProbeKernel finds what the running kernel offers.
func ProbeKernel() KernelCaps {
	var k KernelCaps
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		k.Release = unix.ByteSliceToString(uts.Release[:])
	}
	spec, err := btf.LoadKernelSpec()
	k.BTF = checkOf(err)
	if err == nil {
		for typ, err := range spec.All() {
			if err != nil {
				k.TracepointsErr = err.Error()
				break
			}
			td, ok := typ.(*btf.Typedef)
			if !ok {
				continue
			}
			if name, ok := strings.CutPrefix(td.Name, "btf_trace_"); ok && xdpTracepoint(name) {
				k.Tracepoints = append(k.Tracepoints, name)
			}
		}
		sort.Strings(k.Tracepoints)
	} else {
		k.TracepointsErr = fmt.Sprintf("no kernel BTF: %v", err)
	}
	k.XDPLink = checkOf(xdp.HaveXDPLink())
	k.LiveFrames = checkOf(xdp.HaveLiveFrames())
	prog, err := bpf.LoadMinimal(bpf.MinimalOptions{Action: bpf.Pass, Frags: true})
	k.XDPFrags = checkOf(err)
	if err == nil {
		prog.Close()
	}
	k.JIT = JIT{Enable: readSysctlInt("bpf_jit_enable"), Harden: readSysctlInt("bpf_jit_harden"), Kallsyms: readSysctlInt("bpf_jit_kallsyms")}
	return k
}
