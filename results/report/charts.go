package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xdplab/xdplab/results/history"
)

// series is one set of bars or one line of a chart.
type series struct {
	Name   string
	Values []float64   // bars: one per category
	Points plotter.XYs // lines
}

// svgOf renders a plot as inline SVG (no XML prolog).
func svgOf(p *plot.Plot, w, h vg.Length) (template.HTML, error) {
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return template.HTML(s), nil // gonum/plot escapes the text it draws
}

// barChart draws grouped bars: one group per category, one bar per series.
func barChart(title, xlabel, ylabel string, categories []string, ss []series) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	barWidth := vg.Points(18)
	n := len(ss)
	for i, s := range ss {
		bars, err := plotter.NewBarChart(plotter.Values(s.Values), barWidth)
		if err != nil {
			return "", fmt.Errorf("chart %q: %w", title, err)
		}
		bars.LineStyle.Width = vg.Length(0)
		bars.Color = plotutil.Color(i)
		bars.Offset = vg.Length(float64(i)-float64(n-1)/2) * barWidth
		p.Add(bars)
		p.Legend.Add(s.Name, bars)
	}
	p.Legend.Top = true
	p.Y.Max = legendRoom(top(ss), n)
	p.X.Label.Text = xlabel
	p.NominalX(categories...)
	return svgOf(p, vg.Points(float64(max(320, 90*len(categories)*max(n, 1)/2+160))), vg.Points(260))
}

// lineChart draws one line with points per series.
func lineChart(title, xlabel, ylabel string, ss []series) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	for i, s := range ss {
		l, pts, err := plotter.NewLinePoints(s.Points)
		if err != nil {
			return "", fmt.Errorf("chart %q: %w", title, err)
		}
		l.Color = plotutil.Color(i)
		pts.Color = plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		p.Add(l, pts)
		p.Legend.Add(s.Name, l, pts)
	}
	p.Legend.Top = true
	p.Y.Max = legendRoom(top(ss), len(ss))
	p.Add(plotter.NewGrid())
	return svgOf(p, vg.Points(520), vg.Points(300))
}

// top is the highest value of the series.
func top(ss []series) float64 {
	top := 0.0
	for _, s := range ss {
		for _, v := range s.Values {
			top = max(top, v)
		}
		for _, p := range s.Points {
			top = max(top, p.Y)
		}
	}
	return top
}

// legendRoom is the top of the y axis that keeps a legend of n entries in
// the top corner above every value: the plot area is about 220 points
// high and each entry takes about 14, with 12 of padding.
func legendRoom(top float64, n int) float64 {
	if top <= 0 {
		top = 1
	}
	const area = 220.0
	legend := 14*float64(n) + 12
	return top * area / (area - min(legend, area*0.6))
}

// trendChart draws one series over its runs: each run's median with its
// 95% confidence interval as an error bar, each level's mean as a line,
// each change point as a dashed vertical line labelled with its run and
// step, and each outlier as a hollow mark. Black and greys with dashes
// and shapes, so that it reads in greyscale and with any colour vision.
func trendChart(s *history.Series, runs []history.Run) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = s.Key + ": " + s.Metric
	p.X.Label.Text = "run, in order (labels at change points)"
	p.Y.Label.Text = s.Metric + " (" + s.Unit + "), per run"
	if s.Unit == s.Metric {
		p.Y.Label.Text = s.Unit + ", per run"
	}
	pts := make(plotter.XYs, 0, len(s.Values))
	errs := make(plotter.YErrors, 0, len(s.Values))
	var outs plotter.XYs
	top, low := 0.0, math.Inf(1)
	for i, v := range s.Values {
		if slices.Contains(s.Outliers, i) {
			outs = append(outs, plotter.XY{X: float64(i), Y: v.Median})
		} else {
			pts = append(pts, plotter.XY{X: float64(i), Y: v.Median})
			errs = append(errs, struct{ Low, High float64 }{1.96 * v.SE, 1.96 * v.SE})
		}
		top, low = max(top, v.Median+1.96*v.SE), min(low, v.Median-1.96*v.SE)
	}
	if err := addRunMedians(p, pts, errs); err != nil {
		return "", err
	}
	for _, g := range s.Segments {
		l, err := plotter.NewLine(plotter.XYs{{X: float64(g.Start) - 0.4, Y: g.Mean}, {X: float64(g.End-1) + 0.4, Y: g.Mean}})
		if err != nil {
			return "", err
		}
		l.LineStyle.Width = vg.Points(2)
		l.LineStyle.Color = color.Gray{Y: 0x40}
		p.Add(l)
		if g.Start == 0 {
			p.Legend.Add("level (equal mean)", l)
		}
	}
	if len(outs) > 0 {
		sc, err := plotter.NewScatter(outs)
		if err != nil {
			return "", err
		}
		sc.GlyphStyle.Shape = draw.CrossGlyph{}
		sc.GlyphStyle.Radius = vg.Points(4)
		p.Add(sc)
		p.Legend.Add("outlier (set aside)", sc)
	}
	if low > 0 {
		low = 0
	}
	p.Y.Min = low
	ticks, err := addChangePoints(p, s.Changes, top)
	if err != nil {
		return "", err
	}
	if len(s.Values) > 0 {
		ticks = append(ticks, plot.Tick{Value: 0, Label: runs[s.Values[0].Run].Label},
			plot.Tick{Value: float64(len(s.Values) - 1), Label: runs[s.Values[len(s.Values)-1].Run].Label})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -1, float64(len(s.Values))+1
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(8)
	entries := 2 // run medians, levels
	if len(outs) > 0 {
		entries++
	}
	if len(s.Changes) > 0 {
		entries++
	}
	p.Y.Max = low + legendRoom(top-low, entries)
	p.Add(plotter.NewGrid())
	return svgOf(p, vg.Points(640), vg.Points(300))
}

// addRunMedians draws each run's median with its 95% confidence
// interval as an error bar.
func addRunMedians(p *plot.Plot, pts plotter.XYs, errs plotter.YErrors) error {
	if len(pts) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Color = color.Black
	sc.GlyphStyle.Radius = vg.Points(2)
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{pts, errs})
	if err != nil {
		return err
	}
	eb.LineStyle.Color = color.Gray{Y: 0x60}
	p.Add(eb, sc)
	p.Legend.Add("run median, 95% CI", sc)
	return nil
}

// addChangePoints draws each change point as a dashed vertical line up
// to top, labelled with its run and step, and returns the ticks that
// name their runs.
func addChangePoints(p *plot.Plot, changes []history.Change, top float64) ([]plot.Tick, error) {
	var ticks []plot.Tick
	for k, c := range changes {
		x := float64(c.At) - 0.5
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: top}})
		if err != nil {
			return nil, err
		}
		l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.LineStyle.Color = color.Black
		p.Add(l)
		if k == 0 {
			p.Legend.Add("change point", l)
		}
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: top}},
			Labels: []string{fmt.Sprintf(" %s %+.1f%s", c.Run, c.Step, c.StepUnit)}})
		if err != nil {
			return nil, err
		}
		p.Add(lab)
		ticks = append(ticks, plot.Tick{Value: float64(c.At), Label: c.Run})
	}
	return ticks, nil
}
