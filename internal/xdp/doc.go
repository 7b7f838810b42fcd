// Package xdp attaches XDP programs: the three modes (generic, native,
// hardware offload), attaching a program in one of them, reading back the
// mode the kernel really used, and the kernel features that decide how
// (XDP bpf_link, live frames for BPF_PROG_RUN).
//
// Attach uses cilium/ebpf's bpf_link where the kernel has XDP bpf_link
// (5.9+) and netlink otherwise. After attaching it reads the mode back
// through netlink and fails with *ModeMismatchError when the kernel reports
// another mode than the one asked for. A feature probe answers nil, an
// error wrapping ebpf.ErrNotSupported, or another error when it could not
// tell.
//
// Attaching needs CAP_NET_ADMIN and CAP_BPF (or root), and CAP_SYS_ADMIN to
// enter the namespace of the interface. Errors name the interface and mode;
// kernel errnos become sentences saying what is unsupported.
package xdp
