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
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdp"
)

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
	prog, err := bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Pass, Frags: true})
	k.XDPFrags = checkOf(err)
	if err == nil {
		prog.Close()
	}
	k.JIT = JIT{Enable: readSysctlInt("bpf_jit_enable"), Harden: readSysctlInt("bpf_jit_harden"), Kallsyms: readSysctlInt("bpf_jit_kallsyms")}
	return k
}
