package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/results"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// usageError is a mistake in how xdplab was called: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// Run runs xdplab with args, writing data to stdout and progress to stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	_, err := root.ExecuteContextC(ctx)
	return err
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "xdplab",
		Short: "Measure XDP programs in generic, native and offload mode",
		Long: `xdplab measures how an XDP program performs in generic, native and
hardware-offload mode, on veth pairs it builds itself or on NICs you name,
and stores the figures as versioned JSON.

Most commands need root (or CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_BPF).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (see xdplab %s --help)", err, c.Name())}
	})
	root.AddCommand(newRunCmd(stdout, stderr), newProbeCmd(stdout, stderr), newQualifyCmd(stdout, stderr), newCompareCmd(stdout, stderr), newReportCmd(stderr), newMatrixCmd(stdout, stderr), newInspectCmd(stdout, stderr), newEquivCmd(stdout, stderr), newScenarioCmd(stdout), newCleanCmd(stdout, stderr), newVersionCmd(stdout), newAgentCmd(stderr), newHistoryCmd(stdout, stderr))
	for _, c := range root.Commands() {
		c.Args = wrapArgs(c.Args)
	}
	return root
}

func wrapArgs(a cobra.PositionalArgs) cobra.PositionalArgs {
	if a == nil {
		return nil
	}
	return func(c *cobra.Command, args []string) error {
		if err := a(c, args); err != nil {
			return &usageError{fmt.Errorf("%w (see xdplab %s --help)", err, c.Name())}
		}
		return nil
	}
}

// writeOut prints v as indented JSON when asJSON, else calls text.
func writeOut(w io.Writer, asJSON bool, v any, text func() error) error {
	if !asJSON {
		return text()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// emit writes a command's data to the file output names (atomically,
// saying so on stderr), or to stdout.
func emit(stdout, stderr io.Writer, output, what string, b []byte) error {
	if output == "" {
		_, err := stdout.Write(b)
		return err
	}
	if err := results.WriteBytes(output, b); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s written to %s\n", what, output)
	return nil
}
