//go:build integration

package equiv

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/schematest"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results"
)

// Every built-in and workload treats every frame of the set alike in
// generic and native mode on veth: zero findings, and each frame's
// verdict is the one the program's own counters give.
func TestIntegrationEquivalenceBuiltins(t *testing.T) {
	testenv.RequireRoot(t)
	e, err := Equivalence(context.Background(), runner.Config{Run: testenv.EveryBuiltin(t), Version: "test"})
	require.NoError(t, err)
	assert.Equal(t, results.VerdictPass, e.Verdict, e.Why)
	b, err := json.Marshal(e)
	require.NoError(t, err)
	schematest.ValidateJSON(t, results.EquivalenceJSONSchema, b, results.JSONSchema)
	require.Len(t, e.Programs, len(catalog.BuiltinNames()))
	for _, p := range e.Programs {
		assert.Empty(t, p.Findings, p.Program.Name)
		assert.Equal(t, len(p.Frames), p.Compared, p.Program.Name)
		require.Len(t, p.Modes, 2)
		for _, m := range p.Modes {
			require.Len(t, m.Frames, len(p.Frames))
			for i, v := range m.Frames {
				if v.Counted == "" {
					continue
				}
				// The observed verdict agrees with the stats map, but
				// where a frame the program sent out was too large for
				// the generator's MTU (l4lb encapsulates 1514 bytes).
				if v.Verdict == results.FrameDrop && v.Counted == "tx" && p.Program.Name == "l4lb" && p.Frames[i].Bytes > 1480 {
					continue
				}
				want := map[string]string{"pass": results.FramePass, "tx": results.FrameTX, "redirect": results.FrameRedirect, "drop": results.FrameDrop, "aborted": results.FrameAborted}[v.Counted]
				assert.Equal(t, want, v.Verdict, "%s %s frame %d (%s)", p.Program.Name, m.Mode, i+1, p.Frames[i].Name)
			}
		}
	}
	byName := map[string]results.EquivProgram{}
	for _, p := range e.Programs {
		byName[p.Program.Name] = p
	}
	tx := byName["tx"].Modes[1].Frames[0]
	assert.Equal(t, "gen", tx.Where)
	sent := byName["pass"].Modes[1].Frames[0].Out
	assert.Equal(t, sent[0:6], tx.Out[6:12], "tx swapped the MACs")
	assert.Equal(t, "sink", byName["redirect"].Modes[0].Frames[0].Where)
}

// A program made to differ between modes (it redirects to lo, which has
// no ndo_xdp_xmit) is reported frame by frame: generic delivers at lo,
// native's redirect fails; IPv6 frames, which it passes, are alike.
func TestIntegrationEquivalenceFindsModeDifference(t *testing.T) {
	testenv.RequireRoot(t)
	r, err := spec.Build([]spec.Setting{{Path: spec.FieldObject, Value: "../../bpf/testdata/modediff_bpfel.o"}, {Path: spec.FieldObjectProgram, Value: "xdp_to_lo"},
		{Path: spec.FieldModes, Value: "generic"}, {Path: spec.FieldModes, Value: "native"}})
	require.NoError(t, err)
	e, err := Equivalence(context.Background(), runner.Config{Run: r, Version: "test"})
	require.NoError(t, err)
	assert.Equal(t, results.VerdictFail, e.Verdict)
	require.Len(t, e.Programs, 1)
	p := e.Programs[0]
	require.NotEmpty(t, p.Findings)
	for _, f := range p.Findings {
		assert.True(t, strings.HasPrefix(f.FrameName, "ipv4"), f.FrameName)
		assert.Equal(t, "generic", f.ModeA)
		assert.Equal(t, "native", f.ModeB)
		assert.Contains(t, f.VerdictA, "redirect (")
		assert.Contains(t, f.VerdictA, " at lo)")
		assert.Equal(t, results.FrameRedirectFailed, f.VerdictB)
		assert.Equal(t, "verdict redirect against redirect-failed", f.Diff)
	}
	assert.Len(t, p.Findings, 7, "the IPv4 frames but the VLAN-tagged one, which it passes")
}

// A frags-aware program gets the jumbo frame too, at MTU 9000 on both
// veths. It passes only frames whose first buffer holds 5000 bytes: every
// mode gives the jumbo frame in buffers here (6.18 runs multi-buffer
// frames in generic mode too), so it drops every frame in both.
func TestIntegrationEquivalenceFrags(t *testing.T) {
	testenv.RequireRoot(t)
	r, err := spec.Build([]spec.Setting{{Path: spec.FieldObject, Value: "../../bpf/testdata/modediff_bpfel.o"}, {Path: spec.FieldObjectProgram, Value: "xdp_frags_deep"},
		{Path: spec.FieldModes, Value: "generic"}, {Path: spec.FieldModes, Value: "native"}})
	require.NoError(t, err)
	e, err := Equivalence(context.Background(), runner.Config{Run: r, Version: "test"})
	require.NoError(t, err)
	require.Len(t, e.Programs, 1)
	p := e.Programs[0]
	last := p.Frames[len(p.Frames)-1]
	require.Contains(t, last.Name, "jumbo")
	assert.Equal(t, 5996, last.Bytes)
	assert.Equal(t, len(p.Frames), p.Compared)
	for _, m := range p.Modes {
		for i, v := range m.Frames {
			assert.Equal(t, results.FrameDrop, v.Verdict, "%s frame %d", m.Mode, i+1)
		}
	}
	assert.Equal(t, results.VerdictPass, e.Verdict, e.Why)
}

// A capture the user gives is the frame set: each of its frames, in
// order, addressed from the generator to the DUT.
func TestIntegrationEquivalenceCapture(t *testing.T) {
	testenv.RequireRoot(t)
	r, err := spec.Build([]spec.Setting{{Path: spec.FieldPrograms, Value: "tx"}, {Path: spec.FieldModes, Value: "generic"}, {Path: spec.FieldModes, Value: "native"},
		{Path: spec.FieldPcap, Value: "../../scenarios/library/pcap/udp-100.pcap"}})
	require.NoError(t, err)
	e, err := Equivalence(context.Background(), runner.Config{Run: r, Version: "test"})
	require.NoError(t, err)
	assert.Equal(t, results.VerdictPass, e.Verdict, e.Why)
	require.Len(t, e.Programs, 1)
	p := e.Programs[0]
	require.Len(t, p.Frames, 100)
	assert.Equal(t, "../../scenarios/library/pcap/udp-100.pcap #1", p.Frames[0].Name)
	assert.Equal(t, 100, p.Compared)
	for _, m := range p.Modes {
		for i, v := range m.Frames {
			assert.Equal(t, results.FrameTX, v.Verdict, "%s frame %d", m.Mode, i+1)
		}
	}
}

// The same filter rules give the same decision for every frame at every
// hook that runs the filter, XDP's modes included: zero findings; a hook
// made to differ on purpose (one frame judged otherwise at afpacket) is a
// finding naming the frame and both verdicts.
func TestIntegrationEquivalenceAcrossHooks(t *testing.T) {
	testenv.RequireRoot(t)
	rules, err := catalog.ParseFilterRules(strings.NewReader("drop src 198.18.0.0/24\ndrop proto tcp dport 9\ndrop proto icmpv6"), "test")
	require.NoError(t, err)
	run := spec.Defaults()
	run.Programs, run.Rules, run.RulesPath, run.ByHook = []string{"filter", "drop"}, rules, "test", true
	run.Modes = []xdpmode.Mode{xdpmode.Native, xdpmode.Generic, xdpmode.TC, xdpmode.AFPacket, xdpmode.AFXDP}
	e, err := Equivalence(context.Background(), runner.Config{Run: run, Version: "test"})
	require.NoError(t, err)
	assert.Equal(t, results.VerdictPass, e.Verdict, e.Why)
	require.Len(t, e.Programs, 2)
	for _, p := range e.Programs {
		assert.Empty(t, p.Findings, p.Program.Name)
		assert.Equal(t, 16, p.Compared, p.Program.Name)
		require.Len(t, p.Modes, 5)
		var passed, dropped int
		for _, f := range p.Modes[3].Frames { // afpacket
			assert.True(t, f.Decided)
			switch f.Verdict {
			case results.FramePass:
				passed++
			case results.FrameDrop:
				dropped++
			}
		}
		if p.Program.Name == "filter" {
			assert.Positive(t, passed, "the rules pass some frames")
			assert.Positive(t, dropped, "and drop others")
		}
	}

	// One hook made to differ on purpose.
	saved := classifyHook
	t.Cleanup(func() { classifyHook = saved })
	flipped := false
	classifyHook = func(m xdpmode.Mode, arr []traffic.Arrival, d *catalog.Action) results.FrameVerdict {
		v := saved(m, arr, d)
		if m == xdpmode.AFPacket && !flipped {
			flipped, v.Verdict = true, results.FramePass
			if v.Counted == "pass" {
				v.Verdict = results.FrameDrop
			}
		}
		return v
	}
	run.Programs = []string{"drop"}
	e, err = Equivalence(context.Background(), runner.Config{Run: run, Version: "test"})
	require.NoError(t, err)
	assert.Equal(t, results.VerdictFail, e.Verdict)
	require.Len(t, e.Programs[0].Findings, 1)
	f := e.Programs[0].Findings[0]
	assert.Equal(t, 1, f.Frame)
	assert.Equal(t, "native", f.ModeA)
	assert.Equal(t, "afpacket", f.ModeB)
	assert.Contains(t, f.Diff, "verdict drop against pass")
}
