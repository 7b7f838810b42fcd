package results

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// KV is one setting of a configuration, in the manner of benchfmt's
// configuration: the one description from which the text table's header,
// the HTML report, compare's pairing keys and names are all made.
type KV struct {
	Key   string
	Value string
	// Pairs: the setting shapes what is measured, so compare pairs two
	// results only where it is equal. Other settings say how it was
	// measured (generator, trials, durations).
	Pairs bool
	// Default: the value a run has unless told otherwise; names leave it
	// out.
	Default bool
	// Method: the setting says how the figures were taken (generator,
	// trials, durations), not what was measured.
	Method bool
}

// Describe is the configuration of a run (res nil) or of one result, as
// ordered settings: the program, mode and the work it did (a result's
// only), the stream, then how it was measured. A setting that does not
// apply (no VLAN, no capture) is absent.
func Describe(c Config, res *Result) []KV {
	var l kvList
	work := c.Work
	if res != nil {
		l.add("prog", res.Program.Name, true, false)
		l.add("mode", res.Mode, true, false)
		if res.Program.Work != "" {
			work = res.Program.Work
		}
	}
	l.stream(c, work)
	l.replay(c)
	l.object(c)
	l.workload(c)
	n := len(l)
	l.method(c)
	for i := n; i < len(l); i++ {
		l[i].Method = true
	}
	return l
}

// kvList is a description being written: add leaves out a setting that
// has no value.
type kvList []KV

func (l *kvList) add(key, value string, pairs, def bool) {
	if value != "" {
		*l = append(*l, KV{Key: key, Value: value, Pairs: pairs, Default: def})
	}
}

// stream: the frames, flows, threads, work, protocol, VLAN, mix and rate.
func (l *kvList) stream(c Config, work string) {
	l.add("size", strconv.Itoa(c.FrameSize), true, false)
	ip := max(c.IPVersion, 4)
	l.add("ip", strconv.Itoa(ip), true, ip == 4)
	l.add("flows", strconv.Itoa(c.Flows), true, c.Flows <= 1)
	l.add("threads", strconv.Itoa(c.Threads), true, c.Threads <= 1)
	l.add("work", work, true, work == "" || work == "no-touch")
	proto := c.Protocol
	if proto == "" {
		proto = "udp"
	}
	l.add("proto", proto, true, proto == "udp")
	if c.Dst != "" {
		l.add("dst", c.Dst, true, false)
	}
	if c.DstPort != 0 {
		l.add("dport", strconv.Itoa(c.DstPort), true, false)
	}
	if c.VLAN != 0 {
		l.add("vlan", strconv.Itoa(c.VLAN), true, false)
	}
	l.add("imix", strings.ReplaceAll(c.IMIX, ",", "+"), true, false)
	if c.MalformedPPM != 0 {
		l.add("malformed-ppm", strconv.FormatUint(uint64(c.MalformedPPM), 10), true, false)
	}
	if c.RatePercent != 0 {
		l.add("rate", strconv.FormatFloat(c.RatePercent, 'f', -1, 64)+"%", true, false)
	} else if c.RatePPS != 0 {
		l.add("rate", strconv.FormatUint(c.RatePPS, 10), true, false)
	}
}

// replay: the capture a replay sends, and how.
func (l *kvList) replay(c Config) {
	if c.Pcap != "" {
		l.add("pcap", filepath.Base(c.Pcap), true, false)
		l.add("loops", strconv.Itoa(c.Loops), false, c.Loops <= 1)
		l.add("timing", c.ReplayTiming, false, c.ReplayTiming == "top-speed")
		if c.ReplaySpeed != 0 {
			l.add("speed", strconv.FormatFloat(c.ReplaySpeed, 'f', -1, 64), false, c.ReplaySpeed == 1)
		}
		if c.ReplayRewriteIPs {
			l.add("rewrite-ips", "true", false, false)
		}
	}
	if c.Latency {
		l.add("latency", "true", false, false)
	}
}

// object: a user's object's map sizes, variables, tail calls and pins.
func (l *kvList) object(c Config) {
	if len(c.MapEntries)+len(c.MapCPUs) > 0 {
		var sizes []string
		for _, name := range slices.Sorted(maps.Keys(c.MapEntries)) {
			sizes = append(sizes, name+":"+strconv.FormatUint(uint64(c.MapEntries[name]), 10))
		}
		for _, name := range c.MapCPUs {
			sizes = append(sizes, name+":cpus")
		}
		l.add("map-size", strings.Join(sizes, "+"), true, false)
	}
	if c.MapInit != "" {
		l.add("map-init", filepath.Base(c.MapInit), true, false)
	}
	if len(c.Variables) > 0 {
		var vars []string
		for _, name := range slices.Sorted(maps.Keys(c.Variables)) {
			vars = append(vars, name+":"+c.Variables[name])
		}
		l.add("set", strings.Join(vars, "+"), true, false)
	}
	if len(c.TailCalls) > 0 {
		l.add("tail-call", strings.Join(c.TailCalls, "+"), true, false)
	}
	if c.Pin != "" {
		l.add("pin", c.Pin, false, false)
	}
}

// workload: the reference workloads' settings.
func (l *kvList) workload(c Config) {
	if c.Sources != 0 {
		l.add("sources", strconv.Itoa(c.Sources), false, false)
	}
	if c.Rules != "" {
		l.add("rules", filepath.Base(c.Rules), false, false)
	}
	if c.Backends != 0 {
		l.add("backends", strconv.Itoa(c.Backends), false, false)
	}
	if c.LimitPPS != 0 || c.Burst != 0 {
		l.add("limit", strconv.FormatUint(c.LimitPPS, 10), false, false)
		l.add("burst", strconv.FormatUint(c.Burst, 10), false, false)
	}
}

// method: how the figures were taken.
func (l *kvList) method(c Config) {
	l.add("generator", c.Generator, false, false)
	l.add("trials", strconv.Itoa(c.Trials), false, false)
	if c.Interleave {
		l.add("interleaved", "yes", false, false)
	}
	l.add("duration", strconv.FormatFloat(c.DurationS, 'f', -1, 64)+"s", false, false)
	if c.Pcap == "" {
		l.add("warmup", strconv.FormatFloat(c.WarmupS, 'f', -1, 64)+"s", false, false)
	}
}

// Name is the pairing settings that are not defaults, benchmark style:
// prog=drop/mode=native/size=64/flows=16.
func Name(kv []KV) string {
	var parts []string
	for _, s := range kv {
		if s.Pairs && !s.Default {
			parts = append(parts, s.Key+"="+s.Value)
		}
	}
	return strings.Join(parts, "/")
}

// Text is every setting for people: "size 64, ip 4, flows 1, ...".
func Text(kv []KV) string {
	parts := make([]string, len(kv))
	for i, s := range kv {
		parts[i] = s.Key + " " + s.Value
	}
	return strings.Join(parts, ", ")
}

// Lookup is a setting's value ("" when absent).
func Lookup(kv []KV, key string) string {
	for _, s := range kv {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// Diff names the settings in which b differs from a, as "size 64 -> 128";
// only those that pair.
func Diff(a, b []KV) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]KV{a, b} {
		for _, s := range list {
			if !s.Pairs || seen[s.Key] {
				continue
			}
			seen[s.Key] = true
			if x, y := Lookup(a, s.Key), Lookup(b, s.Key); x != y {
				out = append(out, fmt.Sprintf("%s %s -> %s", s.Key, noneIfEmpty(x), noneIfEmpty(y)))
			}
		}
	}
	return out
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
