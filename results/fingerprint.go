package results

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Fingerprint is what the kernel made of one program when it loaded it for
// one mode: the verifier's work, the translated and JIT-compiled images,
// the maps and the helpers. Its exact figures repeat from load to load on
// one kernel; a change is the kernel's or the program's. A figure the
// kernel could not give is absent, and NotReported says why: never 0.
type Fingerprint struct {
	// From the verifier's log at BPF_LOG_STATS.
	VerifiedInsns *uint64 `json:"verified_insns,omitempty"` // "processed N insns"
	TotalStates   *uint64 `json:"total_states,omitempty"`
	PeakStates    *uint64 `json:"peak_states,omitempty"`
	// StackDepth is the stack the verifier found the program to use, in
	// bytes, summed over its subprograms.
	StackDepth *uint64 `json:"stack_depth,omitempty"`
	// VerifyTimeUS is the verifier's own time: not exact, never judged.
	VerifyTimeUS *uint64 `json:"verify_time_us,omitempty"`
	// From bpf_prog_info: the image the kernel translated (rewritten
	// BPF instructions) and the one its JIT compiled.
	XlatedInsns *uint64 `json:"xlated_insns,omitempty"`
	XlatedBytes *uint64 `json:"xlated_bytes,omitempty"`
	JITBytes    *uint64 `json:"jit_bytes,omitempty"`
	// The hashes are SHA-256 over the images with what changes between
	// loads masked (map IDs and addresses, calls out of the image): equal
	// hashes mean the same code.
	XlatedSHA256 string `json:"xlated_sha256,omitempty"`
	JITSHA256    string `json:"jit_sha256,omitempty"`
	// MemlockBytes is what the kernel charges for the program.
	MemlockBytes *uint64 `json:"memlock_bytes,omitempty"`
	// LoadTimeUS is the wall time of the load (maps, verifier, JIT): not
	// exact, never judged.
	LoadTimeUS *uint64          `json:"load_time_us,omitempty"`
	Maps       []FingerprintMap `json:"maps"`
	Helpers    []string         `json:"helpers"` // helper functions it calls, sorted
	Kfuncs     []string         `json:"kfuncs"`  // kernel functions it calls, sorted
	// NotReported names each figure above (by its JSON name) the kernel
	// did not give, and why.
	NotReported map[string]string `json:"not_reported,omitempty"`
	// Warnings say where two sources of one figure disagree.
	Warnings []string `json:"warnings,omitempty"`
}

// FingerprintMap is one map a program uses, as the kernel created it.
type FingerprintMap struct {
	Name         string  `json:"name"`
	Type         string  `json:"type"`
	KeySize      uint32  `json:"key_size"`
	ValueSize    uint32  `json:"value_size"`
	MaxEntries   uint32  `json:"max_entries"`
	MemlockBytes *uint64 `json:"memlock_bytes,omitempty"`
	// SizedBy says what gave a user's map left at max_entries 0 its size
	// (--map-size, a convention, the loader) (schema 8).
	SizedBy string `json:"sized_by,omitempty"`
}

// FingerprintSource says where the fingerprint's figures come from.
const FingerprintSource = "fingerprint: verified_insns, total_states, peak_states, stack_depth and verify_time_us from the verifier's log at BPF_LOG_STATS " +
	"(verified_insns checked against bpf_prog_info.verified_insns, kernel 5.16+); xlated_* and jit_bytes from bpf_prog_info; " +
	"xlated_sha256 over the translated instructions with map IDs replaced by their order of use and helper and kfunc call targets masked (they move between kernel builds; helpers and kfuncs list them); " +
	"jit_sha256 over the x86-64 machine code with 64-bit immediates (map addresses), calls and jumps out of the image, and the displacements of per-CPU (gs:) and RIP-relative operands masked; " +
	"helpers and kfuncs from the object's instructions; load_time_us is the wall time of the load"

// FingerprintFigure is one figure of a fingerprint: compare judges the
// exact ones, lower being better.
type FingerprintFigure struct {
	Name  string // the JSON name
	Short string // a column heading
	Unit  string
	Exact bool // repeats from load to load: any change is a finding
	get   func(f *Fingerprint) *uint64
}

// Get returns the figure's value in f, false where f has none.
func (ff FingerprintFigure) Get(f *Fingerprint) (uint64, bool) {
	if f == nil {
		return 0, false
	}
	v := ff.get(f)
	if v == nil {
		return 0, false
	}
	return *v, true
}

// fingerprintFigures are the fingerprint's figures in the order tables
// show them.
var fingerprintFigures = []FingerprintFigure{
	{"verified_insns", "verified", "insns", true, func(f *Fingerprint) *uint64 { return f.VerifiedInsns }},
	{"total_states", "states", "states", true, func(f *Fingerprint) *uint64 { return f.TotalStates }},
	{"peak_states", "peak", "states", true, func(f *Fingerprint) *uint64 { return f.PeakStates }},
	{"stack_depth", "stack", "bytes", true, func(f *Fingerprint) *uint64 { return f.StackDepth }},
	{"xlated_insns", "xlated", "insns", true, func(f *Fingerprint) *uint64 { return f.XlatedInsns }},
	{"jit_bytes", "jit", "bytes", true, func(f *Fingerprint) *uint64 { return f.JITBytes }},
	{"verify_time_us", "verify", "us", false, func(f *Fingerprint) *uint64 { return f.VerifyTimeUS }},
	{"load_time_us", "load", "us", false, func(f *Fingerprint) *uint64 { return f.LoadTimeUS }},
}

// FingerprintFigures returns a copy of fingerprintFigures, which no importer can change.
func FingerprintFigures() []FingerprintFigure { return slices.Clone(fingerprintFigures) }

// NotReportedText is what a table shows for a figure the kernel did not
// give.
const NotReportedText = "n/r"

// Text writes figure ff of f for a table: the number, or n/r.
func (ff FingerprintFigure) Text(f *Fingerprint) string {
	if v, ok := ff.Get(f); ok {
		return fmt.Sprint(v)
	}
	return NotReportedText
}

// ShortHash is the first 12 hex digits of a hash, or n/r.
func ShortHash(h string) string {
	if h == "" {
		return NotReportedText
	}
	return h[:min(12, len(h))]
}

// MapsText lists a fingerprint's maps as name:type.
func (f *Fingerprint) MapsText() string {
	var out []string
	for _, m := range f.Maps {
		t := m.Name + ":" + m.Type
		if m.SizedBy != "" {
			t += fmt.Sprintf("[%d, sized by %s]", m.MaxEntries, m.SizedBy)
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

// CallsText lists a fingerprint's helpers and kfuncs.
func (f *Fingerprint) CallsText() string {
	out := slices.Clone(f.Helpers)
	for _, k := range f.Kfuncs {
		out = append(out, k+" (kfunc)")
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

// Reasons lists why figures are not reported, one "name: why" each, sorted.
func (f *Fingerprint) Reasons() []string {
	var out []string
	for k, v := range f.NotReported {
		out = append(out, k+": "+v)
	}
	slices.Sort(out)
	return out
}

// WriteFingerprints writes the fingerprints of rs as a compact block: one
// row per program and mode, then each program's maps and calls once, and
// why any figure is not reported. It writes nothing when no result has
// one.
func WriteFingerprints(w io.Writer, rs []Result) error {
	if !slices.ContainsFunc(rs, func(r Result) bool { return r.Fingerprint != nil }) {
		return nil
	}
	fmt.Fprintln(w, "program fingerprint, as the kernel loaded it (exact figures repeat from load to load on one kernel):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "program\tmode\t"
	for _, ff := range fingerprintFigures {
		head += ff.Short + "\t"
	}
	fmt.Fprintln(tw, head+"xlated sha256\tjit sha256\t")
	var lines, reasons []string
	for _, r := range rs {
		f := r.Fingerprint
		if f == nil {
			why := "no fingerprint (a results file before schema 6)"
			if r.Program.Object == UserSpaceObject {
				why = "no BPF program: the rule runs in user space"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", r.Program.Name, r.Mode, why)
			continue
		}
		row := r.Program.Name + "\t" + r.Mode + "\t"
		for _, ff := range fingerprintFigures {
			row += ff.Text(f) + "\t"
		}
		fmt.Fprintln(tw, row+ShortHash(f.XlatedSHA256)+"\t"+ShortHash(f.JITSHA256)+"\t")
		l := fmt.Sprintf("  %s: maps %s; calls %s", r.Program.Name, f.MapsText(), f.CallsText())
		if !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
		for _, why := range f.Reasons() {
			if l := fmt.Sprintf("  %s %s: n/r %s", r.Program.Name, r.Mode, why); !slices.Contains(reasons, l) {
				reasons = append(reasons, l)
			}
		}
		for _, wn := range f.Warnings {
			reasons = append(reasons, fmt.Sprintf("  %s %s: warning: %s", r.Program.Name, r.Mode, wn))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "verified: insns the verifier processed; states, peak: its total and peak states; stack: bytes; xlated: translated insns;")
	fmt.Fprintln(w, "jit: machine code bytes; verify, load: microseconds (not exact). Hashes mask map IDs and addresses: equal means the same code.")
	for _, l := range append(lines, reasons...) {
		fmt.Fprintln(w, l)
	}
	return nil
}
