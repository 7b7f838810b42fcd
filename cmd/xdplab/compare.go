package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/results/compare"
)

// gateError is a regression the release gate found: exit status 3.
type gateError struct{ n int }

func (e *gateError) Error() string {
	return fmt.Sprintf("release gate: %d significant regression(s) beyond the threshold", e.n)
}

// inconclusiveError is a verdict that could not be decided (the gate with
// rows that did not pair or too few trials, an expectation no result
// could answer, a qualification check that should have run and did not):
// exit status 6.
type inconclusiveError struct {
	what, why string
}

func (e *inconclusiveError) Error() string {
	return fmt.Sprintf("%s: inconclusive: %s", e.what, e.why)
}

func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || !(v >= 0 && v <= 1000) {
		return 0, fmt.Errorf("--threshold %q: give a percentage such as 5%%", s)
	}
	return v, nil
}

// compareLong is the help of `xdplab compare`.
const compareLong = `compare pairs the trials of results files by program, mode, frame size, IP
version, flows, threads and work (and kernel), and shows per metric (Mpps,
loss, CPU ns/pkt, program ns/pkt) each side's median with its 95% confidence
interval, the change against the first column, and the Mann-Whitney U
test's p-value (golang.org/x/perf/benchmath). "~" marks a change the test
does not find significant.

--by pivots the columns: run (each file a column, the default), kernel (one
column per kernel: files from the same kernel pool their trials) or mode.
The first column is the baseline.

--fail-on-regression is the release gate: it exits with status 3 when a
significant change for the worse is at least --threshold (loss: in
percentage points), and with status 6 (inconclusive) when it cannot
decide: a row of the baseline (the first column) has no partner in another
column (missing there, or another configuration: the reason is listed),
a file holds no measured results, or a side has too few trials for the
Mann-Whitney U test to find any difference (at least 4 a side at
p < 0.05). By run, rows pair across kernels, and the comparison notes the
kernels that differ. Figures measured once per result (prog ns/pkt, NDR,
PDR) are shown but not judged unless pooled runs give them enough values.
Other errors exit 1, usage mistakes 2.

compare reads results files, qualifications (their performance runs) and
directories holding them (a kernel matrix's output); probe reports hold no
measurements and are skipped with a note. With --by kernel it also sets the
qualifications' capability and functional checks of each driver side by
side, kernels in version order: a check whose verdict differs is listed,
and one that a later kernel lost (it passed before; now it fails, is not
supported, or is gone) is a regression for the gate.

--format openmetrics writes each column's median in the OpenMetrics text
exposition (the configuration keys and the column as labels, the column's
newest run start as the timestamp), for the dashboards people run.

--format benchfmt writes every trial in the Go benchmark format, for
benchstat (try: benchstat -col run FILE).`

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		by, format, threshold, output string
		failOnRegression              bool
	)
	cmd := &cobra.Command{
		Use:   "compare A.json B.json ...",
		Short: "Compare results files with statistics, and gate on regressions",
		Long:  compareLong,
		Example: `  xdplab compare before.json after.json
  xdplab compare --by kernel k6.1.json k6.12.json --format markdown
  xdplab compare before.json after.json --threshold 5% --fail-on-regression
  xdplab compare --format benchfmt a.json b.json > x.txt && benchstat -col run x.txt`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			th, err := parsePercent(threshold)
			if err != nil {
				return &usageError{err}
			}
			switch format {
			case compare.FormatText, compare.FormatMarkdown, compare.FormatCSV, compare.FormatBenchfmt, compare.FormatOpenMetrics:
			default:
				return usagef("--format %q: use %s", format, strings.Join(compare.Formats(), ", "))
			}
			in, skipped, err := compare.Load(args)
			for _, sk := range skipped {
				fmt.Fprintf(stderr, "compare: skipped %s: %s\n", sk.Path, sk.Why)
			}
			if err != nil {
				return err
			}
			c, err := compare.Compare(in, compare.Options{By: by, Threshold: th})
			if err != nil {
				return &usageError{err}
			}
			b, err := formatComparison(c, in, format)
			if err != nil {
				return err
			}
			if err := emit(stdout, stderr, output, "comparison", b); err != nil {
				return err
			}
			if output != "" || format == compare.FormatCSV || format == compare.FormatBenchfmt || format == compare.FormatOpenMetrics {
				// The data went elsewhere or has no room for it: the
				// verdict goes to stderr.
				if err := c.WriteVerdict(stderr); err != nil {
					return err
				}
			}
			if !failOnRegression {
				return nil
			}
			switch g := c.Gate(); g.Verdict {
			case compare.GateRegression:
				return &gateError{n: len(g.Regressions)}
			case compare.GateInconclusive:
				return &inconclusiveError{what: "release gate", why: g.Why}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&by, "by", compare.ByRun, "one column per: run, kernel or mode")
	fl.StringVar(&format, "format", compare.FormatText, "output: "+strings.Join(compare.Formats(), ", "))
	fl.StringVar(&threshold, "threshold", "5%", "smallest change for the worse that counts as a regression")
	fl.BoolVar(&failOnRegression, "fail-on-regression", false, "exit with status 3 when there is a regression (the release gate)")
	fl.StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

// formatComparison writes c (of the files in) in format.
func formatComparison(c *compare.Comparison, in []compare.Input, format string) ([]byte, error) {
	var b bytes.Buffer
	var err error
	switch format {
	case compare.FormatText:
		err = c.WriteText(&b)
	case compare.FormatMarkdown:
		err = c.WriteMarkdown(&b)
	case compare.FormatCSV:
		err = c.WriteCSV(&b)
	case compare.FormatBenchfmt:
		err = compare.WriteBenchfmt(&b, in)
	case compare.FormatOpenMetrics:
		err = c.WriteOpenMetrics(&b)
	}
	return b.Bytes(), err
}
