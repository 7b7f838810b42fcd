package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/internal/remote"
	"github.com/xdplab/xdplab/results"
)

func newProbeCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		o      probe.Options
		format string
		asJSON bool
		output string
		ro     remoteFlags
	)
	cmd := &cobra.Command{
		Use:   "probe [--iface NAME ...]",
		Short: "Report which XDP modes and features an interface advertises and which really work",
		Long: `probe reports, per interface, what the kernel and driver advertise (ethtool
driver info, features, channels, rings, XDP statistics; the netdev netlink
family's xdp-features, rx metadata and xsk features) next to what xdplab
detects by loading and attaching test programs: generic, native and offload
mode, a frags-aware program at MTU 9000, the rx hash and timestamp kfuncs.
A mismatch between the two is a finding.

With no --iface it probes both ends of a veth pair it builds (and removes).
With --iface it probes the named interfaces read-only; --attach also runs
the detection (XDP_PASS programs only, the MTU changed and restored). The
interface that carries the default route is refused without --force.

With --remote, the probe runs on the generator host of a two-host pair (its
--iface names interfaces there), and the report comes back here.`,
		Example: `  sudo xdplab probe
  sudo xdplab probe --iface enp3s0f0 --iface enp3s0f1 --attach --json
  sudo xdplab probe --remote ssh://root@gen-host --iface enp5s0f1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := outputFormat(format, asJSON, cmd.Flags().Changed("format"))
			if err != nil {
				return err
			}
			var rep *probe.Report
			if ro.target != "" {
				rep, err = remoteProbe(cmd.Context(), ro, o, stderr)
			} else {
				if err := host.CheckPrivileges(); err != nil {
					return err
				}
				o.Version = toolVersion()
				rep, err = probe.Run(cmd.Context(), o)
			}
			if err != nil {
				if cmd.Context().Err() != nil {
					return interrupted(err, "everything xdplab made was removed and every setting restored")
				}
				return err
			}
			if output != "" {
				if err := results.WriteJSON(output, rep); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "probe report written to %s\n", output)
			}
			return writeOut(stdout, f == "json", rep, func() error { return rep.WriteText(stdout) })
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Ifaces, "iface", nil, "interface to probe, in the host's namespace (repeat for several); none: a veth pair xdplab builds")
	fl.BoolVar(&o.Attach, "attach", false, "with --iface: attach XDP_PASS test programs and change the MTU to detect what works (all undone)")
	fl.BoolVar(&o.Force, "force", false, "accept the interface that carries the default route")
	fl.BoolVar(&o.NeverSSH, "never-ssh", false, "refuse the interface this SSH session runs over even with --force (what probe --remote asks of the remote)")
	_ = fl.MarkHidden("never-ssh")
	fl.StringVar(&o.RunID, "run-id", "", "names the veth pair (xl<id>g, xl<id>d); random by default")
	fl.StringVar(&format, "format", "text", "output on stdout: text or json")
	fl.BoolVar(&asJSON, "json", false, "shorthand for --format json")
	fl.StringVarP(&output, "output", "o", "", "also write the JSON report to this file")
	ro.add(cmd, "probe the generator host of a two-host pair instead of this one")
	return cmd
}

// remoteProbe runs the probe on the --remote host and reads its report.
func remoteProbe(ctx context.Context, ro remoteFlags, o probe.Options, stderr io.Writer) (*probe.Report, error) {
	// The remote probe runs over the SSH session: the interface it runs
	// over is never the one to attach to or change the MTU of.
	args := []string{"probe", "--json", "--never-ssh"}
	for _, i := range o.Ifaces {
		args = append(args, "--iface", i)
	}
	if o.Attach {
		args = append(args, "--attach")
	}
	if o.Force {
		args = append(args, "--force")
	}
	if o.RunID != "" {
		args = append(args, "--run-id", o.RunID)
	}
	var out bytes.Buffer
	if err := remote.Exec(ctx, ro.options(), args, &out, stderr); err != nil {
		return nil, err
	}
	var rep probe.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("the probe report from %s: %w", ro.target, err)
	}
	return &rep, nil
}
