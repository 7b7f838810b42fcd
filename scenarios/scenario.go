// Package scenarios reads scenario files: YAML that says what to measure
// (programs, modes, topology, traffic, trial settings) and what must hold
// (expectations), so that the same test runs by hand and in CI. Parsing is
// strict: an unknown key, a wrong type or an out-of-range value is an error
// naming the file, the line and the key. The library/ directory holds the
// scenarios xdplab ships; the subpackage expect parses and checks their
// expectations.
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xdplab/xdplab/internal/xdp"

	"github.com/goccy/go-yaml"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/scenarios/expect"
)

// Format is the scenario format's version; a file says `format: 1`.
const Format = 1

// File is a scenario file as written.
type File struct {
	Format      int      `yaml:"format"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Programs    []string `yaml:"programs"`
	Object      *Object  `yaml:"object"`
	// Modes lists XDP modes, or is [auto] / empty: every mode detected.
	Modes    []string  `yaml:"modes"`
	Topology *Topology `yaml:"topology"`
	Traffic  Traffic   `yaml:"traffic"`
	Trials   Trials    `yaml:"trials"`
	// Workload holds the reference workloads' settings.
	Workload *Workload `yaml:"workload"`
	Expect   []string  `yaml:"expect"`
}

// Workload holds the settings of the reference workloads.
type Workload struct {
	// Rules names the filter's rules file, relative to the scenario file.
	Rules string `yaml:"rules"`
	// Limit (frames/s a source may send: 100000, "100k") and Burst
	// (frames at once) set the ratelimit workload.
	Limit any    `yaml:"limit"`
	Burst uint64 `yaml:"burst"`
	// Backends is the l4lb workload's number of backends.
	Backends int `yaml:"backends"`
}

// Object names a user's XDP object, relative to the scenario file.
type Object struct {
	Path    string `yaml:"path"`
	Program string `yaml:"program"`
}

// Topology says where to measure.
type Topology struct {
	Kind string `yaml:"kind"` // pair (default) or nic-pair
	DUT  string `yaml:"dut"`  // nic-pair: the interface under test
	Peer string `yaml:"peer"` // nic-pair: the generator's interface
	// Force is refused: accepting the interface that carries the default
	// route is for the command line only (--force), never a file's.
	Force *bool `yaml:"force"`
}

// Traffic says what the generator sends.
type Traffic struct {
	Protocol string `yaml:"protocol"` // udp, tcp-syn, icmp
	IP       int    `yaml:"ip"`       // 4 or 6
	VLAN     int    `yaml:"vlan"`     // an 802.1Q VLAN id
	// IMIX sends a mix of sizes instead of sizes: "imix" (7:4:1 of 64,
	// 570, 1518) or a list of {size, weight}.
	IMIX any `yaml:"imix"`
	// Malformed is the share of malformed frames: "1%".
	Malformed string `yaml:"malformed"`
	// Latency stamps frames and measures one-way latency (tx, redirect).
	Latency   bool   `yaml:"latency"`
	Sizes     any    `yaml:"sizes"`   // a list of frame sizes, or "rfc2544"
	Flows     any    `yaml:"flows"`   // a number or a list of numbers
	Sources   int    `yaml:"sources"` // source addresses the flows spread over
	Threads   int    `yaml:"threads"`
	Generator string `yaml:"generator"` // auto, live-frames, af-packet
	Rate      any    `yaml:"rate"`      // frames/s: 250000, "250k", "1.5M", or "50%" of the maximum; absent: as fast as it can
	Pcap      *Pcap  `yaml:"pcap"`      // replay a capture instead of synthetic frames
	Work      string `yaml:"work"`      // built-ins' per-packet work
}

// Pcap names a capture to replay, relative to the scenario file.
type Pcap struct {
	Path  string `yaml:"path"`
	Loops int    `yaml:"loops"`
	// Timing: top-speed (default), capture (its own timestamps, sped up by
	// speed) or rate (traffic.rate frames/s).
	Timing string  `yaml:"timing"`
	Speed  float64 `yaml:"speed"`
	// RewriteIPs sets the frames' IP addresses to the topology's.
	RewriteIPs bool `yaml:"rewrite_ips"`
}

// Trials says how long to measure.
type Trials struct {
	Warmup    string `yaml:"warmup"`
	Duration  string `yaml:"duration"`
	Count     int    `yaml:"count"`
	ProgStats string `yaml:"prog_stats"`
	Calibrate *bool  `yaml:"calibrate"`
	// Search runs the NDR/PDR search after the trials.
	Search bool `yaml:"search"`
}

// RFC2544Sizes are RFC 2544's Ethernet frame sizes (with FCS).
var RFC2544Sizes = []int{64, 128, 256, 512, 1024, 1280, 1518}

// Scenario is a checked scenario: one runner configuration per frame size
// and flow count, and the expectations.
type Scenario struct {
	Path    string
	File    File
	Configs []runner.Config
	Expect  []expect.Expectation
}

// Error is a mistake in a scenario file, with where it is.
type Error struct {
	Path string
	Line int
	Key  string // the YAML path, such as traffic.sizes
	Msg  string
}

func (e *Error) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse checks a scenario file's contents; path names it in errors and
// anchors relative object paths.
func Parse(path string, data []byte) (*Scenario, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Path: path, Msg: "empty file: a scenario needs at least format, name and programs (see scenarios/library)"}
	}
	if err := bounded(data); err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	var f File
	if err := unmarshal(data, &f); err != nil {
		return nil, yamlError(path, err)
	}
	c := &checker{path: path, data: data}
	s := &Scenario{Path: path, File: f}
	c.check(&f, s)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return s, nil
}

// unmarshal decodes strictly. goccy/go-yaml v1.19.2 panics on some inputs
// (a tagged scalar where a list belongs, found by FuzzParse); such input is
// reported as an error, never a crash.
func unmarshal(data []byte, f *File) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the YAML could not be decoded (%v): check the file's structure against scenarios/library", p)
		}
	}()
	return yaml.UnmarshalWithOptions(data, f, yaml.Strict())
}

// yamlError turns the YAML library's error ("[4:3] unknown field ...") into
// file:line: message.
func yamlError(path string, err error) error {
	msg := yaml.FormatError(err, false, false)
	line := 0
	if strings.HasPrefix(msg, "[") {
		if end := strings.Index(msg, "]"); end > 0 {
			pos := strings.SplitN(msg[1:end], ":", 2)
			line, _ = strconv.Atoi(pos[0])
			msg = strings.TrimSpace(msg[end+1:])
		}
	}
	msg = strings.ReplaceAll(msg, "Go struct field ", "")
	return &Error{Path: path, Line: line, Msg: cut(msg)}
}

type checker struct {
	path string
	data []byte
	errs []error
}

// line finds the line of a YAML path such as $.traffic.sizes.
func (c *checker) line(key string) int {
	p, err := yaml.PathString("$." + key)
	if err != nil {
		return 0
	}
	n, err := p.ReadNode(bytes.NewReader(c.data))
	if err != nil || n == nil || n.GetToken() == nil {
		if i := strings.LastIndex(key, "."); i > 0 {
			return c.line(key[:i])
		}
		return 0
	}
	return n.GetToken().Position.Line
}

// MaxMessage bounds an error message: a hostile value is never echoed
// whole.
const MaxMessage = 400

// MaxErrors bounds the errors one file reports.
const MaxErrors = 20

func (c *checker) errorf(key, format string, args ...any) {
	if len(c.errs) == MaxErrors {
		c.errs = append(c.errs, &Error{Path: c.path, Msg: fmt.Sprintf("more than %d mistakes: fix these first", MaxErrors)})
	}
	if len(c.errs) > MaxErrors {
		return
	}
	c.errs = append(c.errs, &Error{Path: c.path, Line: c.line(key), Key: key, Msg: cut(fmt.Sprintf(format, args...))})
}

// cut shortens a message to MaxMessage bytes.
func cut(s string) string { return clip(s, MaxMessage) }

func (c *checker) duration(key, v string, def time.Duration, lo, hi time.Duration) time.Duration {
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		c.errorf(key, "%q is not a duration: write it like 2s, 500ms or 1m", v)
		return def
	}
	if d < lo || d > hi {
		c.errorf(key, "%s out of range: use %s to %s", d, lo, hi)
		return def
	}
	return d
}

func (c *checker) ints(key string, v any, def []int) []int {
	switch x := v.(type) {
	case nil:
		return def
	case uint64:
		return []int{int(x)}
	case int64:
		return []int{int(x)}
	case int:
		return []int{x}
	case string:
		if key == "traffic.sizes" && strings.EqualFold(x, "rfc2544") {
			return RFC2544Sizes
		}
	case []any:
		var out []int
		for i, e := range x {
			n, ok := asInt(e)
			if !ok {
				c.errorf(fmt.Sprintf("%s[%d]", key, i), "%s: give a whole number (a list holds numbers, not lists)", short(e))
				return def
			}
			out = append(out, n)
		}
		if len(out) == 0 {
			c.errorf(key, "an empty list: give at least one value")
			return def
		}
		return out
	}
	if key == "traffic.sizes" {
		c.errorf(key, "%s: give a list of frame sizes ([64, 512, 1518]) or rfc2544", short(v))
	} else {
		c.errorf(key, "%s: give a number or a list of numbers", short(v))
	}
	return def
}

func (c *checker) check(f *File, s *Scenario) {
	if f.Format != Format {
		c.errorf("format", "format %d: this xdplab reads scenario format %d (write `format: %d`)", f.Format, Format, Format)
	}
	if strings.TrimSpace(f.Name) == "" {
		c.errorf("name", "missing: every scenario has a name (it names the results files)")
	} else if err := validName(f.Name); err != nil {
		c.errorf("name", "%v", err)
	}
	base := runner.Defaults()
	base.Command = []string{"xdplab", "run", "--scenario", s.Path}
	switch {
	case f.Object != nil && len(f.Programs) > 0:
		c.errorf("object", "programs and object exclude each other: a scenario measures built-ins or one object")
	case f.Object != nil:
		p := f.Object.Path
		if p == "" {
			c.errorf("object.path", "missing: name the BPF ELF object")
		} else {
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(s.Path), p)
			}
			if _, err := os.Stat(p); err != nil {
				c.errorf("object.path", "%s: %v", p, errors.Unwrap(err))
			}
		}
		base.Object, base.ObjectProgram, base.Programs = p, f.Object.Program, nil
	case len(f.Programs) == 0:
		c.errorf("programs", "missing: name built-in programs (%s) or an object", strings.Join(bpf.BuiltinNames(), ", "))
	default:
		for i, p := range f.Programs {
			if _, err := bpf.LookupBuiltin(p); err != nil {
				c.errorf(fmt.Sprintf("programs[%d]", i), "%v", err)
			}
		}
		base.Programs = f.Programs
	}
	if !(len(f.Modes) == 0 || len(f.Modes) == 1 && f.Modes[0] == "auto") {
		for i, m := range f.Modes {
			mode, err := xdp.ParseMode(m)
			if err != nil {
				c.errorf(fmt.Sprintf("modes[%d]", i), "%v (or auto)", err)
				continue
			}
			if slices.Contains(base.Modes, mode) {
				c.errorf(fmt.Sprintf("modes[%d]", i), "%s named twice", mode)
			}
			base.Modes = append(base.Modes, mode)
		}
	}
	if t := f.Topology; t != nil {
		if t.Force != nil {
			c.errorf("topology.force", "a scenario file cannot accept the interface that carries the default route: give --force on the command line if you mean it")
		}
		switch t.Kind {
		case "", "pair":
			if t.DUT != "" || t.Peer != "" {
				c.errorf("topology", "dut and peer name a nic-pair's interfaces: set kind: nic-pair")
			}
		case "nic-pair":
			if t.DUT == "" || t.Peer == "" {
				c.errorf("topology", "a nic-pair needs dut and peer: two interfaces of this host cabled back to back")
			}
			base.DUTIface, base.PeerIface = t.DUT, t.Peer
		default:
			c.errorf("topology.kind", "%q: use pair or nic-pair", t.Kind)
		}
	}
	tr := f.Traffic
	if p, err := traffic.ParseProtocol(tr.Protocol); err != nil {
		c.errorf("traffic.protocol", "%q: use udp, tcp-syn or icmp", tr.Protocol)
	} else {
		base.Proto = p
	}
	if tr.VLAN < 0 || tr.VLAN > 4094 {
		c.errorf("traffic.vlan", "%d out of range: use a VLAN id from 1 to 4094", tr.VLAN)
	} else {
		base.VLAN = uint16(tr.VLAN)
	}
	if tr.IMIX != nil {
		if tr.Sizes != nil {
			c.errorf("traffic.imix", "imix and sizes exclude each other: the mix names its sizes")
		}
		base.Mix = c.mix(tr.IMIX)
	}
	if tr.Malformed != "" {
		ppm, err := traffic.ParseShare(tr.Malformed)
		if err != nil {
			c.errorf("traffic.malformed", "%v", err)
		}
		base.MalformedPPM = ppm
	}
	base.Latency = tr.Latency
	base.Sources = tr.Sources
	if w := f.Workload; w != nil && w.Rules != "" {
		path := w.Rules
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(s.Path), path)
		}
		rules, err := bpf.ReadFilterRules(path)
		if err != nil {
			c.errorf("workload.rules", "%v", err)
		}
		base.Rules, base.RulesPath = rules, path
	}
	if w := f.Workload; w != nil {
		if w.Limit != nil {
			l, err := traffic.ParseRate(fmt.Sprint(w.Limit))
			if err != nil {
				c.errorf("workload.limit", "%v", err)
			}
			base.Limit.PPS = l
		}
		base.Limit.Burst = w.Burst
		base.Backends = w.Backends
	}
	switch tr.IP {
	case 0, 4:
	case 6:
		base.IPv6 = true
	default:
		c.errorf("traffic.ip", "%d: use 4 or 6", tr.IP)
	}
	if tr.Threads != 0 {
		base.Threads = tr.Threads
	}
	if tr.Generator != "" {
		k, err := traffic.ParseKind(tr.Generator)
		if err != nil {
			c.errorf("traffic.generator", "%v", err)
		}
		base.Generator = k
	}
	if tr.Work != "" {
		w, err := bpf.ParseWork(tr.Work)
		if err != nil {
			c.errorf("traffic.work", "%v", err)
		}
		base.Work = w
	}
	if tr.Rate != nil {
		r, pct, err := traffic.ParseRateOrShare(fmt.Sprint(tr.Rate))
		if err != nil {
			c.errorf("traffic.rate", "%v", err)
		}
		base.RatePPS, base.RatePercent = r, pct
	}
	if p := tr.Pcap; p != nil {
		path := p.Path
		if path != "" && !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(s.Path), path)
		}
		switch {
		case p.Path == "":
			c.errorf("traffic.pcap.path", "missing: name the capture file")
		case tr.Sizes != nil:
			c.errorf("traffic.pcap", "a replay sends the capture's frames: leave out traffic.sizes")
		case f.Trials.Warmup != "":
			c.errorf("trials.warmup", "a replay sends the capture once a loop and has no warm-up: leave trials.warmup out")
		default:
			if _, err := traffic.ReadCapture(path, 1514); err != nil {
				c.errorf("traffic.pcap.path", "%v", err)
			}
		}
		base.Pcap, base.Loops = path, max(p.Loops, 1)
		base.ReplayTiming, base.ReplaySpeed, base.PcapRewriteIPs = p.Timing, p.Speed, p.RewriteIPs
		if p.Timing == "capture" && p.Speed == 0 {
			base.ReplaySpeed = 1
		}
	}
	sizes := c.ints("traffic.sizes", tr.Sizes, []int{base.FrameSize})
	flows := c.ints("traffic.flows", tr.Flows, []int{base.Flows})
	t := f.Trials
	base.Warmup = c.duration("trials.warmup", t.Warmup, base.Warmup, 0, runner.MaxDuration)
	base.Duration = c.duration("trials.duration", t.Duration, base.Duration, runner.MinDuration, runner.MaxDuration)
	base.ProgStats = c.duration("trials.prog_stats", t.ProgStats, base.ProgStats, 0, runner.MaxDuration)
	if t.Count != 0 {
		base.Trials = t.Count
	}
	if t.Calibrate != nil {
		base.Calibrate = *t.Calibrate
	}
	if t.Search {
		sc := runner.DefaultSearch()
		base.Search = &sc
	}
	for i, e := range f.Expect {
		x, err := expect.Parse(e)
		if err != nil {
			c.errorf(fmt.Sprintf("expect[%d]", i), "%v", err)
			continue
		}
		s.Expect = append(s.Expect, x)
	}
	for _, size := range sizes {
		for _, fl := range flows {
			cfg := base
			cfg.FrameSize, cfg.Flows = size, fl
			if err := cfg.Validate(); err != nil {
				c.errorf(configKey(err), "%v", err)
				return
			}
			s.Configs = append(s.Configs, cfg)
		}
	}
}

// mix reads traffic.imix: "imix", "64:7,570:4,1518:1", or a list of
// {size, weight}.
func (c *checker) mix(v any) traffic.Mix {
	const key = "traffic.imix"
	var m traffic.Mix
	switch x := v.(type) {
	case string:
		var err error
		if m, err = traffic.ParseMix(x); err != nil {
			c.errorf(key, "%v", err)
			return nil
		}
	case []any:
		for i, e := range x {
			em, ok := e.(map[string]any)
			k := fmt.Sprintf("%s[%d]", key, i)
			if !ok {
				c.errorf(k, "%v: give {size: 64, weight: 7}", e)
				return nil
			}
			var me traffic.MixEntry
			for name, val := range em {
				n, ok := asInt(val)
				switch {
				case name != "size" && name != "weight":
					c.errorf(k, "unknown key %q: an entry has size and weight", name)
					return nil
				case !ok:
					c.errorf(k+"."+name, "%v: give a whole number", val)
					return nil
				case name == "size":
					me.Size = n
				default:
					me.Weight = n
				}
			}
			if me.Size == 0 || me.Weight == 0 {
				c.errorf(k, "give both size and weight (weights from 1)")
				return nil
			}
			m = append(m, me)
		}
	default:
		c.errorf(key, "%v: give imix, or a list of {size, weight}", v)
		return nil
	}
	return m
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case uint64:
		return int(x), x < 1<<31
	case int64:
		return int(x), x > -1<<31 && x < 1<<31
	case int:
		return x, true
	}
	return 0, false
}

// configKey points a runner validation error at the scenario key it came
// from.
func configKey(err error) string {
	m := err.Error()
	// The more specific flags first: a message may name several.
	for _, fk := range [][2]string{
		{"--sources", "traffic.sources"}, {"--rules", "workload.rules"}, {"--prog filter", "workload.rules"},
		{"--limit", "workload.limit"}, {"--prog ratelimit", "workload.limit"}, {"--backends", "workload.backends"},
		{"--replay-timing", "traffic.pcap.timing"}, {"--replay-speed", "traffic.pcap.speed"}, {"--loops", "traffic.pcap.loops"},
		{"--pcap", "traffic.pcap"}, {"--imix", "traffic.imix"}, {"--size", "traffic.sizes"}, {"--flows", "traffic.flows"},
		{"--threads", "traffic.threads"}, {"--proto", "traffic.protocol"}, {"--vlan", "traffic.vlan"},
		{"--malformed", "traffic.malformed"}, {"--latency", "traffic.latency"}, {"--search", "trials.search"},
		{"--rate", "traffic.rate"}, {"--trials", "trials.count"}, {"--duration", "trials.duration"}, {"--iface", "topology"},
	} {
		if strings.Contains(m, fk[0]) {
			return fk[1]
		}
	}
	return "programs"
}
