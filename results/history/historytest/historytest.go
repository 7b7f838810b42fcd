// Package historytest writes synthetic histories of results files for
// tests and benchmarks: nightly runs made from a real run file, with a
// throughput level per night and 1% noise between each run's trials.
package historytest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xdplab/xdplab/results"
)

// Template is the run the nights are made from, relative to the
// results/history package (drop in generic and native mode, 3 trials).
const Template = "testdata/night.json"

// Nightly writes n nightly results files night-NN.json into dir from the
// template file: night i (from 0) starts a day after night i-1 and
// measures level(i) frames/s in native mode and level(i)/2.5 in generic
// mode, each trial 1% off at random; env, when set, changes the run
// last (its environment, or its figures: a bad night).
func Nightly(tb testing.TB, template, dir string, n int, seed uint64, level func(i int) float64, env func(i int, r *results.Run)) {
	tb.Helper()
	b, err := os.ReadFile(template)
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 9))
	start := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	for i := range n {
		var run results.Run
		if err := json.Unmarshal(b, &run); err != nil {
			tb.Fatal(err)
		}
		run.Started = start.Add(time.Duration(i) * 24 * time.Hour)
		run.Finished = run.Started.Add(time.Minute)
		run.Label = fmt.Sprintf("night-%02d", i+1)
		for ri := range run.Results {
			res := &run.Results[ri]
			base := level(i)
			if res.Mode == "generic" {
				base /= 2.5
			}
			for ti := range res.Trials {
				res.Trials[ti].Figures.ThroughputPPS = base * (1 + 0.01*r.NormFloat64())
			}
		}
		if env != nil {
			env(i, &run)
		}
		out, err := json.Marshal(&run)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("night-%02d.json", i+1)), out, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// Step is a level that moves from from to to at night at (counted from 1).
func Step(at int, from, to float64) func(int) float64 {
	return func(i int) float64 {
		if i+1 >= at {
			return to
		}
		return from
	}
}
