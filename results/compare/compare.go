// Package compare sets xdplab results side by side with statistics: per
// configuration and metric, each side's median with its 95% confidence
// interval, the change, and the Mann-Whitney U test's p-value
// (golang.org/x/perf/benchmath); and it judges regressions for the release
// gate.
package compare

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/xdplab/xdplab/results"
)

// Input is one results file.
type Input struct {
	Label string // the file's base name without .json, unless set
	Run   *results.Run
}

// Load reads results files; each is labelled by its base name.
func Load(paths []string) ([]Input, error) {
	var in []Input
	for _, p := range paths {
		r, err := results.ReadFile(p)
		if err != nil {
			return nil, err
		}
		in = append(in, Input{Label: strings.TrimSuffix(filepath.Base(p), ".json"), Run: r})
	}
	return in, nil
}

// Dimensions a table can be pivoted by.
const (
	ByRun    = "run"
	ByKernel = "kernel"
	ByMode   = "mode"
)

// Metric is one figure compare shows.
type Metric struct {
	Name   string // column name, also the benchfmt unit
	JSON   string // the results file's name for it (Run.Metrics key)
	Unit   string
	Better string  // results.BetterHigher or BetterLower
	Scale  float64 // shown value = stored value x Scale
	// PerResult: one value per result (measured once, not per trial).
	PerResult bool
	// get returns the values of one result: one per trial, or one for the
	// result (prog ns/pkt, measured once).
	get func(r *results.Result) []float64
}

func perTrial(f func(t *results.Trial) float64) func(r *results.Result) []float64 {
	return func(r *results.Result) []float64 {
		var out []float64
		for i := range r.Trials {
			out = append(out, f(&r.Trials[i]))
		}
		return out
	}
}

// Metrics are the figures compare sets side by side. NDR and PDR come
// from the throughput search (one value per result); latency percentiles
// from runs with --latency (one value per trial that measured it).
var Metrics = []Metric{
	{Name: "Mpps", JSON: "throughput_pps", Unit: "Mpps", Better: results.BetterHigher, Scale: 1e-6,
		get: perTrial(func(t *results.Trial) float64 { return t.Figures.ThroughputPPS })},
	{Name: "loss-%", JSON: "loss", Unit: "%", Better: results.BetterLower, Scale: 100,
		get: perTrial(func(t *results.Trial) float64 { return t.Figures.Loss })},
	{Name: "cpu-ns/pkt", JSON: "cpu_ns_per_pkt", Unit: "ns/packet", Better: results.BetterLower, Scale: 1,
		get: perTrial(func(t *results.Trial) float64 { return t.Figures.CPUNsPerPkt })},
	{Name: "prog-ns/pkt", JSON: "prog_ns_per_pkt", Unit: "ns/packet", Better: results.BetterLower, Scale: 1, PerResult: true,
		get: func(r *results.Result) []float64 {
			if r.ProgNsPerPkt == nil {
				return nil
			}
			return []float64{r.ProgNsPerPkt.Value}
		}},
	{Name: "lat-p50-us", JSON: "latency_p50_ns", Unit: "us", Better: results.BetterLower, Scale: 1e-3,
		get: latency(func(l *results.Latency) float64 { return l.P50Ns })},
	{Name: "lat-p99-us", JSON: "latency_p99_ns", Unit: "us", Better: results.BetterLower, Scale: 1e-3,
		get: latency(func(l *results.Latency) float64 { return l.P99Ns })},
	{Name: "NDR-Mpps", JSON: "ndr", Unit: "Mpps", Better: results.BetterHigher, Scale: 1e-6, PerResult: true,
		get: throughput(func(r *results.Result) *results.Throughput { return r.NDR })},
	{Name: "PDR-Mpps", JSON: "pdr", Unit: "Mpps", Better: results.BetterHigher, Scale: 1e-6, PerResult: true,
		get: throughput(func(r *results.Result) *results.Throughput { return r.PDR })},
}

func latency(pick func(l *results.Latency) float64) func(r *results.Result) []float64 {
	return func(r *results.Result) []float64 {
		var out []float64
		for _, t := range r.Trials {
			if t.Latency != nil && t.Latency.Count > 0 {
				out = append(out, pick(t.Latency))
			}
		}
		return out
	}
}

func throughput(pick func(r *results.Result) *results.Throughput) func(r *results.Result) []float64 {
	return func(r *results.Result) []float64 {
		if t := pick(r); t != nil && t.Confirmed {
			return []float64{t.RatePPS}
		}
		return nil
	}
}

// Key identifies a configuration: what a row of the table is about, less
// the pivot dimension.
type Key struct {
	Program   string
	Mode      string
	FrameSize int
	IPVersion int
	Flows     int
	Threads   int
	Work      string
	// Stream names what else shapes the frames: proto=tcp-syn, vlan=7,
	// imix=..., malformed=..., rate=50%, pcap=... (empty: plain UDP).
	Stream string
	Kernel string
	Run    string
}

func (k Key) dim(by string) string {
	switch by {
	case ByKernel:
		return k.Kernel
	case ByMode:
		return k.Mode
	}
	return k.Run
}

// without is the row key: k less the pivot dimension. By kernel, the runs
// of one kernel pool their trials; by run, rows stay apart per kernel; by
// mode, per kernel and run.
func (k Key) without(by string) Key {
	switch by {
	case ByKernel:
		k.Kernel, k.Run = "", ""
	case ByMode:
		k.Mode = ""
	default:
		k.Run = ""
	}
	return k
}

// Name writes the key in benchmark style: prog=drop/mode=native/size=64.
func (k Key) Name() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("prog", k.Program)
	add("mode", k.Mode)
	if k.FrameSize != 0 {
		add("size", strconv.Itoa(k.FrameSize))
	}
	if k.IPVersion == 6 {
		add("ip", "6")
	}
	if k.Flows > 1 {
		add("flows", strconv.Itoa(k.Flows))
	}
	if k.Threads > 1 {
		add("threads", strconv.Itoa(k.Threads))
	}
	if k.Work != "" && k.Work != "no-touch" {
		add("work", k.Work)
	}
	if k.Stream != "" {
		parts = append(parts, k.Stream)
	}
	add("kernel", k.Kernel)
	add("run", k.Run)
	return strings.Join(parts, "/")
}

// keyOf is the configuration of a result, without kernel and run.
func keyOf(r *results.Run, res *results.Result) Key {
	work := ""
	if f := strings.Fields(res.Program.Work); len(f) > 0 {
		work = f[0] // "swap-macs (tx always swaps)" -> "swap-macs"
	}
	return Key{Program: res.Program.Name, Mode: res.Mode, FrameSize: r.Config.FrameSize, IPVersion: r.Config.IPVersion,
		Flows: r.Config.Flows, Threads: r.Config.Threads, Work: work, Stream: streamOf(r.Config)}
}

// streamOf names a run's stream where it is more than plain UDP frames of
// one size at top speed (benchmark-name style, no spaces).
func streamOf(c results.Config) string {
	var parts []string
	if c.Protocol != "" && c.Protocol != "udp" {
		parts = append(parts, "proto="+c.Protocol)
	}
	if c.VLAN != 0 {
		parts = append(parts, "vlan="+strconv.Itoa(c.VLAN))
	}
	if c.IMIX != "" {
		parts = append(parts, "imix="+strings.ReplaceAll(c.IMIX, ",", "+"))
	}
	if c.MalformedPPM != 0 {
		parts = append(parts, "malformed-ppm="+strconv.FormatUint(uint64(c.MalformedPPM), 10))
	}
	if c.RatePercent != 0 {
		parts = append(parts, "rate="+strconv.FormatFloat(c.RatePercent, 'f', -1, 64)+"%")
	} else if c.RatePPS != 0 {
		parts = append(parts, "rate="+strconv.FormatUint(c.RatePPS, 10))
	}
	if c.Pcap != "" {
		parts = append(parts, "pcap="+filepath.Base(c.Pcap))
	}
	return strings.Join(parts, "/")
}

// Cell is one side of one row for one metric.
type Cell struct {
	Column  string
	N       int
	Values  []float64 // as shown (scaled)
	Summary benchmath.Summary
	// Against the first column: the change of the medians in percent, the
	// test, and the verdicts.
	DeltaPct    float64
	P           float64
	Compared    bool
	Significant bool
	Regression  bool // significant, worse, and beyond the threshold
	Warnings    []string
}

// Row is one configuration for one metric.
type Row struct {
	Key   Key
	Cells []*Cell // one per column, nil where the column has no data
}

// Table is one metric across columns.
type Table struct {
	Metric Metric
	Rows   []Row
}

// Comparison is compare's whole answer.
type Comparison struct {
	By        string
	Columns   []string // the first is the baseline
	Threshold float64  // percent; 0 marks every significant change worse as a regression
	Alpha     float64
	Tables    []Table
	// Inputs describes each input: label, kernel, host, tool.
	Inputs []string
}

// Options shape a comparison.
type Options struct {
	By        string  // ByRun (default), ByKernel or ByMode
	Threshold float64 // percent
	Alpha     float64 // default 0.05
}

// Compare sets the inputs side by side.
func Compare(in []Input, o Options) (*Comparison, error) {
	if o.By == "" {
		o.By = ByRun
	}
	if o.By != ByRun && o.By != ByKernel && o.By != ByMode {
		return nil, fmt.Errorf("--by %q: use run, kernel or mode", o.By)
	}
	if o.Alpha == 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if len(in) == 0 {
		return nil, errors.New("nothing to compare: name results files")
	}
	seen := map[string]int{}
	for i := range in {
		if n := seen[in[i].Label]; n > 0 {
			in[i].Label = fmt.Sprintf("%s#%d", in[i].Label, n+1)
		}
		seen[in[i].Label]++
	}
	c := &Comparison{By: o.By, Threshold: o.Threshold, Alpha: o.Alpha}
	// samples[metric][row key][column] = values
	type cellKey struct {
		row Key
		col string
	}
	samples := make([]map[cellKey][]float64, len(Metrics))
	for i := range samples {
		samples[i] = map[cellKey][]float64{}
	}
	var rows []Key
	for _, inp := range in {
		r := inp.Run
		c.Inputs = append(c.Inputs, fmt.Sprintf("%s: kernel %s, %s, %s %s", inp.Label, r.Host.Kernel, r.Host.CPUModel, r.Tool.Name, r.Tool.Version))
		for i := range r.Results {
			res := &r.Results[i]
			if res.ControlPlaneOnly {
				continue
			}
			k := keyOf(r, res)
			k.Kernel, k.Run = r.Host.Kernel, inp.Label
			col := k.dim(o.By)
			if !slices.Contains(c.Columns, col) {
				c.Columns = append(c.Columns, col)
			}
			rk := k.without(o.By)
			if !slices.Contains(rows, rk) {
				rows = append(rows, rk)
			}
			for mi, m := range Metrics {
				for _, v := range m.get(res) {
					ck := cellKey{rk, col}
					samples[mi][ck] = append(samples[mi][ck], v*m.Scale)
				}
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Name() < rows[j].Name() })
	th := benchmath.DefaultThresholds
	th.CompareAlpha = o.Alpha
	for mi, m := range Metrics {
		t := Table{Metric: m}
		for _, rk := range rows {
			row := Row{Key: rk, Cells: make([]*Cell, len(c.Columns))}
			var base *benchmath.Sample
			var baseCell *Cell
			any := false
			for ci, col := range c.Columns {
				vals := samples[mi][cellKey{rk, col}]
				if len(vals) == 0 {
					continue
				}
				any = true
				s := benchmath.NewSample(slices.Clone(vals), &th)
				cell := &Cell{Column: col, N: len(vals), Values: s.Values, Summary: benchmath.AssumeNothing.Summary(s, 0.95)}
				for _, w := range cell.Summary.Warnings {
					cell.Warnings = append(cell.Warnings, w.Error())
				}
				if ci == 0 {
					base, baseCell = s, cell
				} else if base != nil {
					cmp := benchmath.AssumeNothing.Compare(base, s)
					cell.Compared, cell.P = true, cmp.P
					for _, w := range cmp.Warnings {
						cell.Warnings = append(cell.Warnings, w.Error())
					}
					cell.Significant = cmp.P < cmp.Alpha
					old, cur := baseCell.Summary.Center, cell.Summary.Center
					if old != 0 {
						cell.DeltaPct = (cur/old - 1) * 100
					}
					cell.Regression = cell.Significant && c.worse(m, old, cur)
				}
				row.Cells[ci] = cell
			}
			if any {
				t.Rows = append(t.Rows, row)
			}
		}
		c.Tables = append(c.Tables, t)
	}
	return c, nil
}

// worse tells whether going from old to cur is a regression beyond the
// threshold. Loss is judged in percentage points (it is often 0, where a
// relative change means nothing); the others relatively.
func (c *Comparison) worse(m Metric, old, cur float64) bool {
	var change float64 // positive = worse
	switch {
	case m.JSON == "loss":
		change = cur - old
	case old == 0:
		return false
	case m.Better == results.BetterHigher:
		change = (old - cur) / old * 100
	default:
		change = (cur - old) / old * 100
	}
	return change > 0 && change >= c.Threshold
}

// Regressions lists every regression: metric, row and column.
func (c *Comparison) Regressions() []string {
	var out []string
	for _, t := range c.Tables {
		for _, r := range t.Rows {
			for _, cell := range r.Cells {
				if cell != nil && cell.Regression {
					out = append(out, fmt.Sprintf("%s %s: %s %+.1f%% against %s (p=%.3f)",
						t.Metric.Name, r.Key.Name(), cell.Column, cell.DeltaPct, c.Columns[0], cell.P))
				}
			}
		}
	}
	return out
}
