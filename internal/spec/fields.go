package spec

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/sshtarget"

	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/results"
)

// The fields' paths. A scenario file spells a field by its path unless
// the Field says otherwise.
const (
	FieldPrograms      = "programs"
	FieldObject        = "object"
	FieldObjectProgram = "object.program"
	FieldMapEntries    = "object.map_entries"
	FieldMapInit       = "object.map_init"
	FieldVariables     = "object.set"
	FieldTailCalls     = "object.tail_calls"
	FieldPin           = "object.pin"
	FieldModes         = "modes"
	FieldHooks         = "hooks"
	FieldDUT           = "topology.dut"
	FieldPeer          = "topology.peer"
	FieldForce         = "topology.force"
	FieldRemote        = "topology.remote"
	FieldRemoteXdplab  = "topology.remote_xdplab"
	FieldRemoteSSH     = "topology.remote_ssh_options"
	FieldRunID         = "run_id"
	FieldProtocol      = "traffic.protocol"
	FieldIP            = "traffic.ip"
	FieldDst           = "traffic.dst"
	FieldDstPort       = "traffic.dport"
	FieldVLAN          = "traffic.vlan"
	FieldSize          = "traffic.size"
	FieldIMIX          = "traffic.imix"
	FieldMalformed     = "traffic.malformed"
	FieldLatency       = "traffic.latency"
	FieldFlows         = "traffic.flows"
	FieldSources       = "traffic.sources"
	FieldThreads       = "traffic.threads"
	FieldGenerator     = "traffic.generator"
	FieldRate          = "traffic.rate"
	FieldWork          = "traffic.work"
	FieldPcap          = "traffic.pcap"
	FieldLoops         = "traffic.pcap.loops"
	FieldReplayTiming  = "traffic.pcap.timing"
	FieldReplaySpeed   = "traffic.pcap.speed"
	FieldRewriteIPs    = "traffic.pcap.rewrite_ips"
	FieldWarmup        = "trials.warmup"
	FieldDuration      = "trials.duration"
	FieldTrials        = "trials.count"
	FieldProgStats     = "trials.prog_stats"
	FieldInterleave    = "trials.interleave"
	FieldCalibrate     = "trials.calibrate"
	FieldSearch        = "trials.search"
	FieldRules         = "workload.rules"
	FieldLimit         = "workload.limit"
	FieldBurst         = "workload.burst"
	FieldBackends      = "workload.backends"
)

// Field is one setting of a run: how each front end names it, and how its
// text becomes a value.
type Field struct {
	Path string
	// Key is the scenario file's key where it differs from Path; "-": a
	// scenario cannot set it.
	Key string
	// Flag is the run command's flag (without dashes); "": none. FlagSets
	// makes it a boolean flag that sets the field to this text (--ipv6
	// sets traffic.ip to 6).
	Flag     string
	FlagSets string
	// Type names the value's kind in help: bool, int, duration, string,
	// strings (a list), float. Default is the default as text (for
	// help; a test holds it equal to Defaults).
	Type    string
	Default string
	Usage   string
	// List: every setting adds one element; the first replaces the
	// default, which reset clears. A flag's value is split at commas
	// unless Whole (an ssh option's value may hold commas).
	List  bool
	Whole bool
	reset func(r *Run)
	// File: the value names a file (a scenario resolves it against its
	// own directory).
	File bool
	set  func(r *Run, v string) error
	// record writes the resolved value into the results file's
	// configuration (Record); nil: the field is recorded elsewhere (the
	// topology) or not at all (force, run id).
	record func(r *Run, c *results.Config)
}

// ScenarioKey is how a scenario file spells the field.
func (f *Field) ScenarioKey() string {
	if f.Key != "" {
		return f.Key
	}
	return f.Path
}

// Fields lists every setting, in the order Build applies them.
func Fields() []Field { return fields }

// Lookup finds a field by its path.
func Lookup(path string) (*Field, bool) {
	for i := range fields {
		if fields[i].Path == path {
			return &fields[i], true
		}
	}
	return nil, false
}

// Index is the path of a list field's element: programs[1].
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// SplitIndex splits an element's path into the field's path and the
// "[i]" suffix (empty for a whole field).
func SplitIndex(path string) (field, index string) {
	if i := strings.IndexByte(path, '['); i > 0 && strings.HasSuffix(path, "]") {
		return path[:i], path[i:]
	}
	return path, ""
}

func wholeNumber(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%q: give a whole number", v)
	}
	return n, nil
}

func duration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like 2s, 500ms or 1m", v)
	}
	return d, nil
}

func boolean(v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Errorf("%q: give true or false", v)
	}
	return b, nil
}

func intField(p func(*Run) *int) func(*Run, string) error {
	return func(r *Run, v string) (err error) {
		*p(r), err = wholeNumber(v)
		return err
	}
}

func durationField(p func(*Run) *time.Duration) func(*Run, string) error {
	return func(r *Run, v string) (err error) {
		*p(r), err = duration(v)
		return err
	}
}

func boolField(p func(*Run) *bool) func(*Run, string) error {
	return func(r *Run, v string) (err error) {
		*p(r), err = boolean(v)
		return err
	}
}

func stringField(p func(*Run) *string) func(*Run, string) error {
	return func(r *Run, v string) error {
		*p(r) = v
		return nil
	}
}

var fields = []Field{
	{Path: FieldPrograms, Flag: "prog", Default: "drop", Type: "strings", List: true, reset: func(r *Run) { r.Programs = nil },
		Usage: "built-in programs to measure, comma-separated: " + strings.Join(catalog.BuiltinNames(), ", "),
		set: func(r *Run, v string) error {
			r.Programs = append(r.Programs, strings.TrimSpace(v))
			return nil
		},
		record: func(r *Run, c *results.Config) { c.Programs = r.Programs },
	},
	{Path: FieldObject, Key: "object.path", Flag: "object", Type: "string", File: true,
		Usage: "a BPF ELF object file holding your XDP program (instead of --prog)",
		set:   stringField(func(r *Run) *string { return &r.Object }),
		record: func(r *Run, c *results.Config) {
			if r.Object != "" {
				c.Programs = []string{r.Object + ":" + r.ObjectProgram}
			}
		},
	},
	{Path: FieldObjectProgram, Flag: "program", Type: "string",
		Usage: "the program's name in --object (needed when it holds several)",
		set:   stringField(func(r *Run) *string { return &r.ObjectProgram })},
	{Path: FieldMapEntries, Flag: "map-size", Type: "strings", List: true, reset: func(r *Run) { r.MapEntries, r.MapCPUs = nil, nil },
		Usage: "size a map of --object that its own loader sizes (max_entries 0 in the ELF): NAME=ENTRIES or NAME=cpus (the possible CPUs), comma-separated; '*=ENTRIES' or '*=cpus' sizes every one left",
		set: func(r *Run, v string) error {
			name, n, ok := strings.Cut(strings.TrimSpace(v), "=")
			name, n = strings.TrimSpace(name), strings.TrimSpace(n)
			entries, err := strconv.ParseUint(n, 10, 32)
			if !ok || name == "" || err != nil && n != "cpus" {
				return fmt.Errorf("%q: write a map's name and its entries or cpus, such as xdp_stats_map=64, rxq_stats=cpus or '*=cpus'", v)
			}
			if _, twice := r.MapEntries[name]; twice || slices.Contains(r.MapCPUs, name) {
				return fmt.Errorf("map %s sized twice", name)
			}
			if n == "cpus" {
				r.MapCPUs = append(r.MapCPUs, name)
				return nil
			}
			if r.MapEntries == nil {
				r.MapEntries = map[string]uint32{}
			}
			r.MapEntries[name] = uint32(entries)
			return nil
		},
		record: func(r *Run, c *results.Config) { c.MapEntries, c.MapCPUs = r.MapEntries, r.MapCPUs }},
	{Path: FieldMapInit, Flag: "map-init", Type: "string", File: true,
		Usage:  "fill maps of --object from this file (JSON or YAML: maps: NAME: [{key: ..., value: ...}]), typed by their BTF, after loading and before traffic",
		set:    stringField(func(r *Run) *string { return &r.MapInit }),
		record: func(r *Run, c *results.Config) { c.MapInit = r.MapInit }},
	{Path: FieldVariables, Flag: "set", Type: "strings", List: true, reset: func(r *Run) { r.Variables = nil },
		Usage: "set a global variable of --object (const volatile settings in .rodata, or .data, .bss) before loading: NAME=VALUE, typed by its BTF (integers, booleans, enums by name, byte arrays as text or 0x hex); a struct's members by NAME.member=VALUE, nested ones too",
		set: func(r *Run, v string) error {
			name, val, ok := strings.Cut(strings.TrimSpace(v), "=")
			if !ok || name == "" {
				return fmt.Errorf("%q: write a variable's name and its value, such as verdict=VERDICT_DROP", v)
			}
			if r.Variables == nil {
				r.Variables = map[string]string{}
			}
			if _, twice := r.Variables[name]; twice {
				return fmt.Errorf("variable %s set twice", name)
			}
			r.Variables[name] = val
			return nil
		},
		record: func(r *Run, c *results.Config) { c.Variables = r.Variables },
	},
	{Path: FieldTailCalls, Flag: "tail-call", Type: "strings", List: true, reset: func(r *Run) { r.TailCalls = nil },
		Usage: "fill a program array of --object with one of its XDP programs: MAP:INDEX=PROGRAM (slots the ELF fills itself need none)",
		set: func(r *Run, v string) error {
			slot, prog, ok := strings.Cut(strings.TrimSpace(v), "=")
			m, i, ok2 := strings.Cut(slot, ":")
			idx, err := strconv.ParseUint(i, 10, 32)
			if !ok || !ok2 || m == "" || prog == "" || err != nil {
				return fmt.Errorf("%q: write a program array, a slot and a program, such as jmp_table:0=xdp_parse", v)
			}
			r.TailCalls = append(r.TailCalls, catalog.TailCall{Map: m, Index: uint32(idx), Program: prog})
			return nil
		},
		record: func(r *Run, c *results.Config) {
			for _, tc := range r.TailCalls {
				c.TailCalls = append(c.TailCalls, tc.String())
			}
		},
	},
	{Path: FieldPin, Flag: "pin", Default: "ignore", Type: "string",
		Usage: "maps --object pins by name: ignore (load them unpinned) or scratch (pin them in a bpffs of the run's own, gone with it)",
		set: func(r *Run, v string) error {
			switch v {
			case "ignore":
				r.PinScratch = false
			case "scratch":
				r.PinScratch = true
			default:
				return fmt.Errorf("%q: use ignore or scratch", v)
			}
			return nil
		},
		record: func(r *Run, c *results.Config) {
			if r.PinScratch {
				c.Pin = "scratch"
			}
		},
	},
	{Path: FieldModes, Flag: "modes", Default: "auto", Type: "strings", List: true, reset: func(r *Run) { r.Modes = nil },
		Usage: "XDP modes, comma-separated: generic, native, offload, or auto (every mode the DUT supports)",
		set: func(r *Run, v string) error {
			if strings.TrimSpace(v) == "auto" {
				return nil
			}
			m, err := xdpmode.Parse(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%w (or auto)", err)
			}
			r.Modes = append(r.Modes, m)
			return nil
		}},
	{Path: FieldHooks, Flag: "hooks", Type: "strings", List: true, reset: func(r *Run) { r.Modes, r.AllHooks, r.ByHook = nil, false, true },
		Usage: "where the program inspects frames, comma-separated: xdp-generic, xdp-native, xdp-offload, tc, socket, afpacket, afxdp, or all (every XDP mode the DUT supports and every other hook); instead of --modes",
		set: func(r *Run, v string) error {
			r.ByHook = true
			if strings.TrimSpace(v) == "all" {
				r.AllHooks = true
				return nil
			}
			m, err := xdpmode.Parse(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%w (or all)", err)
			}
			r.Modes = append(r.Modes, m)
			return nil
		}},
	{Path: FieldDUT, Flag: "iface", Type: "string",
		Usage: "measure on this interface of the host (with --peer) instead of a veth pair",
		set:   stringField(func(r *Run) *string { return &r.DUTIface })},
	{Path: FieldPeer, Flag: "peer", Type: "string",
		Usage: "the host's interface cabled back to back to --iface; the generator sends on it",
		set:   stringField(func(r *Run) *string { return &r.PeerIface })},
	{Path: FieldRemote, Flag: "remote", Type: "string",
		Usage: "the generator's host, ssh://[user@]host[:port]: --peer then names its port there, cabled to --iface here; xdplab runs there as an agent over SSH",
		set: func(r *Run, v string) error {
			r.Remote = strings.TrimSpace(v)
			if r.Remote == "" {
				return nil
			}
			_, err := sshtarget.Parse(r.Remote)
			return err
		}},
	{Path: FieldRemoteXdplab, Key: "-", Flag: "remote-xdplab", Type: "string",
		Usage: "xdplab's path on the --remote host (default: xdplab on its PATH when it is this release, else this binary, shipped for the run)",
		set:   stringField(func(r *Run) *string { return &r.RemoteXdplab })},
	{Path: FieldRemoteSSH, Key: "-", Flag: "remote-ssh-option", Type: "strings", List: true, Whole: true, reset: func(r *Run) { r.RemoteSSHOptions = nil },
		Usage: "an ssh option for the --remote session, Name=value as ssh -o takes it (repeat for several; they come before xdplab's own, so they win)",
		set: func(r *Run, v string) error {
			if err := sshtarget.CheckOptions([]string{v}); err != nil {
				return err
			}
			r.RemoteSSHOptions = append(r.RemoteSSHOptions, v)
			return nil
		}},
	{Path: FieldForce, Key: "-", Flag: "force", Type: "bool",
		Usage: "accept an interface that carries the default route",
		set:   boolField(func(r *Run) *bool { return &r.Force })},
	{Path: FieldRunID, Key: "-", Flag: "run-id", Type: "string",
		Usage: "name the run's namespaces xdplab-<id>-* (default: random)",
		set:   stringField(func(r *Run) *string { return &r.RunID })},
	{Path: FieldProtocol, Flag: "proto", Default: "udp", Type: "string",
		Usage: "transport of the frames: udp, tcp-syn (SYN segments) or icmp (echo requests)",
		set: func(r *Run, v string) error {
			p, err := stream.ParseProtocol(v)
			if err != nil {
				return fmt.Errorf("%q: use udp, tcp-syn or icmp", v)
			}
			r.Proto = p
			return nil
		},
		record: func(r *Run, c *results.Config) {
			c.Protocol = cmp.Or(string(r.Proto), string(stream.UDP))
		},
	},
	{Path: FieldIP, Flag: "ipv6", FlagSets: "6", Type: "bool",
		Usage: "send the frames over IPv6 instead of IPv4",
		set: func(r *Run, v string) error {
			switch strings.TrimSpace(v) {
			case "4":
				r.IPv6 = false
			case "6":
				r.IPv6 = true
			default:
				return fmt.Errorf("%s: use 4 or 6", v)
			}
			return nil
		},
		record: func(r *Run, c *results.Config) {
			c.IPVersion = 4
			if r.IPv6 {
				c.IPVersion = 6
			}
		},
	},
	{Path: FieldDst, Flag: "dst", Type: "string",
		Usage: "send the frames to this address instead of the DUT port's (198.18.0.0/15 or 2001:2::/48; any address on NICs you name): a VIP a program is configured for",
		set: func(r *Run, v string) (err error) {
			if r.Dst, err = netip.ParseAddr(strings.TrimSpace(v)); err != nil {
				return fmt.Errorf("%q is not an IPv4 or IPv6 address", v)
			}
			return nil
		},
		record: func(r *Run, c *results.Config) {
			if r.Dst.IsValid() {
				c.Dst = r.Dst.String()
			}
		}},
	{Path: FieldDstPort, Flag: "dport", Type: "int",
		Usage: "send the frames to this UDP or TCP port (default 9, discard)",
		set: func(r *Run, v string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
			if err != nil || n == 0 {
				return fmt.Errorf("%q: give a port, 1 to 65535", v)
			}
			r.DstPort = uint16(n)
			return nil
		},
		record: func(r *Run, c *results.Config) { c.DstPort = int(r.DstPort) }},
	{Path: FieldVLAN, Flag: "vlan", Type: "int",
		Usage: "tag the frames with this 802.1Q VLAN id (1-4094)",
		set: func(r *Run, v string) error {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 16)
			if err != nil {
				return errors.New(vlanRange(v))
			}
			r.VLAN = uint16(n)
			return nil
		},
		record: func(r *Run, c *results.Config) { c.VLAN = int(r.VLAN) },
	},
	{Path: FieldSize, Key: "traffic.sizes", Flag: "size", Default: "64", Type: "int",
		Usage:  "frame size in bytes with FCS (RFC 2544: 64, 128, 256, 512, 1024, 1280, 1518)",
		set:    intField(func(r *Run) *int { return &r.FrameSize }),
		record: func(r *Run, c *results.Config) { c.FrameSize = r.FrameSize },
	},
	{Path: FieldIMIX, Flag: "imix", Type: "string",
		Usage: "send a mix of sizes instead of --size: imix (64:7,570:4,1518:1) or size:weight pairs",
		set: func(r *Run, v string) (err error) {
			r.Mix, err = stream.ParseMix(v)
			return err
		},
		record: func(r *Run, c *results.Config) {
			if len(r.Mix) > 0 {
				c.IMIX = r.Mix.String()
			}
		},
	},
	{Path: FieldMalformed, Flag: "malformed", Type: "string",
		Usage: "make this share of the frames malformed (truncated headers, wrong IP length), such as 1%",
		set: func(r *Run, v string) (err error) {
			r.MalformedPPM, err = stream.ParseShare(v)
			return err
		},
		record: func(r *Run, c *results.Config) { c.MalformedPPM = r.MalformedPPM },
	},
	{Path: FieldLatency, Flag: "latency", Type: "bool",
		Usage:  "stamp frames with the send time and measure one-way latency where they leave the DUT (tx, redirect)",
		set:    boolField(func(r *Run) *bool { return &r.Latency }),
		record: func(r *Run, c *results.Config) { c.Latency = r.Latency },
	},
	{Path: FieldFlows, Flag: "flows", Default: "1", Type: "int",
		Usage:  "number of flows (source address and port vary)",
		set:    intField(func(r *Run) *int { return &r.Flows }),
		record: func(r *Run, c *results.Config) { c.Flows = r.Flows },
	},
	{Path: FieldSources, Flag: "sources", Type: "int",
		Usage:  "spread the flows over this many source addresses (default: up to 50000 flows an address)",
		set:    intField(func(r *Run) *int { return &r.Sources }),
		record: func(r *Run, c *results.Config) { c.Sources = r.Sources },
	},
	{Path: FieldThreads, Flag: "threads", Default: "1", Type: "int",
		Usage:  "generator threads, one per CPU and veth queue",
		set:    intField(func(r *Run) *int { return &r.Threads }),
		record: func(r *Run, c *results.Config) { c.Threads = r.Threads },
	},
	{Path: FieldGenerator, Flag: "generator", Default: "auto", Type: "string",
		Usage: "traffic generator: auto, live-frames, af-packet",
		set: func(r *Run, v string) (err error) {
			r.Generator, err = stream.ParseKind(v)
			return err
		}},
	{Path: FieldRate, Flag: "rate", Type: "string",
		Usage: "offered rate in frames/s (250k, 1.5M) or a share of the measured maximum (50%); default: as fast as it can",
		set: func(r *Run, v string) (err error) {
			r.RatePPS, r.RatePercent, err = stream.ParseRateOrShare(v)
			return err
		},
		record: func(r *Run, c *results.Config) { c.RatePPS, c.RatePercent = r.RatePPS, r.RatePercent },
	},
	{Path: FieldWork, Flag: "work", Default: "no-touch", Type: "string",
		Usage: "per-packet work of built-in programs: no-touch, read-data, parse-ip, swap-macs",
		set: func(r *Run, v string) (err error) {
			r.Work, err = catalog.ParseWork(v)
			return err
		},
		record: func(r *Run, c *results.Config) { c.Work = r.Work.String() },
	},
	{Path: FieldPcap, Key: "traffic.pcap.path", Flag: "pcap", Type: "string", File: true,
		Usage: "replay this capture (pcap or pcapng, Ethernet) instead of synthetic frames, in order from one thread (live frames, or AF_PACKET)",
		set:   stringField(func(r *Run) *string { return &r.Pcap }),
		record: func(r *Run, c *results.Config) {
			if r.Pcap != "" {
				c.Pcap, c.Loops, c.ReplayRewriteIPs = r.Pcap, r.Loops, r.PcapRewriteIPs
				c.ReplayTiming = cmp.Or(r.ReplayTiming, "top-speed")
			}
			if r.Pcap != "" && r.ReplayTiming == "capture" {
				c.ReplaySpeed = cmp.Or(max(r.ReplaySpeed, 0), 1)
			}
		},
	},
	{Path: FieldLoops, Flag: "loops", Default: "1", Type: "int",
		Usage: "with --pcap: times the capture is replayed in each trial",
		set:   intField(func(r *Run) *int { return &r.Loops })},
	{Path: FieldReplayTiming, Flag: "replay-timing", Default: "top-speed", Type: "string",
		Usage: "with --pcap: top-speed, capture (the capture's own timestamps) or rate (--rate frames/s)",
		set:   stringField(func(r *Run) *string { return &r.ReplayTiming })},
	{Path: FieldReplaySpeed, Flag: "replay-speed", Default: "1", Type: "float",
		Usage: "with --replay-timing capture: multiplier of the capture's speed (2: twice as fast)",
		set: func(r *Run, v string) (err error) {
			if r.ReplaySpeed, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
				return fmt.Errorf("%q: give a number (1: the capture's own timing)", v)
			}
			return nil
		}},
	{Path: FieldRewriteIPs, Flag: "pcap-rewrite-ips", Type: "bool",
		Usage: "with --pcap: set the frames' IP addresses to the generator's and the DUT's (checksums updated)",
		set:   boolField(func(r *Run) *bool { return &r.PcapRewriteIPs })},
	{Path: FieldWarmup, Flag: "warmup", Default: "1s", Type: "duration",
		Usage:  "traffic before each trial's timed window",
		set:    durationField(func(r *Run) *time.Duration { return &r.Warmup }),
		record: func(r *Run, c *results.Config) { c.WarmupS = r.Warmup.Seconds() },
	},
	{Path: FieldDuration, Flag: "duration", Default: "5s", Type: "duration",
		Usage:  "length of each timed trial",
		set:    durationField(func(r *Run) *time.Duration { return &r.Duration }),
		record: func(r *Run, c *results.Config) { c.DurationS = r.Duration.Seconds() },
	},
	{Path: FieldTrials, Flag: "trials", Default: "3", Type: "int",
		Usage:  "trials per program and mode",
		set:    intField(func(r *Run) *int { return &r.Trials }),
		record: func(r *Run, c *results.Config) { c.Trials = r.Trials },
	},
	{Path: FieldInterleave, Flag: "interleave", Type: "bool",
		Usage:  "run trial 1 of every program and mode, then trial 2, ... (each attached anew), so that the machine's drift falls on every variant alike",
		set:    boolField(func(r *Run) *bool { return &r.Interleave }),
		record: func(r *Run, c *results.Config) { c.Interleave = r.Interleave }},
	{Path: FieldProgStats, Flag: "prog-stats", Default: "1s", Type: "duration",
		Usage:  "length of the separate pass that measures program ns/pkt (0 skips it)",
		set:    durationField(func(r *Run) *time.Duration { return &r.ProgStats }),
		record: func(r *Run, c *results.Config) { c.ProgStatsS = r.ProgStats.Seconds() },
	},
	{Path: FieldCalibrate, Flag: "no-calibrate", FlagSets: "false", Type: "bool",
		Usage: "skip the calibration of the generator's own CPU cost",
		set:   boolField(func(r *Run) *bool { return &r.Calibrate })},
	{Path: FieldSearch, Flag: "search", Type: "bool",
		Usage: "after the trials, search the NDR (no loss) and PDR (loss <= 0.5%) rates: short paced trials, then a confirming one",
		set: func(r *Run, v string) error {
			on, err := boolean(v)
			r.Search = nil
			if on {
				s := DefaultSearch()
				r.Search = &s
			}
			return err
		}},
	{Path: FieldRules, Flag: "rules", Type: "string", File: true,
		Usage:  "the filter workload's rules file: one rule a line (drop src 198.18.0.128/25, drop proto tcp dport 80)",
		set:    stringField(func(r *Run) *string { return &r.RulesPath }),
		record: func(r *Run, c *results.Config) { c.Rules = r.RulesPath },
	},
	{Path: FieldLimit, Flag: "limit", Type: "string",
		Usage: "the ratelimit workload's limit: frames a second each source may send (100k)",
		set: func(r *Run, v string) (err error) {
			r.Limit.PPS, err = stream.ParseRate(v)
			return err
		},
		record: func(r *Run, c *results.Config) { c.LimitPPS = r.Limit.PPS },
	},
	{Path: FieldBurst, Flag: "burst", Type: "int",
		Usage: "the ratelimit workload's burst: frames a source may send at once",
		set: func(r *Run, v string) (err error) {
			if r.Limit.Burst, err = strconv.ParseUint(strings.TrimSpace(v), 10, 64); err != nil {
				return fmt.Errorf("%q: give a whole number of frames", v)
			}
			return nil
		},
		record: func(r *Run, c *results.Config) { c.Burst = r.Limit.Burst },
	},
	{Path: FieldBackends, Flag: "backends", Type: "int",
		Usage: "the l4lb workload's number of backends (default 8)",
		set:   intField(func(r *Run) *int { return &r.Backends }),
		record: func(r *Run, c *results.Config) {
			if slices.Contains(r.Programs, "l4lb") {
				c.Backends = cmp.Or(r.Backends, DefaultBackends)
			}
		},
	},
}

// Setting is one field's value as a front end read it.
type Setting struct {
	Path  string
	Value string
}

// An ObjectReader reads a user's object as the loader will, loading
// nothing (runner.ReadObject): whether the program it names is there, and
// every map sized. The run description is data and links no ELF reader,
// so the front end that has one gives it.
type ObjectReader func(*Run) error

// Build applies settings to the defaults in order, reads the files they
// name (the filter's rules; the capture is checked, the object is there
// and, given read, read with it), validates the result, and resolves
// what the settings leave to be derived (see Run.resolve). A setting of a
// list field adds one element; the first replaces the default. The error
// is Errors, every mistake found.
func Build(settings []Setting, read ...ObjectReader) (Run, error) {
	r := Defaults()
	set, es := apply(&r, settings)
	es = append(es, presence(&r, set)...)
	c, fes := readFiles(&r, read)
	es = append(es, fes...)
	es = es.with(r.Validate())
	r.Resolve()
	r.resolveCapture(c)
	return r, es.err()
}

// Resolve sets what the description derives from its stream: the frame
// size of a mix (its mean, rounded). Build resolves every derived value
// once, in one place (with resolveCapture), and the runner and the
// results file take them as they are; code that sets a Mix by hand (the
// qualification's IMIX trial) resolves again.
func (r *Run) Resolve() {
	if len(r.Mix) > 0 {
		r.FrameSize = int(math.Round(r.Mix.MeanSize()))
	}
}

// resolveCapture sets what a replay derives from its capture c: the
// frame size (its mean frame size with FCS, within the stream's bounds),
// no warm-up (it sends the capture once a loop), and the generator where
// the capture holds more frames than the live-frames replay map.
func (r *Run) resolveCapture(c *stream.Capture) {
	if c == nil {
		return
	}
	r.Warmup = 0
	if len(c.Frames) > catalog.MaxReplayFrames && r.Generator == "" {
		r.Generator = stream.AFPacket
	}
	r.FrameSize = min(max(c.MeanSize(), stream.MinFrameSize(false)), stream.MaxFrameSize)
}

// with adds the field errors of err on fields that have none yet: a
// field whose setting failed is not reported again for its default.
func (es Errors) with(err error) Errors {
	has := map[string]bool{}
	for _, e := range es {
		f, _ := SplitIndex(e.Field)
		has[f] = true
	}
	for _, e := range FieldErrors(err) {
		if f, _ := SplitIndex(e.Field); !has[f] {
			es = append(es, e)
		}
	}
	return es
}

// Apply applies more settings to a run Build made (the command line's
// --run-id and --force to a scenario's runs) and validates it again.
func Apply(r *Run, settings []Setting) error {
	if _, es := apply(r, settings); len(es) > 0 {
		return es
	}
	return r.Validate()
}

// apply sets each setting's field and says which fields were set.
func apply(r *Run, settings []Setting) (map[string]bool, Errors) {
	var es Errors
	set := map[string]bool{}
	elems := map[string]int{}
	for _, s := range settings {
		f, ok := Lookup(s.Path)
		if !ok {
			es = append(es, fieldErr(s.Path, "not a setting of a run"))
			continue
		}
		at := f.Path
		if f.List {
			if !set[f.Path] {
				f.reset(r)
			}
			at = Index(f.Path, elems[f.Path])
			elems[f.Path]++
		}
		set[f.Path] = true
		if err := f.set(r, s.Value); err != nil {
			es = append(es, fieldCause(at, err))
		}
	}
	return set, es
}

// presence checks what depends on whether a setting was given at all.
func presence(r *Run, set map[string]bool) Errors {
	var es Errors
	add := func(field string, parts ...any) { es = append(es, fieldErr(field, parts...)) }
	if set[FieldObject] {
		if set[FieldPrograms] {
			add(FieldObject, "programs and an object exclude each other: measure built-ins or one object (leave out ", Ref(FieldPrograms), ")")
		}
		r.Programs = nil // the object replaces the default program
	}
	if set[FieldModes] && set[FieldHooks] {
		add(FieldHooks, "hooks and ", Ref(FieldModes), " name the same thing: give one (hooks takes XDP's modes as xdp-generic, xdp-native, xdp-offload)")
	}
	if set[FieldIMIX] && set[FieldSize] {
		add(FieldIMIX, "an IMIX and ", Ref(FieldSize), " exclude each other: the mix names its sizes")
	}
	if set[FieldPcap] {
		if set[FieldWarmup] {
			add(FieldWarmup, "a replay sends the capture once a loop and has no warm-up: leave ", Ref(FieldWarmup), " out")
		}
		if set[FieldSize] {
			add(FieldPcap, "a replay sends the capture's frames: leave out ", Ref(FieldSize))
		}
	} else {
		for _, p := range []string{FieldLoops, FieldReplayTiming, FieldReplaySpeed, FieldRewriteIPs} {
			if set[p] {
				add(p, "replays a capture: give ", Ref(FieldPcap), " too")
			}
		}
	}
	return es
}

// readFiles reads the filter's rules and checks that the object and the
// capture are there and readable as one (the object by read, if given);
// it returns the capture it read.
func readFiles(r *Run, read []ObjectReader) (*stream.Capture, Errors) {
	var es Errors
	if r.RulesPath != "" {
		rules, err := catalog.ReadFilterRules(r.RulesPath)
		if err != nil {
			es = append(es, fieldCause(FieldRules, err))
		}
		r.Rules = rules
	}
	if r.Object != "" {
		if _, err := os.Stat(r.Object); err != nil {
			es = append(es, fieldErr(FieldObject, fmt.Sprintf("%s: %v", r.Object, errors.Unwrap(err))))
		} else {
			for _, rd := range read {
				if err := rd(r); err != nil {
					es = append(es, objectError(err))
					break
				}
			}
		}
	}
	var c *stream.Capture
	if r.Pcap != "" {
		var err error
		if c, err = stream.ReadCapture(r.Pcap, MaxCaptureFrame); err != nil {
			es = append(es, fieldCause(FieldPcap, err))
		}
	}
	return c, es
}

// objectError is a user's object refused before the run: a map its
// loader sizes, or a program to choose, named with the settings that fix
// it.
func objectError(err error) *FieldError {
	var unsized *catalog.UnsizedMapsError
	if errors.As(err, &unsized) {
		var fix []string
		for _, m := range unsized.Maps {
			fix = append(fix, m+"=N")
		}
		e := fieldErr(FieldMapEntries, fmt.Sprintf("map(s) %s of %s have max_entries 0: the object's own loader sizes them at load time; give their entries with ",
			strings.Join(unsized.Maps, ", "), unsized.Object), Ref(FieldMapEntries), " "+strings.Join(fix, ","),
			" (NAME=cpus for the possible CPUs, or '*=N' / '*=cpus' for every one at once)")
		e.Err = err
		return e
	}
	var variable *catalog.VariableError
	if errors.As(err, &variable) {
		e := fieldErr(FieldVariables, fmt.Sprintf("%s=%s: %s", variable.Name, variable.Value, variable.Why))
		e.Err = err
		return e
	}
	var choice *catalog.ProgramChoiceError
	if errors.As(err, &choice) && choice.NoXDP() {
		e := fieldErr(FieldObject, fmt.Sprintf("%s holds no XDP program (it holds %s): xdplab loads XDP programs", choice.Object, choice.Holds()))
		e.Err = err
		return e
	}
	if errors.As(err, &choice) {
		list := strings.Join(choice.Programs, ", ")
		e := fieldErr(FieldObjectProgram, fmt.Sprintf("%s has no XDP program %q: its XDP programs are %s", choice.Object, choice.Name, list))
		if choice.Name == "" {
			e = fieldErr(FieldObjectProgram, fmt.Sprintf("%s holds %d XDP programs (%s): choose one with ", choice.Object, len(choice.Programs), list), Ref(FieldObjectProgram))
		}
		e.Err = err
		return e
	}
	return fieldCause(FieldObject, err)
}
