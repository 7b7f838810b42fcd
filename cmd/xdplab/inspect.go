package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/inspect"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/results"
)

// inspectFlags are the run description's flags inspect takes: what to
// load and in which modes, and the workloads' settings.
var inspectFlags = []string{"prog", "program", "map-size", "map-init", "set", "tail-call", "pin", "modes", "rules", "limit", "burst", "backends", "run-id"}

func newInspectCmd(stdout, stderr io.Writer) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "inspect [OBJECT.o] [--program NAME] [--prog NAME,...] [--modes generic,native]",
		Short: "Load, verify and attach programs in each mode, and report their fingerprint, with no traffic",
		Long: `inspect loads each program (the built-ins, those --prog names, or every
XDP program of OBJECT.o, --program narrowing it to one) in each XDP mode a
veth pair it makes supports (or
those --modes names), attaches it and reads the mode back, then takes it
away again. It reports each program's fingerprint, as the kernel made it:
the instructions the verifier processed, its states, the stack, the
translated and JIT image sizes and hashes, the maps, the helpers and
kfuncs, the load times; and whether the program could be offloaded to
hardware. No traffic flows: fast enough for a pre-commit hook.

Workloads without settings are loaded with example ones (filter: one
rule; ratelimit: 1M/s, burst 64; l4lb: its default backends). Nothing is
left behind.`,
		Example: `  sudo xdplab inspect
  sudo xdplab inspect prog.o --program xdp_main --map-size rxq_cnt=64 --json
  sudo xdplab inspect --prog drop,filter --modes native`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(f.format, f.json, cmd.Flags().Changed("format"))
			if err != nil {
				return err
			}
			r, cleanup, err := f.programDescription(cmd, args, "inspect")
			defer cleanup()
			if err != nil {
				return err
			}
			in, err := inspect.Inspect(cmd.Context(), runner.Config{Run: r, Command: append([]string{"xdplab"}, os.Args[1:]...), Version: toolVersion()})
			if err != nil {
				if cmd.Context().Err() != nil {
					return interrupted(err, "everything xdplab made was removed")
				}
				return err
			}
			if f.output != "" {
				if err := results.WriteJSON(f.output, in); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "inspection written to %s\n", f.output)
			}
			return writeOut(stdout, format == "json", in, func() error { return in.WriteText(stdout) })
		},
	}
	fl := cmd.Flags()
	f.addSpecFlags(fl, inspectFlags...)
	fl.Lookup("prog").Usage = "built-in programs to inspect (default: all of them: " + strings.Join(catalog.BuiltinNames(), ",") + ")"
	fl.Lookup("prog").DefValue = "all"
	fl.StringVar(&f.format, "format", "text", "output on stdout: text or json")
	fl.BoolVar(&f.json, "json", false, "shorthand for --format json")
	fl.StringVarP(&f.output, "output", "o", "", "also write the JSON inspection to this file")
	return cmd
}

// specSetting is the setting flag would make of value.
func specSetting(flag, value string) spec.Setting {
	for _, field := range spec.Fields() {
		if field.Flag == flag {
			return spec.Setting{Path: field.Path, Value: value}
		}
	}
	panic("no run description field has the flag --" + flag)
}

// programDescription is the run description of inspect and equiv: the
// object named, or the built-ins --prog names (all by default), with
// example settings for workloads given none (the code the kernel sees
// does not depend on them). cleanup removes the example rules file.
func (f *runFlags) programDescription(cmd *cobra.Command, args []string, verb string) (_ spec.Run, cleanup func(), err error) {
	cleanup = func() {}
	if len(args) == 1 {
		if cmd.Flags().Changed("prog") {
			return spec.Run{}, cleanup, usagef("--prog and OBJECT %s: %s either built-ins or an object", args[0], verb)
		}
		f.settings = append(f.settings, specSetting("object", args[0]))
	} else if !cmd.Flags().Changed("prog") {
		// On a lent pair there is no second DUT port to redirect to.
		pair := cmd.Flags().Lookup("iface") != nil && cmd.Flags().Changed("iface")
		for _, n := range catalog.BuiltinNames() {
			if pair && n == "redirect" {
				continue
			}
			f.settings = append(f.settings, specSetting("prog", n))
		}
	}
	var progs []string
	for _, st := range f.settings {
		if st.Path == spec.FieldPrograms {
			progs = append(progs, st.Value)
		}
	}
	if !cmd.Flags().Changed("rules") && slices.Contains(progs, "filter") {
		dir, err := os.MkdirTemp("", "xdplab-"+verb+"-")
		if err != nil {
			return spec.Run{}, cleanup, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		rules := filepath.Join(dir, "rules")
		if err := os.WriteFile(rules, []byte(catalog.ExampleRule+"\n"), 0o600); err != nil {
			return spec.Run{}, cleanup, err
		}
		f.settings = append(f.settings, specSetting("rules", rules))
	}
	if !cmd.Flags().Changed("limit") && !cmd.Flags().Changed("burst") && slices.Contains(progs, "ratelimit") {
		f.settings = append(f.settings, specSetting("limit", "1M"), specSetting("burst", "64"))
	}
	// Every XDP program of an object unless --program names one.
	r, err := f.describeWith(runner.ReadObjectPrograms)
	return r, cleanup, err
}
