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
)

// exitStatus maps an error Run returned to the process's exit status.
func exitStatus(err error) int {
	var (
		ue *usageError
		ge *gateError
		ee *expectError
		qe *qualifyError
		ie *inconclusiveError
	)
	switch {
	case err == nil:
		return exitOK
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
	}
	return exitError
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "xdplab:", err)
	}
	os.Exit(exitStatus(err))
}
