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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "xdplab:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		var ge *gateError
		if errors.As(err, &ge) {
			os.Exit(3)
		}
		var ee *expectError
		if errors.As(err, &ee) {
			os.Exit(4)
		}
		var qe *qualifyError
		if errors.As(err, &qe) {
			os.Exit(5)
		}
		os.Exit(1)
	}
}
