// Package ci holds xdplab's CI: workflow files under workflows/ (GitHub
// Actions syntax) that run the same entry point as every CI here, .ci/run.
// The kernel-matrix VM runner will live here too.
package ci
