package compare

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"

	"github.com/xdplab/xdplab/results"
)

// The output formats.
const (
	FormatText        = "text"
	FormatMarkdown    = "markdown"
	FormatCSV         = "csv"
	FormatBenchfmt    = "benchfmt"
	FormatOpenMetrics = "openmetrics"
)

// formats lists them.
var formats = []string{FormatText, FormatMarkdown, FormatCSV, FormatBenchfmt, FormatOpenMetrics}

func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// Formats returns a copy of formats, which no importer can change.
func Formats() []string { return slices.Clone(formats) }

// centre writes "median ±ci%" (±∞ where the sample is too small for a
// 95% interval).
func centre(c *Cell) string {
	return fmt.Sprintf("%s ±%s", num(c.Summary.Center), c.Summary.PctRangeString())
}

// deltaString writes a cell's change: "+1.50%", or "+0.20pp" for loss.
func deltaString(cell *Cell) string {
	if math.IsNaN(cell.Delta) {
		return "from 0"
	}
	if cell.DeltaUnit == "pp" && math.Abs(cell.Delta) < 1 && cell.Delta != 0 {
		return fmt.Sprintf("%+.3gpp", cell.Delta)
	}
	return fmt.Sprintf("%+.2f%s", cell.Delta, cell.DeltaUnit)
}

// delta writes the change against the baseline: "~" where the test finds
// no significant difference, "?" where it could not have found one (too
// few trials), else the change (percentage points for loss).
func (c *Comparison) delta(m Metric, cell *Cell) string {
	if !cell.Compared {
		return ""
	}
	if !cell.Significant {
		if !cell.Reachable && m.Exact {
			return "? (not exact)"
		}
		if m.Exact {
			return "="
		}
		if !cell.Reachable {
			return "? (too few)"
		}
		return "~"
	}
	s := deltaString(cell)
	if cell.Regression {
		s += " REGRESSION"
	}
	return s
}

func pval(cell *Cell) string {
	if !cell.Compared {
		return ""
	}
	if math.IsNaN(cell.P) {
		return fmt.Sprintf("exact n=%d", cell.N)
	}
	return fmt.Sprintf("p=%.3f n=%d", cell.P, cell.N)
}

func (c *Comparison) header(t Table) string {
	better := "lower is better"
	if t.Metric.Better == results.BetterHigher {
		better = "higher is better"
	}
	if t.Metric.Unit == t.Metric.Name {
		return fmt.Sprintf("%s (%s)", t.Metric.Name, better)
	}
	return fmt.Sprintf("%s (%s, %s)", t.Metric.Name, t.Metric.Unit, better)
}

func (c *Comparison) notes() []string {
	base := "the first column"
	if len(c.Columns) > 0 {
		base = c.Columns[0]
	}
	out := []string{
		fmt.Sprintf("median ±95%% confidence interval over trials; change against %s, ~ where the Mann-Whitney U test finds no difference (p >= %.2f), ? where it could not with so few trials (at least %d a side)", base, c.Alpha, MinTrials(c.Alpha)),
		"loss is compared in percentage points (pp), the rest relatively; a regression is a significant change for the worse of at least the threshold (" + strconv.FormatFloat(c.Threshold, 'f', -1, 64) + "%, or pp for loss)",
	}
	for _, t := range c.Tables {
		if t.Metric.Exact && len(t.Rows) > 0 {
			out = append(out, "the program fingerprint's figures (verified-insns, ..., jit-bytes) are exact: = where equal, any change is a finding, a growth of at least the threshold a regression; ? (not exact) where loads of one column differ")
			break
		}
	}
	return append(out, c.Notes...)
}

// head is a table's header: the pivot, then per column its label and, past
// the baseline, the change and the test (headed pHead).
func (c *Comparison) head(pHead string) []string {
	head := []string{"by " + c.By}
	for i, col := range c.Columns {
		head = append(head, col)
		if i > 0 {
			head = append(head, "vs "+c.Columns[0], pHead)
		}
	}
	return head
}

// line is a row's cells under head; a regression's change is wrapped in
// mark.
func (c *Comparison) line(t Table, r Row, name, mark string) []string {
	line := []string{name}
	for i, cell := range r.Cells {
		if cell == nil {
			line = append(line, "-")
			if i > 0 {
				line = append(line, "", "")
			}
			continue
		}
		if t.Metric.Exact && !cell.Varies {
			line = append(line, strconv.FormatFloat(cell.Summary.Center, 'f', -1, 64)) // a count: 28, not 28.00
		} else {
			line = append(line, centre(cell))
		}
		if i > 0 {
			d := c.delta(t.Metric, cell)
			if cell.Regression {
				d = mark + d + mark
			}
			line = append(line, d, pval(cell))
		}
	}
	return line
}

// WriteText writes one table per metric for a terminal.
func (c *Comparison) WriteText(w io.Writer) error {
	for _, in := range c.Inputs {
		fmt.Fprintln(w, in)
	}
	for _, t := range c.Tables {
		if len(t.Rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", c.header(t))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(c.head(""), "\t")+"\t")
		for _, r := range t.Rows {
			line := c.line(t, r, r.Key.Name(), "")
			fmt.Fprintln(tw, strings.Join(line, "\t")+"\t")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(c.Capabilities) > 0 {
		fmt.Fprintln(w, "\ncapabilities by kernel (qualification checks whose verdict differs, oldest kernel first):")
		for _, ch := range c.Capabilities {
			fmt.Fprintln(w, "  "+ch.String())
		}
	}
	fmt.Fprintln(w)
	for _, n := range c.notes() {
		fmt.Fprintln(w, n)
	}
	return c.WriteVerdict(w)
}

// WriteVerdict writes the gate's verdict, what it rests on, and every
// row it could not judge.
func (c *Comparison) WriteVerdict(w io.Writer) error {
	g := c.Gate()
	var b strings.Builder
	switch g.Verdict {
	case GateRegression:
		fmt.Fprintf(&b, "verdict: REGRESSION: %s:\n", g.Why)
		for _, r := range g.Regressions {
			fmt.Fprintln(&b, "  "+r)
		}
	case GateInconclusive:
		fmt.Fprintf(&b, "verdict: INCONCLUSIVE: %s\n", g.Why)
	default:
		fmt.Fprintf(&b, "verdict: pass: %s\n", g.Why)
	}
	if len(g.Unpaired) > 0 {
		fmt.Fprintf(&b, "not judged (%d):\n", len(g.Unpaired))
		for _, u := range g.Unpaired {
			fmt.Fprintln(&b, "  "+u.String())
		}
	}
	if len(g.Untested) > 0 {
		fmt.Fprintf(&b, "measured once per result, shown but not tested (%d): %s\n", len(g.Untested), strings.Join(g.Untested, "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the tables for a pull-request comment.
func (c *Comparison) WriteMarkdown(w io.Writer) error {
	md := results.MarkdownText
	fmt.Fprintln(w, "### xdplab compare")
	fmt.Fprintln(w)
	for _, in := range c.Inputs {
		fmt.Fprintf(w, "- %s\n", md(in))
	}
	for _, t := range c.Tables {
		if len(t.Rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n**%s**\n\n", md(c.header(t)))
		head := c.head("p")
		for i := range head {
			head[i] = md(head[i])
		}
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" --- |", len(head)))
		for _, r := range t.Rows {
			line := c.line(t, r, results.MarkdownCode(r.Key.Name()), "**")
			fmt.Fprintf(w, "| %s |\n", strings.Join(line, " | "))
		}
	}
	if len(c.Capabilities) > 0 {
		fmt.Fprintln(w, "\n**capabilities by kernel** (qualification checks whose verdict differs, oldest kernel first)")
		fmt.Fprintln(w)
		for _, ch := range c.Capabilities {
			fmt.Fprintf(w, "- %s\n", md(ch.String()))
		}
	}
	fmt.Fprintln(w)
	for _, n := range c.notes() {
		fmt.Fprintf(w, "_%s_\n\n", md(n))
	}
	// The verdict, each line escaped (its indentation kept).
	var v bytes.Buffer
	if err := c.WriteVerdict(&v); err != nil {
		return err
	}
	for _, l := range strings.Split(strings.TrimRight(v.String(), "\n"), "\n") {
		rest := strings.TrimLeft(l, " ")
		fmt.Fprintln(w, l[:len(l)-len(rest)]+md(rest))
	}
	return nil
}

// WriteCSV writes one line per metric, row and column.
func (c *Comparison) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"metric", "unit", "better", "config", "program", "mode", "frame_size", "kernel", "run", c.By + "_column",
		"n", "median", "ci_lo", "ci_hi", "ci_confidence", "delta", "delta_unit", "p", "significant", "testable", "regression"})
	for _, t := range c.Tables {
		for _, r := range t.Rows {
			for _, cell := range r.Cells {
				if cell == nil {
					continue
				}
				f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
				delta, unit, p, sig, reach := "", "", "", "", ""
				if cell.Compared {
					delta, unit, p, sig, reach = f(cell.Delta), cell.DeltaUnit, f(cell.P), strconv.FormatBool(cell.Significant), strconv.FormatBool(cell.Reachable)
					if t.Metric.Exact {
						p = "exact" // no test: any change is one
					}
				}
				rec := []string{t.Metric.Name, t.Metric.Unit, t.Metric.Better, r.Key.Name(), r.Key.Program, r.Key.Mode,
					strconv.Itoa(r.Key.FrameSize), r.Key.Kernel, r.Key.Run, cell.Column, strconv.Itoa(cell.N),
					f(cell.Summary.Center), f(cell.Summary.Lo), f(cell.Summary.Hi), f(cell.Summary.Confidence),
					delta, unit, p, sig, reach, strconv.FormatBool(cell.Regression)}
				for i := range rec {
					rec[i] = results.CSVCell(rec[i])
				}
				_ = cw.Write(rec)
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteBenchfmt writes every trial of the inputs in the Go benchmark format,
// one line per trial, so that benchstat reads xdplab results: the name
// carries the configuration (BenchmarkXDP/prog=drop/mode=native/size=64),
// the file configuration the run, kernel and host, and units carry their
// better direction. Compare two runs with `benchstat -col run`, or kernels
// with `-col kernel`.
func WriteBenchfmt(w io.Writer, in []Input) error {
	bw := benchfmt.NewWriter(w)
	for _, m := range Metrics {
		better := "lower"
		if m.Better == results.BetterHigher {
			better = "higher"
		}
		u := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: m.Name, Key: "better"}, OrigUnit: m.Name, Value: better}
		if err := bw.Write(u); err != nil {
			return err
		}
	}
	for _, inp := range in {
		for _, r := range inp.Runs {
			if err := writeBenchRun(bw, inp.Label, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeBenchRun(bw *benchfmt.Writer, label string, r *results.Run) error {
	{
		for i := range r.Results {
			res := &r.Results[i]
			if res.ControlPlaneOnly {
				continue
			}
			k := KeyOf(r, res)
			base := &benchfmt.Result{
				Config: []benchfmt.Config{
					{Key: "goos", Value: []byte("linux"), File: true},
					{Key: "goarch", Value: []byte(r.Host.Machine), File: true},
					{Key: "cpu", Value: []byte(r.Host.CPUModel), File: true},
					{Key: "kernel", Value: []byte(r.Host.Kernel), File: true},
					{Key: "run", Value: []byte(label), File: true},
					{Key: "generator", Value: []byte(r.Config.Generator), File: true},
					{Key: "xdplab", Value: []byte(r.Tool.Version), File: true},
				},
				Name:  benchfmt.Name("XDP/" + k.Name()),
				Iters: 1,
			}
			for ti := range res.Trials {
				tr := &res.Trials[ti]
				rec := base.Clone()
				rec.Iters = int(tr.Raw.Generator.Packets)
				if rec.Iters < 1 {
					rec.Iters = 1
				}
				for _, m := range Metrics {
					var v []float64
					switch {
					case !m.PerResult:
						v = m.get(&results.Result{Trials: []results.Trial{*tr}})
					case ti == 0:
						// Measured once per result: it goes with the
						// first trial only, so benchstat counts it once.
						v = m.get(res)
					}
					if len(v) == 1 {
						rec.Values = append(rec.Values, benchfmt.Value{Value: v[0] * m.Scale, Unit: m.Name})
					}
				}
				if err := bw.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
