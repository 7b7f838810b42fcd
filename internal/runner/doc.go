// Package runner applies a run description (internal/spec) end to end and
// returns a results.Run. One file per stage, in the order a run goes:
//
//   - runner.go: the run (check the host, build the topology, probe the
//     modes, calibrate, then measure every program in every mode) and the
//     results' environment;
//   - calibrate.go: the generator's own cost against a minimal sink;
//   - measure.go: one program in one mode: pacing, the trials, the
//     program statistics, the workload's figures, the search;
//   - prepare.go: load and attach the identical object, and its far side
//     (sinks, the stack);
//   - trial.go: one warm-up and timed window, sampling every counter once
//     a second, and the live line;
//   - figures.go: a trial's figures from its counter snapshots, with flags;
//   - progstats.go: the program's own run time in a separate pass;
//   - search.go: the NDR/PDR search's trials (internal/search decides);
//   - workload.go and filter.go, ratelimit.go, flowstats.go, l4lb.go: each
//     reference workload's settings, far side and figures;
//   - bench.go: a pair on which a description's programs load as a run
//     loads them, with nothing measured, for internal/inspect and
//     internal/equiv.
//
// Checks of the description are spec's; checks of the machine (the CPUs
// this process may use) are made here, where the run starts. Everything is
// torn down on return, error, panic and cancellation (SIGINT, SIGTERM
// through the context). It needs root, or CAP_SYS_ADMIN, CAP_NET_ADMIN and
// CAP_BPF; errors name the program, mode and interface.
package runner
