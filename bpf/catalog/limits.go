package catalog

import "slices"

// The constants the C programs share with Go: sizes, limits, counter slots
// and the work levels. This file is their one source: make generate writes
// bpf/limits.h from it (bpf/internal/mkheader), the C includes that header, and
// CI fails when the committed header is stale.

// NumActions is the number of entries in the shared stats map (one per
// XDP action, XDP_ABORTED to XDP_REDIRECT).
const NumActions = 5

// The work levels, cheapest first.
const (
	NoTouch  Work = 0 // do not read the frame
	ReadData Work = 1 // read the Ethernet header
	ParseIP  Work = 2 // parse the Ethernet and IPv4/IPv6 headers
	SwapMACs Work = 3 // parse, then swap source and destination MAC
)

// Sizes and limits of the programs' maps.
const (
	// MaxFilterRules is the size of the filter's rule tables (rule 0
	// counts malformed frames); MaxFilterPrefixes of its LPM tries.
	MaxFilterRules    = 1024
	MaxFilterPrefixes = 65536
	// MaglevSize is the size of each VIP's Maglev ring (a prime), MaxVIPs
	// the VIPs the balancer holds, MaxBackends its backends.
	MaglevSize  = 4093
	MaxVIPs     = 16
	MaxBackends = 256
	// MaxRestore is how much of the template the generator can restore;
	// MaxGenSizes how many sizes it cycles through.
	MaxRestore  = 128
	MaxGenSizes = 64
	// MaxReplayFrame and MaxReplayFrames bound the replay program's
	// frames.
	MaxReplayFrame  = 1514
	MaxReplayFrames = 16384
	// MaxXSKQueues is the most rx queues the afxdp hook has a socket on.
	MaxXSKQueues = 256
	// LatencySubBits splits each power of two of the latency histogram.
	LatencySubBits = 3
)

// The ratelimit workload's verdicts, its counter slots.
const (
	VerdictPassed = iota
	VerdictOver
	VerdictMalformed
	VerdictContended
	NumVerdicts
)

// The flowstats workload's counter slots: frames filed under a flow,
// malformed frames, non-IP frames.
const (
	SeenFlow = iota
	SeenMalformed
	SeenNonIP
	NumSeen
)

// The l4lb workload's counter slots: new flows (ring), known flows
// (connection table), frames to no VIP (passed), malformed frames and
// frames with no backend or no room (dropped).
const (
	LBNew = iota
	LBKnown
	LBNoVIP
	LBMalformed
	LBNoBackend
	NumLBStats
)

// The lb sink's checks: encapsulated as the balancer does, not
// encapsulated, inner packet bad.
const (
	SinkEncapsulated = iota
	SinkNotEncapsulated
	SinkInnerBad
	NumSinkChecks
)

// QualifyOther is the index of Counts and Exceptions for an action that is
// none of the five.
const QualifyOther = NumActions

// headerConstants are the C names of the constants above, in limits.h.
var headerConstants = []struct {
	Name  string
	Value int
}{
	{"XDPLAB_ACTIONS", NumActions},
	{"WORK_NO_TOUCH", int(NoTouch)}, {"WORK_READ_DATA", int(ReadData)}, {"WORK_PARSE_IP", int(ParseIP)}, {"WORK_SWAP_MACS", int(SwapMACs)},
	{"MAX_RULES", MaxFilterRules}, {"MAX_PREFIXES", MaxFilterPrefixes},
	{"RING_SIZE", MaglevSize}, {"MAX_VIPS", MaxVIPs}, {"MAX_BACKENDS", MaxBackends},
	{"RESTORE_MAX", MaxRestore}, {"MAX_SIZES", MaxGenSizes},
	{"REPLAY_MAX_FRAME", MaxReplayFrame}, {"REPLAY_MAX_FRAMES", MaxReplayFrames},
	{"LAT_SUB_BITS", LatencySubBits}, {"MAX_XSK_QUEUES", MaxXSKQueues},
	{"RL_PASSED", VerdictPassed}, {"RL_OVER", VerdictOver}, {"RL_MALFORMED", VerdictMalformed}, {"RL_CONTENDED", VerdictContended}, {"RL_VERDICTS", NumVerdicts},
	{"SEEN_FLOW", SeenFlow}, {"SEEN_MALFORMED", SeenMalformed}, {"SEEN_NON_IP", SeenNonIP}, {"SEEN_SLOTS", NumSeen},
	{"LB_NEW", LBNew}, {"LB_KNOWN", LBKnown}, {"LB_NO_VIP", LBNoVIP}, {"LB_MALFORMED", LBMalformed}, {"LB_NO_BACKEND", LBNoBackend}, {"LB_STATS", NumLBStats},
	{"SINK_ENCAPSULATED", SinkEncapsulated}, {"SINK_NOT_ENCAPSULATED", SinkNotEncapsulated}, {"SINK_INNER_BAD", SinkInnerBad}, {"SINK_CHECKS", NumSinkChecks},
	{"Q_OTHER", QualifyOther},
}

// HeaderConstants returns a copy of headerConstants, which no importer can change.
func HeaderConstants() []struct {
	Name  string
	Value int
} {
	return slices.Clone(headerConstants)
}
