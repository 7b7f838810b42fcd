package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/history"
)

// historyLong is the help of `xdplab history`.
const historyLong = `history reads a tree of results files (nightly CI artefacts, a kernel
matrix's output, release runs; qualifications' performance runs too) and
follows each configuration (the keys compare pairs by: program, mode, frame
size, IP version, flows, threads, work, the stream; by kernel where runs of
one label measured several kernels) and metric over the runs, ordered by
their start time or, with --order label, by the label each was given
(xdplab run --label v1.4.0-rc1) in natural order (rc2 before rc10).

In each series it finds the change points: a minimum-description-length
split into levels of equal mean, after FD.io CSIT's jumpavg, solved exactly
(optimal partitioning, pruned as PELT does), each run weighted by its own
trials' spread, the noise between runs estimated from the series. A single
run apart from the level on both sides is an outlier, set aside and said.
For each change point: the run where it happened, the step's size and
direction, its p-value, and what changed in the environment between the
runs either side (kernel, command line, microcode, mitigations, preemption,
governor, boost, SMT, the NICs' drivers, firmware, rings, channels and
IRQs, xdplab's version, the program's object and JIT image). Each series'
level now comes with its 95% confidence interval.

--fail-on-regression is the nightly gate: exit status 3 when the newest
change point of any series is a significant (p < 0.05) regression at least
--threshold (loss: percentage points), and 6 (inconclusive) when the newest
level has fewer than 3 runs, or a series fewer than 3 runs in all.

--format openmetrics writes every run's value in the OpenMetrics text
exposition, the configuration keys as labels and the run's start as the
timestamp (promtool tsdb create-blocks-from openmetrics backfills it).`

func newHistoryCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		format, order, threshold, output string
		asJSON, failOnRegression         bool
		metrics                          []string
	)
	cmd := &cobra.Command{
		Use:   "history DIR|FILE...",
		Short: "Read nightly and release runs as trends, find their change points, and gate on the newest",
		Long:  historyLong,
		Example: `  xdplab history nightly/
  xdplab history --order label releases/*.json --format markdown
  xdplab history nightly/ --fail-on-regression --threshold 5% --metric Mpps`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := format
			if asJSON {
				if cmd.Flags().Changed("format") && format != "json" {
					return usagef("--json and --format %s: give one", format)
				}
				f = "json"
			}
			if !slices.Contains([]string{"text", "markdown", "json", "csv", "openmetrics"}, f) {
				return usagef("--format %q: use text, markdown, json, csv or openmetrics", format)
			}
			th, err := parsePercent(threshold)
			if err != nil {
				return &usageError{err}
			}
			h, err := history.Read(args, history.Options{Order: order, Metrics: metrics})
			if err != nil {
				return err
			}
			h.Analyse()
			var b bytes.Buffer
			switch f {
			case "text":
				err = h.WriteText(&b)
			case "markdown":
				err = h.WriteMarkdown(&b)
			case "csv":
				err = h.WriteCSV(&b)
			case "openmetrics":
				err = h.WriteOpenMetrics(&b)
			case "json":
				err = writeOut(&b, true, h, nil)
			}
			if err != nil {
				return err
			}
			if err := emit(stdout, stderr, output, "history", b.Bytes()); err != nil {
				return err
			}
			if !failOnRegression {
				return nil
			}
			return historyGate(stderr, h.Gate(th))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "text", "output: text, markdown, json, csv or openmetrics")
	fl.BoolVar(&asJSON, "json", false, "shorthand for --format json")
	fl.StringVar(&order, "order", history.ByTime, "order the runs by their start time (time) or their label (label)")
	fl.StringArrayVar(&metrics, "metric", nil, "follow only this metric (compare's names: Mpps, loss-%, cpu-ns/pkt, ...; repeat for several)")
	fl.BoolVar(&failOnRegression, "fail-on-regression", false, "exit 3 when the newest change point of a series is a regression past --threshold, 6 when too new to tell")
	fl.StringVar(&threshold, "threshold", "5%", "the smallest regression the gate fails on (loss: percentage points)")
	fl.StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

// historyGate says the gate's regressions and undecided series, and
// exits as its verdict says.
func historyGate(stderr io.Writer, v history.Verdict) error {
	for _, r := range v.Regressions {
		fmt.Fprintln(stderr, "regression:", r)
	}
	for _, u := range v.Undecided {
		fmt.Fprintln(stderr, "undecided:", u)
	}
	switch v.Verdict {
	case results.VerdictFail:
		return &gateError{len(v.Regressions)}
	case results.VerdictInconclusive:
		return &inconclusiveError{what: "history gate", why: strings.Join(v.Undecided, "; ")}
	}
	fmt.Fprintln(stderr, "history gate: pass")
	return nil
}
