package runner

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"slices"
	"time"

	"github.com/xdplab/xdplab/internal/xdp"

	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/topology"
)

// Config is what to measure.
type Config struct {
	// Programs are built-in program names; ignored when Object is set.
	Programs []string
	// Object and ObjectProgram name a user's XDP object and program.
	Object        string
	ObjectProgram string
	// Modes to run; empty runs every mode the DUT supports.
	Modes []xdp.Mode
	Work  bpf.Work

	FrameSize int // bytes with FCS; with a Mix, set to its mean (rounded) by Run
	IPv6      bool
	Flows     int
	// Sources spreads the flows over this many source addresses (0: as
	// few as the ports allow, 50000 flows an address).
	Sources int
	// Workload settings: the filter's rules (RulesPath names their file).
	Rules     []bpf.FilterRule
	RulesPath string
	// Limit is the ratelimit workload's per-source limit.
	Limit bpf.RateLimit
	// Backends is the number of the l4lb workload's backends (0: 8).
	Backends int
	// The stream: transport, an 802.1Q tag (0: none), an IMIX instead of
	// one frame size, a share of malformed frames per million, and send
	// times in the payload for latency (tx and redirect only: a sink on
	// the far side reads them).
	Proto        traffic.Protocol
	VLAN         uint16
	Mix          traffic.Mix
	MalformedPPM uint32
	Latency      bool
	Threads      int
	// Generator is LiveFrames, AFPacket, or "" to pick live frames where
	// the kernel has them.
	Generator traffic.Kind
	// RatePPS is the offered rate (live frames); 0: as fast as it can. A
	// trial whose offered rate falls more than 2% short is flagged.
	RatePPS uint64
	// RatePercent paces each program and mode to this share (0-100] of
	// the DUT throughput an unpaced trial measured just before.
	RatePercent float64
	// Search, when set, runs the NDR/PDR search after the trials.
	Search *Search
	// Pcap replays a capture (pcap or pcapng of Ethernet frames) instead
	// of synthetic frames, Loops times a trial, through AF_PACKET from one
	// thread, with the frames' MACs set to the topology's. No warm-up.
	Pcap  string
	Loops int
	// ReplayTiming paces a replay: "" or top-speed, capture (the capture's
	// own timestamps, divided by ReplaySpeed), or rate (RatePPS).
	ReplayTiming string
	ReplaySpeed  float64
	// PcapRewriteIPs sets the replayed frames' IP addresses to the
	// topology's (generator to DUT), checksums updated.
	PcapRewriteIPs bool

	Warmup    time.Duration
	Duration  time.Duration
	Trials    int
	ProgStats time.Duration // the program run-time pass; 0 skips it
	// Calibrate measures the generator's own cost against a minimal sink.
	Calibrate bool

	// DUTIface and PeerIface name two interfaces of this host cabled back
	// to back (--iface, --peer): xdplab moves them into its namespaces for
	// the run and gives them back as they were. Empty: a veth pair.
	DUTIface, PeerIface string
	// Force accepts an interface that carries the default route.
	Force bool

	RunID   string
	Live    io.Writer // one line per second; nil for none
	Command []string  // recorded in the results
	Version string    // xdplab's version, recorded in the results
}

// Defaults are the values `xdplab run` starts from.
func Defaults() Config {
	return Config{
		Programs:  []string{"drop"},
		FrameSize: 64,
		Flows:     1,
		Threads:   1,
		Warmup:    time.Second,
		Duration:  5 * time.Second,
		Trials:    3,
		ProgStats: time.Second,
		Calibrate: true,
		Loops:     1,
	}
}

// Limits on durations: sampling is once a second.
const (
	MinDuration = time.Second
	MaxDuration = time.Hour
	MaxTrials   = 1000
	MaxRatePPS  = 1e9
)

// Validate checks the configuration before anything touches the kernel.
func (c *Config) Validate() error {
	if c.Object == "" {
		if len(c.Programs) == 0 {
			return errors.New("no program: name one with --prog or --object")
		}
		seen := map[string]bool{}
		for _, p := range c.Programs {
			if _, err := bpf.LookupBuiltin(p); err != nil {
				return err
			}
			if seen[p] {
				return fmt.Errorf("program %q named twice", p)
			}
			seen[p] = true
		}
	}
	if c.Work > bpf.SwapMACs {
		return fmt.Errorf("unknown packet work %d", c.Work)
	}
	if _, err := traffic.ParseProtocol(string(c.Proto)); err != nil {
		return fmt.Errorf("--proto: %w", err)
	}
	if c.VLAN > 4094 {
		return fmt.Errorf("--vlan %d out of range: use 1 to 4094 (0: untagged)", c.VLAN)
	}
	spec := c.streamSpec()
	if len(c.Mix) > 0 {
		if err := c.Mix.Validate(spec); err != nil {
			return fmt.Errorf("--imix: %w", err)
		}
	} else if lo, hi := spec.MinSize(), spec.MaxSize(); c.FrameSize < lo || c.FrameSize > hi {
		return fmt.Errorf("--size %d out of range: %s needs %d to %d bytes (frame size with FCS, as in RFC 2544)",
			c.FrameSize, spec.Describe(), lo, hi)
	}
	if c.MalformedPPM > traffic.MaxMalformedPPM {
		return fmt.Errorf("--malformed %d ppm out of range: at most 100%%", c.MalformedPPM)
	}
	if c.Latency {
		if c.Object != "" {
			return errors.New("--latency needs to know where frames leave the DUT: use the built-in tx or redirect, not --object")
		}
		for _, p := range c.Programs {
			if p != "tx" && p != "redirect" {
				return fmt.Errorf("--latency measures frames that come back out of the DUT: --prog %s keeps them; use tx or redirect", p)
			}
		}
	}
	if c.RatePercent != 0 {
		if !(c.RatePercent >= 0 && c.RatePercent <= 100) {
			return fmt.Errorf("--rate %g%% out of range: give a share from above 0 to 100%% of the measured maximum", c.RatePercent)
		}
		if c.RatePPS > 0 || c.Search != nil || c.Generator == traffic.AFPacket {
			return errors.New("--rate as a share paces the live-frames generator: leave out --search and --generator af-packet")
		}
	}
	if c.Flows < 1 || c.Flows > traffic.MaxFlows {
		return fmt.Errorf("--flows %d out of range: use 1 to %d", c.Flows, traffic.MaxFlows)
	}
	if c.Sources < 0 || c.Sources > c.Flows {
		return fmt.Errorf("--sources %d out of range: use 1 to the number of flows (%d)", c.Sources, c.Flows)
	}
	for _, p := range c.Programs {
		if p == "filter" && len(c.Rules) == 0 {
			return errors.New("--prog filter drops by rules: give them with --rules FILE (one a line, such as: drop src 198.18.0.128/25)")
		}
		if p == "ratelimit" && (c.Limit.PPS == 0 || c.Limit.Burst == 0) {
			return errors.New("--prog ratelimit needs --limit (frames/s a source may send, such as 100k) and --burst (frames at once, such as 64)")
		}
	}
	if slices.Contains(c.Programs, "l4lb") {
		if c.Backends < 0 || c.Backends > 250 {
			return fmt.Errorf("--backends %d out of range: use 1 to 250", c.Backends)
		}
		if c.Proto == traffic.ICMP {
			return errors.New("--prog l4lb balances UDP and TCP flows to a VIP port: use --proto udp or tcp-syn")
		}
		outer := 20
		if c.IPv6 {
			outer = 40
		}
		if max := traffic.MaxFrameSize - outer; c.FrameSize > max || len(c.Mix) > 0 && c.Mix.Largest() > max {
			return fmt.Errorf("--size: l4lb adds a %d-byte outer header and sends the frame back on a 1500-byte MTU: use frames of at most %d bytes", outer, max)
		}
	} else if c.Backends != 0 {
		return errors.New("--backends are the l4lb workload's: add --prog l4lb")
	}
	if c.Limit.PPS > 1e9 || c.Limit.Burst > 1e6 {
		return fmt.Errorf("--limit %d or --burst %d out of range: at most 1G frames/s and 1M frames", c.Limit.PPS, c.Limit.Burst)
	}
	if (c.Limit.PPS != 0 || c.Limit.Burst != 0) && !slices.Contains(c.Programs, "ratelimit") {
		return errors.New("--limit and --burst are the ratelimit workload's: add --prog ratelimit")
	}
	if len(c.Rules) > 0 && !slices.Contains(c.Programs, "filter") {
		return errors.New("--rules are the filter's: add --prog filter")
	}
	if n := usableCPUs(); c.Threads < 1 || c.Threads > len(n) {
		return fmt.Errorf("--threads %d out of range: this machine lets xdplab use %d CPUs (one generator thread per CPU and queue)", c.Threads, len(n))
	}
	if c.Duration < MinDuration || c.Duration > MaxDuration {
		return fmt.Errorf("--duration %s out of range: use %s to %s (counters are sampled once a second)", c.Duration, MinDuration, MaxDuration)
	}
	if c.Warmup < 0 || c.Warmup > MaxDuration {
		return fmt.Errorf("--warmup %s out of range: use 0 to %s", c.Warmup, MaxDuration)
	}
	if c.Trials < 1 || c.Trials > MaxTrials {
		return fmt.Errorf("--trials %d out of range: use 1 to %d", c.Trials, MaxTrials)
	}
	if c.ProgStats < 0 || c.ProgStats > MaxDuration {
		return fmt.Errorf("--prog-stats %s out of range: use 0 (skip) to %s", c.ProgStats, MaxDuration)
	}
	if c.RunID != "" && len(c.RunID) > 8 {
		return fmt.Errorf("run id %q: use at most 8 characters", c.RunID)
	}
	for _, m := range c.Modes {
		if m < xdp.Generic || m > xdp.Offload {
			return fmt.Errorf("unknown mode %d", int(m))
		}
	}
	if (c.DUTIface == "") != (c.PeerIface == "") {
		return errors.New("--iface and --peer go together: the generator sends on --peer, cabled back to back to --iface")
	}
	if c.DUTIface != "" && c.Object == "" {
		for _, p := range c.Programs {
			if p == "redirect" {
				return errors.New("--prog redirect needs a second DUT port and a sink behind it: with --iface use drop, pass or tx")
			}
		}
	}
	// NaN and infinities compare false: !(...) refuses them here, before
	// any measurement, not when the results are written.
	if !(c.ReplaySpeed >= 0 && c.ReplaySpeed <= 1e6) {
		return fmt.Errorf("--replay-speed %g: use a finite multiplier above 0 (1: the capture's own timing)", c.ReplaySpeed)
	}
	if c.Pcap != "" {
		if c.PcapRewriteIPs && c.DUTIface != "" {
			return errors.New("--pcap-rewrite-ips sets a veth pair's addresses: with --iface the interfaces keep theirs")
		}
		if c.Threads != 1 || c.Search != nil || c.Flows != 1 || c.RatePercent != 0 {
			return errors.New("--pcap replays the capture's frames in order from one thread: leave out --threads, --search, --flows and a --rate in percent")
		}
		if c.Proto != "" && c.Proto != traffic.UDP || c.VLAN != 0 || len(c.Mix) > 0 || c.MalformedPPM > 0 || c.Latency {
			return errors.New("--pcap sends the capture's own frames: leave out --proto, --vlan, --imix, --malformed and --latency")
		}
		switch c.ReplayTiming {
		case "", "top-speed":
			if c.RatePPS > 0 {
				return errors.New("--rate with --pcap needs --replay-timing rate")
			}
		case "capture":
			if !(c.ReplaySpeed > 0 && c.ReplaySpeed <= 1e6) {
				return fmt.Errorf("--replay-speed %g out of range: use a multiplier above 0 (1: the capture's own timing)", c.ReplaySpeed)
			}
			if c.RatePPS > 0 {
				return errors.New("--replay-timing capture follows the capture's timestamps: leave out --rate")
			}
		case "rate":
			if c.RatePPS == 0 {
				return errors.New("--replay-timing rate needs --rate (frames per second)")
			}
		default:
			return fmt.Errorf("--replay-timing %q: use top-speed, capture or rate", c.ReplayTiming)
		}
		if c.Loops < 1 || c.Loops > 1e6 {
			return fmt.Errorf("--loops %d out of range: use 1 to 1000000", c.Loops)
		}
	}
	if c.Search != nil && (c.RatePPS > 0 || c.Generator == traffic.AFPacket) {
		return errors.New("--search paces the live-frames generator itself: leave out --rate and --generator af-packet")
	}
	if c.RatePPS > 0 && c.Generator == traffic.AFPacket && c.Pcap == "" {
		return errors.New("--rate needs the live-frames generator: af-packet sends as fast as it can")
	}
	if c.RatePPS > MaxRatePPS {
		return fmt.Errorf("--rate %d out of range: at most %d frames/s", c.RatePPS, uint64(MaxRatePPS))
	}
	if c.Threads > topology.MaxQueues {
		return fmt.Errorf("--threads %d: at most %d", c.Threads, topology.MaxQueues)
	}
	return nil
}

// streamSpec is the stream's frame without addresses: what sizes depend on.
func (c *Config) streamSpec() traffic.FrameSpec {
	s := traffic.FrameSpec{Size: c.FrameSize, Proto: c.Proto, VLAN: c.VLAN, Stamp: c.Latency,
		Src: netip.IPv4Unspecified(), Dst: netip.IPv4Unspecified()}
	if c.IPv6 {
		s.Src, s.Dst = netip.IPv6Unspecified(), netip.IPv6Unspecified()
	}
	return s
}

// usableCPUs lists the CPUs this process may run on.
func usableCPUs() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		var out []int
		for i := range runtime.NumCPU() {
			out = append(out, i)
		}
		return out
	}
	var out []int
	for i := range 1024 {
		if set.IsSet(i) {
			out = append(out, i)
		}
	}
	return out
}
