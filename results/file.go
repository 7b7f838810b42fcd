package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xdplab/xdplab/internal/atomicfile"
	"github.com/xdplab/xdplab/results/caps"
)

// Marshal encodes a run as indented JSON.
func Marshal(r *Run) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteFile writes the run to path atomically (see WriteJSON).
func WriteFile(path string, r *Run) error {
	b, err := Marshal(r)
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// WriteJSON writes v as indented JSON to path atomically: a temporary file
// in the same directory, synced, then renamed over path. A reader never sees
// half a file, and on error nothing is left. A path that exists and is not a
// regular file (/dev/stdout, a FIFO) is refused: renaming over it would
// replace it.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: encode: %w", path, err)
	}
	return writeAtomic(path, append(b, '\n'))
}

// WriteNew writes the run to path atomically, as WriteFile does, but never
// replaces a file: where path exists it fails and writes nothing.
func WriteNew(path string, r *Run) error {
	b, err := Marshal(r)
	if err != nil {
		return err
	}
	return writeNew(path, b)
}

// WriteBytes writes b to path atomically (see WriteJSON): for the other
// outputs (HTML, Markdown, CSV).
func WriteBytes(path string, b []byte) error { return writeAtomic(path, b) }

// MaxNameLen bounds a file name (Linux NAME_MAX).
const MaxNameLen = 255

// CheckOutputName tells whether path can name an output file at all: a
// name, not too long, not a directory. It needs no privileges.
func CheckOutputName(path string) error {
	if path == "" {
		return errors.New("no output path")
	}
	if n := len(filepath.Base(path)); n > MaxNameLen {
		return fmt.Errorf("output %.60s...: a file name of %d bytes; the limit is %d", path, n, MaxNameLen)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("output %s is a directory: name a file in it", path)
	}
	return nil
}

// CheckWritable tells, before any measurement, whether a file can be
// written at path: its directory exists or can be made and takes files,
// path is no directory, and its name is not too long. It leaves nothing.
func CheckWritable(path string) error {
	if err := CheckOutputName(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".xdplab-check*")
	if err != nil {
		return fmt.Errorf("output %s: the directory takes no files: %w", path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func writeNew(path string, b []byte) error {
	err := atomicfile.WriteNew(path, b, 0o644)
	if errors.Is(err, atomicfile.ErrExists) {
		return fmt.Errorf("%w (name another with --output)", err)
	}
	return err
}

func writeAtomic(path string, b []byte) error { return atomicfile.Write(path, b, 0o644) }

// Read decodes a results file, rejecting other schemas and versions.
func Read(rd io.Reader) (*Run, error) {
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	var head struct {
		Schema        string `json:"schema"`
		SchemaVersion int    `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not an xdplab results file: %w", err)
	}
	if head.Schema != SchemaName {
		return nil, fmt.Errorf("not an xdplab results file: schema %q, want %q", head.Schema, SchemaName)
	}
	switch {
	case head.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("results schema version %d is newer than this xdplab reads (versions 1 to %d): upgrade xdplab", head.SchemaVersion, SchemaVersion)
	case head.SchemaVersion < 1:
		return nil, fmt.Errorf("results schema version %d is not one xdplab ever wrote (versions 1 to %d)", head.SchemaVersion, SchemaVersion)
	}
	var r Run
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	upgrade(&r)
	return &r, nil
}

// upgrade reads a run of an older schema version as the current one has
// it (Read's files, and the runs a qualification holds).
func upgrade(r *Run) {
	if r.SchemaVersion == 1 {
		// Version 1 kept the sources in Notes only; they were the
		// standard ones.
		gen := "the live-frames generator program's per-CPU counter of redirected frames"
		if r.Config.Generator == "af-packet" {
			gen = "AF_PACKET writes the socket accepted"
		}
		r.Metrics = StandardMetrics(gen, CPUsOfGenerator)
		r.Notes = append(r.Notes, "read from schema version 1: the metric sources are xdplab's standard ones")
	}
	if r.SchemaVersion < 4 {
		upgradeNet(r)
	}
	if r.SchemaVersion < 5 {
		// Before version 5 a program's work could carry prose ("swap-macs
		// (tx always swaps)"), and a stream of plain UDP could leave its
		// protocol out.
		for i := range r.Results {
			if f := strings.Fields(r.Results[i].Program.Work); len(f) > 0 {
				r.Results[i].Program.Work = f[0]
			}
		}
		if r.Config.Protocol == "" {
			r.Config.Protocol = "udp"
		}
	}
}

// upgradeNet reads a version 1 to 3 file's net figures as version 4 has
// them: a DUT share within the calibration's noise (the range of its
// trials, at least 5% of their median) or below zero, and a prog ns/pkt
// that was clamped to 0, are no figures but bounds.
func upgradeNet(r *Run) {
	noise := 0.0
	if c := r.Calibration; c != nil {
		var ns []float64
		for _, t := range c.Trials {
			ns = append(ns, t.Figures.CPUNsPerPkt)
		}
		if len(ns) > 0 {
			lo, hi := slices.Min(ns), slices.Max(ns)
			noise = max(hi-lo, 0.05*c.GeneratorNsPerPkt.Value)
			c.Noise = &Figure{Value: noise, Unit: "ns/packet", Source: "range of the calibration trials' CPU ns/pkt, at least 5% of their median (computed when this older file was read)"}
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		changed := false
		for j := range res.Trials {
			f := &res.Trials[j].Figures
			if f.DUTNsPerPkt != nil && *f.DUTNsPerPkt <= noise {
				b := noise
				f.DUTNsPerPkt, f.DUTNsPerPktBelow, changed = nil, &b, true
			}
		}
		if changed {
			s := res.Summary
			src := map[string]string{"offered": s.OfferedPPS.Source, "throughput": s.ThroughputPPS.Source, "loss": s.Loss.Source, "cpu": s.CPUNsPerPkt.Source}
			if s.DUTNsPerPkt != nil {
				src["dut"] = s.DUTNsPerPkt.Source
			}
			res.Summarize(src)
		}
		if p := res.ProgNsPerPkt; p != nil && p.Value <= 0 && p.Flag == "" {
			p.Flag = FlagProgWithinNoise
		}
	}
}

// ReadFile reads a results file.
func ReadFile(path string) (*Run, error) {
	b, err := ReadBounded(path, nil)
	if err != nil {
		return nil, err
	}
	r, err := Read(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	return r, nil
}

// SchemaOf reads the schema name and version a JSON file of xdplab's
// declares.
func SchemaOf(b []byte) (name string, version int, err error) {
	var head struct {
		Schema        string `json:"schema"`
		SchemaVersion int    `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return "", 0, fmt.Errorf("not JSON xdplab wrote: %w", err)
	}
	return head.Schema, head.SchemaVersion, nil
}

// The bounds of what xdplab reads back. The largest documents xdplab
// writes are small: a run of drop in two modes, two 1 s trials each, is
// 30 KB; a qualification with its runs 23 KB; each second of a trial adds
// a sample of about 100 bytes, so a soak of a day at one sample a second
// is about 9 MiB. A file past MaxFileSize is not one xdplab wrote, and a
// command reads at most MaxTotalSize in all (compare and report hold every
// file at once; history reads one at a time). Both are refused from the
// file's size, before a byte is read.
const (
	MaxFileSize  = 32 << 20
	MaxTotalSize = 128 << 20
)

// TooLargeError is a file past a bound: it names the file, its size and
// the bound, in a line.
type TooLargeError struct {
	Path  string
	Size  int64
	Bound int64
	// Total: the bound is MaxTotalSize, for all the files of a command.
	Total bool
}

func (e *TooLargeError) Error() string {
	if e.Total {
		return fmt.Sprintf("read %s: %d MiB more would take this command past the %d MiB it reads in all: name fewer files at once", e.Path, e.Size>>20, e.Bound>>20)
	}
	return fmt.Sprintf("read %s: %d MiB is larger than any document xdplab writes (at most %d MiB): not a file of xdplab's", e.Path, e.Size>>20, e.Bound>>20)
}

// ReadBounded reads a document of xdplab's whole, refusing one past
// MaxFileSize from its size (a pipe's from what it sent). budget, when
// not nil, is what the command may still read in all; the file's size is
// taken from it.
func ReadBounded(path string, budget *int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if st.Size() > MaxFileSize {
			return nil, &TooLargeError{Path: path, Size: st.Size(), Bound: MaxFileSize}
		}
		if budget != nil && st.Size() > *budget {
			return nil, &TooLargeError{Path: path, Size: st.Size(), Bound: MaxTotalSize, Total: true}
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	if len(b) > MaxFileSize {
		return nil, &TooLargeError{Path: path, Size: int64(len(b)), Bound: MaxFileSize}
	}
	if budget != nil {
		if int64(len(b)) > *budget {
			return nil, &TooLargeError{Path: path, Size: int64(len(b)), Bound: MaxTotalSize, Total: true}
		}
		*budget -= int64(len(b))
	}
	return b, nil
}

// ProbeSchema names the probe report format, which holds no runs.
const ProbeSchema = caps.ReportSchema

// Contents is one file of xdplab's as compare and report read it.
type Contents struct {
	Path  string
	Label string // the base name without .json, or the path below the directory named
	// Schema is the file's schema name: SchemaName, QualificationSchema,
	// InspectionSchema, ProbeSchema or EquivalenceSchema.
	Schema string
	// Runs are a results file's run or a qualification's performance
	// runs, read as the current schema version has them.
	Runs          []*Run
	Qualification *Qualification
	Raw           []byte // the file as read (a probe report is decoded by its own package)
	// Skip says why a file of xdplab's holds no runs.
	Skip string
}

// ReadContents reads files, and the .json files below each directory named
// (a kernel matrix's output, a CI artefact). A file that is not one xdplab
// writes, or a directory without one, is an error naming it.
func ReadContents(paths []string) ([]Contents, error) {
	files, err := ListFiles(paths)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	// The files' sizes first: a set past the total is refused before a
	// byte is read. (A pipe's size shows as it is read: the budget.)
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f.Path); err == nil && st.Mode().IsRegular() {
			if st.Size() > MaxFileSize {
				return nil, &TooLargeError{Path: f.Path, Size: st.Size(), Bound: MaxFileSize}
			}
			if total += st.Size(); total > MaxTotalSize {
				return nil, &TooLargeError{Path: f.Path, Size: st.Size(), Bound: MaxTotalSize, Total: true}
			}
		}
	}
	budget := int64(MaxTotalSize)
	out := make([]Contents, 0, len(files))
	for _, f := range files {
		c, err := readContents(f.Path, f.Label, &budget)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func readContents(path, label string, budget *int64) (Contents, error) {
	c := Contents{Path: path, Label: label}
	b, err := ReadBounded(path, budget)
	if err != nil {
		return c, err
	}
	c.Raw = b
	name, version, err := SchemaOf(b)
	if err != nil {
		return c, fmt.Errorf("read results %s: %w", path, err)
	}
	c.Schema = name
	switch name {
	case SchemaName:
		r, err := Read(bytes.NewReader(b))
		if err != nil {
			return c, fmt.Errorf("read results %s: %w", path, err)
		}
		c.Runs = []*Run{r}
	case QualificationSchema:
		if version != QualificationSchemaVersion {
			return c, fmt.Errorf("read %s: qualification schema version %d; this xdplab reads %d", path, version, QualificationSchemaVersion)
		}
		var q Qualification
		if err := json.Unmarshal(b, &q); err != nil {
			return c, fmt.Errorf("read qualification %s: %w", path, err)
		}
		for _, r := range q.Performance {
			if r == nil || r.Schema != SchemaName || r.SchemaVersion < 1 || r.SchemaVersion > SchemaVersion {
				return c, fmt.Errorf("read qualification %s: a performance run that is not a results run of versions 1 to %d", path, SchemaVersion)
			}
			upgrade(r)
		}
		c.Qualification, c.Runs = &q, q.Performance
		if len(q.Performance) == 0 {
			c.Skip = "a qualification without a performance section (it holds no measurements)"
		}
	case InspectionSchema:
		if version != InspectionSchemaVersion {
			return c, fmt.Errorf("read %s: inspection schema version %d; this xdplab reads %d", path, version, InspectionSchemaVersion)
		}
		var in Inspection
		if err := json.Unmarshal(b, &in); err != nil {
			return c, fmt.Errorf("read inspection %s: %w", path, err)
		}
		c.Runs = []*Run{in.Run()}
	case ProbeSchema:
		c.Skip = "a probe report (xdplab.probe) holds no measurements"
	case EquivalenceSchema:
		c.Skip = "an equivalence check (xdplab.equivalence) holds no measurements: its verdict is its own"
	case "":
		return c, fmt.Errorf("read results %s: no schema field: not a file xdplab wrote", path)
	default:
		return c, fmt.Errorf("read results %s: schema %q is not one xdplab reads (%s, %s, %s, %s, %s)", path, name, SchemaName, QualificationSchema, InspectionSchema, ProbeSchema, EquivalenceSchema)
	}
	return c, nil
}

// ReadOne reads one file as ReadContents does, labelled label: a stream
// of files (a history) reads them one at a time.
func ReadOne(path, label string) (Contents, error) { return readContents(path, label, nil) }

// Upgrade reads a run of an older schema version as the current one has
// it, for a reader that decoded the run itself (a history's slim one).
func Upgrade(r *Run) { upgrade(r) }

// A NamedFile is a file to read and its label: its name, or its path
// below the directory it was found in, without ".json".
type NamedFile struct{ Path, Label string }

// ListFiles names the files to read: each file given, and the .json files
// below each directory given, in a stable (lexical) order. A directory
// without one is an error.
func ListFiles(paths []string) ([]NamedFile, error) {
	var out []NamedFile
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, NamedFile{p, strings.TrimSuffix(filepath.Base(p), ".json")})
			continue
		}
		n := len(out)
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			label, rerr := filepath.Rel(p, path)
			if rerr != nil {
				label = path
			}
			out = append(out, NamedFile{path, strings.TrimSuffix(label, ".json")})
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: a directory without .json files: name results files of xdplab's or a directory holding them", p)
		}
	}
	return out, nil
}
