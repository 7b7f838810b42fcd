// Package bpf holds xdplab's XDP programs (C sources, bpf2go output with the
// compiled objects committed) and a small Go API over them: loading the
// built-in device-under-test programs and workloads that bpf/catalog names
// (with the per-packet work knob), the shared per-CPU stats layout, the
// live-frames generator program, and loading a user's own XDP object.
//
// Loading programs needs CAP_BPF (or root). Errors name the program or file
// they concern and wrap the cilium/ebpf error, whose verifier log, when there
// is one, is kept in the message.
package bpf
