package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/history"
	"github.com/xdplab/xdplab/results/history/historytest"
)

var inputs = []string{"../testdata/run-a-k6.18.json", "../testdata/run-b-k6.1.json", "../testdata/run-hooks-k6.18.json", "../../internal/probe/testdata/probe-virtio_net.json"}

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
	// Both runs measured one frame size: no size chart, and a note says so.
	assert.Equal(t, []string{"throughput-run-a-k6.18", "throughput-run-b-k6.1", "throughput-run-hooks-k6.18",
		"cpu-run-a-k6.18", "cpu-run-b-k6.1", "cpu-run-hooks-k6.18",
		"hook-throughput-run-hooks-k6.18", "hook-cpu-run-hooks-k6.18"}, charts, "the hooks run draws throughput and CPU per hook")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	html := string(b)
	for _, want := range []string{
		"6.1.0-41-amd64", "6.18.44-fc-v595", // the environment
		"control plane only", "netdevsim", // the offload result
		"virtio_net", "advertised", // the probe's capability table
		"generator-bound", // the fixtures' flagged trials
		"no latency histograms",
		"measured at one frame size, so no size chart is drawn",
		"Where each figure comes from", "frames the DUT program counted",
		"Where the inspection ran", "drop afpacket", "filter afxdp", // the hooks run
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

// The fingerprint of each program and mode is a section of the report,
// with n/r and the reason where the kernel gave none.
func TestReportFingerprint(t *testing.T) {
	r, err := results.ReadFile("../testdata/run-a-k6.18.json")
	require.NoError(t, err)
	r.SchemaVersion = results.SchemaVersion
	v := uint64(28)
	r.Results[0].Fingerprint = &results.Fingerprint{VerifiedInsns: &v, XlatedSHA256: "0fbb6077f893e21d63d157413140fa4a0672c1867c32a5edd9a122839c8e133d",
		Helpers: []string{"bpf_map_lookup_elem"}, NotReported: map[string]string{"jit_bytes": "no JIT image"}}
	p := filepath.Join(t.TempDir(), "fp.json")
	require.NoError(t, results.WriteFile(p, r))
	in, err := Load([]string{p})
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = Write(&b, in, "")
	require.NoError(t, err)
	html := b.String()
	assert.Contains(t, html, "<h2>Program fingerprint</h2>")
	assert.Contains(t, html, "<th>verified (insns)</th>")
	assert.Contains(t, html, `<td class="num">28</td>`)
	assert.Contains(t, html, "<code>0fbb6077f893</code>")
	assert.Contains(t, html, "jit_bytes: no JIT image")
	assert.Contains(t, html, "bpf_map_lookup_elem")

	in, err = Load(inputs[:1])
	require.NoError(t, err)
	b.Reset()
	_, err = Write(&b, in, "")
	require.NoError(t, err)
	assert.NotContains(t, b.String(), "Program fingerprint", "no section for files without fingerprints")
}

// Two sizes on one kernel make a line; every axis says its unit.
func TestReportFrameSizeChart(t *testing.T) {
	r, err := results.ReadFile("../testdata/run-a-k6.18.json")
	require.NoError(t, err)
	dir := t.TempDir()
	for _, size := range []int{64, 1518} {
		r.Config.FrameSize = size
		require.NoError(t, results.WriteJSON(filepath.Join(dir, fmt.Sprintf("size-%d.json", size)), r))
	}
	in, err := Load([]string{dir})
	require.NoError(t, err)
	var b bytes.Buffer
	charts, err := Write(&b, in, "")
	require.NoError(t, err)
	assert.Contains(t, charts, "frame-size")
	html := b.String()
	for _, axis := range []string{"frame size, bytes with FCS", "Mpps (median)", "CPU ns/packet (median)", "program (a bar per mode)"} {
		assert.Contains(t, html, axis)
	}
	assert.NotContains(t, html, "so no size chart is drawn")
}

// legendRoom keeps the legend above every value: the highest value sits
// below the legend's bottom edge.
func TestLegendRoom(t *testing.T) {
	for n := 1; n <= 6; n++ {
		top := legendRoom(10, n)
		legendBottom := top * (1 - (14*float64(n)+12)/220)
		assert.GreaterOrEqual(t, legendBottom, 10*0.999, "%d entries", n)
	}
	assert.InDelta(t, 220.0/208, legendRoom(0, 0), 1e-9, "no values: a scale of 1")
}

// The trend charts of a history: one per series, change points dashed
// and labelled, drawn in headless Chromium (the screenshot is kept in
// $XDPLAB_ARTEFACTS, or the test's directory).
func TestReportTrends(t *testing.T) {
	dir := t.TempDir()
	historytest.Nightly(t, "../history/"+historytest.Template, dir, 30, 1, historytest.Step(20, 7.5e6, 6.0e6), func(i int, r *results.Run) {
		if i+1 >= 20 {
			r.Host.Kernel = "6.12.48"
		}
	})
	h, err := history.Read([]string{dir}, history.Options{Metrics: []string{"Mpps"}})
	require.NoError(t, err)
	h.Analyse()
	var b bytes.Buffer
	charts, err := Write(&b, &Inputs{History: h}, "trends")
	require.NoError(t, err)
	assert.Equal(t, []string{"trend-1", "trend-2"}, charts, "a chart per series")
	html := b.String()
	assert.Contains(t, html, "night-20 -20.0%", "the change point is labelled on the chart")
	assert.Contains(t, html, "stroke-dasharray", "and dashed")
	assert.Contains(t, html, "changed: kernel 6.18.44-fc-v1045 → 6.12.48")
	assert.Contains(t, html, "Mpps, per run")
	assert.Contains(t, html, "run median, 95% CI")
	path := filepath.Join(t.TempDir(), "trends.html")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))

	chromium := testenv.RequireTool(t, "chromium")
	out := os.Getenv("XDPLAB_ARTEFACTS")
	if out == "" {
		out = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(out, 0o755))
	png := filepath.Join(out, "report-trends.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,1400",
		"--user-data-dir="+t.TempDir(), "--screenshot="+png, "file://"+path)
	outb, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", outb)
	st, err := os.Stat(png)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(20000), "a screenshot with the charts in it")
	t.Logf("screenshot: %s", png)
	// And the page as Chromium built it: every trend chart with its SVG,
	// the change point's label in it, nothing on the console.
	dump := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+path)
	var dom, logs bytes.Buffer
	dump.Stdout, dump.Stderr = &dom, &logs
	require.NoError(t, dump.Run(), logs.String())
	for _, id := range charts {
		i := strings.Index(dom.String(), `data-chart="`+id+`"`)
		require.GreaterOrEqual(t, i, 0, "chart %s in the DOM", id)
		assert.Contains(t, dom.String()[i:min(dom.Len(), i+400)], "<svg", "chart %s has its SVG", id)
	}
	assert.Contains(t, dom.String(), "night-20 -20.0%")
	assert.NotContains(t, logs.String(), ":CONSOLE", "the page logged to the console")
}

// Qualifications of one driver on several kernels: the report sets their
// checks side by side, oldest kernel first, and marks a lost one.
func TestReportCapabilitiesByKernel(t *testing.T) {
	dir := t.TempDir()
	for i, k := range []struct {
		kernel string
		tx     results.Verdict
	}{{"7.2.13+deb14-amd64", results.VerdictFail}, {"6.12.117+deb13-amd64", results.VerdictPass}} {
		q := &results.Qualification{Schema: results.QualificationSchema, SchemaVersion: results.QualificationSchemaVersion,
			Host: results.Host{Kernel: k.kernel}, DUT: results.Qualified{Name: "eth0", Driver: "igb"},
			Checks: []results.QualifyCheck{{Section: "functional", Name: "XDP_TX", Mode: "native", Verdict: k.tx}, {Section: "functional", Name: "XDP_DROP", Mode: "native", Verdict: "pass"}}}
		q.Finish()
		require.NoError(t, results.WriteJSON(filepath.Join(dir, fmt.Sprintf("q%d.json", i)), q))
	}
	in, err := Load([]string{dir})
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = Write(&b, in, "")
	require.NoError(t, err)
	html := b.String()
	assert.Contains(t, html, "<h2>Capabilities by kernel</h2>")
	assert.Contains(t, html, "<td>igb</td><td>functional: XDP_TX</td><td>native</td><td>6.12.117&#43;deb13-amd64: pass; 7.2.13&#43;deb14-amd64: fail</td><td class=\"mismatch\">REGRESSION</td>")
	assert.NotContains(t, html, "functional: XDP_DROP", "a check alike on every kernel is not listed")
}
