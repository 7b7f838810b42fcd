package main

import (
	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/internal/remote"
)

// remoteFlags are --remote, --remote-xdplab and --remote-ssh-option of the
// commands that run xdplab on the generator host by themselves (clean,
// probe); run and qualify take them as fields of the run description.
type remoteFlags struct {
	target, xdplab string
	ssh            []string
}

func (f *remoteFlags) add(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringVar(&f.target, "remote", "", what+": ssh://[user@]host[:port]")
	fl.StringVar(&f.xdplab, "remote-xdplab", "", "xdplab's path on the --remote host (default: xdplab on its PATH when it is this release, else this binary, shipped)")
	fl.StringArrayVar(&f.ssh, "remote-ssh-option", nil, "an ssh option for the --remote session, Name=value as ssh -o takes it (repeat for several)")
}

func (f *remoteFlags) options() remote.Options {
	return remote.Options{Target: f.target, RemoteXdplab: f.xdplab, SSHOptions: f.ssh, Version: toolVersion()}
}
