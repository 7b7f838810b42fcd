package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/report"
)

func newReportCmd(stderr io.Writer) *cobra.Command {
	var output, title string
	cmd := &cobra.Command{
		Use:   "report FILE... -o report.html",
		Short: "Write one self-contained HTML report of results files and probe reports",
		Long: `report writes one HTML file that needs no network and runs no script: the
environment of each run, a table of results, per-mode bars of throughput and
CPU ns/pkt (inline SVG drawn with gonum/plot), throughput against frame
size, latency histograms where results have them, hardware offload results,
the advertised-against-detected table of probe reports (xdplab probe
--json), flagged trials, and where each figure comes from.`,
		Example: `  xdplab report before.json after.json probe.json -o report.html`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usagef("-o/--output: name the HTML file to write")
			}
			in, err := report.Load(args)
			if err != nil {
				return err
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
	return cmd
}
