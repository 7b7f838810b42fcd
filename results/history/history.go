// Package history reads a tree of results files (nightly CI artefacts,
// matrix output, release runs) as series: one per configuration (the keys
// compare pairs by) and metric, ordered by run time or by the runs'
// labels, and finds in each the change points where its level moved
// (Segments), the size, direction and significance of each step, what
// changed in the environment there, and the level it is at now. Gate
// turns the newest change points into a release verdict.
//
// Reading streams: files are read by a bounded pool of workers, each
// file's figures kept as a few numbers and the file dropped. It needs no
// privileges; an unreadable or foreign file is an error naming it.
package history

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/compare"
)

// Order says how a series' runs follow one another.
const (
	ByTime  = "time"  // the runs' start times
	ByLabel = "label" // their labels (run --label), in natural order
)

// Options shape Read.
type Options struct {
	Order string // ByTime (default) or ByLabel
	// Workers bounds the files read at once (default: the CPUs).
	Workers int
	// Metrics names the metrics to follow (compare's names, e.g. Mpps);
	// empty: every metric with figures.
	Metrics []string
}

// Run is one results run as a series sees it.
type Run struct {
	File    string            `json:"file"`
	Label   string            `json:"label"` // run --label, else the file's name
	Started time.Time         `json:"started"`
	Kernel  string            `json:"kernel"`
	Env     map[string]string `json:"-"` // the environment, flattened (results.Environment.Flat)
}

// Value is one run's figure: the median of its trials (shown scale), its
// standard error, and how many trials gave it.
type Value struct {
	Run    int     `json:"run"` // index into History.Runs
	Median float64 `json:"median"`
	SE     float64 `json:"se"`
	N      int     `json:"n"`
	// prog is what the program was: its object's and its images' hashes.
	prog progID
}

// progID names a program as loaded: the SHA-256 of its object, and of
// its translated and JIT images (the fingerprint; "" where none).
type progID struct{ object, xlated, jit string }

// History is what Read found.
type History struct {
	Runs   []Run     `json:"runs"`
	Series []*Series `json:"series"`
	// Skipped are files read but holding no measurements (probe reports).
	Skipped []compare.Skipped `json:"skipped,omitempty"`
}

// Series is one configuration's one metric over the runs.
type Series struct {
	Key    string  `json:"key"` // prog=drop/mode=native/size=64[/kernel=...]
	Metric string  `json:"metric"`
	Unit   string  `json:"unit"`
	Better string  `json:"better"`
	Values []Value `json:"values"`
	metric compare.Metric
	// Filled by Analyse.
	Segments []Segment `json:"segments,omitempty"`
	Changes  []Change  `json:"changes,omitempty"`
	Outliers []int     `json:"outliers,omitempty"` // indexes into Values
	Level    *Level    `json:"level,omitempty"`
}

// Read reads every results file under paths (files, or directories walked
// for .json files) into series.
func Read(paths []string, o Options) (*History, error) {
	if o.Order == "" {
		o.Order = ByTime
	}
	if o.Order != ByTime && o.Order != ByLabel {
		return nil, fmt.Errorf("order %q: use %s or %s", o.Order, ByTime, ByLabel)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	metrics, err := pick(o.Metrics)
	if err != nil {
		return nil, err
	}
	files, err := list(paths)
	if err != nil {
		return nil, err
	}
	type result struct {
		i    int
		runs []fileRun
		skip string
		err  error
	}
	jobs := make(chan int)
	out := make(chan result)
	var wg sync.WaitGroup
	for range min(o.Workers, max(len(files), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				runs, skip, err := readFile(files[i], metrics)
				out <- result{i, runs, skip, err}
			}
		}()
	}
	go func() {
		for i := range files {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(out)
	}()
	perFile := make([][]fileRun, len(files))
	h := &History{}
	var errs []error
	for r := range out {
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case r.skip != "":
			h.Skipped = append(h.Skipped, compare.Skipped{Path: files[r.i].Path, Why: r.skip})
		default:
			perFile[r.i] = r.runs
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, errs[0]
	}
	h.build(perFile, metrics, o.Order)
	if len(h.Runs) == 0 {
		return nil, fmt.Errorf("%s: no measured results: history reads results files (xdplab run) and qualifications", strings.Join(paths, ", "))
	}
	return h, nil
}

// pick finds the metrics named (all by default).
func pick(names []string) ([]compare.Metric, error) {
	if len(names) == 0 {
		return compare.Metrics, nil
	}
	var out []compare.Metric
	for _, n := range names {
		i := slices.IndexFunc(compare.Metrics, func(m compare.Metric) bool { return m.Name == n })
		if i < 0 {
			var all []string
			for _, m := range compare.Metrics {
				all = append(all, m.Name)
			}
			return nil, fmt.Errorf("metric %q: use one of %s", n, strings.Join(all, ", "))
		}
		out = append(out, compare.Metrics[i])
	}
	return out, nil
}

// list names the files: each file given, and the .json files below each
// directory, in a stable order.
func list(paths []string) ([]results.NamedFile, error) {
	files, err := results.ListFiles(paths)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return files, nil
}

// fileRun is one run of a file, reduced to its figures.
type fileRun struct {
	run    Run
	points []point
}

type point struct {
	key    compare.Key
	metric int // index into the metrics
	v      Value
}

// readFile reads one file and keeps only its figures.
func readFile(f results.NamedFile, metrics []compare.Metric) ([]fileRun, string, error) {
	runs, skip, err := readRuns(f.Path, f.Label)
	if err != nil {
		return nil, "", err
	}
	if skip != "" {
		return nil, skip, nil
	}
	var out []fileRun
	for i, r := range runs {
		label := r.Label
		if label == "" {
			label = f.Label
			if len(runs) > 1 {
				label = fmt.Sprintf("%s#%d", f.Label, i+1)
			}
		}
		fr := fileRun{run: Run{File: f.Path, Label: label, Started: r.Started, Kernel: r.Host.Kernel, Env: r.Environment.Flat(r)}}
		for ri := range r.Results {
			res := &r.Results[ri]
			key := compare.KeyOf(r, res)
			id := progID{object: results.ShortHash(res.Program.SHA256)}
			if f := res.Fingerprint; f != nil {
				id.xlated, id.jit = results.ShortHash(f.XlatedSHA256), results.ShortHash(f.JITSHA256)
			}
			for mi, m := range metrics {
				vs := m.Values(res)
				if len(vs) == 0 {
					continue
				}
				v := summarize(vs, m.Scale)
				v.prog = id
				fr.points = append(fr.points, point{key: key, metric: mi, v: v})
			}
		}
		out = append(out, fr)
	}
	return out, "", nil
}

// summarize is the median of a run's trials and its standard error: the
// trials' standard deviation over the root of their number (0 for one).
func summarize(vs []float64, scale float64) Value {
	s := slices.Clone(vs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	v := Value{Median: med * scale, N: len(s)}
	if len(s) > 1 {
		mean := 0.0
		for _, x := range s {
			mean += x
		}
		mean /= float64(len(s))
		ss := 0.0
		for _, x := range s {
			ss += (x - mean) * (x - mean)
		}
		// The median's standard error is about 1.25 times the mean's.
		v.SE = 1.2533 * math.Sqrt(ss/float64(len(s)-1)) / math.Sqrt(float64(len(s))) * math.Abs(scale)
	}
	return v
}

// build orders the runs and files their figures into series.
func (h *History) build(perFile [][]fileRun, metrics []compare.Metric, order string) {
	type entry struct {
		run    Run
		points []point
	}
	var all []entry
	for _, fr := range perFile {
		for _, r := range fr {
			all = append(all, entry(r))
		}
	}
	slices.SortStableFunc(all, func(a, b entry) int {
		if order == ByLabel {
			if c := naturalCompare(a.run.Label, b.run.Label); c != 0 {
				return c
			}
		}
		if c := a.run.Started.Compare(b.run.Started); c != 0 {
			return c
		}
		return strings.Compare(a.run.Label, b.run.Label)
	})
	// A series splits by kernel where runs of one label (a matrix's
	// night) measured the same configuration on several kernels.
	type sk struct {
		key    compare.Key
		metric int
	}
	kernels := map[sk]map[string]map[string]bool{} // label -> kernels
	for _, e := range all {
		for _, p := range e.points {
			k := sk{p.key, p.metric}
			if kernels[k] == nil {
				kernels[k] = map[string]map[string]bool{}
			}
			if kernels[k][e.run.Label] == nil {
				kernels[k][e.run.Label] = map[string]bool{}
			}
			kernels[k][e.run.Label][e.run.Kernel] = true
		}
	}
	split := map[sk]bool{}
	for k, byLabel := range kernels {
		for _, ks := range byLabel {
			if len(ks) > 1 {
				split[k] = true
			}
		}
	}
	series := map[string]*Series{}
	for _, e := range all {
		ri := len(h.Runs)
		h.Runs = append(h.Runs, e.run)
		for _, p := range e.points {
			m := metrics[p.metric]
			name := p.key.Name()
			if split[sk{p.key, p.metric}] {
				name += "/kernel=" + e.run.Kernel
			}
			id := name + "\x00" + m.Name
			s := series[id]
			if s == nil {
				s = &Series{Key: name, Metric: m.Name, Unit: m.Unit, Better: m.Better, metric: m}
				series[id] = s
				h.Series = append(h.Series, s)
			}
			v := p.v
			v.Run = ri
			s.Values = append(s.Values, v)
		}
	}
	slices.SortFunc(h.Series, func(a, b *Series) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), metricOrder(a.Metric)-metricOrder(b.Metric))
	})
}

func metricOrder(name string) int {
	return slices.IndexFunc(compare.Metrics, func(m compare.Metric) bool { return m.Name == name })
}

// naturalCompare orders labels with their numbers as numbers: v1.10.0
// after v1.9.2, rc2 before rc10.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
