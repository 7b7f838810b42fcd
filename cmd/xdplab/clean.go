package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/topology"
)

func newCleanCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "clean",
		Short: "Remove namespaces and links a killed run left behind",
		Long: `clean removes every network namespace named xdplab-* (with its links and
attached programs) and every veth named xl* in the current namespace: what
a run killed with SIGKILL could not remove itself. Needs root.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			removed, err := topology.Clean()
			for _, r := range removed {
				fmt.Fprintln(stdout, "removed", r)
			}
			if err == nil && len(removed) == 0 {
				fmt.Fprintln(stderr, "nothing to clean")
			}
			return err
		},
	}
}
