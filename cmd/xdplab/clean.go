package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/internal/remote"
	"github.com/xdplab/xdplab/topology"
)

func newCleanCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		dry bool
		ro  remoteFlags
	)
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Restore and remove what dead runs left behind, and only that",
		Long: `clean replays the journal (in /run/xdplab) of every run whose process is
gone: each interface the run was lent goes back to the namespace it came from
with its MTU, addresses, routes, GRO setting and channels, then the run's
namespaces are removed, then its journal. A namespace of xdplab's exact name
form (xdplab-<id>-gen, -dut or -sink) that no journal claims is removed too,
after any interface in it that xdplab did not make is moved back here. A live
run's state and any other name are left alone, and said so. Needs root.

With --remote, the same runs on the generator host of a two-host pair (as
the run reached it: xdplab there, or this one shipped), for an agent that
was killed before it could give its port back.`,
		Example: `  sudo xdplab clean --dry-run
  sudo xdplab clean --remote ssh://root@gen-host`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ro.target != "" {
				args := []string{"clean"}
				if dry {
					args = append(args, "--dry-run")
				}
				return remote.Exec(cmd.Context(), ro.options(), args, stdout, stderr)
			}
			rep, err := topology.Clean(topology.CleanOptions{DryRun: dry})
			for _, r := range rep.Restored {
				fmt.Fprintln(stdout, r)
			}
			for _, r := range rep.Removed {
				if !strings.HasPrefix(r, "would ") {
					r = "removed " + r
				}
				fmt.Fprintln(stdout, r)
			}
			for _, r := range rep.LeftAlone {
				fmt.Fprintln(stderr, "left alone:", r)
			}
			if err == nil && len(rep.Removed)+len(rep.Restored) == 0 {
				fmt.Fprintln(stderr, "nothing to clean")
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "say what would be restored and removed, and do nothing")
	ro.add(cmd, "clean the generator host of a two-host pair instead of this one")
	return cmd
}
