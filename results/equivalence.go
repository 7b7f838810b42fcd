package results

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// The equivalence file's schema (xdplab equiv --format json). Version 2
// adds the hooks beside XDP as modes, and FrameVerdict.Decided for a
// verdict that is the hook's own decision (a version 1 file is a valid
// version 2 file).
const (
	EquivalenceSchema        = "xdplab.equivalence"
	EquivalenceSchemaVersion = 2
)

// The verdicts of a frame, as observed: where it came out, or why not.
const (
	FramePass           = "pass"            // it reached the DUT's stack (a socket on the DUT interface saw it)
	FrameTX             = "tx"              // it came back out of the DUT interface
	FrameRedirect       = "redirect"        // it came out of another interface (Where names it)
	FrameDrop           = "drop"            // it came out nowhere, and the program raised no exception
	FrameAborted        = "aborted"         // xdp:xdp_exception with XDP_ABORTED
	FrameTXFailed       = "tx-failed"       // xdp:xdp_exception with XDP_TX: the transmit failed
	FrameRedirectFailed = "redirect-failed" // xdp:xdp_exception with XDP_REDIRECT
)

// Equivalence is what `xdplab equiv` found: each frame of a set sent
// through the identical program attached for real in each mode, and what
// came out.
type Equivalence struct {
	Header
	Modes    []string        `json:"modes"`
	Programs []EquivProgram  `json:"programs"`
	Verdict  Verdict         `json:"verdict"` // pass, fail, inconclusive
	Why      string          `json:"why"`
	Notes    []string        `json:"notes,omitempty"`
	Counts   map[Verdict]int `json:"counts"` // programs by verdict
}

// EquivFrame is one frame of the set.
type EquivFrame struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Bytes int    `json:"bytes"` // without FCS
}

// EquivProgram is one program in every mode.
type EquivProgram struct {
	Program Program `json:"program"`
	// Frames are the frames it was sent: the set, and for a frags-aware
	// program a multi-buffer frame.
	Frames   []EquivFrame `json:"frames"`
	Modes    []EquivMode  `json:"modes"`
	Findings []Finding    `json:"findings"`
	Compared int          `json:"compared"` // frames compared between every pair of modes
	Verdict  Verdict      `json:"verdict"`
	Why      string       `json:"why"`
}

// EquivMode is one program's verdict on every frame in one mode.
type EquivMode struct {
	Mode   string         `json:"mode"`
	Frames []FrameVerdict `json:"frames"` // in the order of EquivProgram.Frames
}

// FrameVerdict is what one mode did with one frame.
type FrameVerdict struct {
	Verdict string `json:"verdict"`
	Where   string `json:"where,omitempty"` // the interface it came out of
	Out     []byte `json:"out,omitempty"`   // the bytes that came out
	// Counted is the action xdplab's stats map counted (its own
	// programs), a second source for the verdict; CountedNone where it
	// counted nothing: the program never ran on the frame.
	Counted string `json:"counted,omitempty"`
	// Decided: the verdict is the hook's own count of its decision (tc,
	// a socket filter, a user-space reader), not where the frame came
	// out: after tc, a socket filter or AF_PACKET the stack receives the
	// frame whatever was decided. Where and Out are set only where the
	// frame was seen to come out (tx). Verdicts compare with decisions by
	// verdict, and by bytes where both saw the frame come out.
	Decided bool   `json:"decided,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Text is the verdict in one phrase: "tx (98 bytes at gen)".
func (v FrameVerdict) Text() string {
	s := v.Verdict
	if v.Where != "" {
		s += fmt.Sprintf(" (%d bytes at %s)", len(v.Out), v.Where)
	}
	if v.Counted != "" && v.Counted != v.Verdict {
		s += ", counted " + v.Counted
	}
	if v.Decided && v.Where == "" {
		s += " (decided)"
	}
	return s
}

// Finding is a frame one mode treated otherwise than the first.
type Finding struct {
	Frame     int    `json:"frame"`
	FrameName string `json:"frame_name"`
	ModeA     string `json:"mode_a"`
	ModeB     string `json:"mode_b"`
	VerdictA  string `json:"verdict_a"`
	VerdictB  string `json:"verdict_b"`
	Diff      string `json:"diff"` // what differs: the verdict, or the bytes
}

func (f Finding) String() string {
	return fmt.Sprintf("frame %d (%s): %s %s, %s %s: %s", f.Frame, f.FrameName, f.ModeA, f.VerdictA, f.ModeB, f.VerdictB, f.Diff)
}

// Judge compares each program's modes frame by frame against the first
// and decides the verdicts: fail where a frame's verdict, the interface
// it came out of or its bytes differ; inconclusive with fewer than two
// modes or no frame compared; pass otherwise.
func (e *Equivalence) Judge() {
	e.Counts = map[Verdict]int{}
	for i := range e.Programs {
		p := &e.Programs[i]
		p.Findings, p.Compared = compareModes(p.Modes, p.Frames)
		if len(p.Findings) > 0 {
			p.Verdict, p.Why = VerdictFail, fmt.Sprintf("%d frame(s) treated otherwise in %s than in %s", len(p.Findings), modesOf(p.Findings), p.Modes[0].Mode)
		} else if len(p.Modes) < 2 {
			p.Verdict, p.Why = VerdictInconclusive, fmt.Sprintf("only %d mode(s): nothing to compare against", len(p.Modes))
		} else if p.Compared == 0 {
			p.Verdict, p.Why = VerdictInconclusive, "no frame was compared"
		} else {
			p.Verdict, p.Why = VerdictPass, fmt.Sprintf("%d frames, the same verdict and bytes in %d modes", p.Compared, len(p.Modes))
		}
		e.Counts[p.Verdict]++
	}
	if e.Counts[VerdictFail] > 0 {
		e.Verdict, e.Why = VerdictFail, fmt.Sprintf("%d program(s) differ between modes", e.Counts[VerdictFail])
	} else if len(e.Programs) == 0 {
		e.Verdict, e.Why = VerdictInconclusive, "no program was checked"
	} else if e.Counts[VerdictInconclusive] > 0 {
		e.Verdict, e.Why = VerdictInconclusive, fmt.Sprintf("%d program(s) could not be compared", e.Counts[VerdictInconclusive])
	} else {
		e.Verdict, e.Why = VerdictPass, fmt.Sprintf("every program treated every frame alike in %s", strings.Join(e.Modes, " and "))
	}
}

func modesOf(fs []Finding) string {
	var out []string
	for _, f := range fs {
		if !strings.Contains(strings.Join(out, ","), f.ModeB) {
			out = append(out, f.ModeB)
		}
	}
	return strings.Join(out, ", ")
}

// CountedNone is FrameVerdict.Counted where xdplab's stats map counted no
// action for the frame: the program never ran on it.
const CountedNone = "none"

// compareModes compares every mode with the first, frame by frame; a
// frame counts as compared when every mode has a verdict for it and the
// program ran on it in at least one (a frame no mode's program saw tells
// nothing about the program).
func compareModes(modes []EquivMode, frames []EquivFrame) (findings []Finding, compared int) {
	findings = []Finding{}
	if len(modes) < 2 {
		return findings, 0
	}
	base := modes[0]
	for fi, fr := range frames {
		all, ran := true, false
		for _, m := range modes {
			if fi >= len(m.Frames) || m.Frames[fi].Verdict == "" {
				all = false
			} else if m.Frames[fi].Counted != CountedNone {
				ran = true
			}
		}
		if !all || !ran {
			continue
		}
		compared++
		a := base.Frames[fi]
		for _, m := range modes[1:] {
			b := m.Frames[fi]
			f := Finding{Frame: fr.Index, FrameName: fr.Name, ModeA: base.Mode, ModeB: m.Mode, VerdictA: a.Text(), VerdictB: b.Text()}
			observed := !a.Decided && !b.Decided || a.Where != "" && b.Where != ""
			if a.Verdict != b.Verdict || observed && a.Where != b.Where {
				f.Diff = fmt.Sprintf("verdict %s against %s", a.Verdict, b.Verdict)
			} else if a.Counted != b.Counted {
				f.Diff = fmt.Sprintf("counted %s against %s", a.Counted, b.Counted)
			} else if observed && !bytes.Equal(a.Out, b.Out) {
				f.Diff = ByteDiff(a.Out, b.Out)
			} else {
				continue
			}
			findings = append(findings, f)
		}
	}
	return findings, compared
}

// ByteDiff says where two frames first differ: the offset and up to 16
// bytes of each from there, and the lengths when they differ.
func ByteDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) && i == len(b) {
		return "equal"
	}
	show := func(x []byte) string {
		if i >= len(x) {
			return "(ends)"
		}
		return fmt.Sprintf("% x", x[i:min(i+16, len(x))])
	}
	s := fmt.Sprintf("bytes differ from offset %d: %s against %s", i, show(a), show(b))
	if len(a) != len(b) {
		s += fmt.Sprintf("; %d bytes against %d", len(a), len(b))
	}
	return s
}

// WriteText writes the check for a terminal: per program a line per
// frame and mode, then the findings and the verdict.
func (e *Equivalence) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "xdplab %s  kernel %s  %s  modes %s\n", e.Tool.Version, e.Host.Kernel, e.Host.CPUModel, strings.Join(e.Modes, ","))
	for _, p := range e.Programs {
		fmt.Fprintf(w, "\n%s: %s (%s)\n", p.Program.Name, p.Verdict, p.Why)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		head := "  frame\t"
		for _, m := range p.Modes {
			head += m.Mode + "\t"
		}
		fmt.Fprintln(tw, head)
		for fi, fr := range p.Frames {
			line := fmt.Sprintf("  %d %s\t", fr.Index, fr.Name)
			for _, m := range p.Modes {
				v := "-"
				if fi < len(m.Frames) {
					v = m.Frames[fi].Text()
				}
				line += v + "\t"
			}
			fmt.Fprintln(tw, line)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, f := range p.Findings {
			fmt.Fprintf(w, "  FINDING %s\n", f)
		}
	}
	for _, n := range e.Notes {
		fmt.Fprintln(w, n)
	}
	fmt.Fprintf(w, "\nverdict: %s: %s\n", e.Verdict, e.Why)
	return nil
}
