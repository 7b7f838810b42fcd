package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/remote"
)

// newAgentCmd is the generator host's side of a two-host run: started by
// the controller over SSH, it speaks the agent protocol on stdin and
// stdout. Not for people: hidden from help.
func newAgentCmd(stderr io.Writer) *cobra.Command {
	var removeDir string
	cmd := &cobra.Command{
		Use:    "agent",
		Short:  "Serve a controller's run on this host, the generator's side (started over SSH by --remote)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The shipped binary goes first: whatever happens next, nothing
			// of it stays on this host.
			if removeDir != "" {
				if err := remote.RemoveShipped(removeDir); err != nil {
					return err
				}
			}
			if err := host.CheckPrivileges(); err != nil {
				return err
			}
			return remote.Serve(cmd.Context(), remote.AgentOptions{In: os.Stdin, Out: os.Stdout, Log: stderr, Version: toolVersion()})
		},
	}
	cmd.Flags().StringVar(&removeDir, "remove-dir", "", "the private directory this binary was shipped into: removed at once")
	return cmd
}
