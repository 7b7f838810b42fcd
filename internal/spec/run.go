package spec

import (
	"net/netip"
	"time"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/xdplab/xdplab/internal/search"
	"github.com/xdplab/xdplab/internal/stream"
)

// Run is what to measure. It is plain data: applying it (namespaces,
// programs, traffic) is the runner's.
type Run struct {
	// Programs are built-in program names; empty when Object is set.
	Programs []string
	// Object and ObjectProgram name a user's XDP object and program.
	Object        string
	ObjectProgram string
	// MapEntries sizes the maps of the object that its own loader sizes
	// (max_entries 0 in the ELF), by map name ("*": every one left);
	// MapCPUs names those sized to the possible CPUs ("*": every one
	// left), as loaders size per-CPU tables.
	MapEntries map[string]uint32
	MapCPUs    []string
	// MapInit names a file of map contents for the object (JSON or YAML),
	// typed by its maps' BTF.
	MapInit string
	// Variables set the object's global variables (.rodata, .data,
	// .bss) before loading, by name, as text typed by its BTF.
	Variables map[string]string
	// TailCalls fill the object's program arrays with its programs.
	TailCalls []catalog.TailCall
	// PinScratch pins the maps the object pins by name in a scratch
	// bpffs; otherwise they load unpinned.
	PinScratch bool
	// Modes to run, XDP's and the other hooks; empty runs every XDP mode
	// the DUT supports. AllHooks adds every other hook to those; ByHook:
	// they were named as hooks (--hooks), and are shown so.
	Modes    []xdpmode.Mode
	AllHooks bool
	ByHook   bool
	Work     catalog.Work

	FrameSize int // bytes with FCS; with a Mix, its mean (rounded) at run time
	IPv6      bool
	Flows     int
	// Sources spreads the flows over this many source addresses (0: as
	// few as the ports allow, 50000 flows an address).
	Sources int
	// Workload settings: the filter's rules (RulesPath names their file),
	// the ratelimit workload's per-source limit, the l4lb workload's
	// number of backends (0: DefaultBackends).
	Rules     []catalog.FilterRule
	RulesPath string
	Limit     catalog.RateLimit
	Backends  int
	// The stream: transport, an 802.1Q tag (0: none), an IMIX instead of
	// one frame size, a share of malformed frames per million, and send
	// times in the payload for latency (tx and redirect only: a sink on
	// the far side reads them).
	Proto stream.Protocol
	// Dst and DstPort address the frames (zero: the DUT port's address
	// and port 9, discard): where a user's program is configured for a
	// VIP, frames to it (the test ranges, any address on named NICs).
	Dst          netip.Addr
	DstPort      uint16
	VLAN         uint16
	Mix          stream.Mix
	MalformedPPM uint32
	Latency      bool
	Threads      int
	// Generator is LiveFrames, AFPacket, or "" to pick live frames where
	// the kernel has them.
	Generator stream.Kind
	// RatePPS is the offered rate (live frames); 0: as fast as it can.
	RatePPS uint64
	// RatePercent paces each program and mode to this share (0-100] of
	// the DUT throughput an unpaced trial measured just before.
	RatePercent float64
	// Search, when set, runs the NDR/PDR search after the trials.
	Search *search.Options
	// Pcap replays a capture (pcap or pcapng of Ethernet frames) instead
	// of synthetic frames, Loops times a trial, with the frames' MACs set
	// to the topology's. ReplayTiming paces it: "" or top-speed, capture
	// (the capture's own timestamps, divided by ReplaySpeed), or rate
	// (RatePPS). PcapRewriteIPs sets the frames' IP addresses to the
	// topology's, checksums updated.
	Pcap           string
	Loops          int
	ReplayTiming   string
	ReplaySpeed    float64
	PcapRewriteIPs bool

	Warmup   time.Duration
	Duration time.Duration
	Trials   int
	// Interleave runs trial i of every program and mode before trial
	// i+1 of any, each attached anew.
	Interleave bool
	ProgStats  time.Duration // the program run-time pass; 0 skips it
	// Calibrate measures the generator's own cost against a minimal sink.
	Calibrate bool

	// DUTIface and PeerIface name two interfaces of this host cabled back
	// to back. Empty: a veth pair.
	DUTIface, PeerIface string
	// Remote is the generator's host (ssh://[user@]host[:port]): PeerIface
	// is its port there, cabled to DUTIface here. RemoteXdplab is xdplab's
	// path there and RemoteSSHOptions ssh's -o options (the command line
	// only: an option such as ProxyCommand runs a command here).
	Remote           string
	RemoteXdplab     string
	RemoteSSHOptions []string
	// Force accepts an interface that carries the default route (the
	// command line only, never a file).
	Force bool
	// RunID names the run's namespaces xdplab-<id>-*; empty: random.
	RunID string
}

// Defaults are the values a run starts from.
func Defaults() Run {
	return Run{
		Programs:     []string{"drop"},
		FrameSize:    64,
		Proto:        stream.UDP,
		Flows:        1,
		Threads:      1,
		Warmup:       time.Second,
		Duration:     5 * time.Second,
		Trials:       3,
		ProgStats:    time.Second,
		Calibrate:    true,
		Loops:        1,
		ReplayTiming: "top-speed",
		ReplaySpeed:  1,
	}
}

// DefaultSearch is what a search with no further settings uses.
func DefaultSearch() search.Options { return search.Defaults() }

// Limits on the settings. Sampling is once a second.
const (
	MinDuration = time.Second
	MaxDuration = time.Hour
	MaxTrials   = 1000
	MaxRatePPS  = 1e9
	MaxVLAN     = stream.MaxVLAN
	MaxLoops    = 1000000
	MaxSpeed    = 1e6
	// MaxThreads is the most generator threads (and veth queues) a run
	// may ask for; how many CPUs it may use is the host's to say.
	MaxThreads = 256
	// MaxBackends is the l4lb workload's most backends (catalog.MaxBackends).
	MaxBackends = catalog.MaxBackends
	// MaxMapEntries bounds the size a user's map is given.
	MaxMapEntries = 1 << 28
	// DefaultBackends is the l4lb workload's number of backends when none
	// is given.
	DefaultBackends = 8
	// MaxCaptureFrame is the largest frame a replay sends: a 1500-byte MTU
	// plus the Ethernet header.
	MaxCaptureFrame = 1514
)

// StreamSpec is the stream's frame without addresses: what sizes depend on.
func (r *Run) StreamSpec() stream.FrameSpec {
	s := stream.FrameSpec{Size: r.FrameSize, Proto: r.Proto, VLAN: r.VLAN, Stamp: r.Latency,
		Src: netip.IPv4Unspecified(), Dst: netip.IPv4Unspecified()}
	if r.IPv6 {
		s.Src, s.Dst = netip.IPv6Unspecified(), netip.IPv6Unspecified()
	}
	return s
}
