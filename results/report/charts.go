package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
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
func barChart(title, ylabel string, categories []string, ss []series) (template.HTML, error) {
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
	p.Y.Max = headroom(ss)
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
	p.Y.Max = headroom(ss)
	p.Add(plotter.NewGrid())
	return svgOf(p, vg.Points(520), vg.Points(300))
}

// headroom is the top of the y axis: room above the highest value for the
// legend, which sits in the top right corner.
func headroom(ss []series) float64 {
	top := 0.0
	for _, s := range ss {
		for _, v := range s.Values {
			top = max(top, v)
		}
		for _, p := range s.Points {
			top = max(top, p.Y)
		}
	}
	if top == 0 {
		return 1
	}
	return top * (1.25 + 0.06*float64(len(ss)))
}
