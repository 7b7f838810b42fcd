// Package hook runs xdplab's programs at the hooks beside XDP: tc
// ingress (tc.go), a BPF socket filter on an AF_PACKET socket, and user
// space reading an AF_PACKET TPACKET_V3 ring (packet.go) or an AF_XDP
// socket (xsk.go). internal/xdp attaches at XDP's own modes.
//
// Every hook counts its decisions by the XDP action they stand for
// (bpf.Stats), so the runner measures a hook as it measures an XDP mode:
// the in-kernel hooks in the program's stats map, the user-space ones in
// the reader's own counters. A reader also says what it cost: its
// thread's user and system time, context switches and system calls, and
// the frames the kernel could not hand it (ring drops).
//
// Needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF); everything is made in
// the interface's network namespace and undone by Close.
package hook
