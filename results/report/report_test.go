package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

var inputs = []string{"../testdata/run-a-k6.18.json", "../testdata/run-b-k6.1.json", "../../internal/probe/testdata/probe-virtio_net.json"}

func writeReport(t *testing.T) (path string, charts []string) {
	t.Helper()
	in, err := Load(inputs)
	require.NoError(t, err)
	var b bytes.Buffer
	charts, err = Write(&b, in, "")
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "report.html")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path, charts
}

func TestReportContents(t *testing.T) {
	path, charts := writeReport(t)
	assert.Equal(t, []string{"throughput-run-a-k6.18", "throughput-run-b-k6.1", "cpu-run-a-k6.18", "cpu-run-b-k6.1", "frame-size"}, charts)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	html := string(b)
	for _, want := range []string{
		"6.1.0-41-amd64", "6.18.44-fc-v595", // the environment
		"control plane only", "netdevsim", // the offload result
		"virtio_net", "advertised", // the probe's capability table
		"generator-bound", // the fixtures' flagged trials
		"no latency histograms",
		"Where each figure comes from", "frames the DUT program counted",
	} {
		assert.Contains(t, html, want)
	}
	assert.Equal(t, len(charts), strings.Count(html, "<svg"), "one SVG per chart")
	// Self-contained: nothing is fetched.
	for _, bad := range []string{"<script", "src=\"http", "href=\"http", "@import", "url(http"} {
		assert.NotContains(t, html, bad)
	}
}

func TestLoadRejects(t *testing.T) {
	_, err := Load(nil)
	assert.ErrorContains(t, err, "no input")
	p := filepath.Join(t.TempDir(), "x.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"schema":"other"}`), 0o644))
	_, err = Load([]string{p})
	assert.ErrorContains(t, err, `schema "other"`)
}

// Headless Chromium loads the report without a console message (a blocked
// fetch or a broken element would log one) and finds every chart.
func TestReportInChromium(t *testing.T) {
	chromium := testenv.RequireTool(t, "chromium")
	path, charts := writeReport(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	dom := stdout.String()
	require.Contains(t, dom, `<main id="report">`, "the page loaded")
	for _, line := range strings.Split(stderr.String(), "\n") {
		assert.NotContains(t, line, ":CONSOLE", "the page logged to the console")
	}
	for _, id := range charts {
		i := strings.Index(dom, `data-chart="`+id+`"`)
		require.GreaterOrEqual(t, i, 0, "chart %s in the DOM", id)
		assert.Contains(t, dom[i:min(len(dom), i+400)], "<svg", "chart %s has its SVG", id)
	}
}

// results names the probe schema without importing offload: the two agree.
func TestProbeSchemaAgrees(t *testing.T) {
	assert.Equal(t, probe.ReportSchema, results.ProbeSchema)
}
