package history

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/history/historytest"
)

var (
	benchOnce sync.Once
	benchDir  string
)

// TestMain removes the benchmark's history, which its runs share.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// tenThousand is a history of 10,000 results files: 2,500 nights of a
// kernel matrix (4 kernels a night, drop in two modes, 3 trials), with a
// 20% step at night 2,000 on one kernel.
func tenThousand(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xdplab-history-bench")
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range []string{"5.10", "6.1", "6.12", "7.2"} {
			sub := filepath.Join(dir, k)
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
			level := historytest.Step(1<<30, 7.5e6, 7.5e6)
			if k == "6.12" {
				level = historytest.Step(2000, 7.5e6, 6.0e6)
			}
			historytest.Nightly(b, historytest.Template, sub, 2500, 1, level, func(_ int, r *results.Run) { r.Host.Kernel = k })
		}
		benchDir = dir
	})
	return benchDir
}

// BenchmarkHistory10k reads and analyses 10,000 files; it reports the
// memory the process took from the system (MiB-sys), an upper bound of its
// peak. The figures: under 10 s and 1 GiB on a 2-core machine.
func BenchmarkHistory10k(b *testing.B) {
	dir := tenThousand(b)
	b.ResetTimer()
	for b.Loop() {
		h, err := Read([]string{dir}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		h.Analyse()
		if len(h.Runs) != 10000 {
			b.Fatalf("%d runs", len(h.Runs))
		}
		found := false
		for _, s := range h.Series {
			for _, c := range s.Changes {
				found = found || s.Metric == "Mpps" && c.Run == "night-2000"
			}
		}
		if !found {
			b.Fatal("the step at night 2000 was not found")
		}
	}
	b.StopTimer()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.Sys)/(1<<20), "MiB-sys")
}
