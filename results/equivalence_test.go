package results

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/schematest"
)

func frames(n int) []EquivFrame {
	out := make([]EquivFrame, n)
	for i := range out {
		out[i] = EquivFrame{Index: i + 1, Name: "f", Bytes: 60}
	}
	return out
}

func mode(name string, vs ...FrameVerdict) EquivMode { return EquivMode{Mode: name, Frames: vs} }

var (
	tx60   = FrameVerdict{Verdict: FrameTX, Where: "gen", Out: bytes.Repeat([]byte{1}, 60)}
	pass60 = FrameVerdict{Verdict: FramePass, Where: "dut", Out: bytes.Repeat([]byte{1}, 60)}
	drop   = FrameVerdict{Verdict: FrameDrop}
)

func judge(ps ...EquivProgram) *Equivalence {
	e := &Equivalence{Modes: []string{"generic", "native"}, Programs: ps}
	e.Judge()
	return e
}

func TestJudgeSame(t *testing.T) {
	e := judge(EquivProgram{Program: Program{Name: "tx"}, Frames: frames(3), Modes: []EquivMode{mode("generic", tx60, drop, pass60), mode("native", tx60, drop, pass60)}})
	assert.Equal(t, VerdictPass, e.Verdict, e.Why)
	assert.Equal(t, VerdictPass, e.Programs[0].Verdict)
	assert.Equal(t, 3, e.Programs[0].Compared)
	assert.Empty(t, e.Programs[0].Findings)
	assert.NotNil(t, e.Programs[0].Findings, "an empty list in JSON, not null")
	assert.Equal(t, map[Verdict]int{VerdictPass: 1}, e.Counts)
}

// A verdict, an interface or a byte that differs is a finding naming the
// frame, both modes' verdicts and what differs.
func TestJudgeFindings(t *testing.T) {
	other := tx60
	other.Out = append(bytes.Repeat([]byte{1}, 20), bytes.Repeat([]byte{2}, 40)...)
	lo := FrameVerdict{Verdict: FrameRedirect, Where: "lo", Out: tx60.Out}
	sink := FrameVerdict{Verdict: FrameRedirect, Where: "sink", Out: tx60.Out}
	e := judge(EquivProgram{Program: Program{Name: "x"}, Frames: frames(4),
		Modes: []EquivMode{mode("generic", tx60, tx60, lo, drop), mode("native", drop, other, sink, drop)}})
	assert.Equal(t, VerdictFail, e.Verdict)
	p := e.Programs[0]
	require.Len(t, p.Findings, 3)
	assert.Equal(t, Finding{Frame: 1, FrameName: "f", ModeA: "generic", ModeB: "native", VerdictA: "tx (60 bytes at gen)", VerdictB: "drop", Diff: "verdict tx against drop"}, p.Findings[0])
	assert.Equal(t, "bytes differ from offset 20: 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 against 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02", p.Findings[1].Diff)
	assert.Equal(t, 3, p.Findings[2].Frame)
	assert.Equal(t, "verdict redirect against redirect", p.Findings[2].Diff, "the same verdict out of another interface")
	assert.Equal(t, 4, p.Compared)
	assert.Contains(t, p.Why, "3 frame(s) treated otherwise in native than in generic")
	assert.Contains(t, p.Findings[0].String(), "frame 1 (f): generic tx (60 bytes at gen), native drop: verdict tx against drop")
}

// A frame one mode's program ran on and another's did not is a finding,
// whatever came out; a frame no mode's program ran on is not compared, so
// that a program that never ran passes nothing.
func TestJudgeCountedNone(t *testing.T) {
	ran := FrameVerdict{Verdict: FrameDrop, Counted: "drop"}
	not := FrameVerdict{Verdict: FrameDrop, Counted: CountedNone}
	e := judge(EquivProgram{Frames: frames(2), Modes: []EquivMode{mode("generic", ran, not), mode("native", not, not)}})
	p := e.Programs[0]
	require.Len(t, p.Findings, 1)
	assert.Equal(t, "counted drop against none", p.Findings[0].Diff)
	assert.Equal(t, 1, p.Compared, "frame 2 ran in no mode")

	e = judge(EquivProgram{Frames: frames(2), Modes: []EquivMode{mode("generic", not, not), mode("native", not, not)}})
	assert.Equal(t, VerdictInconclusive, e.Verdict)
	assert.Equal(t, "no frame was compared", e.Programs[0].Why)
}

// One mode, or no frame every mode has a verdict for, decides nothing;
// a failing program fails the whole, an undecided one makes it
// inconclusive; nothing checked is inconclusive.
func TestJudgeInconclusive(t *testing.T) {
	one := EquivProgram{Frames: frames(1), Modes: []EquivMode{mode("generic", tx60)}}
	e := judge(one)
	assert.Equal(t, VerdictInconclusive, e.Verdict)
	assert.Equal(t, "only 1 mode(s): nothing to compare against", e.Programs[0].Why)

	none := EquivProgram{Frames: frames(1), Modes: []EquivMode{mode("generic", FrameVerdict{}), mode("native", tx60)}}
	e = judge(none)
	assert.Equal(t, VerdictInconclusive, e.Verdict)
	assert.Equal(t, "no frame was compared", e.Programs[0].Why)

	short := EquivProgram{Frames: frames(2), Modes: []EquivMode{mode("generic", tx60, tx60), mode("native", tx60)}}
	e = judge(short)
	assert.Equal(t, 1, e.Programs[0].Compared, "a frame one mode lacks is not compared")
	assert.Equal(t, VerdictPass, e.Verdict)

	fail := EquivProgram{Frames: frames(1), Modes: []EquivMode{mode("generic", tx60), mode("native", drop)}}
	e = judge(none, fail)
	assert.Equal(t, VerdictFail, e.Verdict)
	assert.Equal(t, map[Verdict]int{VerdictFail: 1, VerdictInconclusive: 1}, e.Counts)

	e = judge()
	assert.Equal(t, VerdictInconclusive, e.Verdict)
	assert.Equal(t, "no program was checked", e.Why)
}

func TestByteDiff(t *testing.T) {
	assert.Equal(t, "equal", ByteDiff([]byte{1, 2}, []byte{1, 2}))
	assert.Equal(t, "bytes differ from offset 2: (ends) against 03; 2 bytes against 3", ByteDiff([]byte{1, 2}, []byte{1, 2, 3}))
	assert.Equal(t, "bytes differ from offset 0: 09 against 01 02; 1 bytes against 2", ByteDiff([]byte{9}, []byte{1, 2}))
	assert.Equal(t, "bytes differ from offset 2: 03 against (ends); 3 bytes against 2", ByteDiff([]byte{1, 2, 3}, []byte{1, 2}))
	assert.Equal(t, "bytes differ from offset 1: 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02 02 against 03 03 03 03 03 03 03 03 03 03 03 03 03 03 03 03",
		ByteDiff(append([]byte{1}, bytes.Repeat([]byte{2}, 20)...), append([]byte{1}, bytes.Repeat([]byte{3}, 20)...)), "16 bytes at most; equal lengths are not said")
}

// The text output: a line per frame with each mode's verdict, the
// findings, the verdict; a frame a mode lacks shows as -.
func TestEquivalenceText(t *testing.T) {
	e := judge(EquivProgram{Program: Program{Name: "x"}, Frames: frames(2),
		Modes: []EquivMode{mode("generic", tx60, pass60), mode("native", drop)}})
	e.Notes = []string{"a note"}
	var b bytes.Buffer
	require.NoError(t, e.WriteText(&b))
	s := b.String()
	assert.Contains(t, s, "x: fail (1 frame(s) treated otherwise in native than in generic)")
	assert.Regexp(t, `1 f\s+tx \(60 bytes at gen\)\s+drop`, s)
	assert.Regexp(t, `2 f\s+pass \(60 bytes at dut\)\s+-`, s)
	assert.Contains(t, s, "  FINDING frame 1 (f): generic tx (60 bytes at gen), native drop: verdict tx against drop\n")
	assert.Contains(t, s, "a note\n")
	assert.Contains(t, s, "verdict: fail: 1 program(s) differ between modes")
}

func TestFrameVerdictText(t *testing.T) {
	assert.Equal(t, "drop, counted tx", FrameVerdict{Verdict: FrameDrop, Counted: "tx"}.Text())
	assert.Equal(t, "tx (60 bytes at gen)", FrameVerdict{Verdict: FrameTX, Where: "gen", Out: make([]byte, 60), Counted: "tx"}.Text())
}

// An equivalence document validates against its JSON Schema.
func TestEquivalenceSchema(t *testing.T) {
	e := judge(EquivProgram{Program: Program{Name: "x", Object: "builtin", SHA256: strings.Repeat("ab", 32)}, Frames: frames(2),
		Modes: []EquivMode{mode("generic", tx60, pass60), mode("native", drop, pass60)}})
	e.Schema, e.SchemaVersion, e.Host = EquivalenceSchema, EquivalenceSchemaVersion, Host{Hostname: "h", Kernel: "6.18", Machine: "x86_64", CPUModel: "c", Cores: 2}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	schematest.ValidateJSON(t, EquivalenceJSONSchema, b, JSONSchema)
}

// An inspection validates against its JSON Schema, and reads as a run of
// fingerprints, control plane only.
func TestInspectionSchemaAndRun(t *testing.T) {
	in := &Inspection{Header: Header{Schema: InspectionSchema, SchemaVersion: InspectionSchemaVersion,
		Host: Host{Hostname: "h", Kernel: "6.18", Machine: "x86_64", CPUModel: "c", Cores: 2}}, Modes: []string{"native"},
		Programs: []Inspected{{Program: Program{Name: "drop", Object: "builtin", SHA256: strings.Repeat("ab", 32)}, Mode: "native",
			AttachMethod: "bpf_link", AttachedMode: "native", Fingerprint: sampleFingerprint(), Offloadable: true}}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	schematest.ValidateJSON(t, InspectionJSONSchema, b, JSONSchema)
	r := in.Run()
	require.Len(t, r.Results, 1)
	assert.True(t, r.Results[0].ControlPlaneOnly)
	assert.Equal(t, []string{"drop"}, r.Config.Programs)
	assert.Contains(t, r.Results[0].ControlPlane[0], "xdplab inspect: loaded, verified and attached with bpf_link, the kernel reports native mode")
	var out bytes.Buffer
	require.NoError(t, in.WriteText(&out))
	assert.Contains(t, out.String(), "drop native: attached with bpf_link, the kernel reports native mode")
	assert.Contains(t, out.String(), "drop: offloadable")
}

// A decided verdict (a hook's own count) compares by verdict: where it
// came out and its bytes count only where both sides saw the frame come
// out.
func TestCompareDecided(t *testing.T) {
	frames := []EquivFrame{{Index: 1, Name: "a"}, {Index: 2, Name: "b"}, {Index: 3, Name: "c"}}
	xdp := EquivMode{Mode: "native", Frames: []FrameVerdict{
		{Verdict: FramePass, Where: "dut", Out: []byte{1, 2}, Counted: "pass"},
		{Verdict: FrameTX, Where: "gen", Out: []byte{3, 4}, Counted: "tx"},
		{Verdict: FrameDrop, Counted: "drop"},
	}}
	tc := EquivMode{Mode: "tc", Frames: []FrameVerdict{
		{Verdict: FramePass, Counted: "pass", Decided: true},
		{Verdict: FrameTX, Where: "gen", Out: []byte{3, 4}, Counted: "tx", Decided: true},
		{Verdict: FrameDrop, Counted: "drop", Decided: true},
	}}
	fs, n := compareModes([]EquivMode{xdp, tc}, frames)
	assert.Empty(t, fs)
	assert.Equal(t, 3, n)
	assert.Equal(t, "pass (decided)", tc.Frames[0].Text())
	assert.Equal(t, "tx (2 bytes at gen)", tc.Frames[1].Text(), "seen where it came out: no (decided)")

	tc.Frames[1].Out = []byte{3, 5}
	tc.Frames[2] = FrameVerdict{Verdict: FramePass, Counted: "pass", Decided: true}
	fs, _ = compareModes([]EquivMode{xdp, tc}, frames)
	require.Len(t, fs, 2)
	assert.Equal(t, 2, fs[0].Frame)
	assert.Contains(t, fs[0].Diff, "offset 1", "bytes compared where both came out")
	assert.Equal(t, 3, fs[1].Frame)
	assert.Equal(t, "verdict drop against pass", fs[1].Diff)
	assert.Equal(t, "pass (decided)", fs[1].VerdictB)
}
