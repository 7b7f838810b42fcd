package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/scenarios"
	"github.com/xdplab/xdplab/scenarios/expect"
	"github.com/xdplab/xdplab/topology"
)

// expectError is a scenario expectation that did not hold: exit status 4.
type expectError struct{ n int }

func (e *expectError) Error() string {
	return fmt.Sprintf("%d expectation(s) of the scenario did not hold", e.n)
}

func newScenarioCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Work with scenario files",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files without running them",
		Long: `validate parses each scenario file strictly (an unknown key, a wrong type or
an out-of-range value is an error naming the file, the line and the key)
and checks every expectation. It needs no root.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			var errs []error
			for _, p := range args {
				s, err := scenarios.Load(p, runner.ReadObject)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(stdout, "%s: ok: %s, %d run(s), %d expectation(s)\n", p, s.File.Name, len(s.Runs), len(s.Expect))
			}
			if len(errs) > 0 {
				return &usageError{errors.Join(errs...)}
			}
			return nil
		},
	})
	return cmd
}

// runScenario runs every configuration of a scenario (one per frame size
// and flow count), writes one results file each, and checks the
// expectations.
func runScenario(cmd *cobra.Command, f *runFlags, format string, stdout, stderr io.Writer) error {
	// A scenario file says everything a file may say; the command line
	// adds only what a file cannot (--run-id, --force).
	var extra []spec.Setting
	for _, st := range f.settings {
		if fl, _ := spec.Lookup(st.Path); fl.ScenarioKey() != "-" {
			return usagef("%s: the scenario file %s says that; change the file (or leave --scenario out)", flagName(st.Path), f.scenario)
		}
		extra = append(extra, st)
	}
	if err := checkLabel(f.label); err != nil {
		return err
	}
	s, err := scenarios.Load(f.scenario, runner.ReadObject)
	if err != nil {
		return &usageError{err}
	}
	if err := host.CheckPrivileges(); err != nil {
		return err
	}
	start := time.Now()
	var runs []*results.Run
	for i, r := range s.Runs {
		if err := spec.Apply(&r, extra); err != nil {
			return specUsageError(err, flagName)
		}
		if i == 0 && r.RunID == "" {
			r.RunID = topology.NewRunID()
		}
		// The runs go one after another under one id: each run's journal
		// is gone before the next starts.
		if i > 0 {
			r.RunID = s.Runs[0].RunID
		}
		s.Runs[i] = r
		cfg := runner.Config{Run: r, Version: toolVersion(), Command: []string{"xdplab", "run", "--scenario", s.Path}, Label: f.label}
		if !f.quiet {
			cfg.Live = stderr
		}
		name := resultsName(s.File.Name, start, r.RunID)
		if len(s.Runs) > 1 {
			name += fmt.Sprintf("-%dB-%dflows", cfg.FrameSize, cfg.Flows)
		}
		out := filepath.Join(DefaultResultsDir, name+".json")
		if f.output != "" {
			out = filepath.Join(f.output, name+".json")
		}
		if err := results.CheckWritable(out); err != nil {
			return usagef("scenario %s: %v", s.File.Name, err)
		}
		fmt.Fprintf(stderr, "scenario %s: run %d of %d: %d-byte frames, %d flow(s)\n", s.File.Name, i+1, len(s.Runs), cfg.FrameSize, cfg.Flows)
		run, err := runner.Run(cmd.Context(), cfg)
		if err != nil {
			if cmd.Context().Err() != nil {
				return interrupted(err, "everything xdplab made was removed; results of finished runs were kept")
			}
			// A setting this machine cannot give (checked where the run
			// starts: in the matrix, inside the VM) names the file's key.
			if fes := spec.FieldErrors(err); len(fes) > 0 {
				return usagef("%s: %s", s.Path, fes[0].Text(scenarios.Key))
			}
			return err
		}
		run.Notes = append(run.Notes, fmt.Sprintf("scenario %s (%s)", s.File.Name, f.scenario))
		if err := results.WriteNew(out, run); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "results written to %s\n", out)
		runs = append(runs, run)
		if format != "json" {
			if err := results.WriteTable(stdout, run); err != nil {
				return err
			}
			fmt.Fprintln(stdout)
		}
	}
	return judgeScenario(s, runs, format, stdout, stderr)
}

// judgeScenario checks a scenario's expectations against its runs, says
// each verdict on stderr (and everything as JSON on stdout where asked),
// and exits 4 where one failed, 6 where one could not be decided.
func judgeScenario(s *scenarios.Scenario, runs []*results.Run, format string, stdout, stderr io.Writer) error {
	verdicts := expect.Check(s.Expect, runs)
	if format == "json" {
		if err := writeOut(stdout, true, struct {
			Scenario string           `json:"scenario"`
			Runs     []*results.Run   `json:"runs"`
			Verdicts []expect.Verdict `json:"verdicts"`
		}{s.File.Name, runs, verdicts}, nil); err != nil {
			return err
		}
	}
	failed, undecided := 0, 0
	for _, v := range verdicts {
		mark := "ok  "
		switch v.Result {
		case expect.Fail:
			mark, failed = "FAIL", failed+1
		case expect.Inconclusive:
			mark, undecided = "??  ", undecided+1
		}
		where := strings.TrimSpace(fmt.Sprintf("%s %s %dB %d flow(s)", v.Program, v.Mode, v.FrameSize, v.Flows))
		fmt.Fprintf(stderr, "%s %-28s %-34s %s\n", mark, v.Expectation, where, v.Got)
	}
	switch expect.Outcome(verdicts) {
	case expect.Fail:
		return &expectError{n: failed}
	case expect.Inconclusive:
		if len(verdicts) == 0 {
			return nil // a scenario without expectations has nothing to decide
		}
		return &inconclusiveError{what: "scenario " + s.File.Name, why: fmt.Sprintf("%d expectation verdict(s) could not be decided (marked ??)", undecided)}
	}
	return nil
}
