package results

// Metric says what one figure of a results file means: its unit, which
// direction is better, and the counter it comes from.
type Metric struct {
	Unit   string `json:"unit"`
	Better string `json:"better"` // higher, lower, or none
	Source string `json:"source"`
}

// The directions.
const (
	BetterHigher = "higher"
	BetterLower  = "lower"
	BetterNone   = "none"
)

const latencySource = "one-way latency: the generator program's bpf_ktime_get_ns at send, in the payload, against the sink program's on arrival (the same host clock); " +
	"percentile of a log-linear histogram map (buckets at most 12.5% wide, midpoint), only in runs with --latency"

// The CPUs a run's CPU figures count (CPUScope of StandardMetrics).
const (
	// CPUsOfGenerator: a veth pair, where the generator, the veth NAPI
	// and the DUT program share the generator's CPUs.
	CPUsOfGenerator = "the generator's CPUs: generator, veth and DUT program share those CPUs"
)

// CPUsOfDUTHost are the CPUs a run with the generator on host counts:
// every CPU of this host, the DUT's; sameKernel where the "host" is a
// namespace of this one, whose generator's work the figures then hold.
func CPUsOfDUTHost(host string, sameKernel bool) string {
	if sameKernel {
		return "every CPU of this host: " + host + " shares this host's kernel (the same boot id: a namespace posing as a host), so the generator's work is in them"
	}
	return "every CPU of this host, the DUT's: the generator runs on " + host + " and its CPU time is not in them"
}

// StandardMetrics describes every figure of Figures, Summary and
// Result.ProgNsPerPkt, keyed by its JSON name. generator names the
// generator's own counter, cpus the CPUs the CPU figures count
// (CPUsOfGenerator, CPUsOfDUTHost).
func StandardMetrics(generator, cpus string) map[string]Metric {
	return map[string]Metric{
		"offered_pps": {"packets/s", BetterNone, "frames the generator sent (" + generator + "), per second of the timed window"},
		"throughput_pps": {"packets/s", BetterHigher, "frames the DUT program counted in xdplab's per-CPU stats map per second of the timed window; " +
			"for a user's program the DUT interface's rx_queue_*_xdp_packets, or netlink rx_packets where that stays 0"},
		"l2_bits_per_sec": {"bit/s", BetterHigher, "throughput_pps x frame size with FCS x 8"},
		"l1_bits_per_sec": {"bit/s", BetterHigher, "throughput_pps x (frame size with FCS + 20 bytes of preamble and gap) x 8"},
		"loss":            {"ratio", BetterLower, "1 - frames the DUT saw / frames offered, over the trial after every counter settled"},
		"delivered_pps": {"packets/s", BetterHigher, "frames out of the DUT per second: the sink program's count (tx, redirect) " +
			"or Ip InReceives / Ip6InReceives of the DUT namespace (pass)"},
		"cpu_ns_per_pkt": {"ns/packet", BetterLower, "/proc/stat busy time (user+system+irq+softirq) per offered frame, of " + cpus},
		"cpu_percent":    {"percent", BetterNone, "busy share (/proc/stat) of " + cpus},
		"dut_ns_per_pkt": {"ns/packet", BetterLower, "cpu_ns_per_pkt minus the generator's own cost, calibrated against a minimal native sink"},
		"prog_ns_per_pkt": {"ns/packet", BetterLower, "BPF run-time stats (run_time_ns / run_cnt) in a separate pass after the trials, " +
			"net of the stats' own cost per run measured on an empty program"},
		"latency_p50_ns": {"ns", BetterLower, latencySource},
		"latency_p99_ns": {"ns", BetterLower, latencySource},
	}
}
