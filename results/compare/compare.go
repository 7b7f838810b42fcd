// Package compare sets xdplab results side by side with statistics: per
// configuration and metric, each side's median with its 95% confidence
// interval, the change, and the Mann-Whitney U test's p-value
// (golang.org/x/perf/benchmath); and it judges regressions for the release
// gate.
package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchmath"

	"github.com/xdplab/xdplab/results"
)

// Input is one results file: a run, or the performance runs of a
// qualification.
type Input struct {
	Label string // the file's base name without .json, unless set
	Runs  []*results.Run
	// Qualification is the file's qualification, when it is one: with
	// --by kernel its checks are compared too.
	Qualification *results.Qualification
}

// Skipped is a file Load read but compare cannot use, and why.
type Skipped struct {
	Path, Why string
}

// Load reads results files and qualifications (their performance runs,
// and their checks for --by kernel); each is labelled by its base name. A directory (a kernel matrix's
// output, a CI artefact) is searched for such files. Probe reports hold no
// measurements: they are skipped, and said so. A file that is not JSON
// xdplab wrote is an error naming it.
func Load(paths []string) ([]Input, []Skipped, error) {
	files, err := results.ReadContents(paths)
	if err != nil {
		return nil, nil, err
	}
	var in []Input
	var skipped []Skipped
	for _, c := range files {
		if c.Skip != "" && c.Qualification == nil {
			skipped = append(skipped, Skipped{Path: c.Path, Why: c.Skip})
			continue
		}
		in = append(in, Input{Label: c.Label, Runs: c.Runs, Qualification: c.Qualification})
	}
	if len(in) == 0 && len(skipped) > 0 {
		return nil, skipped, fmt.Errorf("%s: %s; compare reads results files (xdplab run) and qualifications (xdplab qualify)", skipped[0].Path, skipped[0].Why)
	}
	return in, skipped, nil
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
	// Exact: the figure repeats exactly from load to load (a program's
	// fingerprint): no statistics, any change is a finding.
	Exact bool
	// get returns the values of one result: one per trial, or one for the
	// result (prog ns/pkt, measured once).
	get func(r *results.Result) []float64
}

// Values are the metric's values in a result: one per trial, or one for
// the result (PerResult); none where it was not measured.
func (m Metric) Values(r *results.Result) []float64 { return m.get(r) }

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
var Metrics = append([]Metric{
	{Name: "Mpps", JSON: "throughput_pps", Unit: "Mpps", Better: results.BetterHigher, Scale: 1e-6,
		get: perTrial(func(t *results.Trial) float64 { return t.Figures.ThroughputPPS })},
	{Name: "loss-%", JSON: "loss", Unit: "%", Better: results.BetterLower, Scale: 100,
		get: perTrial(func(t *results.Trial) float64 { return t.Figures.Loss })},
	{Name: "cpu-ns/pkt", JSON: "cpu_ns_per_pkt", Unit: "ns/packet", Better: results.BetterLower, Scale: 1,
		get: perTrial(func(t *results.Trial) float64 { return t.Figures.CPUNsPerPkt })},
	{Name: "prog-ns/pkt", JSON: "prog_ns_per_pkt", Unit: "ns/packet", Better: results.BetterLower, Scale: 1, PerResult: true,
		get: func(r *results.Result) []float64 {
			if r.ProgNsPerPkt == nil || r.ProgNsPerPkt.Flag != "" {
				return nil // none, or within the stats overhead's noise: no figure
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
}, fingerprintMetrics()...)

// fingerprintMetrics are the exact figures of the program fingerprint:
// the verifier's work and the images' sizes, lower being better.
func fingerprintMetrics() []Metric {
	var out []Metric
	for _, ff := range results.FingerprintFigures() {
		if !ff.Exact {
			continue
		}
		out = append(out, Metric{Name: strings.ReplaceAll(ff.Name, "_", "-"), JSON: "fingerprint." + ff.Name, Unit: ff.Unit,
			Better: results.BetterLower, Scale: 1, PerResult: true, Exact: true,
			get: func(r *results.Result) []float64 {
				if v, ok := ff.Get(r.Fingerprint); ok {
					return []float64{float64(v)}
				}
				return nil
			}})
	}
	return out
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
	// Settings are the result's other settings that pair (results.KV with
	// Pairs: ip, flows, threads, work, the stream), in results.Describe's
	// order; the rest of the array is empty.
	Settings Settings
	Kernel   string
	Run      string
}

// Settings holds a key's pairing settings in an array, so that a Key can
// be a map key.
type Settings [16]results.KV

func (s Settings) list() []results.KV {
	var out []results.KV
	for _, kv := range s {
		if kv.Key != "" {
			out = append(out, kv)
		}
	}
	return out
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
// of one kernel pool their trials; by run, rows pair across kernels (a
// kernel upgrade is when a release engineer gates; the comparison says the
// kernels differ); by mode, rows stay apart per kernel and run.
func (k Key) without(by string) Key {
	switch by {
	case ByKernel:
		k.Kernel, k.Run = "", ""
	case ByMode:
		k.Mode = ""
	default:
		k.Kernel, k.Run = "", ""
	}
	return k
}

// diff names the settings in which o differs from k, as "size 64 -> 128".
func (k Key) diff(o Key) []string {
	var out []string
	add := func(name string, a, b any) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %v -> %v", name, a, b))
		}
	}
	add("program", k.Program, o.Program)
	add("mode", k.Mode, o.Mode)
	add("size", k.FrameSize, o.FrameSize)
	out = append(out, results.Diff(k.Settings.list(), o.Settings.list())...)
	add("kernel", k.Kernel, o.Kernel)
	add("run", k.Run, o.Run)
	return out
}

// Name writes the key in benchmark style: prog=drop/mode=native/size=64,
// then the settings that are not defaults (results.Name).
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
	if n := results.Name(k.Settings.list()); n != "" {
		parts = append(parts, n)
	}
	add("kernel", k.Kernel)
	add("run", k.Run)
	return strings.Join(parts, "/")
}

// KeyOf is the configuration of a result, without kernel and run: the
// settings results.Describe says pair.
func KeyOf(r *results.Run, res *results.Result) Key {
	k := Key{Program: res.Program.Name, Mode: res.Mode, FrameSize: r.Config.FrameSize}
	n := 0
	for _, kv := range results.Describe(r.Config, res) {
		if !kv.Pairs || kv.Key == "prog" || kv.Key == "mode" || kv.Key == "size" {
			continue
		}
		if n == len(k.Settings) {
			break // more settings pair than a key holds: Describe grew past Settings
		}
		k.Settings[n] = kv
		n++
	}
	return k
}

// Cell is one side of one row for one metric.
type Cell struct {
	Column  string
	N       int
	Values  []float64 // as shown (scaled)
	Summary benchmath.Summary
	// Against the first column: the change of the medians (Delta, in
	// DeltaUnit: "%" relative, "pp" percentage points for loss), the
	// test, and the verdicts.
	Delta       float64
	DeltaUnit   string
	P           float64
	Compared    bool
	Significant bool
	// Reachable: the two sample sizes allow the test to find a difference
	// at all (an exact two-sided Mann-Whitney U test cannot go below
	// 2/C(n1+n2, n1)).
	Reachable  bool
	Regression bool // significant, worse, and beyond the threshold
	// Varies: an exact figure whose values in this cell differ (pooled
	// loads that did not repeat): it cannot be judged.
	Varies   bool
	Warnings []string
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
	Threshold float64  // percent (loss: percentage points); 0 marks every significant change worse as a regression
	Alpha     float64
	Tables    []Table
	// Inputs describes each input: label, kernel, host, tool.
	Inputs []string
	// Notes say what a reader must know: kernels that differ between
	// the columns of a --by run comparison, rows only a candidate has.
	Notes []string
	// Times is each column's newest run start.
	Times map[string]time.Time
	// Capabilities are the qualification checks whose verdict differs
	// between kernels (--by kernel), CapabilitiesCompared how many
	// checks of a driver seen on two kernels or more were compared.
	Capabilities         []CapabilityChange
	CapabilitiesCompared int
}

// Options shape a comparison.
type Options struct {
	By        string  // ByRun (default), ByKernel or ByMode
	Threshold float64 // percent
	Alpha     float64 // default 0.05
}

// MinP is the smallest p-value an exact two-sided Mann-Whitney U test can
// give for samples of n1 and n2 values (no ties): 2 / C(n1+n2, n1). The
// test can find a difference at level alpha only where MinP < alpha.
func MinP(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	// C(n1+n2, n1) as a float: exact enough far beyond any trial count.
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// MinTrials is the smallest number of values a side, the same on both
// sides, with which the test can find a difference at level alpha.
func MinTrials(alpha float64) int {
	for n := 1; n < 1000; n++ {
		if MinP(n, n) < alpha {
			return n
		}
	}
	return 1000
}

// Compare sets the inputs side by side.
func Compare(in []Input, o Options) (*Comparison, error) {
	if err := o.resolve(); err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, errors.New("nothing to compare: name results files")
	}
	// Files of one name are told apart: x, x#2, x#3.
	seen := map[string]int{}
	for i := range in {
		label := in[i].Label
		seen[label]++
		if n := seen[label]; n > 1 {
			in[i].Label = fmt.Sprintf("%s#%d", label, n)
		}
	}
	c := &Comparison{By: o.By, Threshold: o.Threshold, Alpha: o.Alpha, Times: map[string]time.Time{}}
	g := &gathered{c: c, by: o.By, samples: make([]map[cellKey][]float64, len(Metrics)), kernels: map[string][]string{}}
	for i := range g.samples {
		g.samples[i] = map[cellKey][]float64{}
	}
	for _, inp := range in {
		g.add(inp)
	}
	g.notes()
	sort.SliceStable(g.rows, func(i, j int) bool { return g.rows[i].Name() < g.rows[j].Name() })
	th := benchmath.DefaultThresholds
	th.CompareAlpha = o.Alpha
	for mi, m := range Metrics {
		t := Table{Metric: m}
		for _, rk := range g.rows {
			row := Row{Key: rk, Cells: make([]*Cell, len(c.Columns))}
			var base *benchmath.Sample
			var baseCell *Cell
			for ci, col := range c.Columns {
				vals := g.samples[mi][cellKey{rk, col}]
				if len(vals) == 0 {
					continue
				}
				s := benchmath.NewSample(slices.Clone(vals), &th)
				cell := c.cell(m, col, s, base, baseCell)
				if ci == 0 {
					base, baseCell = s, cell
				}
				row.Cells[ci] = cell
			}
			if slices.ContainsFunc(row.Cells, func(c *Cell) bool { return c != nil }) {
				t.Rows = append(t.Rows, row)
			}
		}
		c.Tables = append(c.Tables, t)
	}
	return c, nil
}

// resolve fills o's defaults and refuses what it cannot use.
func (o *Options) resolve() error {
	if o.By == "" {
		o.By = ByRun
	}
	if o.By != ByRun && o.By != ByKernel && o.By != ByMode {
		return fmt.Errorf("--by %q: use run, kernel or mode", o.By)
	}
	if o.Alpha == 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("alpha %g: use a level between 0 and 1", o.Alpha)
	}
	if !(o.Threshold >= 0) || math.IsInf(o.Threshold, 0) {
		return fmt.Errorf("--threshold %g: give a percentage of 0 or more", o.Threshold)
	}
	return nil
}

// cellKey is one cell of a metric's table: a row and a column.
type cellKey struct {
	row Key
	col string
}

// gathered is what the inputs give a comparison: its columns (in c), the
// values of each metric per cell, the rows, and what the notes need.
type gathered struct {
	c       *Comparison
	by      string
	samples []map[cellKey][]float64 // per metric
	rows    []Key
	kernels map[string][]string // column -> kernels (--by run)
	noisy   int                 // prog ns/pkt figures within noise
	quals   []*results.Qualification
}

func (g *gathered) addColumn(col string) {
	if !slices.Contains(g.c.Columns, col) {
		g.c.Columns = append(g.c.Columns, col)
	}
}

// add files one input's runs (and qualification) into the comparison.
func (g *gathered) add(inp Input) {
	c := g.c
	if q := inp.Qualification; q != nil {
		g.quals = append(g.quals, q)
		if len(inp.Runs) == 0 {
			if g.by != ByKernel {
				c.Notes = append(c.Notes, inp.Label+": a qualification without measurements: compare --by kernel compares its checks")
			}
			return
		}
	}
	// By run or kernel, every file is a column, measured or not: a file
	// without results is a column with nothing in it, which the gate
	// cannot pass.
	for _, r := range inp.Runs {
		c.Inputs = append(c.Inputs, fmt.Sprintf("%s: kernel %s, %s, %s %s", inp.Label, r.Host.Kernel, r.Host.CPUModel, r.Tool.Name, r.Tool.Version))
		switch g.by {
		case ByRun:
			g.addColumn(inp.Label)
			if !slices.Contains(g.kernels[inp.Label], r.Host.Kernel) {
				g.kernels[inp.Label] = append(g.kernels[inp.Label], r.Host.Kernel)
			}
		case ByKernel:
			g.addColumn(r.Host.Kernel)
		}
	}
	if len(inp.Runs) == 0 && g.by == ByRun {
		g.addColumn(inp.Label)
	}
	for _, r := range inp.Runs {
		for i := range r.Results {
			g.addResult(inp.Label, r, &r.Results[i])
		}
	}
}

// addResult files one result's values under its row and column.
func (g *gathered) addResult(label string, r *results.Run, res *results.Result) {
	if res.ControlPlaneOnly && res.Fingerprint == nil {
		return // no traffic and nothing from loading
	}
	if f := res.ProgNsPerPkt; f != nil && f.Flag != "" {
		g.noisy++
	}
	k := KeyOf(r, res)
	k.Kernel, k.Run = r.Host.Kernel, label
	col := k.dim(g.by)
	g.addColumn(col)
	if r.Started.After(g.c.Times[col]) {
		g.c.Times[col] = r.Started
	}
	rk := k.without(g.by)
	if !slices.Contains(g.rows, rk) {
		g.rows = append(g.rows, rk)
	}
	for mi, m := range Metrics {
		if res.ControlPlaneOnly && !m.Exact {
			continue // no traffic: only what loading showed
		}
		for _, v := range m.get(res) {
			ck := cellKey{rk, col}
			g.samples[mi][ck] = append(g.samples[mi][ck], v*m.Scale)
		}
	}
}

// notes adds what a reader must know: the capabilities compared, kernels
// that differ between the columns of a --by run comparison, figures left
// out as noise.
func (g *gathered) notes() {
	c := g.c
	if g.by == ByKernel && len(g.quals) > 0 {
		c.Capabilities, c.CapabilitiesCompared = Capabilities(g.quals)
		if c.CapabilitiesCompared > 0 {
			c.Notes = append(c.Notes, capabilityNote(c.Capabilities, c.CapabilitiesCompared))
		} else {
			c.Notes = append(c.Notes, "capabilities: no driver was qualified on two kernels or more: nothing to compare")
		}
	}
	if g.by == ByRun && len(c.Columns) > 1 {
		base := strings.Join(g.kernels[c.Columns[0]], ", ")
		for _, col := range c.Columns[1:] {
			if k := strings.Join(g.kernels[col], ", "); k != base && k != "" && base != "" {
				c.Notes = append(c.Notes, fmt.Sprintf("kernels differ: %s ran on %s, %s on %s; rows pair across the kernel, so a change may be the kernel's (use --by kernel to pool runs per kernel)",
					c.Columns[0], base, col, k))
			}
		}
	}
	if g.noisy > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("prog-ns/pkt of %d result(s) is within the noise of the stats overhead subtracted from it (flag %s): left out, not counted as 0",
			g.noisy, results.FlagProgWithinNoise))
	}
}

// cell is one column's figure of a row, set against the baseline's (base,
// baseCell; nil in the baseline's own column and where it has none).
func (c *Comparison) cell(m Metric, col string, s, base *benchmath.Sample, baseCell *Cell) *Cell {
	cell := &Cell{Column: col, N: len(s.Values), Values: s.Values, Summary: benchmath.AssumeNothing.Summary(s, 0.95)}
	for _, w := range cell.Summary.Warnings {
		cell.Warnings = append(cell.Warnings, w.Error())
	}
	if m.Exact {
		// No interval to warn about: the values should be one.
		cell.Warnings = nil
		cell.Varies = slices.Min(s.Values) != slices.Max(s.Values)
		if cell.Varies {
			cell.Warnings = append(cell.Warnings, fmt.Sprintf("not exact: the loads give %g to %g", slices.Min(s.Values), slices.Max(s.Values)))
		}
	}
	if base == nil {
		return cell
	}
	old, cur := baseCell.Summary.Center, cell.Summary.Center
	if m.Exact {
		// An exact figure needs no test: any change is one.
		cell.Compared, cell.P = true, math.NaN()
		cell.Reachable = !cell.Varies && !baseCell.Varies
		cell.Significant = cell.Reachable && old != cur
	} else {
		cmp := benchmath.AssumeNothing.Compare(base, s)
		cell.Compared, cell.P = true, cmp.P
		cell.Reachable = MinP(baseCell.N, cell.N) < c.Alpha
		for _, w := range cmp.Warnings {
			cell.Warnings = append(cell.Warnings, w.Error())
		}
		cell.Significant = cmp.P < c.Alpha
	}
	cell.Delta, cell.DeltaUnit = Change(m, old, cur)
	cell.Regression = cell.Significant && c.worse(m, old, cur)
	return cell
}

// Change is the change of the medians from old to cur: in percentage
// points for loss (often 0, where a relative change means nothing),
// relative in percent for the others (NaN where old is 0).
func Change(m Metric, old, cur float64) (float64, string) {
	if m.JSON == "loss" {
		return cur - old, "pp"
	}
	if old == 0 {
		if cur == 0 {
			return 0, "%"
		}
		return math.NaN(), "%"
	}
	return (cur/old - 1) * 100, "%"
}

// worse tells whether going from old to cur is a regression at or beyond
// the comparison's threshold (Worse).
func (c *Comparison) worse(m Metric, old, cur float64) bool { return Worse(m, c.Threshold, old, cur) }

// Worse tells whether going from old to cur is a regression at or beyond
// threshold (percent). Loss is judged in percentage points, the others
// relatively, each in its metric's better direction. From a baseline of 0
// (a relative change without a scale), any rise of a lower-is-better
// metric is worse.
func Worse(m Metric, threshold, old, cur float64) bool {
	var change float64 // positive = worse
	if m.JSON == "loss" {
		change = cur - old
	} else if old == 0 {
		return m.Better == results.BetterLower && cur > 0
	} else if m.Better == results.BetterHigher {
		change = (old - cur) / math.Abs(old) * 100
	} else {
		change = (cur - old) / math.Abs(old) * 100
	}
	return change > 0 && change >= threshold
}

// Regressions lists every regression: metric, row and column, and each
// capability a later kernel lost.
func (c *Comparison) Regressions() []string {
	var out []string
	for _, ch := range c.Capabilities {
		if ch.Regression {
			out = append(out, "capability "+ch.String())
		}
	}
	for _, t := range c.Tables {
		for _, r := range t.Rows {
			for _, cell := range r.Cells {
				if cell != nil && cell.Regression {
					out = append(out, fmt.Sprintf("%s %s: %s %s against %s (p=%.3f)",
						t.Metric.Name, r.Key.Name(), cell.Column, deltaString(cell), c.Columns[0], cell.P))
				}
			}
		}
	}
	return out
}

// The gate's verdicts.
const (
	GatePass         = "pass"
	GateRegression   = "regression"
	GateInconclusive = "inconclusive"
)

// Unpaired is a baseline row the gate could not judge in a column, and
// why.
type Unpaired struct {
	Metric string
	Row    string // the row's key name
	Column string
	Reason string
}

func (u Unpaired) String() string {
	return fmt.Sprintf("%s %s in %s: %s", u.Metric, u.Row, u.Column, u.Reason)
}

// Gate is the release gate's answer. It passes only when every baseline
// row found its partner in every other column and the test could have
// found a difference there, and none was a regression. A regression found
// is a regression even where other rows did not pair; otherwise a row
// that did not pair makes the gate inconclusive.
type Gate struct {
	Verdict     string
	Regressions []string
	// Unpaired are the rows of the baseline the gate could not judge:
	// missing in a candidate, a different configuration there, or too
	// few trials for the test.
	Unpaired []Unpaired
	// Untested are figures measured once per result (prog ns/pkt, NDR,
	// PDR): with one value a side no test can tell a change from noise;
	// they are shown but not judged, unless pooled runs give them enough
	// values.
	Untested []string
	// Why says in one line what the verdict rests on.
	Why string
	// Judged counts the (metric, row, column) cells the test judged.
	Judged int
}

// Gate judges the comparison.
func (c *Comparison) Gate() Gate {
	g := Gate{Regressions: c.Regressions()}
	need := MinTrials(c.Alpha)
	if len(c.Columns) > 0 {
		for _, t := range c.Tables {
			for _, r := range t.Rows {
				b := r.Cells[0]
				if b == nil {
					continue
				}
				for ci := 1; ci < len(c.Columns); ci++ {
					cell := r.Cells[ci]
					u := Unpaired{Metric: t.Metric.Name, Row: r.Key.Name(), Column: c.Columns[ci]}
					if t.Metric.PerResult && !t.Metric.Exact && (cell == nil || !cell.Reachable) && b.N < need {
						g.Untested = append(g.Untested, u.Metric+" "+u.Row+" in "+u.Column)
						continue
					} else if cell == nil {
						u.Reason = c.missing(t, r, ci)
					} else if !cell.Reachable && t.Metric.Exact {
						u.Reason = fmt.Sprintf("not exact: the loads in %s or %s do not repeat (%s)", c.Columns[0], c.Columns[ci], strings.Join(slices.Concat(b.Warnings, cell.Warnings), "; "))
					} else if !cell.Reachable {
						u.Reason = fmt.Sprintf("too few trials: %d in %s and %d in %s; the Mann-Whitney U test needs at least %d a side to find a difference at p < %g",
							b.N, c.Columns[0], cell.N, c.Columns[ci], need, c.Alpha)
					} else {
						g.Judged++
						continue
					}
					g.Unpaired = append(g.Unpaired, u)
				}
			}
		}
	}
	if len(g.Regressions) > 0 {
		g.Verdict = GateRegression
		g.Why = fmt.Sprintf("%d significant regression(s) beyond the threshold", len(g.Regressions))
	} else if len(c.Columns) == 0 && c.CapabilitiesCompared > 0 {
		g.Verdict = GatePass
		g.Why = fmt.Sprintf("no capability lost between kernels (%d qualification checks compared); no measured results", c.CapabilitiesCompared)
	} else if len(c.Columns) < 2 {
		g.Verdict = GateInconclusive
		what := "no measured results"
		if len(c.Columns) == 1 {
			what = "only " + c.Columns[0]
		}
		g.Why = fmt.Sprintf("nothing to compare against: %s (name a baseline and a candidate, the baseline first)", what)
	} else if g.Judged == 0 && len(g.Unpaired) == 0 {
		g.Verdict = GateInconclusive
		g.Why = fmt.Sprintf("the baseline %s has no measured results to judge", c.Columns[0])
	} else if len(g.Unpaired) > 0 {
		g.Verdict = GateInconclusive
		g.Why = fmt.Sprintf("%d baseline row(s) could not be judged", len(g.Unpaired))
	} else {
		g.Verdict = GatePass
		g.Why = fmt.Sprintf("no regression: every baseline row paired and was tested (%d figures)", g.Judged)
	}
	return g
}

// missing says why row r has no cell in column ci for table t: another
// configuration there (naming what differs), or none at all.
func (c *Comparison) missing(t Table, r Row, ci int) string {
	col := c.Columns[ci]
	var best []string
	for _, o := range t.Rows {
		if o.Cells[ci] == nil || (o.Cells[0] != nil && o.Key != r.Key) {
			continue // not in the column, or a row of the baseline's own
		}
		d := r.Key.diff(o.Key)
		if len(d) == 0 {
			continue
		}
		if best == nil || len(d) < len(best) {
			best = d
		}
	}
	if best != nil && len(best) <= 3 {
		return fmt.Sprintf("missing in %s, which has a different configuration (%s)", col, strings.Join(best, ", "))
	}
	if c.columnEmpty(ci) {
		return fmt.Sprintf("missing in %s, which has no measured results", col)
	}
	return fmt.Sprintf("missing in %s", col)
}

func (c *Comparison) columnEmpty(ci int) bool {
	for _, t := range c.Tables {
		for _, r := range t.Rows {
			if r.Cells[ci] != nil {
				return false
			}
		}
	}
	return true
}
