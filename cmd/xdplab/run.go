package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// DefaultResultsDir is where run writes results files unless --output says.
const DefaultResultsDir = "xdplab-results"

// runFlags are the run command's flags: the run description's (from
// spec.Fields) and the command's own (output, format, scenario).
type runFlags struct {
	// settings are the description's flags in command-line order.
	settings []spec.Setting
	output   string
	format   string
	json     bool
	quiet    bool
	scenario string
	label    string
}

// specFlag is one field of the run description as a flag: each value
// becomes a Setting, in command-line order.
type specFlag struct {
	f     *runFlags
	field spec.Field
	text  string
}

func (v *specFlag) String() string { return v.text }
func (v *specFlag) Type() string   { return v.field.Type }

func (v *specFlag) Set(s string) error {
	v.text = s
	if v.field.Type == "bool" {
		on, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		switch {
		case v.field.FlagSets == "":
			s = strconv.FormatBool(on)
		case !on:
			return nil // --ipv6=false: as if not given
		default:
			s = v.field.FlagSets
		}
	}
	if v.field.List && !v.field.Whole {
		for _, e := range strings.Split(s, ",") {
			v.f.settings = append(v.f.settings, spec.Setting{Path: v.field.Path, Value: e})
		}
		return nil
	}
	v.f.settings = append(v.f.settings, spec.Setting{Path: v.field.Path, Value: s})
	return nil
}

// addSpecFlags declares a flag for every field of the run description
// that has one, or only for the flags named.
func (f *runFlags) addSpecFlags(fl *pflag.FlagSet, only ...string) {
	for _, field := range spec.Fields() {
		if field.Flag == "" || len(only) > 0 && !slices.Contains(only, field.Flag) {
			continue
		}
		v := &specFlag{f: f, field: field, text: field.Default}
		fl.Var(v, field.Flag, field.Usage)
		flag := fl.Lookup(field.Flag)
		flag.DefValue = field.Default
		if field.Type == "bool" {
			flag.NoOptDefVal = "true"
			flag.DefValue = "false"
		}
	}
}

// flagName spells a field of the run description as the run command's
// flag (--vlan); an element's index is left out.
func flagName(path string) string {
	base, _ := spec.SplitIndex(path)
	if f, ok := spec.Lookup(base); ok && f.Flag != "" {
		return "--" + f.Flag
	}
	return base
}

// describe turns the flags into the run description: a pure function of
// the flags given (it reads only the files they name).
func (f *runFlags) describe() (spec.Run, error) { return f.describeWith(runner.ReadObject) }

// describeWith is describe with the object read by read.
func (f *runFlags) describeWith(read spec.ObjectReader) (spec.Run, error) {
	r, err := spec.Build(f.settings, read)
	if err != nil {
		return r, specUsageError(err, flagName)
	}
	return r, nil
}

// specUsageError spells every field error of err with spell, one a line;
// any other error is returned as it is.
func specUsageError(err error, spell func(string) string) error {
	fes := spec.FieldErrors(err)
	if len(fes) == 0 {
		return err
	}
	lines := make([]string, len(fes))
	for i, e := range fes {
		lines[i] = e.Text(spell)
	}
	return usagef("%s", strings.Join(lines, "\n"))
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	f := &runFlags{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Measure XDP programs in each mode on a veth pair",
		Long: `run builds a veth pair between two namespaces it makes (xdplab-<id>-gen and
xdplab-<id>-dut), loads the identical program in each XDP mode the DUT veth
supports, floods it from the generator namespace, and reports throughput,
loss and CPU cost per program and mode. Everything it made is removed when
it ends, also on error and on SIGINT or SIGTERM.

Built-in programs: ` + strings.Join(catalog.BuiltinNames(), ", ") + `. filter is a reference
workload: a DDoS filter whose rules come from --rules FILE; ratelimit a per-source token
bucket (--limit, --burst); flowstats per-flow telemetry; l4lb a Katran-style balancer
(--backends). A user's program: --object FILE.o
[--program NAME]; its figures then come from interface counters.

With --iface DUT --peer GEN it measures on two interfaces of this host
cabled back to back instead: it moves them into its namespaces for the run
(the generator sends on GEN, the program runs on DUT) and gives them back
afterwards with their addresses, routes, MTU, features, channels and ring
sizes as they were. While lent they carry nothing else, so the interface
with the default route is refused unless --force.

The results file (versioned JSON) goes to --output, by default
` + DefaultResultsDir + `/<programs>-<kernel>-<time>.json. Needs root.`,
		Example: `  sudo xdplab run --prog drop,pass,tx --duration 3s
  sudo xdplab run --prog drop --modes native --threads 2 --size 64
  sudo xdplab run --object my_prog.o --program xdp_main --json
  sudo xdplab run --prog drop --proto tcp-syn --flows 1000 --imix imix
  sudo xdplab run --prog tx --latency --rate 50%
  sudo xdplab run --prog filter --rules attack.rules --flows 256 --sources 256
  sudo xdplab run --prog ratelimit --limit 100k --burst 64 --rate 200k
  sudo xdplab run --pcap trace.pcapng --replay-timing capture --replay-speed 10
  sudo xdplab run --iface enp3s0f0 --peer enp3s0f1 --prog drop,tx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd, f, stdout, stderr)
		},
	}
	fl := c.Flags()
	f.addSpecFlags(fl)
	fl.StringVarP(&f.output, "output", "o", "", "results file (default "+DefaultResultsDir+"/<programs>-<kernel>-<time>.json)")
	fl.StringVar(&f.format, "format", "text", "output on stdout: text or json")
	fl.BoolVar(&f.json, "json", false, "shorthand for --format json")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no live line per second on stderr")
	fl.StringVar(&f.scenario, "scenario", "", "run a scenario file (see scenarios/library); it replaces the measurement flags, --output names a directory")
	fl.StringVar(&f.label, "label", "", "name the run in a history (a release, a commit: v1.4.0-rc1); xdplab history can order runs by it")
	return c
}

func (f *runFlags) config(stderr io.Writer) (runner.Config, error) {
	r, err := f.describe()
	if err != nil {
		return runner.Config{}, err
	}
	if err := checkLabel(f.label); err != nil {
		return runner.Config{}, err
	}
	cfg := runner.Config{Run: r, Command: append([]string{"xdplab"}, os.Args[1:]...), Version: toolVersion(), Stderr: stderr, Label: f.label}
	if !f.quiet {
		cfg.Live = stderr
	}
	return cfg, nil
}

func outputFormat(format string, asJSON bool, changed bool) (string, error) {
	if asJSON {
		if changed && format != "json" {
			return "", usagef("--json and --format %s disagree", format)
		}
		return "json", nil
	}
	switch format {
	case "text", "json":
		return format, nil
	}
	return "", usagef("--format %q: use text or json", format)
}

func runRun(cmd *cobra.Command, f *runFlags, stdout, stderr io.Writer) error {
	format, err := outputFormat(f.format, f.json, cmd.Flags().Changed("format"))
	if err != nil {
		return err
	}
	if f.scenario != "" {
		return runScenario(cmd, f, format, stdout, stderr)
	}
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	if cfg.RunID == "" {
		cfg.RunID = topology.NewRunID()
	}
	out := f.output
	if out == "" {
		out = defaultOutput(cfg)
	}
	if dir := filepath.Dir(out); dir != "." {
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			return usagef("--output %s: %s is not a directory", out, dir)
		}
	}
	// Before any measurement: a run without privileges, or one that
	// cannot write its results, is refused at once, not after the trials.
	if err := results.CheckOutputName(out); err != nil {
		return usagef("--output: %v", err)
	}
	if err := host.CheckPrivileges(); err != nil {
		return err
	}
	if err := results.CheckWritable(out); err != nil {
		return usagef("--output: %v", err)
	}
	run, err := runner.Run(cmd.Context(), cfg)
	if err != nil {
		if cmd.Context().Err() != nil {
			return interrupted(err, "everything xdplab made was removed and every setting restored, no results written")
		}
		// A setting this machine cannot give (the runner checks the host
		// where the run starts) is spelled as the flag.
		return specUsageError(err, flagName)
	}
	write := results.WriteFile // the file the user named
	if f.output == "" {
		write = results.WriteNew // a name of xdplab's never replaces another run's
	}
	if err := write(out, run); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "results written to %s\n", out)
	return writeOut(stdout, format == "json", run, func() error { return results.WriteTable(stdout, run) })
}

func defaultOutput(cfg runner.Config) string {
	name := strings.Join(cfg.Programs, "-")
	if cfg.Object != "" {
		name = strings.TrimSuffix(filepath.Base(cfg.Object), filepath.Ext(cfg.Object))
	}
	return filepath.Join(DefaultResultsDir, resultsName(name, time.Now(), cfg.RunID)+".json")
}

// resultsName is a results file's name of xdplab's, without ".json":
// what was measured, this kernel's release, the start to the second and
// the run's id, so that no two runs share one.
func resultsName(what string, start time.Time, runID string) string {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	return fmt.Sprintf("%s-%s-%s-%s", what, unix.ByteSliceToString(uts.Release[:]), start.UTC().Format("20060102T150405Z"), runID)
}

// checkLabel refuses a label a history could not show: at most 128
// printable characters.
func checkLabel(l string) error {
	if len(l) > 128 || strings.IndexFunc(l, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
		return usagef("--label %q: use at most 128 printable characters (a release or a commit)", l)
	}
	return nil
}
