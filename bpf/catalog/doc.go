// Package catalog is the vocabulary of xdplab's XDP programs as plain
// data: the built-in programs and reference workloads by name, the XDP
// actions, the per-packet work levels, the workloads' settings (filter
// rules, the rate limit), tail calls into a user's object, the limits the
// C programs share with Go, and the errors a user's object is refused
// with.
//
// It loads nothing and reads no ELF: the run description (internal/spec),
// the scenarios and the results import it without linking a BPF loader.
// Package bpf loads what it names.
package catalog
