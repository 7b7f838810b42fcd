// Package report writes `xdplab report`: one self-contained HTML file (no
// script, no network: inline CSS and inline SVG charts drawn with
// gonum/plot) with the environment, throughput and CPU cost per program and
// mode, throughput against frame size, latency histograms where results
// have them, the capability table of probe reports, offload results and
// flagged trials.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/caps"
	"github.com/xdplab/xdplab/results/compare"
	"github.com/xdplab/xdplab/results/history"
)

// Inputs are the files of a report.
type Inputs struct {
	Runs   []compare.Input
	Probes []*caps.Report
	// Qualifications are the qualifications read: their checks are set
	// side by side across kernels, per driver.
	Qualifications []*results.Qualification
	Files          []string
	// History, when set, is drawn as trend charts (report --history),
	// analysed.
	History *history.History
}

// Load reads results files, qualifications (their performance runs and
// their probe report) and probe reports, told apart by their schema; a
// directory (a kernel matrix's output) is searched for them.
func Load(paths []string) (*Inputs, error) {
	files, err := results.ReadContents(paths)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	in := &Inputs{}
	for _, c := range files {
		if len(c.Runs) > 0 {
			in.Runs = append(in.Runs, compare.Input{Label: c.Label, Runs: c.Runs})
		}
		if c.Qualification != nil {
			in.Qualifications = append(in.Qualifications, c.Qualification)
		}
		switch {
		case c.Schema == caps.ReportSchema:
			rep, err := readProbe(c.Path, c.Raw)
			if err != nil {
				return nil, err
			}
			in.Probes = append(in.Probes, rep)
		case c.Qualification != nil && len(c.Qualification.Capabilities) > 0:
			rep, err := readProbe(c.Path, c.Qualification.Capabilities)
			if err != nil {
				return nil, err
			}
			in.Probes = append(in.Probes, rep)
		}
		in.Files = append(in.Files, c.Path)
	}
	if len(in.Runs) == 0 && len(in.Probes) == 0 && len(in.Qualifications) == 0 {
		return nil, errors.New("report: no input: name results files, qualifications or probe reports")
	}
	return in, nil
}

func readProbe(p string, b []byte) (*caps.Report, error) {
	var rep caps.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("report: probe report %s: %w", p, err)
	}
	if rep.SchemaVersion != caps.ReportSchemaVersion {
		return nil, fmt.Errorf("report: probe report %s has schema version %d; this xdplab reads %d", p, rep.SchemaVersion, caps.ReportSchemaVersion)
	}
	return &rep, nil
}

// Chart is one chart of the report.
type Chart struct {
	ID      string
	Caption string
	SVG     template.HTML
}

type envRow struct {
	Label, Kernel, CPU, Tool, Generator, Frames, Trials, Topology, Started string
	Cores                                                                  int
}

type resultRow struct {
	Run, Program, Mode, Mpps, Gbps, Loss, CPU, DUT, Prog, Search, Flags string
}

type flagRow struct {
	Run, Program, Mode string
	Trial              int
	Code, Message      string
}

// fingerprintRow is one program and mode's fingerprint: its figures in
// the order of results.FingerprintFigures(), n/r where not reported.
type fingerprintRow struct {
	Run, Kernel, Program, Mode string
	Figures                    []string
	Xlated, JIT, Maps, Calls   string
	NotReported                string
}

type offloadRow struct {
	Run, Program, Checks string
}

type metricRow struct {
	Name, Unit, Better, Source string
}

type page struct {
	Title      string
	Files      []string
	Env        []envRow
	Results    []resultRow
	Throughput []Chart
	CPU        []Chart
	FrameSize  []Chart
	Latency    []Chart
	Hooks      []Chart
	Trends     []Chart
	Offload    []offloadRow
	// FingerprintHeads name the columns of Fingerprints' figures.
	FingerprintHeads []string
	Fingerprints     []fingerprintRow
	Flags            []flagRow
	Probes           []*caps.Report
	// CapabilityChanges are the qualification checks whose verdict
	// differs between kernels; CapabilitiesCompared how many were
	// compared (zero: no driver was qualified on two kernels).
	CapabilityChanges    []compare.CapabilityChange
	CapabilitiesCompared int
	Metrics              []metricRow
	Notes                []string
	Sections             []section
}

// section is a part of the page made of charts.
type section struct {
	ID, Title string
	Charts    []Chart
}

// Charts lists every chart of a page, in order.
func (p *page) charts() []Chart {
	var out []Chart
	for _, cs := range [][]Chart{p.Trends, p.Throughput, p.CPU, p.Hooks, p.FrameSize, p.Latency} {
		out = append(out, cs...)
	}
	return out
}

func span(s results.Stat, scale float64, format string) string {
	if s.N == 0 {
		return "-"
	}
	return fmt.Sprintf(format+" ["+format+"-"+format+"]", s.Median*scale, s.Min*scale, s.Max*scale)
}

// lineKey is one line of the frame-size chart: a program in a mode on a
// kernel.
type lineKey struct{ prog, mode, kernel string }

// builder fills a page from the runs, one run at a time.
type builder struct {
	p       *page
	metrics map[string]results.Metric
	// lines: (program, mode, kernel) -> frame size -> the runs' medians
	lines map[lineKey]map[int][]float64
}

// Write writes the report and returns the ids of the charts in it.
func Write(w io.Writer, in *Inputs, title string) ([]string, error) {
	if title == "" {
		title = "xdplab report"
	}
	b := &builder{p: &page{Title: title, Files: in.Files, Probes: in.Probes}, metrics: map[string]results.Metric{}, lines: map[lineKey]map[int][]float64{}}
	p := b.p
	p.CapabilityChanges, p.CapabilitiesCompared = compare.Capabilities(in.Qualifications)
	for _, ff := range results.FingerprintFigures() {
		p.FingerprintHeads = append(p.FingerprintHeads, ff.Short+" ("+ff.Unit+")")
	}
	for _, inp := range in.Runs {
		for i, r := range inp.Runs {
			l := inp.Label
			if len(inp.Runs) > 1 {
				l = fmt.Sprintf("%s/%d", l, i+1)
			}
			if err := b.addRun(l, r); err != nil {
				return nil, err
			}
		}
	}
	if err := b.addFrameSizeChart(); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(b.metrics)) {
		m := b.metrics[k]
		p.Metrics = append(p.Metrics, metricRow{Name: k, Unit: m.Unit, Better: m.Better, Source: m.Source})
	}
	if err := b.addTrends(in.History); err != nil {
		return nil, err
	}
	p.Sections = []section{
		{"trends", "Trends and change points", p.Trends},
		{"throughput", "Throughput per mode", p.Throughput},
		{"cpu", "CPU cost per mode", p.CPU},
		{"hooks", "Where the inspection ran: throughput and CPU per hook", p.Hooks},
		{"frame-size", "Throughput against frame size", p.FrameSize},
	}
	if err := pageTemplate.Execute(w, p); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var ids []string
	for _, c := range p.charts() {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// addRun adds one run: its environment, its results and fingerprints,
// and its charts.
func (b *builder) addRun(label string, r *results.Run) error {
	p, c := b.p, r.Config
	p.Env = append(p.Env, envRow{
		Label: label, Kernel: r.Host.Kernel, CPU: r.Host.CPUModel, Cores: r.Host.Cores,
		Tool: r.Tool.Name + " " + r.Tool.Version, Generator: c.Generator,
		Frames:   results.Text(pairing(results.Describe(c, nil))),
		Trials:   fmt.Sprintf("%d x %gs after %gs warm-up", c.Trials, c.DurationS, c.WarmupS),
		Topology: r.Topology.Kind, Started: r.Started.Format("2006-01-02 15:04 MST"),
	})
	maps.Copy(b.metrics, r.Metrics)
	bars := runBars{mpps: map[[2]string]float64{}, cpu: map[[2]string]float64{}}
	for _, res := range r.Results {
		b.addResult(label, r, res, &bars)
	}
	if len(bars.progs) == 0 {
		return nil
	}
	if err := b.addRunCharts(label, r, bars); err != nil {
		return err
	}
	return b.addHookCharts(label, r)
}

// addHookCharts draws, for a run that measured hooks beside XDP, each
// program's throughput per hook and its CPU time per frame split into
// user and kernel time, a reader's CPU included.
func (b *builder) addHookCharts(label string, r *results.Run) error {
	if !results.HasHooks(r) {
		return nil
	}
	var cats []string
	mpps, user, kernel := series{Name: "Mpps"}, series{Name: "user ns/pkt"}, series{Name: "kernel ns/pkt"}
	for _, res := range r.Results {
		h := res.Summary.Hook
		if h == nil || res.ControlPlaneOnly {
			continue
		}
		cats = append(cats, res.Program.Name+" "+h.Hook)
		mpps.Values = append(mpps.Values, res.Summary.ThroughputPPS.Median/1e6)
		user.Values = append(user.Values, h.UserNsPerPkt.Median)
		kernel.Values = append(kernel.Values, h.KernelNsPerPkt.Median)
	}
	if len(cats) == 0 {
		return nil
	}
	svg, err := barChart("Throughput per hook: "+label, "program and hook", "Mpps (median)", cats, []series{mpps})
	if err != nil {
		return err
	}
	b.p.Hooks = append(b.p.Hooks, Chart{ID: "hook-throughput-" + label, SVG: svg,
		Caption: fmt.Sprintf("%s, kernel %s: median Mpps the hook decided on, per program and hook (its program's or reader's count)", label, r.Host.Kernel)})
	svg, err = barChart("CPU per hook: "+label, "program and hook (a bar for user, one for kernel time)", "CPU ns per offered frame (median)", cats, []series{user, kernel})
	if err != nil {
		return err
	}
	b.p.Hooks = append(b.p.Hooks, Chart{ID: "hook-cpu-" + label, SVG: svg,
		Caption: fmt.Sprintf("%s, kernel %s: /proc/stat time of the generator's CPUs and a user-space reader's, per offered frame, user (+nice) against system, irq and softirq", label, r.Host.Kernel)})
	return nil
}

// runBars are a run's medians per program and mode, for its bar charts.
type runBars struct {
	progs, modes []string
	mpps, cpu    map[[2]string]float64
}

// addResult adds one result of a run: its fingerprint, its row, its
// flags, and its figures to the run's bars and the frame-size lines.
func (b *builder) addResult(label string, r *results.Run, res results.Result, bars *runBars) {
	p := b.p
	if f := res.Fingerprint; f != nil {
		row := fingerprintRow{Run: label, Kernel: r.Host.Kernel, Program: res.Program.Name, Mode: res.Mode,
			Xlated: results.ShortHash(f.XlatedSHA256), JIT: results.ShortHash(f.JITSHA256), Maps: f.MapsText(), Calls: f.CallsText(),
			NotReported: strings.Join(append(f.Reasons(), f.Warnings...), "; ")}
		for _, ff := range results.FingerprintFigures() {
			row.Figures = append(row.Figures, ff.Text(f))
		}
		p.Fingerprints = append(p.Fingerprints, row)
	}
	if res.ControlPlaneOnly && res.Mode != "offload" {
		return // an inspection: its fingerprint is all it has
	}
	if res.ControlPlaneOnly {
		p.Offload = append(p.Offload, offloadRow{Run: label, Program: res.Program.Name, Checks: strings.Join(res.ControlPlane, "; ")})
		return
	}
	if !slices.Contains(bars.progs, res.Program.Name) {
		bars.progs = append(bars.progs, res.Program.Name)
	}
	if !slices.Contains(bars.modes, res.Mode) {
		bars.modes = append(bars.modes, res.Mode)
	}
	s := res.Summary
	bars.mpps[[2]string{res.Program.Name, res.Mode}] = s.ThroughputPPS.Median / 1e6
	bars.cpu[[2]string{res.Program.Name, res.Mode}] = s.CPUNsPerPkt.Median
	lk := lineKey{res.Program.Name, res.Mode, r.Host.Kernel}
	if b.lines[lk] == nil {
		b.lines[lk] = map[int][]float64{}
	}
	b.lines[lk][r.Config.FrameSize] = append(b.lines[lk][r.Config.FrameSize], s.ThroughputPPS.Median/1e6)
	p.Results = append(p.Results, resultRowOf(label, res))
	for _, t := range res.Trials {
		for _, f := range t.Flags {
			p.Flags = append(p.Flags, flagRow{Run: label, Program: res.Program.Name, Mode: res.Mode, Trial: t.Index, Code: f.Code, Message: f.Message})
		}
	}
}

// resultRowOf is a result's row of the results table.
func resultRowOf(label string, res results.Result) resultRow {
	s := res.Summary
	row := resultRow{Run: label, Program: res.Program.Name, Mode: res.Mode,
		Mpps: span(s.ThroughputPPS, 1e-6, "%.2f"), Gbps: span(s.L2BitsPerSec, 1e-9, "%.2f"),
		Loss: span(s.Loss, 100, "%.3f"), CPU: span(s.CPUNsPerPkt, 1, "%.1f"), DUT: "-", Prog: "-", Search: "-", Flags: "-"}
	if res.NDR != nil && res.PDR != nil {
		found := func(t *results.Throughput) string {
			if r, ok := t.Found(); ok {
				return fmt.Sprintf("%.3f", r/1e6)
			}
			return "not found"
		}
		row.Search = found(res.NDR) + " / " + found(res.PDR)
	}
	row.DUT, row.Prog = s.DUTString(len(res.Trials)), res.ProgNsPerPkt.String("%.1f")
	if s.Flagged > 0 {
		row.Flags = fmt.Sprintf("%d/%d", s.Flagged, len(res.Trials))
	}
	return row
}

// addRunCharts draws a run's throughput and CPU bars, and its latency
// where it measured one.
func (b *builder) addRunCharts(label string, r *results.Run, bars runBars) error {
	p := b.p
	var tput, cost []series
	for _, m := range bars.modes {
		st, sc := series{Name: m}, series{Name: m}
		for _, pr := range bars.progs {
			st.Values = append(st.Values, bars.mpps[[2]string{pr, m}])
			sc.Values = append(sc.Values, bars.cpu[[2]string{pr, m}])
		}
		tput, cost = append(tput, st), append(cost, sc)
	}
	svg, err := barChart("Throughput: "+label, "program (a bar per mode)", "Mpps (median)", bars.progs, tput)
	if err != nil {
		return err
	}
	p.Throughput = append(p.Throughput, Chart{ID: "throughput-" + label, SVG: svg,
		Caption: fmt.Sprintf("%s, kernel %s: median Mpps per program and mode (%s)", label, r.Host.Kernel, b.metrics["throughput_pps"].Source)})
	svg, err = barChart("CPU cost: "+label, "program (a bar per mode)", "CPU ns/packet (median)", bars.progs, cost)
	if err != nil {
		return err
	}
	p.CPU = append(p.CPU, Chart{ID: "cpu-" + label, SVG: svg,
		Caption: fmt.Sprintf("%s, kernel %s: median CPU ns per packet (%s)", label, r.Host.Kernel, b.metrics["cpu_ns_per_pkt"].Source)})
	var cats []string
	p50, p99 := series{Name: "p50"}, series{Name: "p99"}
	for _, res := range r.Results {
		if res.Summary.LatencyP50Ns == nil {
			continue
		}
		cats = append(cats, res.Program.Name+" "+res.Mode)
		p50.Values = append(p50.Values, res.Summary.LatencyP50Ns.Median/1e3)
		p99.Values = append(p99.Values, res.Summary.LatencyP99Ns.Median/1e3)
	}
	if len(cats) == 0 {
		return nil
	}
	svg, err = barChart("One-way latency: "+label, "program and mode (a bar per percentile)", "microseconds (median over trials)", cats, []series{p50, p99})
	if err != nil {
		return err
	}
	p.Latency = append(p.Latency, Chart{ID: "latency-" + label, SVG: svg,
		Caption: fmt.Sprintf("%s, kernel %s: latency percentiles per program and mode (%s)", label, r.Host.Kernel, b.metrics["latency_p99_ns"].Source)})
	return nil
}

// addFrameSizeChart draws throughput against frame size for every
// program, mode and kernel measured at two sizes or more.
func (b *builder) addFrameSizeChart() error {
	if len(b.lines) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(b.lines), func(a, c lineKey) int {
		return strings.Compare(a.prog+a.mode+a.kernel, c.prog+c.mode+c.kernel)
	})
	var ss []series
	for _, k := range keys {
		sizes := slices.Sorted(maps.Keys(b.lines[k]))
		if len(sizes) < 2 {
			continue // one size is no line
		}
		s := series{Name: fmt.Sprintf("%s %s (kernel %s)", k.prog, k.mode, k.kernel)}
		for _, sz := range sizes {
			s.Points = append(s.Points, plotter.XY{X: float64(sz), Y: results.Summarize(b.lines[k][sz], "", "").Median})
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		b.p.Notes = append(b.p.Notes, "throughput against frame size: every program and mode was measured at one frame size, so no size chart is drawn")
		return nil
	}
	svg, err := lineChart("Throughput against frame size", "frame size, bytes with FCS", "Mpps (median)", ss)
	if err != nil {
		return err
	}
	b.p.FrameSize = append(b.p.FrameSize, Chart{ID: "frame-size", SVG: svg,
		Caption: "median Mpps per frame size (the median of the runs at a size), for each program, mode and kernel measured at two sizes or more"})
	return nil
}

// addTrends draws each series of a history with its change points.
func (b *builder) addTrends(h *history.History) error {
	if h == nil {
		return nil
	}
	for i, s := range h.Series {
		svg, err := trendChart(s, h.Runs)
		if err != nil {
			return err
		}
		caption := fmt.Sprintf("%s, %s over %d runs: %d change point(s); now %s", s.Key, s.Metric, len(s.Values), len(s.Changes), level(s))
		for _, c := range s.Changes {
			caption += fmt.Sprintf("; at %s %+.1f%s (%s)", c.Run, c.Step, c.StepUnit, c.Direction)
			if len(c.Environment) > 0 {
				caption += ", changed: " + strings.Join(c.Environment, ", ")
			}
		}
		b.p.Trends = append(b.p.Trends, Chart{ID: fmt.Sprintf("trend-%d", i+1), SVG: svg, Caption: caption})
	}
	return nil
}

// pairing keeps the settings that shape what was measured (the report
// shows the generator and the trials apart).
func pairing(kv []results.KV) []results.KV {
	var out []results.KV
	for _, s := range kv {
		if !s.Method {
			out = append(out, s)
		}
	}
	return out
}

// level says a series' level now.
func level(s *history.Series) string {
	if s.Level == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g %s [%.4g, %.4g] over %d run(s)", s.Level.Value, s.Unit, s.Level.Lo, s.Level.Hi, s.Level.Runs)
}
