package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/qualify"
	"github.com/xdplab/xdplab/results"
)

// qualifyError is a qualification with a failed check: exit status 5.
type qualifyError struct{ checks []results.QualifyCheck }

func (e *qualifyError) Error() string {
	var s []string
	for _, c := range e.checks {
		s = append(s, fmt.Sprintf("%s %s %s: %s", c.Section, c.Name, c.Mode, c.Detail))
	}
	return fmt.Sprintf("the qualification failed %d check(s):\n  %s", len(e.checks), strings.Join(s, "\n  "))
}

// qualifyLong is the help of `xdplab qualify`.
var qualifyLong = `qualify runs a fixed, versioned suite (` + qualify.Suite + `) and gives a verdict per check
(pass, fail, not-supported, works-not-advertised, advertised-fails, not-applicable,
not-run) and overall:
  capabilities  the probe's advertised against detected table;
  functional    per mode, frames sent through a program and verified where they
                come out: XDP_DROP, XDP_PASS (a UDP socket in the DUT's namespace),
                XDP_TX (back at the generator, MACs swapped), XDP_REDIRECT (behind a
                second port), XDP_ABORTED (the xdp:xdp_exception tracepoint), head and
                tail adjustment, multi-buffer frames at MTU 9000 (xdp.frags); offload:
                the control plane;
  performance   drop at 64, 512 and 1518 bytes and IMIX, NDR/PDR at 64 bytes;
  stability     a soak trial at the PDR: loss must not grow, counters must stay
                consistent, no kernel warning may appear.
With no --iface it qualifies a veth pair it makes. With --iface DUT --peer GEN
(two interfaces of this host cabled back to back) it moves them into its
namespaces and gives them back as they were; the interface with the default
route is refused without --force. With --remote ssh://host, --peer is the
generator's port on that host, cabled to --iface here: the generator runs
there as an agent over SSH (see xdplab run --help). The reports (JSON, Markdown, HTML) go to
--output DIR; the exit status is 5 when a check failed. Needs root.`

func newQualifyCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		o        qualify.Options
		format   string
		asJSON   bool
		outDir   string
		peerNS   bool
		badBadly uint32
		ro       remoteFlags
	)
	cmd := &cobra.Command{
		Use:   "qualify [--iface DUT --peer GEN]",
		Short: "Run the NIC qualification suite: a verdict per check and a report",
		Long:  qualifyLong,
		Example: `  sudo xdplab qualify --soak 1m -o qual
  sudo xdplab qualify --iface enp3s0f0 --peer enp3s0f1 -o qual-mlx5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := outputFormat(format, asJSON, cmd.Flags().Changed("format"))
			if err != nil {
				return err
			}
			if peerNS {
				return usagef("--peer-netns: feeding a NIC from a namespace of the same host needs a cable to a second port; give that port with --peer")
			}
			o.BadAction = badBadly
			o.Version = toolVersion()
			// The command that makes this report again: the flags as given.
			o.Command = commandLine(cmd, "xdplab", "qualify")
			o.Progress = stderr
			if err := o.Validate(); err != nil {
				return &usageError{err}
			}
			if err := host.CheckPrivileges(); err != nil {
				return err
			}
			o.Remote, o.RemoteXdplab, o.RemoteSSHOptions = ro.target, ro.xdplab, ro.ssh
			q, err := qualify.Run(cmd.Context(), o)
			if err != nil {
				if cmd.Context().Err() != nil {
					return interrupted(err, "everything xdplab made was removed and every setting restored; no report written")
				}
				return err
			}
			if outDir != "" {
				if err := writeQualification(outDir, q); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "qualification reports written to %s (qualification.json, .md, .html)\n", outDir)
			}
			if err := writeOut(stdout, f == "json", q, func() error { return q.WriteMarkdown(stdout) }); err != nil {
				return err
			}
			return qualificationExit(q)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Iface, "iface", "", "the interface under test (with --peer); none: a veth pair xdplab makes")
	fl.StringVar(&o.Peer, "peer", "", "the host's interface cabled back to back to --iface; the generator sends on it")
	fl.BoolVar(&peerNS, "peer-netns", false, "feed --iface from a namespace instead of a peer port (not possible without a cable: refused)")
	fl.BoolVar(&o.Force, "force", false, "accept an interface that carries the default route")
	ro.add(cmd, "the generator's host of a two-host pair, --peer its port there")
	fl.IntVar(&o.Frames, "frames", 200, "frames per functional check")
	fl.DurationVar(&o.Trial, "trial", 0, "length of each performance trial (default 3s)")
	fl.IntVar(&o.Trials, "trials", 3, "performance trials per size and mode")
	fl.DurationVar(&o.Soak, "soak", 0, "length of the soak trial at the PDR (default 10m)")
	fl.IntVar(&o.SearchTrials, "search-trials", 16, "trials per NDR or PDR search, at most")
	fl.StringSliceVar(&o.Only, "only", nil, "run only these sections: "+strings.Join(qualify.Sections(), ", ")+" (the report says so)")
	fl.StringVar(&o.RunID, "run-id", "", "name the namespaces xdplab-<id>-* (default: random)")
	fl.StringVarP(&outDir, "output", "o", "", "write qualification.json, qualification.md and qualification.html to this directory")
	fl.StringVar(&format, "format", "text", "output on stdout: text (Markdown) or json")
	fl.BoolVar(&asJSON, "json", false, "shorthand for --format json")
	fl.Uint32Var(&badBadly, "inject-bad-action", 0, "test the suite: the action programs return this action code instead")
	_ = fl.MarkHidden("inject-bad-action")
	return cmd
}

func writeQualification(dir string, q *results.Qualification) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--output %s: %w", dir, err)
	}
	if err := results.WriteJSON(filepath.Join(dir, "qualification.json"), q); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{"qualification.md": q.WriteMarkdown, "qualification.html": q.WriteHTML} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return err
		}
		if err := results.WriteBytes(filepath.Join(dir, name), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// commandLine is the command as given: its words, then every flag set.
func commandLine(cmd *cobra.Command, words ...string) []string {
	cmd.Flags().Visit(func(f *pflag.Flag) {
		v := f.Value.String()
		if f.Value.Type() == "stringSlice" {
			v = strings.Trim(v, "[]")
		}
		words = append(words, "--"+f.Name+"="+v)
	})
	return words
}

// qualificationExit is the exit a qualification's verdict gives: 5 where
// a check failed, 6 where one was undecided or none passed.
func qualificationExit(q *results.Qualification) error {
	switch q.Verdict {
	case results.VerdictFail:
		return &qualifyError{q.Failed()}
	case results.VerdictInconclusive:
		var names []string
		for _, c := range q.Undecided() {
			names = append(names, strings.TrimSpace(c.Name+" "+c.Mode)+" ("+string(c.Verdict)+")")
		}
		why := "no check passed"
		if len(names) > 0 {
			why = "undecided: " + strings.Join(names, ", ")
		}
		return &inconclusiveError{what: "qualification", why: why}
	}
	return nil
}
