package spec

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/xdplab/xdplab/internal/stream"
)

// Validate checks the description on its own: every value in range, no
// two settings that exclude each other, every workload's settings with its
// workload. It reads no file and touches neither the kernel nor the host.
// The error is Errors, or nil.
func (r *Run) Validate() error {
	var es Errors
	add := func(field string, parts ...any) { es = append(es, fieldErr(field, parts...)) }
	r.validatePrograms(add)
	r.validateStream(add)
	r.validateWorkloads(add)
	r.validateTrials(add)
	r.validateTopology(add)
	r.validateReplay(add)
	r.validatePacing(add)
	return es.err()
}

type adder func(field string, parts ...any)

func (r *Run) validatePrograms(add adder) {
	if r.Object != "" {
		if len(r.Programs) > 0 {
			add(FieldObject, "programs and an object exclude each other: measure built-ins or one object (leave out ", Ref(FieldPrograms), ")")
		}
	} else {
		if len(r.Programs) == 0 {
			add(FieldPrograms, "no program: name built-ins with ", Ref(FieldPrograms), " or an object with ", Ref(FieldObject))
		}
		seen := map[string]bool{}
		for i, p := range r.Programs {
			if _, err := catalog.LookupBuiltin(p); err != nil {
				add(Index(FieldPrograms, i), err)
			} else if seen[p] {
				add(Index(FieldPrograms, i), fmt.Sprintf("program %q named twice", p))
			}
			seen[p] = true
		}
	}
	if r.ObjectProgram != "" && r.Object == "" {
		add(FieldObjectProgram, "names a program in an object: give ", Ref(FieldObject), " too")
	}
	if len(r.MapEntries)+len(r.MapCPUs) > 0 && r.Object == "" {
		add(FieldMapEntries, "sizes the maps of an object: give ", Ref(FieldObject), " too")
	}
	if r.MapInit != "" && r.Object == "" {
		add(FieldMapInit, "fills the maps of an object: give ", Ref(FieldObject), " too")
	}
	if len(r.Variables) > 0 && r.Object == "" {
		add(FieldVariables, "sets the variables of an object: give ", Ref(FieldObject), " too")
	}
	if len(r.TailCalls) > 0 && r.Object == "" {
		add(FieldTailCalls, "fills the program arrays of an object: give ", Ref(FieldObject), " too")
	}
	if r.PinScratch && r.Object == "" {
		add(FieldPin, "pins the maps of an object: give ", Ref(FieldObject), " too")
	}
	if _, both := r.MapEntries["*"]; both && slices.Contains(r.MapCPUs, "*") {
		add(FieldMapEntries, "'*' sized twice: to a number and to the CPUs")
	}
	for _, name := range slices.Sorted(maps.Keys(r.MapEntries)) {
		if n := r.MapEntries[name]; n < 1 || n > MaxMapEntries {
			add(FieldMapEntries, fmt.Sprintf("map %s: %d entries out of range: use 1 to %d", name, n, MaxMapEntries))
		}
	}
	r.validateHooks(add)
	if r.Interleave {
		for _, p := range r.Programs {
			if b, err := catalog.LookupBuiltin(p); err == nil && b.Workload {
				add(FieldInterleave, fmt.Sprintf("%s: a workload's figures count over a result's trials in one attach: measure it without interleaving", p))
			}
		}
		if r.RatePercent > 0 {
			add(FieldInterleave, "a rate in percent is a share of a maximum measured once per result: give a rate in frames/s, or do not interleave")
		}
	}
	if r.Work > catalog.SwapMACs {
		add(FieldWork, fmt.Sprintf("unknown packet work %d", r.Work))
	}
	if r.Latency {
		if r.Object != "" {
			add(FieldLatency, "needs to know where frames leave the DUT: use the built-in tx or redirect, not ", Ref(FieldObject))
		}
		for _, p := range r.Programs {
			if p != "tx" && p != "redirect" {
				add(FieldLatency, fmt.Sprintf("measures frames that come back out of the DUT: %s keeps them; use tx or redirect", p))
			}
		}
	}
}

// The test ranges frames may be sent to on a veth pair of xdplab's.
var (
	testRange4 = netip.MustParsePrefix("198.18.0.0/15")
	testRange6 = netip.MustParsePrefix("2001:2::/48")
)

// validateDst checks where frames go: the stream's family, within the
// test ranges (on NICs the user names, any address), a port only where
// the transport has one.
func (r *Run) validateDst(add adder) {
	if d := r.Dst; d.IsValid() {
		switch {
		case d.Is4() == r.IPv6 || d.Is4In6():
			add(FieldDst, fmt.Sprintf("%s is not of the stream's family (IPv%d): give an address of it, or %s", d, map[bool]int{false: 4, true: 6}[r.IPv6], Ref(FieldIP)))
		case r.DUTIface == "" && !testRange4.Contains(d) && !testRange6.Contains(d):
			add(FieldDst, fmt.Sprintf("%s is outside the test ranges 198.18.0.0/15 and 2001:2::/48: on a veth pair xdplab sends only there (any address on NICs you name with %s)", d, Ref(FieldDUT)))
		}
	}
	if r.DstPort != 0 && r.Proto == stream.ICMP {
		add(FieldDstPort, "ICMP has no ports: give the port with udp or tcp-syn")
	}
}

// validateHooks checks the modes and hooks: known, each once, and able
// to run what the run measures there.
func (r *Run) validateHooks(add adder) {
	field := FieldModes
	if r.ByHook {
		field = FieldHooks
	}
	seen := map[xdpmode.Mode]bool{}
	hooks := slices.Clone(r.Modes)
	if r.AllHooks {
		hooks = append(hooks, xdpmode.Beside()...)
	}
	for i, m := range hooks {
		at := Index(field, i)
		if i >= len(r.Modes) {
			at = field
		}
		switch {
		case !slices.Contains(xdpmode.Hooks(), m):
			add(at, fmt.Sprintf("unknown mode %d", int(m)))
		case seen[m]:
			add(at, fmt.Sprintf("%s named twice", m.HookName()))
		case !m.IsXDP() && r.Object != "":
			add(at, fmt.Sprintf("%s runs xdplab's built-in programs; an object's XDP program runs at XDP's modes only (xdp-generic, xdp-native, xdp-offload)", m.HookName()))
		case !m.IsXDP() && r.Pcap != "":
			add(at, fmt.Sprintf("%s: a replay runs at XDP's modes only for now", m.HookName()))
		case !m.IsXDP() && r.Work != catalog.NoTouch:
			add(at, fmt.Sprintf("%s: the packet work knob is XDP's (measure it with %s no-touch)", m.HookName(), Ref(FieldWork)))
		}
		seen[m] = true
		if i >= len(r.Modes) {
			continue // all: a hook that cannot run a program says so in the results
		}
		for _, p := range r.Programs {
			if err := m.Runs(p); err != nil && r.Object == "" {
				add(at, err)
			}
		}
	}
}

func (r *Run) validateStream(add adder) {
	if _, err := stream.ParseProtocol(string(r.Proto)); err != nil {
		add(FieldProtocol, err)
		return
	}
	r.validateDst(add)
	if r.VLAN > MaxVLAN {
		add(FieldVLAN, vlanRange(fmt.Sprint(r.VLAN)))
	}
	spec := r.StreamSpec()
	if len(r.Mix) > 0 {
		if err := r.Mix.Validate(spec); err != nil {
			add(FieldIMIX, err)
		}
	} else if lo, hi := spec.MinSize(), spec.MaxSize(); r.FrameSize < lo || r.FrameSize > hi {
		add(FieldSize, fmt.Sprintf("%d out of range: %s needs %d to %d bytes (frame size with FCS, as in RFC 2544)",
			r.FrameSize, spec.Describe(), lo, hi))
	}
	if r.MalformedPPM > stream.MaxMalformedPPM {
		add(FieldMalformed, fmt.Sprintf("%d ppm out of range: at most 100%%", r.MalformedPPM))
	}
	if r.Flows < 1 || r.Flows > stream.MaxFlows {
		add(FieldFlows, fmt.Sprintf("%d out of range: use 1 to %d", r.Flows, stream.MaxFlows))
	}
	if r.Sources < 0 || r.Sources > r.Flows {
		add(FieldSources, fmt.Sprintf("%d out of range: use 1 to the number of flows (%d)", r.Sources, r.Flows))
	}
	if r.Threads < 1 || r.Threads > MaxThreads {
		add(FieldThreads, fmt.Sprintf("%d out of range: use 1 to %d (one generator thread per CPU and queue; the host says how many CPUs)", r.Threads, MaxThreads))
	}
}

func vlanRange(v string) string {
	return fmt.Sprintf("%s out of range: use a VLAN id from 1 to %d (0: untagged)", v, MaxVLAN)
}

func (r *Run) validateWorkloads(add adder) {
	has := func(p string) bool { return slices.Contains(r.Programs, p) }
	if has("filter") && len(r.Rules) == 0 {
		add(FieldRules, "the filter drops by rules: give their file (one a line, such as: drop src 198.18.0.128/25)")
	}
	if has("ratelimit") && (r.Limit.PPS == 0 || r.Limit.Burst == 0) {
		add(FieldLimit, "the ratelimit workload needs ", Ref(FieldLimit), " (frames/s a source may send, such as 100k) and ", Ref(FieldBurst), " (frames at once, such as 64)")
	}
	if has("l4lb") {
		if r.Backends < 0 || r.Backends > MaxBackends {
			add(FieldBackends, fmt.Sprintf("%d out of range: use 1 to %d", r.Backends, MaxBackends))
		}
		if r.Proto == stream.ICMP {
			add(FieldProtocol, "l4lb balances UDP and TCP flows to a VIP port: use udp or tcp-syn")
		}
		outer := 20
		if r.IPv6 {
			outer = 40
		}
		if max := stream.MaxFrameSize - outer; r.FrameSize > max || len(r.Mix) > 0 && r.Mix.Largest() > max {
			add(FieldSize, fmt.Sprintf("l4lb adds a %d-byte outer header and sends the frame back on a 1500-byte MTU: use frames of at most %d bytes", outer, max))
		}
	} else if r.Backends != 0 {
		add(FieldBackends, "backends are the l4lb workload's: add l4lb to ", Ref(FieldPrograms))
	}
	if r.Limit.PPS > 1e9 || r.Limit.Burst > 1e6 {
		add(FieldLimit, fmt.Sprintf("limit %d or burst %d out of range: at most 1G frames/s and 1M frames", r.Limit.PPS, r.Limit.Burst))
	}
	if (r.Limit.PPS != 0 || r.Limit.Burst != 0) && !has("ratelimit") {
		add(FieldLimit, "the limit and the burst are the ratelimit workload's: add ratelimit to ", Ref(FieldPrograms))
	}
	if len(r.Rules) > 0 && !has("filter") {
		add(FieldRules, "rules are the filter's: add filter to ", Ref(FieldPrograms))
	}
}

func (r *Run) validateTrials(add adder) {
	if r.Duration < MinDuration || r.Duration > MaxDuration {
		add(FieldDuration, fmt.Sprintf("%s out of range: use %s to %s (counters are sampled once a second)", r.Duration, MinDuration, MaxDuration))
	}
	if r.Warmup < 0 || r.Warmup > MaxDuration {
		add(FieldWarmup, fmt.Sprintf("%s out of range: use 0 to %s", r.Warmup, MaxDuration))
	}
	if r.Trials < 1 || r.Trials > MaxTrials {
		add(FieldTrials, fmt.Sprintf("%d out of range: use 1 to %d", r.Trials, MaxTrials))
	}
	if r.ProgStats < 0 || r.ProgStats > MaxDuration {
		add(FieldProgStats, fmt.Sprintf("%s out of range: use 0 (skip) to %s", r.ProgStats, MaxDuration))
	}
}

func (r *Run) validateTopology(add adder) {
	if len(r.RunID) > 8 {
		add(FieldRunID, fmt.Sprintf("%q: use at most 8 characters", r.RunID))
	}
	if (r.DUTIface == "") != (r.PeerIface == "") {
		add(FieldDUT, "the DUT's interface and ", Ref(FieldPeer), " go together: the generator sends on the peer, cabled back to back to the DUT's")
	}
	if r.Remote != "" && r.DUTIface == "" {
		add(FieldRemote, "names the generator's host of a two-host pair: give ", Ref(FieldDUT), " (the DUT's port here) and ", Ref(FieldPeer), " (the generator's port there)")
	}
	if r.Remote == "" && (r.RemoteXdplab != "" || len(r.RemoteSSHOptions) > 0) {
		add(FieldRemoteXdplab, "and ", Ref(FieldRemoteSSH), " go with ", Ref(FieldRemote))
	}
	if r.DUTIface != "" && r.Object == "" && slices.Contains(r.Programs, "redirect") {
		add(FieldPrograms, "redirect needs a second DUT port and a sink behind it: on two interfaces use drop, pass or tx")
	}
}

func (r *Run) validateReplay(add adder) {
	// NaN and infinities compare false: !(...) refuses them here, before
	// any measurement, not when the results are written.
	speedOK := r.ReplaySpeed >= 0 && r.ReplaySpeed <= MaxSpeed
	if !speedOK {
		add(FieldReplaySpeed, fmt.Sprintf("%g: use a finite multiplier above 0 (1: the capture's own timing)", r.ReplaySpeed))
	}
	if r.Pcap == "" {
		return
	}
	if r.PcapRewriteIPs && r.DUTIface != "" {
		add(FieldRewriteIPs, "sets a veth pair's addresses: on the host's interfaces they keep theirs")
	}
	if r.Threads != 1 || r.Search != nil || r.Flows != 1 || r.RatePercent != 0 {
		add(FieldPcap, "a replay sends the capture's frames in order from one thread: leave out ", Ref(FieldThreads), ", ",
			Ref(FieldSearch), ", ", Ref(FieldFlows), " and a ", Ref(FieldRate), " in percent")
	}
	if r.Proto != "" && r.Proto != stream.UDP || r.VLAN != 0 || len(r.Mix) > 0 || r.MalformedPPM > 0 || r.Latency {
		add(FieldPcap, "a replay sends the capture's own frames: leave out ", Ref(FieldProtocol), ", ", Ref(FieldVLAN), ", ",
			Ref(FieldIMIX), ", ", Ref(FieldMalformed), " and ", Ref(FieldLatency))
	}
	switch r.ReplayTiming {
	case "", "top-speed":
		if r.RatePPS > 0 {
			add(FieldRate, "a rate for a replay needs ", Ref(FieldReplayTiming), " rate")
		}
	case "capture":
		if speedOK && r.ReplaySpeed == 0 {
			add(FieldReplaySpeed, "0 out of range: use a multiplier above 0 (1: the capture's own timing)")
		}
		if r.RatePPS > 0 {
			add(FieldRate, "the capture timing follows the capture's timestamps: leave out ", Ref(FieldRate))
		}
	case "rate":
		if r.RatePPS == 0 {
			add(FieldReplayTiming, "rate needs ", Ref(FieldRate), " (frames per second)")
		}
	default:
		add(FieldReplayTiming, fmt.Sprintf("%q: use top-speed, capture or rate", r.ReplayTiming))
	}
	if r.Loops < 1 || r.Loops > MaxLoops {
		add(FieldLoops, fmt.Sprintf("%d out of range: use 1 to %d", r.Loops, MaxLoops))
	}
}

func (r *Run) validatePacing(add adder) {
	if r.RatePercent != 0 {
		if !(r.RatePercent >= 0 && r.RatePercent <= 100) {
			add(FieldRate, fmt.Sprintf("%g%% out of range: give a share from above 0 to 100%% of the measured maximum", r.RatePercent))
		}
		if r.RatePPS > 0 || r.Search != nil {
			add(FieldRate, "a rate as a share paces the generator: leave out ", Ref(FieldSearch))
		}
	}
	if r.Search != nil && r.RatePPS > 0 {
		add(FieldSearch, "the search paces the generator itself: leave out ", Ref(FieldRate))
	}
	if r.RatePPS > MaxRatePPS {
		add(FieldRate, fmt.Sprintf("%d out of range: at most %d frames/s", r.RatePPS, uint64(MaxRatePPS)))
	}
}
