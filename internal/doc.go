// Package internal holds what no user of xdplab should import. Read in the
// order of a run:
//
//   - spec: the run description, from flags or a scenario file; pure;
//   - host: facts about the machine the run starts on, and privileges;
//   - runner: applies a description, one file per stage (see its doc);
//   - xdp: the attach modes, attaching with read-back, and the kernel's
//     XDP features;
//   - traffic: frames, flows, shaping, captures and the generators;
//   - search: the NDR/PDR bisection, pure;
//   - probe and qualify: `xdplab probe` and `xdplab qualify`, above
//     offload's capability probing and the runner;
//
// and the helpers every layer may use: nsthread (code on an OS thread
// inside a network namespace), procstat (per-CPU time from /proc/stat),
// liverun (the live-frames BPF_PROG_RUN), afxdp (AF_XDP sockets for the
// qualification), atomicfile (files that appear whole or not at all) and
// testenv (what the tests share: root, leaks, schemas).
package internal
