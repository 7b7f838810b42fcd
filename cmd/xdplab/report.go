package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/history"
	"github.com/xdplab/xdplab/results/report"
)

func newReportCmd(stderr io.Writer) *cobra.Command {
	var (
		output, title string
		hist, metrics []string
	)
	cmd := &cobra.Command{
		Use:   "report FILE... -o report.html",
		Short: "Write one self-contained HTML report of results files and probe reports",
		Long: `report writes one HTML file that needs no network and runs no script: the
environment of each run, a table of results, per-mode bars of throughput and
CPU ns/pkt (inline SVG drawn with gonum/plot), throughput against frame
size, latency histograms where results have them, hardware offload results,
the advertised-against-detected table of probe reports (xdplab probe
--json), flagged trials, and where each figure comes from.

--history DIR adds a trend chart per configuration and metric of the runs
under DIR, as xdplab history reads them: each run's median with its 95%
confidence interval, the levels, the change points (dashed, labelled with
the run and the step) and the outliers set aside.`,
		Example: `  xdplab report before.json after.json probe.json -o report.html
  xdplab report --history nightly/ -o trends.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usagef("-o/--output: name the HTML file to write")
			}
			if len(args) == 0 && len(hist) == 0 {
				return usagef("name results files, or a history with --history DIR (see xdplab report --help)")
			}
			in := &report.Inputs{}
			var err error
			if len(args) > 0 {
				if in, err = report.Load(args); err != nil {
					return err
				}
			}
			if len(hist) > 0 {
				if in.History, err = history.Read(hist, history.Options{Metrics: metrics}); err != nil {
					return err
				}
				in.History.Analyse()
				in.Files = append(in.Files, hist...)
			}
			var b bytes.Buffer
			charts, err := report.Write(&b, in, title)
			if err != nil {
				return err
			}
			if err := results.WriteBytes(output, b.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "report written to %s (%d charts)\n", output, len(charts))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the HTML file to write")
	cmd.Flags().StringVar(&title, "title", "", "the report's title (default: xdplab report)")
	cmd.Flags().StringArrayVar(&hist, "history", nil, "add trend charts of the runs under this directory or file (repeat for several)")
	cmd.Flags().StringArrayVar(&metrics, "history-metric", []string{"Mpps", "cpu-ns/pkt"}, "the metrics --history charts (compare's names; repeat for several)")
	return cmd
}
