package results

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// SchemaName and SchemaVersion identify the results format. Read accepts
// this version and every older one it lists in Upgrades; it rejects other
// names and newer versions.
//
// Version 2 added Run.Metrics (unit, direction and source of every figure)
// and Topology.Borrowed; version 1 files are read with the standard
// metrics filled in. Version 3 added the stream (protocol, VLAN, IMIX,
// malformed share), latency, rate targets and replay timing; a version 2
// file is a valid version 3 file without them. Version 4 added the
// search's steps and net figures within noise (Figure.Flag and Bound,
// Figures.DUTNsPerPktBelow, Summary.DUTWithinNoise, Calibration.Noise)
// with the flags seen-exceeds-offered and dut-within-noise; a version 3
// file is a valid version 4 file. Version 5 holds no prose as data: a
// program's work is a work name (the work it did, which for tx is always
// swap-macs), and the protocol is always named; results.Describe makes
// every description of a configuration from the file's fields. Version 6
// adds each result's program fingerprint (Result.Fingerprint); a version 5
// file is a valid version 6 file without them. Version 8 adds the hooks
// beside XDP as modes (tc, socket, afpacket, afxdp), their attach
// methods, and each trial's hook figures (Trial.Hook, Summary.Hook); a
// version 7 file is a valid version 8 file without them.
const (
	SchemaName    = "xdplab.results"
	SchemaVersion = 8
)

// Header opens a results file, an inspection and an equivalence file:
// what the document is, what wrote it, where, and when it started. It is
// embedded, so its fields stay at the top level of the JSON.
type Header struct {
	Schema        string    `json:"schema"`
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	Host          Host      `json:"host"`
	Started       time.Time `json:"started"`
}

// Run is one `xdplab run`: its environment, configuration and results.
type Run struct {
	Header
	Finished time.Time `json:"finished"`
	// Label names the run in a history (run --label: a release, a
	// commit); "": the file's name (schema 7).
	Label string `json:"label,omitempty"`
	// Rerun is the command line that repeats the run (schema 7).
	Rerun string `json:"rerun,omitempty"`
	// Environment is what the machine was beyond Host, for telling what
	// changed between runs (schema 7).
	Environment *Environment `json:"environment,omitempty"`
	Config      Config       `json:"config"`
	Topology    Topology     `json:"topology"`
	Calibration *Calibration `json:"calibration,omitempty"`
	Results     []Result     `json:"results"`
	// NotRun are the programs a hook of --hooks all cannot run, with why
	// (schema 8).
	NotRun []NotRun `json:"not_run,omitempty"`
	// Metrics names the unit, better direction and source counter of
	// every figure, keyed by its JSON name (throughput_pps, ...).
	Metrics map[string]Metric `json:"metrics"`
	// Notes say what a reader must know to read the figures right.
	Notes []string `json:"notes,omitempty"`
}

// Tool names the xdplab that made the file.
type Tool struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
}

// ThisTool is this xdplab, of version, built with this Go.
func ThisTool(version string) Tool {
	return Tool{Name: "xdplab", Version: version, GoVersion: runtime.Version()}
}

// Host describes the machine.
type Host struct {
	Hostname string `json:"hostname"`
	Kernel   string `json:"kernel"`  // uname release
	Machine  string `json:"machine"` // uname machine
	CPUModel string `json:"cpu_model"`
	Cores    int    `json:"cores"`
	// BPFStatsEnabled is the kernel.bpf_stats_enabled sysctl at the start:
	// when on, every program run pays for clock reads.
	BPFStatsEnabled bool `json:"bpf_stats_enabled"`
}

// Config is what the run was asked to do.
type Config struct {
	Command   []string `json:"command,omitempty"`
	Programs  []string `json:"programs"`
	Modes     []string `json:"modes"`
	ModesAuto bool     `json:"modes_auto"`
	FrameSize int      `json:"frame_size"` // bytes, with FCS (RFC 2544)
	IPVersion int      `json:"ip_version"`
	Flows     int      `json:"flows"`
	// Sources is the number of source addresses the flows spread over
	// (absent: as few as the ports allow).
	Sources int `json:"sources,omitempty"`
	// MapEntries are the sizes given to the maps of a user's object that
	// its own loader sizes (max_entries 0 in the ELF), by map name.
	MapEntries map[string]uint32 `json:"map_entries,omitempty"`
	// MapCPUs are the maps sized to the possible CPUs ("*": every one
	// left) (schema 8).
	MapCPUs []string `json:"map_cpus,omitempty"`
	// MapInit is the file the object's maps were filled from, and
	// MapInitSHA256 the SHA-256 of what every load read from it (schema 8).
	MapInit       string `json:"map_init,omitempty"`
	MapInitSHA256 string `json:"map_init_sha256,omitempty"`
	// Variables are the values given to a user's object's global
	// variables before loading (--set), as text.
	Variables map[string]string `json:"variables,omitempty"`
	// TailCalls are the program array slots given (--tail-call,
	// MAP:INDEX=PROGRAM); Pin is "scratch" where maps pinned by name were
	// pinned in a scratch bpffs (else they loaded unpinned).
	TailCalls []string `json:"tail_calls,omitempty"`
	Pin       string   `json:"pin,omitempty"`
	// Rules names the filter workload's rules file.
	Rules string `json:"rules,omitempty"`
	// Backends is the l4lb workload's number of backends.
	Backends int `json:"backends,omitempty"`
	// LimitPPS and Burst are the ratelimit workload's settings.
	LimitPPS  uint64 `json:"limit_pps,omitempty"`
	Burst     uint64 `json:"burst,omitempty"`
	Threads   int    `json:"threads"`
	CPUs      []int  `json:"cpus"`
	Work      string `json:"work"`
	Generator string `json:"generator"`          // the generator that ran
	RatePPS   uint64 `json:"rate_pps,omitempty"` // the offered rate asked for; absent: as fast as possible
	Pcap      string `json:"pcap,omitempty"`     // a replayed capture
	Loops     int    `json:"loops,omitempty"`
	// ReplayTiming is how a capture was paced: top-speed, capture (its own
	// timestamps, sped up by ReplaySpeed) or a rate (RatePPS).
	ReplayTiming string  `json:"replay_timing,omitempty"`
	ReplaySpeed  float64 `json:"replay_speed,omitempty"`
	// ReplayRewriteIPs: the frames' IP addresses were set to the topology's.
	ReplayRewriteIPs bool `json:"replay_rewrite_ips,omitempty"`
	// The stream: transport (udp, tcp-syn, icmp), an 802.1Q VLAN id, an
	// IMIX (size:weight pairs; FrameSize is then its mean, rounded) and the
	// share of malformed frames per million.
	Protocol string `json:"protocol,omitempty"`
	// Dst and DstPort: the frames' destination where it was not the DUT
	// port's address and port 9 (schema 8).
	Dst          string `json:"dst,omitempty"`
	DstPort      int    `json:"dst_port,omitempty"`
	VLAN         int    `json:"vlan,omitempty"`
	IMIX         string `json:"imix,omitempty"`
	MalformedPPM uint32 `json:"malformed_ppm,omitempty"`
	// Latency: the generator stamped its frames and a sink measured them.
	Latency bool `json:"latency,omitempty"`
	// RatePercent: each result was paced to this share of the maximum it
	// measured first (Result.RateTarget).
	RatePercent float64 `json:"rate_percent,omitempty"`
	WarmupS     float64 `json:"warmup_s"`
	DurationS   float64 `json:"duration_s"`
	Trials      int     `json:"trials"`
	// Interleave: trial i of every program and mode ran before trial
	// i+1 of any, each attached anew (schema 8).
	Interleave bool    `json:"interleave,omitempty"`
	ProgStatsS float64 `json:"prog_stats_s"`
}

// Topology describes what the run measured on.
type Topology struct {
	// Kind is "pair" (a veth pair xdplab made) or "nic-pair" (two of the
	// host's interfaces cabled back to back, moved into xdplab's
	// namespaces for the run).
	Kind  string `json:"kind"`
	RunID string `json:"run_id"`
	// Borrowed names the user's interfaces of a nic-pair.
	Borrowed   []string    `json:"borrowed,omitempty"`
	Namespaces []string    `json:"namespaces"`
	Interfaces []Interface `json:"interfaces"`
	// Remote is the generator's host of a "nic-pair-remote" (schema 7).
	Remote *Remote `json:"remote,omitempty"`
}

// Remote is the generator's host of a two-host pair: the DUT's port is on
// this host, the generator's on that one, reached over SSH.
type Remote struct {
	Target  string `json:"target"` // ssh://[user@]host[:port]
	Host    Host   `json:"host"`
	Version string `json:"xdplab_version"`
	// Agent says how xdplab came to run there.
	Agent      string   `json:"agent"`
	RunID      string   `json:"run_id"` // the agent's own, of its namespaces and journal there
	Namespaces []string `json:"namespaces"`
	// SameMachine: the two share a kernel (equal boot ids), as in a test
	// where the "host" is a namespace: CPU figures then include the
	// generator's work.
	SameMachine bool `json:"same_machine"`
	// ControlDelay is the control channel's one-way delay (half the round
	// trip of the counter snapshots).
	ControlDelay *ControlDelay `json:"control_delay,omitempty"`
	// Clocks says which host's clock each figure uses.
	Clocks string `json:"clocks"`
}

// ControlDelay is half the round trip of the controller's snapshots.
type ControlDelay struct {
	MedianS   float64 `json:"median_s"`
	MaxS      float64 `json:"max_s"`
	Snapshots int     `json:"snapshots"`
}

// Interface is one interface of the topology.
type Interface struct {
	Role string `json:"role"` // gen, dut, out, sink
	// Host names the host the interface is on where it is not this one
	// (the generator's of a nic-pair-remote).
	Host      string `json:"host,omitempty"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Driver    string `json:"driver"`
	Queues    int    `json:"queues"`
	// XDPFeatures is the netdev family's xdp-features when the DUT program
	// was first attached, or "not reported".
	XDPFeatures string `json:"xdp_features"`
}

// Calibration measures the generator's own CPU cost against a minimal sink
// (a native XDP program that only counts and drops).
type Calibration struct {
	Trials []Trial `json:"trials"`
	// GeneratorNsPerPkt is the median CPU time per offered frame with the
	// minimal sink: the share of every trial's CPU cost that is not the DUT's.
	GeneratorNsPerPkt Figure `json:"generator_ns_per_pkt"`
	// Noise is the calibration's spread (schema 4).
	Noise *Figure `json:"noise,omitempty"`
}

// Figure is one number with its unit and its source. A net figure (one
// from which a measured cost was subtracted) within the noise of what was
// subtracted carries a Flag and its upper Bound; Value is then not a
// figure to show.
type Figure struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Source string  `json:"source"`
	Flag   string  `json:"flag,omitempty"`
	Bound  float64 `json:"bound,omitempty"`
}

// MarshalJSON leaves the value out of a flagged net figure: it is no
// figure, only its bound is (schema 4).
func (f Figure) MarshalJSON() ([]byte, error) {
	type plain Figure
	if f.Flag == "" {
		return json.Marshal(plain(f))
	}
	return json.Marshal(struct {
		Unit   string  `json:"unit"`
		Source string  `json:"source"`
		Flag   string  `json:"flag"`
		Bound  float64 `json:"bound"`
	}{f.Unit, f.Source, f.Flag, f.Bound})
}

// String writes the figure with format: "12.3", or "< 3.1 (within the
// stats overhead's noise)" for a flagged net figure.
func (f *Figure) String(format string) string {
	if f == nil {
		return "-"
	}
	if f.Flag == FlagProgWithinNoise {
		if f.Bound == 0 {
			return "within noise" // read from an older file, which kept no bound
		}
		return "< " + fmt.Sprintf(format, f.Bound) + " (within noise)"
	}
	return fmt.Sprintf(format, f.Value)
}

// Stat summarises a figure over trials.
type Stat struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
	Unit   string  `json:"unit"`
	Source string  `json:"source"`
}

// Program names what was measured.
type Program struct {
	Name    string `json:"name"`
	Object  string `json:"object"` // "builtin" or the user's file
	SHA256  string `json:"sha256"`
	Work    string `json:"work,omitempty"`
	Counted bool   `json:"counted"` // counts its frames in xdplab's stats map
	// Expected is the action a built-in returns for well-formed frames.
	Expected string `json:"expected_action,omitempty"`
}

// Result is one program in one mode.
type Result struct {
	Program Program `json:"program"`
	Mode    string  `json:"mode"`
	// AttachMethod is bpf_link or netlink; AttachedMode is the mode the
	// kernel reported after attaching (always equal to Mode: a mismatch
	// fails the run).
	AttachMethod string  `json:"attach_method"`
	AttachedMode string  `json:"attached_mode"`
	Trials       []Trial `json:"trials"`
	Summary      Summary `json:"summary"`
	// ProgNsPerPkt is the program's own run time per frame from the
	// kernel's BPF run-time stats, in a separate pass after the trials.
	ProgNsPerPkt *Figure `json:"prog_ns_per_pkt,omitempty"`
	// ProgStatsOverhead is what run-time stats add to each run (two clock
	// reads), measured on an empty program in the same pass and already
	// subtracted from ProgNsPerPkt.
	ProgStatsOverhead *Figure `json:"prog_stats_overhead,omitempty"`
	// ControlPlaneOnly: the program was loaded, verified, bound to the
	// device and attached, its maps read back, but the device runs no
	// offloaded program on packets (netdevsim): there are no trials and
	// no throughput. ControlPlane says what was checked.
	// NDR and PDR are the throughput search's answers (--search).
	NDR *Throughput `json:"ndr,omitempty"`
	PDR *Throughput `json:"pdr,omitempty"`
	// Workload holds what a reference workload counted beyond actions.
	Workload *Workload `json:"workload,omitempty"`
	// RateTarget is the rate this result was paced to, when the rate was
	// asked as a share of the measured maximum.
	RateTarget       *RateTarget `json:"rate_target,omitempty"`
	ControlPlaneOnly bool        `json:"control_plane_only,omitempty"`
	ControlPlane     []string    `json:"control_plane,omitempty"`
	// Fingerprint is what the kernel made of the program loaded for this
	// mode (schema 6); absent in older files.
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
	// Returned is what came back out of the DUT to the generator's port
	// while a user's object ran (schema 8); absent for the built-ins and
	// where no return sink ran.
	Returned *Returned `json:"returned,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Returned is what a user's object sent back out of the DUT's port
// (XDP_TX), as the return sink on the generator's veth checked it over
// the result's trials, warm-ups included (and the unpaced probe of a rate
// given in percent): frames encapsulated (IPIP, IPv6
// in IPv4, IPv4 or IPv6 in IPv6) with an inner packet whose family and
// length agree with the outer header, by outer destination; frames not
// encapsulated; encapsulated ones whose inner packet did not check out.
type Returned struct {
	Frames          uint64 `json:"frames"`
	Encapsulated    uint64 `json:"encapsulated"`
	NotEncapsulated uint64 `json:"not_encapsulated"`
	InnerBad        uint64 `json:"inner_bad"`
	// ByDestination counts the encapsulated frames by outer destination,
	// most first; OtherDestinations those to destinations past the
	// first ones the sink names (its map holds 256).
	ByDestination     []BackendCount `json:"by_destination,omitempty"`
	OtherDestinations uint64         `json:"other_destinations,omitempty"`
	Source            string         `json:"source"`
}

// EncapsulatedShare is the share of the returned frames that came back
// encapsulated with a sound inner packet (0 where none came back).
func (r *Returned) EncapsulatedShare() float64 {
	if r.Frames == 0 {
		return 0
	}
	return float64(r.Encapsulated) / float64(r.Frames)
}

// Add adds the counts of another pass over the same result's traffic (an
// interleaved run attaches anew for every trial).
func (r *Returned) Add(o Returned) {
	r.Frames += o.Frames
	r.Encapsulated += o.Encapsulated
	r.NotEncapsulated += o.NotEncapsulated
	r.InnerBad += o.InnerBad
	r.OtherDestinations += o.OtherDestinations
	r.Source = o.Source
	for _, b := range o.ByDestination {
		i := slices.IndexFunc(r.ByDestination, func(x BackendCount) bool { return x.Addr == b.Addr })
		if i < 0 {
			r.ByDestination = append(r.ByDestination, b)
			continue
		}
		r.ByDestination[i].Packets += b.Packets
	}
	slices.SortFunc(r.ByDestination, func(a, b BackendCount) int {
		return cmp.Or(cmp.Compare(b.Packets, a.Packets), cmp.Compare(a.Addr, b.Addr))
	})
}

// Throughput is a rate the RFC 2544 throughput search found: the highest
// offered rate whose loss stayed within MaxLoss.
type Throughput struct {
	Goal      string  `json:"goal"` // ndr or pdr
	MaxLoss   float64 `json:"max_loss"`
	RatePPS   float64 `json:"rate_pps"`
	Loss      float64 `json:"loss"` // of the confirming trial
	Unit      string  `json:"unit"`
	Trials    int     `json:"trials"` // search and confirming trials
	Confirmed bool    `json:"confirmed"`
	Source    string  `json:"source"`
	Note      string  `json:"note,omitempty"`
	// Steps are the search's trials in order (schema 4).
	Steps []SearchStep `json:"steps,omitempty"`
}

// SearchStep is one trial of a throughput search.
type SearchStep struct {
	RatePPS    float64 `json:"rate_pps"`    // asked for
	OfferedPPS float64 `json:"offered_pps"` // what the generator really offered
	Loss       float64 `json:"loss"`
	DurationS  float64 `json:"duration_s"`
	Confirm    bool    `json:"confirm,omitempty"` // a confirming trial of full length
	Within     bool    `json:"within"`            // loss within the goal's limit
	Short      bool    `json:"short,omitempty"`   // offered more than 2% below the rate asked
}

// Found is the rate a confirmed search found; an unconfirmed one found
// none.
func (t *Throughput) Found() (float64, bool) {
	if t == nil || !t.Confirmed {
		return 0, false
	}
	return t.RatePPS, true
}

// StepsString lists the steps in one line: "5.00M 0.12% x, 2.50M 0% ok".
func (t *Throughput) StepsString() string {
	var b []string
	for _, s := range t.Steps {
		mark := "over"
		if s.Within {
			mark = "within"
		}
		kind := ""
		if s.Confirm {
			kind = " confirm"
		}
		b = append(b, fmt.Sprintf("%.3f Mpps%s: offered %.3f, loss %.3f%% %s", s.RatePPS/1e6, kind, s.OfferedPPS/1e6, 100*s.Loss, mark))
	}
	return strings.Join(b, "; ")
}

// Workload is what a reference workload counted over a result's trials.
type Workload struct {
	Kind string `json:"kind"`
	// Rules are the filter's hits per rule over the trials; the first
	// entry is malformed frames (dropped, judged by no rule).
	Rules []RuleHits `json:"rules,omitempty"`
	// RuleUpdates is the cost of changing rules while traffic runs.
	RuleUpdates *RuleUpdates `json:"rule_updates,omitempty"`
	// RateLimit is what the ratelimit workload let through.
	RateLimit *RateLimitFigures `json:"ratelimit,omitempty"`
	// Flows is what the flowstats workload's flow table held after the
	// trials.
	Flows *FlowFigures `json:"flows,omitempty"`
	// LB is what the l4lb workload and its sink counted.
	LB    *LBFigures `json:"l4lb,omitempty"`
	Notes []string   `json:"notes,omitempty"`
}

// RateLimitFigures compare the ratelimit workload's passed rate with its
// limit: Share = PassedPPS / (LimitPPS x Sources).
type RateLimitFigures struct {
	LimitPPS   uint64  `json:"limit_pps"` // per source
	Burst      uint64  `json:"burst"`
	Sources    int     `json:"sources"` // source addresses the generator used
	OfferedPPS float64 `json:"offered_pps"`
	PassedPPS  float64 `json:"passed_pps"`
	Share      float64 `json:"share"`
	Over       uint64  `json:"over"`      // frames dropped over the limit
	Contended  uint64  `json:"contended"` // frames dropped for losing the bucket's race
	Malformed  uint64  `json:"malformed"`
	Source     string  `json:"source"`
}

// FlowFigures are the flowstats workload's flow table after the trials.
type FlowFigures struct {
	Count     int       `json:"count"` // distinct flows
	Packets   uint64    `json:"packets"`
	Malformed uint64    `json:"malformed"` // frames passed without a flow
	Top       []FlowRow `json:"top"`
	Source    string    `json:"source"`
}

// LBFigures are the l4lb workload's counts and its sink's checks.
type LBFigures struct {
	VIP      string         `json:"vip"`
	Backends []BackendCount `json:"backends"`
	// Spread is the largest deviation of a backend's share from an even
	// share, relative to it (0.05: within 5% of even).
	Spread     float64 `json:"spread"`
	NewFlows   uint64  `json:"new_flows"`   // frames that took the Maglev ring
	KnownFlows uint64  `json:"known_flows"` // frames the connection table sent on
	NoVIP      uint64  `json:"no_vip"`
	Malformed  uint64  `json:"malformed"`
	NoBackend  uint64  `json:"no_backend"`
	// The sink's checks: encapsulated towards a backend with a sound
	// inner packet, not encapsulated, inner packet bad; Verified is the
	// first as a share of all three.
	Encapsulated    uint64  `json:"encapsulated"`
	NotEncapsulated uint64  `json:"not_encapsulated"`
	InnerBad        uint64  `json:"inner_bad"`
	Verified        float64 `json:"verified"`
	Source          string  `json:"source"`
}

// BackendCount is the frames the sink saw for one backend.
type BackendCount struct {
	Addr    string `json:"addr"`
	Packets uint64 `json:"packets"`
}

// FlowRow is one flow of the table.
type FlowRow struct {
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	Sport   uint16 `json:"sport"`
	Dport   uint16 `json:"dport"`
	Proto   uint8  `json:"proto"`
	VLAN    uint16 `json:"vlan,omitempty"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// RuleHits is one filter rule's count.
type RuleHits struct {
	Rule    string `json:"rule"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// RuleUpdates is a trial during which a rule that matches nothing was added
// and deleted again and again: what each map update took, and the trial's
// throughput against the median of the plain trials.
type RuleUpdates struct {
	Updates       int     `json:"updates"`
	P50Us         float64 `json:"p50_us"`
	P99Us         float64 `json:"p99_us"`
	MaxUs         float64 `json:"max_us"`
	ThroughputPPS float64 `json:"throughput_pps"`
	BaselinePPS   float64 `json:"baseline_pps"`
	Source        string  `json:"source"`
}

// RateTarget is a rate asked as a share of the maximum: an unpaced trial
// measured MaxPPS, the trials were paced to RatePPS = Percent% of it.
type RateTarget struct {
	Percent float64 `json:"percent"`
	MaxPPS  float64 `json:"max_pps"`
	RatePPS uint64  `json:"rate_pps"`
	Source  string  `json:"source"`
}

// Latency is one trial's one-way latency: the generator stamped each frame
// with the host clock as it sent it, a sink program read the same clock on
// arrival. Percentiles come from a log-linear histogram (buckets at most
// 12.5% wide, reported at their midpoint); min and max are exact.
type Latency struct {
	Count     uint64          `json:"count"`
	Unstamped uint64          `json:"unstamped"` // frames that arrived without a stamp
	MinNs     float64         `json:"min_ns"`
	P50Ns     float64         `json:"p50_ns"`
	P90Ns     float64         `json:"p90_ns"`
	P99Ns     float64         `json:"p99_ns"`
	MaxNs     float64         `json:"max_ns"`
	MeanNs    float64         `json:"mean_ns"`
	Buckets   []LatencyBucket `json:"buckets"` // the non-empty ones
	Source    string          `json:"source"`
}

// LatencyBucket is one histogram bucket: Count frames took LoNs to HiNs.
type LatencyBucket struct {
	LoNs  uint64 `json:"lo_ns"`
	HiNs  uint64 `json:"hi_ns"`
	Count uint64 `json:"count"`
}

// Summary gives min, median and max over the trials.
type Summary struct {
	OfferedPPS    Stat  `json:"offered_pps"`
	ThroughputPPS Stat  `json:"throughput_pps"`
	L2BitsPerSec  Stat  `json:"l2_bits_per_sec"`
	L1BitsPerSec  Stat  `json:"l1_bits_per_sec"`
	Loss          Stat  `json:"loss"`
	CPUNsPerPkt   Stat  `json:"cpu_ns_per_pkt"`
	DUTNsPerPkt   *Stat `json:"dut_ns_per_pkt,omitempty"`
	// DUTWithinNoise counts the trials whose DUT share was within the
	// calibration's noise, below DUTNoiseBound (they are not in
	// DUTNsPerPkt).
	DUTWithinNoise int     `json:"dut_within_noise,omitempty"`
	DUTNoiseBound  float64 `json:"dut_noise_bound,omitempty"`
	// LatencyP50Ns and LatencyP99Ns summarise the trials' percentiles.
	LatencyP50Ns *Stat `json:"latency_p50_ns,omitempty"`
	LatencyP99Ns *Stat `json:"latency_p99_ns,omitempty"`
	// Hook summarises the trials' hook figures (schema 8).
	Hook    *HookSummary `json:"hook,omitempty"`
	Flagged int          `json:"flagged_trials"`
}

// Trial is one measured interval.
type Trial struct {
	Index     int       `json:"index"`
	Start     time.Time `json:"start"`
	DurationS float64   `json:"duration_s"`
	Raw       Raw       `json:"raw"`
	Figures   Figures   `json:"figures"`
	Samples   []Sample  `json:"samples,omitempty"`
	Latency   *Latency  `json:"latency,omitempty"`
	// Hook is what the inspection cost where it ran (schema 8).
	Hook  *HookFigures `json:"hook,omitempty"`
	Flags []Flag       `json:"flags,omitempty"`
}

// Counter is frames and bytes (L2, without FCS).
type Counter struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// IfCounters are an interface's counter deltas over the trial.
type IfCounters struct {
	RxPackets uint64            `json:"rx_packets"`
	RxBytes   uint64            `json:"rx_bytes"`
	RxDropped uint64            `json:"rx_dropped"`
	TxPackets uint64            `json:"tx_packets"`
	TxBytes   uint64            `json:"tx_bytes"`
	TxDropped uint64            `json:"tx_dropped"`
	Ethtool   map[string]uint64 `json:"ethtool,omitempty"`
}

// CPUTime is one CPU's time over the trial in nanoseconds.
type CPUTime struct {
	User    uint64 `json:"user_ns"`
	System  uint64 `json:"system_ns"`
	SoftIRQ uint64 `json:"softirq_ns"`
	IRQ     uint64 `json:"irq_ns"`
	Idle    uint64 `json:"idle_ns"`
	Other   uint64 `json:"other_ns"` // nice, iowait, steal
}

// Raw are the counter deltas a trial's figures come from.
type Raw struct {
	// Generator is what the generator sent (its program's count, or the
	// AF_PACKET writes that succeeded).
	Generator Counter `json:"generator"`
	// Program is the DUT program's count by action (built-ins only).
	Program map[string]Counter `json:"program,omitempty"`
	// Sink counts frames that came out of the DUT (tx, redirect).
	Sink *Counter `json:"sink,omitempty"`
	// StackDelivered counts IP packets the DUT namespace's stack received
	// (Ip InReceives or Ip6InReceives).
	StackDelivered *uint64 `json:"stack_delivered,omitempty"`
	// Malformed counts the frames the generator made malformed on purpose
	// (they are in Generator too).
	Malformed  uint64                `json:"malformed,omitempty"`
	Interfaces map[string]IfCounters `json:"interfaces"`
	CPU        map[int]CPUTime       `json:"cpu"`
}

// Figures are a trial's derived numbers. Units are in the names; the
// sources are in the run's notes and in Summary's Stat.Source.
type Figures struct {
	OfferedPPS    float64 `json:"offered_pps"`
	ThroughputPPS float64 `json:"throughput_pps"`
	L2BitsPerSec  float64 `json:"l2_bits_per_sec"`
	L1BitsPerSec  float64 `json:"l1_bits_per_sec"`
	Loss          float64 `json:"loss"` // 1 - seen/offered
	// Actions is each action's share of the frames the program saw.
	Actions map[string]float64 `json:"actions,omitempty"`
	// DeliveredPPS is the rate out of the DUT: sink (tx, redirect) or
	// stack (pass).
	DeliveredPPS *float64 `json:"delivered_pps,omitempty"`
	CPUNsPerPkt  float64  `json:"cpu_ns_per_pkt"`
	CPUPercent   float64  `json:"cpu_percent"` // of the generator's CPUs
	DUTNsPerPkt  *float64 `json:"dut_ns_per_pkt,omitempty"`
	// DUTNsPerPktBelow is set instead where the DUT's share is within
	// the calibration's noise (flag dut-within-noise): it is below this
	// bound, and no figure.
	DUTNsPerPktBelow *float64 `json:"dut_ns_per_pkt_below,omitempty"`
}

// Sample is one second of a trial.
type Sample struct {
	T             float64 `json:"t"`
	OfferedPPS    float64 `json:"offered_pps"`
	ThroughputPPS float64 `json:"throughput_pps"`
}

// Flag marks a trial whose figures deserve a second look.
type Flag struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// The flag codes.
const (
	FlagCountersDisagree = "counters-disagree"
	FlagDUTSawNothing    = "dut-saw-nothing"
	FlagGeneratorShort   = "generator-short"
	FlagRateShort        = "rate-short"
	FlagGeneratorBound   = "generator-bound"
	FlagRingOverflow     = "ring-overflow"
	FlagUnexpectedAction = "unexpected-action"
	FlagLatencyUnstamped = "latency-unstamped"
	// FlagSeenExceedsOffered: the DUT counted more frames than the
	// generator sent (frames from elsewhere, or counters read over
	// different windows); loss is shown as 0 and shares stay at 100%.
	FlagSeenExceedsOffered = "seen-exceeds-offered"
	// FlagDUTWithinNoise: the DUT's share of the CPU cost (CPU ns/pkt
	// less the calibrated generator's) is within the calibration's
	// noise: it is shown as "< bound", never as a plain or negative
	// number.
	FlagDUTWithinNoise = "dut-within-noise"
)

// Agreement is how far two counts of the same frames may differ,
// relatively, before a trial is flagged counters-disagree.
const Agreement = 0.01

// FlagProgWithinNoise marks a prog ns/pkt figure (Figure.Flag) whose net
// value is within the noise of the stats overhead subtracted from it: it
// is shown as "< Figure.Bound", never as 0 or a negative number.
const FlagProgWithinNoise = "prog-within-noise"

// JSONSchema is the JSON Schema (draft 2020-12) of the current version.
//
// InspectionJSONSchema and EquivalenceJSONSchema are the JSON Schemas of
// xdplab inspect's and xdplab equiv's documents; they refer to JSONSchema
// for what they share with a results file.
var (
	//go:embed inspect.schema.json
	InspectionJSONSchema []byte
	//go:embed equivalence.schema.json
	EquivalenceJSONSchema []byte
)

//go:embed results.schema.json
var JSONSchema []byte
