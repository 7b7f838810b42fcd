package compare

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

var nameRE = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// OpenMetricsName is a metric's name in the exposition: xdplab_, then its
// name and unit in snake case.
func OpenMetricsName(metric string) string {
	n := strings.Trim(nameRE.ReplaceAllString(strings.ToLower(metric), "_"), "_")
	return "xdplab_" + n
}

// OpenMetricsLabels turns a configuration key (prog=drop/mode=native/...)
// into labels, then the extra name and value pairs.
func OpenMetricsLabels(key string, extra ...string) string {
	var parts []string
	for _, kv := range strings.Split(key, "/") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		parts = append(parts, labelName(k)+`="`+escapeLabel(v)+`"`)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		parts = append(parts, labelName(extra[i])+`="`+escapeLabel(extra[i+1])+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func labelName(k string) string {
	n := nameRE.ReplaceAllString(k, "_")
	if n == "" || n[0] >= '0' && n[0] <= '9' {
		n = "_" + n
	}
	return n
}

func escapeLabel(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

// WriteOpenMetrics writes each cell's median in the OpenMetrics text
// exposition: a gauge family per metric, the configuration keys and the
// column (run, kernel or mode, as --by pivots) as labels, the column's
// newest run start as the timestamp.
func (c *Comparison) WriteOpenMetrics(w io.Writer) error {
	var b strings.Builder
	for _, t := range c.Tables {
		name := OpenMetricsName(t.Metric.Name)
		fmt.Fprintf(&b, "# TYPE %s gauge\n# HELP %s xdplab %s (%s): the median of each column's values\n", name, name, t.Metric.Name, t.Metric.Unit)
		for _, r := range t.Rows {
			for _, cell := range r.Cells {
				if cell == nil || cell.N == 0 {
					continue
				}
				fmt.Fprintf(&b, "%s%s %s", name, OpenMetricsLabels(r.Key.Name(), c.By, cell.Column), strconv.FormatFloat(cell.Summary.Center, 'g', -1, 64))
				if at, ok := c.Times[cell.Column]; ok && !at.IsZero() {
					fmt.Fprintf(&b, " %s", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
				}
				b.WriteString("\n")
			}
		}
	}
	b.WriteString("# EOF\n")
	_, err := io.WriteString(w, b.String())
	return err
}
