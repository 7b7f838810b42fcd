package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xdplab/xdplab/results"
)

// slimRun is a results run with only what a history reads: a trial's raw
// counters, samples and flags, the bulk of a file, are skipped rather
// than decoded.
type slimRun struct {
	Schema        string               `json:"schema"`
	SchemaVersion int                  `json:"schema_version"`
	Tool          results.Tool         `json:"tool"`
	Host          results.Host         `json:"host"`
	Started       time.Time            `json:"started"`
	Label         string               `json:"label"`
	Environment   *results.Environment `json:"environment"`
	Config        results.Config       `json:"config"`
	Calibration   *results.Calibration `json:"calibration"`
	Results       []slimResult         `json:"results"`
}

type slimResult struct {
	Program      results.Program      `json:"program"`
	Mode         string               `json:"mode"`
	Trials       []slimTrial          `json:"trials"`
	ProgNsPerPkt *results.Figure      `json:"prog_ns_per_pkt"`
	NDR          *results.Throughput  `json:"ndr"`
	PDR          *results.Throughput  `json:"pdr"`
	Fingerprint  *results.Fingerprint `json:"fingerprint"`
}

type slimTrial struct {
	Figures results.Figures  `json:"figures"`
	Latency *results.Latency `json:"latency"`
}

// readRuns reads one file's runs: a results file in one pass through its
// JSON, anything else (a qualification's performance runs, an inspection,
// a probe report to skip) as compare reads it.
func readRuns(path, label string) ([]*results.Run, string, error) {
	b, err := results.ReadBounded(path, nil)
	if err != nil {
		return nil, "", fmt.Errorf("history: %w", err)
	}
	var s slimRun
	if err := json.Unmarshal(b, &s); err != nil || s.Schema != results.SchemaName {
		// Not a results run (or not JSON): the general reader says why.
		c, err := results.ReadOne(path, label)
		if err != nil {
			return nil, "", err
		}
		return c.Runs, c.Skip, nil
	}
	if s.SchemaVersion < 1 || s.SchemaVersion > results.SchemaVersion {
		_, err := results.Read(bytes.NewReader(b)) // its error names the version
		return nil, "", fmt.Errorf("history %s: %w", path, err)
	}
	r := &results.Run{Header: results.Header{Schema: s.Schema, SchemaVersion: s.SchemaVersion, Tool: s.Tool, Host: s.Host, Started: s.Started},
		Label: s.Label, Environment: s.Environment, Config: s.Config, Calibration: s.Calibration}
	for _, sr := range s.Results {
		res := results.Result{Program: sr.Program, Mode: sr.Mode, ProgNsPerPkt: sr.ProgNsPerPkt, NDR: sr.NDR, PDR: sr.PDR, Fingerprint: sr.Fingerprint}
		for _, t := range sr.Trials {
			res.Trials = append(res.Trials, results.Trial{Figures: t.Figures, Latency: t.Latency})
		}
		r.Results = append(r.Results, res)
	}
	results.Upgrade(r)
	return []*results.Run{r}, "", nil
}
