// Package offload knows XDP attach modes: which ones an interface supports,
// attaching a program in generic (skb), native (driver) or hardware-offload
// mode, and reading back the mode the kernel really used.
//
// Attach uses cilium/ebpf's bpf_link where the kernel has XDP bpf_link
// (5.9+) and netlink otherwise. After attaching it reads the mode back
// through netlink and fails when the kernel reports another mode than the one
// asked for. Interface capabilities come from the netdev generic-netlink
// family's xdp-features (kernel 6.3+), read with mdlayher/genetlink.
//
// Everything here needs CAP_NET_ADMIN and CAP_BPF (or root), and
// CAP_SYS_ADMIN to enter the namespace of the interface. Errors name the
// interface and mode; kernel errnos are turned into sentences saying what is
// unsupported and which modes are available.
package offload
