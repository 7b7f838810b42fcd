// Package internal holds what no user of xdplab should import. Read in the
// order of a run:
//
//   - spec: the run description, from flags or a scenario file; pure,
//     over the plain vocabularies bpf/catalog (programs, work, workload
//     settings), stream (frames, flows, mixes, rates, captures), xdpmode
//     (the attach mode) and sshtarget (a second host's ssh:// address);
//   - host: facts about the machine the run starts on, and privileges;
//   - runner: applies a description, one file per stage (see its doc);
//   - inspect and equiv: `xdplab inspect` and `xdplab equiv`, on a
//     runner.Bench (the programs loaded as a run loads them);
//   - xdp: attaching in a mode with read-back, and the kernel's XDP
//     features;
//   - traffic: sending a stream: the generators, single frames, the watch;
//   - peer and remote: the generator's end of the cable, here (peer) or
//     on a second host over SSH (remote: the agent and its controller);
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
