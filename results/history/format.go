package history

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/compare"
)

// num writes a figure with three significant digits, as compare does.
func num(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	a := math.Abs(v)
	switch {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func (h *History) span() string {
	if len(h.Runs) == 0 {
		return ""
	}
	a, b := h.Runs[0], h.Runs[len(h.Runs)-1]
	return fmt.Sprintf("%d runs, %s (%s) to %s (%s)", len(h.Runs), a.Label, a.Started.UTC().Format("2006-01-02"), b.Label, b.Started.UTC().Format("2006-01-02"))
}

// change writes a change point in one line.
func (s *Series) change(c Change) string {
	return fmt.Sprintf("%s → %s %s (%+.1f%s, %s, %s) at %s; the new level has %d run(s)",
		num(c.Before), num(c.After), s.Unit, c.Step, c.StepUnit, c.Direction, pText(c.P), c.Run, c.Runs)
}

// pText writes a p-value, "p<1e-9" below what a float says well.
func pText(p float64) string {
	if p < 1e-9 {
		return "p<1e-9"
	}
	return fmt.Sprintf("p=%.2g", p)
}

func (s *Series) level() string {
	if s.Level == nil {
		return "-"
	}
	return fmt.Sprintf("%s %s [%s, %s] over %d run(s)", num(s.Level.Value), s.Unit, num(s.Level.Lo), num(s.Level.Hi), s.Level.Runs)
}

// WriteText writes each series, its level now and its change points.
func (h *History) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "history: %s\n", h.span())
	fmt.Fprintln(&b, "change points: a minimum-description-length split into levels of equal mean (after CSIT's jumpavg), each run weighted by its own trials' spread; p: the step against both levels' errors")
	for _, s := range h.Series {
		fmt.Fprintf(&b, "\n%s  %s\n  now %s\n", s.Key, s.Metric, s.level())
		for _, c := range s.Changes {
			fmt.Fprintf(&b, "  change: %s\n", s.change(c))
			for _, e := range c.Environment {
				fmt.Fprintf(&b, "    changed: %s\n", e)
			}
		}
		if len(s.Changes) == 0 {
			fmt.Fprintf(&b, "  no change point over %d run(s)\n", len(s.Values))
		}
		if n := len(s.Outliers); n > 0 {
			var at []string
			for _, o := range s.Outliers {
				at = append(at, fmt.Sprintf("%s (%s)", h.Runs[s.Values[o].Run].Label, num(s.Values[o].Median)))
			}
			fmt.Fprintf(&b, "  outliers set aside: %s\n", strings.Join(at, ", "))
		}
	}
	for _, sk := range h.Skipped {
		fmt.Fprintf(&b, "skipped %s: %s\n", sk.Path, sk.Why)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes a table of the series and a list of their change
// points.
func (h *History) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	m := results.MarkdownText
	fmt.Fprintf(&b, "# History: %s\n\n", m(h.span()))
	fmt.Fprintln(&b, "| configuration | metric | now | 95% CI | runs | change points |")
	fmt.Fprintln(&b, "| --- | --- | --- | --- | --- | --- |")
	for _, s := range h.Series {
		now, ci, runs := "-", "-", "-"
		if s.Level != nil {
			now, ci, runs = num(s.Level.Value)+" "+s.Unit, "["+num(s.Level.Lo)+", "+num(s.Level.Hi)+"]", strconv.Itoa(s.Level.Runs)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d |\n", m(s.Key), m(s.Metric), m(now), m(ci), runs, len(s.Changes))
	}
	first := true
	for _, s := range h.Series {
		for _, c := range s.Changes {
			if first {
				fmt.Fprintln(&b, "\n## Change points")
				first = false
			}
			fmt.Fprintf(&b, "\n- %s %s: %s", m(s.Key), m(s.Metric), m(s.change(c)))
			if len(c.Environment) > 0 {
				fmt.Fprintf(&b, "; changed: %s", m(strings.Join(c.Environment, "; ")))
			}
			fmt.Fprintln(&b)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes one row per level and per change point.
func (h *History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"configuration", "metric", "unit", "kind", "run", "value", "lo", "hi", "before", "after", "step", "step_unit", "direction", "p", "runs", "environment"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, s := range h.Series {
		if s.Level != nil {
			last := h.Runs[s.Values[len(s.Values)-1].Run].Label
			_ = cw.Write([]string{s.Key, s.Metric, s.Unit, "level", last, f(s.Level.Value), f(s.Level.Lo), f(s.Level.Hi), "", "", "", "", "", "", strconv.Itoa(s.Level.Runs), ""})
		}
		for _, c := range s.Changes {
			_ = cw.Write([]string{s.Key, s.Metric, s.Unit, "change", c.Run, "", "", "", f(c.Before), f(c.After), f(c.Step), c.StepUnit, c.Direction, f(c.P), strconv.Itoa(c.Runs), strings.Join(c.Environment, "; ")})
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteOpenMetrics writes every run's value of every series in the
// OpenMetrics text exposition: one gauge family per metric, the
// configuration keys as labels, each run's start as its value's timestamp,
// in time order (a backfill: promtool tsdb create-blocks-from openmetrics).
// Of two runs that started in the same millisecond the first is kept.
func (h *History) WriteOpenMetrics(w io.Writer) error {
	var b strings.Builder
	byMetric := map[string][]*Series{}
	var order []string
	for _, s := range h.Series {
		if byMetric[s.Metric] == nil {
			order = append(order, s.Metric)
		}
		byMetric[s.Metric] = append(byMetric[s.Metric], s)
	}
	for _, m := range order {
		name := compare.OpenMetricsName(m)
		fmt.Fprintf(&b, "# TYPE %s gauge\n# HELP %s xdplab %s (%s): each run's median over its trials\n", name, name, m, byMetric[m][0].Unit)
		for _, s := range byMetric[m] {
			vs := slices.Clone(s.Values)
			slices.SortStableFunc(vs, func(a, b Value) int { return h.Runs[a.Run].Started.Compare(h.Runs[b.Run].Started) })
			labels := compare.OpenMetricsLabels(s.Key)
			last := int64(math.MinInt64)
			for _, v := range vs {
				ms := h.Runs[v.Run].Started.UnixMilli()
				if ms == last {
					continue
				}
				last = ms
				fmt.Fprintf(&b, "%s%s %s %s\n", name, labels, strconv.FormatFloat(v.Median, 'g', -1, 64), strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64))
			}
		}
	}
	b.WriteString("# EOF\n")
	_, err := io.WriteString(w, b.String())
	return err
}
