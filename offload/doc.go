// Package offload finds what an interface and the kernel can do with XDP,
// hardware offload included: which attach modes an interface really
// supports (ProbeModes, by attaching a minimal program in each), what it
// advertises against what it does (ProbeInterface: the netdev
// generic-netlink family's xdp-features, kernel 6.3+, read with
// mdlayher/genetlink, then attach, multi-buffer and metadata checks), the
// kernel's XDP facilities (ProbeKernel), and the comparison of advertised
// against detected (Compare). Attaching itself lives in internal/xdp, the
// probe report that puts it all together in internal/probe.
//
// Probing needs CAP_NET_ADMIN and CAP_BPF (or root), and CAP_SYS_ADMIN to
// enter the namespace of the interface. A check that could not run says
// not-tested and why; a feature the kernel does not report is
// ErrNotReported, never "unsupported".
package offload
