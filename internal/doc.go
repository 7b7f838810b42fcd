// Package internal holds helpers no user of xdplab should import: see its
// subpackages nsthread (running code on an OS thread inside a network
// namespace) and procstat (per-CPU time from /proc/stat).
package internal
