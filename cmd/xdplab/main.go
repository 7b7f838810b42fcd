// Command xdplab measures XDP programs in generic, native and offload mode.
// See README.md, or `xdplab help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cilium/ebpf/rlimit"

	"github.com/xdplab/xdplab/topology"
)

// Exit statuses, one table (README.md lists the same).
const (
	exitOK           = 0 // success; a gate, expectations or a qualification that passed
	exitError        = 1 // an error
	exitUsage        = 2 // a usage mistake
	exitRegression   = 3 // compare --fail-on-regression found a regression
	exitExpectation  = 4 // a scenario's expectation did not hold
	exitQualifyFail  = 5 // a qualification check failed
	exitInconclusive = 6 // a verdict could not be decided (see README: inconclusive)
	exitTeardown     = 7 // teardown incomplete: something was not restored or removed (xdplab clean)
	exitModesDiffer  = 8 // equiv found a frame a program treats otherwise in another mode
)

// exitStatus maps an error Run returned to the process's exit status.
func exitStatus(err error) int {
	var (
		ue *usageError
		ge *gateError
		ee *expectError
		qe *qualifyError
		ie *inconclusiveError
		me *modesDifferError
		te *topology.TeardownError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &te):
		return exitTeardown
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ge):
		return exitRegression
	case errors.As(err, &ee):
		return exitExpectation
	case errors.As(err, &qe):
		return exitQualifyFail
	case errors.As(err, &ie):
		return exitInconclusive
	case errors.As(err, &me):
		return exitModesDiffer
	}
	return exitError
}

// signals end a run with a teardown: an interrupt, a kill request, the
// terminal or SSH session closing (SIGHUP), SIGQUIT.
var signals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

func main() {
	// A closed pipe (xdplab run ... 2>&1 | head) makes writes fail with
	// EPIPE instead of killing the process before its teardown.
	signal.Ignore(syscall.SIGPIPE)
	// Kernels before 5.11 charge BPF maps and programs to RLIMIT_MEMLOCK,
	// whose default a few loads exhaust (5.10 refused the equivalence
	// check's maps with EPERM). RemoveMemlock lifts it only there.
	if err := rlimit.RemoveMemlock(); err != nil {
		fmt.Fprintln(os.Stderr, "xdplab: warning: could not lift RLIMIT_MEMLOCK:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), signals...)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "xdplab:", err)
	}
	os.Exit(exitStatus(err))
}

// interrupted is the error of a command a signal stopped: what its
// teardown did, or, where it failed, what was left and how to recover.
func interrupted(err error, done string) error {
	var te *topology.TeardownError
	if errors.As(err, &te) {
		return fmt.Errorf("interrupted: %w", te)
	}
	return fmt.Errorf("interrupted: %s", done)
}
