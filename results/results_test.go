package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleRun() *Run {
	r := &Run{Header: Header{Schema: SchemaName, SchemaVersion: SchemaVersion,
		Tool: Tool{Name: "xdplab", Version: "test"}, Host: Host{Kernel: "6.18.0", CPUModel: "cpu", Cores: 2}},
		Config: Config{FrameSize: 64, IPVersion: 4, Flows: 1, Threads: 1, Generator: "live-frames", Trials: 3, DurationS: 2, Work: "no-touch"},
	}
	res := Result{Program: Program{Name: "drop", Counted: true}, Mode: "native", AttachedMode: "native"}
	for i, pps := range []float64{7e6, 6e6, 8e6} {
		res.Trials = append(res.Trials, Trial{Index: i + 1, Figures: Figures{ThroughputPPS: pps, L2BitsPerSec: pps * 512, CPUNsPerPkt: 140}})
	}
	res.Trials[1].Flags = []Flag{{Code: FlagCountersDisagree, Message: "a vs b"}}
	res.Summarize(map[string]string{"throughput": "xdplab stats map"})
	r.Results = []Result{res}
	return r
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{3, 1, 2, 10}, "u", "src")
	assert.Equal(t, Stat{Min: 1, Median: 2.5, Max: 10, N: 4, Unit: "u", Source: "src"}, s)
	assert.Equal(t, 0, Summarize(nil, "u", "").N)
	r := sampleRun()
	assert.Equal(t, 7e6, r.Results[0].Summary.ThroughputPPS.Median)
	assert.Equal(t, "xdplab stats map", r.Results[0].Summary.ThroughputPPS.Source)
	assert.Equal(t, 1, r.Results[0].Summary.Flagged)
}

func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "r.json")
	require.NoError(t, WriteFile(path, sampleRun()))
	got, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, sampleRun().Results[0].Summary, got.Results[0].Summary)
	ents, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file left")
}

func TestWriteFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	err := WriteFile(filepath.Join(dir, "file", "r.json"), sampleRun())
	assert.ErrorContains(t, err, "not a directory")

	// Renaming over /dev/null would replace it: refused.
	err = WriteJSON(os.DevNull, sampleRun())
	assert.ErrorContains(t, err, "not a regular file")
	st, serr := os.Stat(os.DevNull)
	require.NoError(t, serr)
	assert.NotZero(t, st.Mode()&os.ModeDevice, "/dev/null is still a device")
}

func TestReadRejects(t *testing.T) {
	_, err := Read(strings.NewReader(`{"schema":"other","schema_version":1}`))
	assert.ErrorContains(t, err, `schema "other"`)
	_, err = Read(strings.NewReader(`{"schema":"xdplab.results","schema_version":99}`))
	assert.ErrorContains(t, err, "version 99 is newer than this xdplab reads (versions 1 to 8): upgrade xdplab")
	_, err = Read(strings.NewReader(`{"schema":"xdplab.results","schema_version":0}`))
	assert.ErrorContains(t, err, "not one xdplab ever wrote")
	_, err = Read(strings.NewReader(`not json`))
	assert.ErrorContains(t, err, "not an xdplab results file")
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, sampleRun()))
	out := b.String()
	assert.Regexp(t, `drop\s+native\s+7\.00 \[6\.00-8\.00\]`, out)
	assert.Contains(t, out, "1/3", "flagged trials counted")
	assert.Contains(t, out, "counters-disagree: a vs b")
	assert.Contains(t, out, "size 64, ip 4, flows 1, threads 1, work no-touch, proto udp", "the header is results.Describe")
}

// An offload device that runs no program on packets (netdevsim) shows what
// was checked and no throughput.
func TestWriteTableControlPlaneOnly(t *testing.T) {
	r := sampleRun()
	r.Results = append(r.Results, Result{
		Program: Program{Name: "drop", Counted: true}, Mode: "offload", AttachedMode: "offload",
		ControlPlaneOnly: true, ControlPlane: []string{"loaded and verified bound to eth1 (driver netdevsim)", "netdevsim runs no offloaded program on packets"},
	})
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, r))
	assert.Regexp(t, `drop\s+offload\s+control plane only`, b.String())
	assert.Contains(t, b.String(), "drop offload: control plane only, no throughput: loaded and verified bound to eth1 (driver netdevsim)")
}

// An older file's DUT share within the calibration's noise, or below zero,
// is read as a bound, never as a figure.
func TestReadUpgradesNetFigures(t *testing.T) {
	r, err := ReadFile("testdata/run-a-k6.18.json")
	require.NoError(t, err)
	below := 0
	for _, res := range r.Results {
		for _, tr := range res.Trials {
			if d := tr.Figures.DUTNsPerPkt; d != nil {
				assert.Greater(t, *d, r.Calibration.Noise.Value)
			}
			if tr.Figures.DUTNsPerPktBelow != nil {
				below++
			}
		}
		if s := res.Summary.DUTNsPerPkt; s != nil {
			assert.Greater(t, s.Min, 0.0, "%s %s", res.Program.Name, res.Mode)
		}
	}
	assert.Positive(t, below, "the fixture holds negative shares")
}

// A qualification's runs of an older schema are read as Read reads a
// results file: negative DUT shares become bounds.
func TestReadContentsUpgradesQualificationRuns(t *testing.T) {
	b, err := os.ReadFile("testdata/run-a-k6.18.json")
	require.NoError(t, err)
	var raw Run
	require.NoError(t, json.Unmarshal(b, &raw))
	require.Less(t, raw.SchemaVersion, 4)
	q := &Qualification{Schema: QualificationSchema, SchemaVersion: QualificationSchemaVersion, Performance: []*Run{&raw}}
	p := filepath.Join(t.TempDir(), "q", "qualification.json")
	require.NoError(t, WriteJSON(p, q))
	cs, err := ReadContents([]string{filepath.Dir(p)})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, "qualification", cs[0].Label)
	require.Len(t, cs[0].Runs, 1)
	for _, res := range cs[0].Runs[0].Results {
		for _, tr := range res.Trials {
			if d := tr.Figures.DUTNsPerPkt; d != nil {
				assert.Positive(t, *d)
			}
		}
	}
	_, err = ReadContents([]string{t.TempDir()})
	assert.ErrorContains(t, err, "a directory without .json files")
}
