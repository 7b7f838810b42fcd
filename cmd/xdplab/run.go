package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xdplab/xdplab/internal/xdp"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// DefaultResultsDir is where run writes results files unless --output says.
const DefaultResultsDir = "xdplab-results"

type runFlags struct {
	progs       []string
	object      string
	program     string
	modes       string
	work        string
	size        int
	ipv6        bool
	flows       int
	threads     int
	generator   string
	duration    time.Duration
	warmup      time.Duration
	trials      int
	progStats   time.Duration
	noCalibrate bool
	output      string
	format      string
	json        bool
	quiet       bool
	runID       string
	iface       string
	peer        string
	force       bool
	scenario    string
	rate        string
	search      bool
	pcap        string
	loops       int
	replayTime  string
	replaySpeed float64
	rewriteIPs  bool
	proto       string
	vlan        int
	imix        string
	malformed   string
	latency     bool
	sources     int
	rules       string
	limit       string
	burst       uint64
	backends    int
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	d := runner.Defaults()
	f := &runFlags{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Measure XDP programs in each mode on a veth pair",
		Long: `run builds a veth pair between two namespaces it makes (xdplab-<id>-gen and
xdplab-<id>-dut), loads the identical program in each XDP mode the DUT veth
supports, floods it from the generator namespace, and reports throughput,
loss and CPU cost per program and mode. Everything it made is removed when
it ends, also on error and on SIGINT or SIGTERM.

Built-in programs: ` + strings.Join(bpf.BuiltinNames(), ", ") + `. filter is a reference
workload: a DDoS filter whose rules come from --rules FILE; ratelimit a per-source token
bucket (--limit, --burst); flowstats per-flow telemetry; l4lb a Katran-style balancer
(--backends). A user's program: --object FILE.o
[--program NAME]; its figures then come from interface counters.

With --iface DUT --peer GEN it measures on two interfaces of this host
cabled back to back instead: it moves them into its namespaces for the run
(the generator sends on GEN, the program runs on DUT) and gives them back
afterwards with their addresses, MTU, GRO and channels as they were. Routes
through them are not restored, so the interface with the default route is
refused unless --force.

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
	fl.StringSliceVar(&f.progs, "prog", d.Programs, "built-in programs to measure, comma-separated: "+strings.Join(bpf.BuiltinNames(), ", "))
	fl.StringVar(&f.object, "object", "", "a BPF ELF object file holding your XDP program (instead of --prog)")
	fl.StringVar(&f.program, "program", "", "the program's name in --object (needed when it holds several)")
	fl.StringVar(&f.modes, "modes", "auto", "XDP modes, comma-separated: generic, native, offload, or auto (every mode the DUT supports)")
	fl.StringVar(&f.work, "work", "no-touch", "per-packet work of built-in programs: no-touch, read-data, parse-ip, swap-macs")
	fl.IntVar(&f.size, "size", d.FrameSize, "frame size in bytes with FCS (RFC 2544: 64, 128, 256, 512, 1024, 1280, 1518)")
	fl.BoolVar(&f.ipv6, "ipv6", false, "send UDP over IPv6 instead of IPv4")
	fl.IntVar(&f.flows, "flows", d.Flows, "number of flows (source address and port vary)")
	fl.IntVar(&f.sources, "sources", 0, "spread the flows over this many source addresses (default: up to 50000 flows an address)")
	fl.StringVar(&f.limit, "limit", "", "the ratelimit workload's limit: frames a second each source may send (100k)")
	fl.Uint64Var(&f.burst, "burst", 0, "the ratelimit workload's burst: frames a source may send at once")
	fl.IntVar(&f.backends, "backends", 0, "the l4lb workload's number of backends (default 8)")
	fl.StringVar(&f.rules, "rules", "", "the filter workload's rules file: one rule a line (drop src 198.18.0.128/25, drop proto tcp dport 80)")
	fl.IntVar(&f.threads, "threads", d.Threads, "generator threads, one per CPU and veth queue")
	fl.StringVar(&f.generator, "generator", "auto", "traffic generator: auto, live-frames, af-packet")
	fl.DurationVar(&f.duration, "duration", d.Duration, "length of each timed trial")
	fl.DurationVar(&f.warmup, "warmup", d.Warmup, "traffic before each trial's timed window")
	fl.IntVar(&f.trials, "trials", d.Trials, "trials per program and mode")
	fl.DurationVar(&f.progStats, "prog-stats", d.ProgStats, "length of the separate pass that measures program ns/pkt (0 skips it)")
	fl.BoolVar(&f.noCalibrate, "no-calibrate", false, "skip the calibration of the generator's own CPU cost")
	fl.StringVarP(&f.output, "output", "o", "", "results file (default "+DefaultResultsDir+"/<programs>-<kernel>-<time>.json)")
	fl.StringVar(&f.format, "format", "text", "output on stdout: text or json")
	fl.BoolVar(&f.json, "json", false, "shorthand for --format json")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no live line per second on stderr")
	fl.StringVar(&f.rate, "rate", "", "offered rate in frames/s (250k, 1.5M) or a share of the measured maximum (50%); default: as fast as it can")
	fl.StringVar(&f.proto, "proto", "udp", "transport of the frames: udp, tcp-syn (SYN segments) or icmp (echo requests)")
	fl.IntVar(&f.vlan, "vlan", 0, "tag the frames with this 802.1Q VLAN id (1-4094)")
	fl.StringVar(&f.imix, "imix", "", "send a mix of sizes instead of --size: imix (64:7,570:4,1518:1) or size:weight pairs")
	fl.StringVar(&f.malformed, "malformed", "", "make this share of the frames malformed (truncated headers, wrong IP length), such as 1%")
	fl.BoolVar(&f.latency, "latency", false, "stamp frames with the send time and measure one-way latency where they leave the DUT (tx, redirect)")
	fl.BoolVar(&f.search, "search", false, "after the trials, search the NDR (no loss) and PDR (loss <= 0.5%) rates: short paced trials, then a confirming one")
	fl.StringVar(&f.pcap, "pcap", "", "replay this capture (pcap or pcapng, Ethernet) instead of synthetic frames, in order from one thread (live frames, or AF_PACKET)")
	fl.IntVar(&f.loops, "loops", 1, "with --pcap: times the capture is replayed in each trial")
	fl.StringVar(&f.replayTime, "replay-timing", "top-speed", "with --pcap: top-speed, capture (the capture's own timestamps) or rate (--rate frames/s)")
	fl.BoolVar(&f.rewriteIPs, "pcap-rewrite-ips", false, "with --pcap: set the frames' IP addresses to the generator's and the DUT's (checksums updated)")
	fl.Float64Var(&f.replaySpeed, "replay-speed", 1, "with --replay-timing capture: multiplier of the capture's speed (2: twice as fast)")
	fl.StringVar(&f.scenario, "scenario", "", "run a scenario file (see scenarios/library); it replaces the measurement flags, --output names a directory")
	fl.StringVar(&f.iface, "iface", "", "measure on this interface of the host (with --peer) instead of a veth pair")
	fl.StringVar(&f.peer, "peer", "", "the host's interface cabled back to back to --iface; the generator sends on it")
	fl.BoolVar(&f.force, "force", false, "accept an interface that carries the default route")
	fl.StringVar(&f.runID, "run-id", "", "name the run's namespaces xdplab-<id>-* (default: random)")
	return c
}

func (f *runFlags) config(cmd *cobra.Command, stderr io.Writer) (runner.Config, error) {
	cfg := runner.Defaults()
	cfg.Programs = f.progs
	if f.object != "" {
		if cmd.Flags().Changed("prog") {
			return cfg, usagef("--prog and --object exclude each other")
		}
		if _, err := os.Stat(f.object); err != nil {
			return cfg, usagef("--object: %v", err)
		}
		cfg.Object, cfg.ObjectProgram = f.object, f.program
		cfg.Programs = nil
	} else if f.program != "" {
		return cfg, usagef("--program names a program in --object: give --object too")
	}
	if f.modes != "auto" {
		m, err := xdp.ParseModes(f.modes)
		if err != nil {
			return cfg, usagef("--modes: %v", err)
		}
		cfg.Modes = m
	}
	w, err := bpf.ParseWork(f.work)
	if err != nil {
		return cfg, usagef("--work: %v", err)
	}
	cfg.Work = w
	k, err := traffic.ParseKind(f.generator)
	if err != nil {
		return cfg, usagef("--generator: %v", err)
	}
	cfg.Generator = k
	cfg.FrameSize, cfg.IPv6, cfg.Flows, cfg.Threads = f.size, f.ipv6, f.flows, f.threads
	cfg.Duration, cfg.Warmup, cfg.Trials, cfg.ProgStats = f.duration, f.warmup, f.trials, f.progStats
	cfg.Calibrate = !f.noCalibrate
	cfg.RunID = f.runID
	cfg.DUTIface, cfg.PeerIface, cfg.Force = f.iface, f.peer, f.force
	if cfg.Proto, err = traffic.ParseProtocol(f.proto); err != nil {
		return cfg, usagef("--proto: %v", err)
	}
	if f.vlan < 0 || f.vlan > 4094 {
		return cfg, usagef("--vlan %d out of range: use 1 to 4094", f.vlan)
	}
	cfg.VLAN = uint16(f.vlan)
	if f.imix != "" {
		if cmd.Flags().Changed("size") {
			return cfg, usagef("--imix and --size exclude each other: the mix names its sizes")
		}
		if cfg.Mix, err = traffic.ParseMix(f.imix); err != nil {
			return cfg, usagef("--imix: %v", err)
		}
	}
	if f.malformed != "" {
		if cfg.MalformedPPM, err = traffic.ParseShare(f.malformed); err != nil {
			return cfg, usagef("--malformed: %v", err)
		}
	}
	cfg.Latency = f.latency
	cfg.Sources = f.sources
	if f.limit != "" {
		if cfg.Limit.PPS, err = traffic.ParseRate(f.limit); err != nil {
			return cfg, usagef("--limit: %v", err)
		}
	}
	cfg.Limit.Burst = f.burst
	cfg.Backends = f.backends
	if f.rules != "" {
		if cfg.Rules, err = bpf.ReadFilterRules(f.rules); err != nil {
			return cfg, usagef("--rules: %v", err)
		}
		cfg.RulesPath = f.rules
	}
	if f.pcap != "" {
		if cmd.Flags().Changed("warmup") {
			return cfg, usagef("--warmup: a replay sends the capture once a loop and has no warm-up; leave --warmup out")
		}
		if _, err := os.Stat(f.pcap); err != nil {
			return cfg, usagef("--pcap: %v", err)
		}
		cfg.Pcap, cfg.Loops = f.pcap, f.loops
		cfg.ReplayTiming, cfg.ReplaySpeed, cfg.PcapRewriteIPs = f.replayTime, f.replaySpeed, f.rewriteIPs
	} else if cmd.Flags().Changed("loops") || cmd.Flags().Changed("replay-timing") || cmd.Flags().Changed("replay-speed") || f.rewriteIPs {
		return cfg, usagef("--loops, --replay-timing, --replay-speed and --pcap-rewrite-ips replay --pcap: give --pcap too")
	}
	if f.search {
		sc := runner.DefaultSearch()
		cfg.Search = &sc
	}
	if f.rate != "" {
		r, pct, err := traffic.ParseRateOrShare(f.rate)
		if err != nil {
			return cfg, usagef("--rate: %v", err)
		}
		cfg.RatePPS, cfg.RatePercent = r, pct
	}
	if !f.quiet {
		cfg.Live = stderr
	}
	cfg.Command = append([]string{"xdplab"}, os.Args[1:]...)
	cfg.Version = toolVersion()
	if err := cfg.Validate(); err != nil {
		return cfg, &usageError{err}
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
	cfg, err := f.config(cmd, stderr)
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
	if err := runner.CheckPrivileges(); err != nil {
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
		return err
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
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	name := strings.Join(cfg.Programs, "-")
	if cfg.Object != "" {
		name = strings.TrimSuffix(filepath.Base(cfg.Object), filepath.Ext(cfg.Object))
	}
	return filepath.Join(DefaultResultsDir, fmt.Sprintf("%s-%s-%s-%s.json", name,
		unix.ByteSliceToString(uts.Release[:]), time.Now().UTC().Format("20060102T150405Z"), cfg.RunID))
}
