package equiv

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/results"
)

func act(a catalog.Action) *catalog.Action { return &a }

// Where a frame came out decides its verdict, the DUT's stack first (a
// passed frame may draw a reply to the generator); out of nowhere, the
// exceptions say why; xdplab's stats map is a second source.
func TestClassify(t *testing.T) {
	f := []byte{1, 2, 3}
	var none [bpf.NumExceptionSlots]uint64
	for _, c := range []struct {
		name     string
		arrivals []traffic.Arrival
		exc      [bpf.NumExceptionSlots]uint64
		counted  *catalog.Action
		want     results.FrameVerdict
	}{
		{"passed, and the stack replied", []traffic.Arrival{{Where: "gen", Frame: []byte{9}}, {Where: "dut", Frame: f}}, none, act(catalog.Pass),
			results.FrameVerdict{Verdict: results.FramePass, Where: "dut", Out: f, Counted: "pass"}},
		{"back at the generator", []traffic.Arrival{{Where: "gen", Frame: f}}, none, nil, results.FrameVerdict{Verdict: results.FrameTX, Where: "gen", Out: f}},
		{"at the sink", []traffic.Arrival{{Where: "sink", Frame: f}}, none, nil, results.FrameVerdict{Verdict: results.FrameRedirect, Where: "sink", Out: f}},
		{"out of lo", []traffic.Arrival{{Where: "lo", Frame: f}}, none, nil, results.FrameVerdict{Verdict: results.FrameRedirect, Where: "lo", Out: f}},
		{"sink before lo", []traffic.Arrival{{Where: "lo", Frame: []byte{7}}, {Where: "sink", Frame: f}}, none, nil, results.FrameVerdict{Verdict: results.FrameRedirect, Where: "sink", Out: f}},
		{"nowhere", nil, none, act(catalog.Drop), results.FrameVerdict{Verdict: results.FrameDrop, Counted: "drop"}},
		{"aborted", nil, [bpf.NumExceptionSlots]uint64{1, 0, 0, 0, 0, 0}, nil, results.FrameVerdict{Verdict: results.FrameAborted}},
		{"tx failed", nil, [bpf.NumExceptionSlots]uint64{0, 0, 0, 1, 0, 0}, nil, results.FrameVerdict{Verdict: results.FrameTXFailed}},
		{"redirect failed", nil, [bpf.NumExceptionSlots]uint64{0, 0, 0, 0, 2, 0}, act(catalog.Redirect), results.FrameVerdict{Verdict: results.FrameRedirectFailed, Counted: "redirect"}},
		{"counted tx, lost", nil, none, act(catalog.TX), results.FrameVerdict{Verdict: results.FrameDrop, Counted: "tx",
			Note: "counted tx, but it came out nowhere xdplab watches and raised no exception"}},
		{"counted pass, lost", nil, none, act(catalog.Pass), results.FrameVerdict{Verdict: results.FrameDrop, Counted: "pass",
			Note: "counted pass, but it came out nowhere xdplab watches and raised no exception"}},
	} {
		assert.Equal(t, c.want, classify(c.arrivals, c.exc, c.counted != nil, c.counted), c.name)
	}
	// A program of xdplab's that counted nothing never ran on the frame:
	// said so, whatever came out.
	assert.Equal(t, results.FrameVerdict{Verdict: results.FrameDrop, Counted: results.CountedNone,
		Note: "xdplab's stats map counted no action: the program did not run on this frame"}, classify(nil, none, true, nil))
	v := classify([]traffic.Arrival{{Where: "dut", Frame: f}}, none, true, nil)
	assert.Equal(t, results.CountedNone, v.Counted)
	assert.Equal(t, results.FramePass, v.Verdict)
	assert.Empty(t, classify(nil, none, false, nil).Counted, "a user's program has no counter to ask")
}

func TestEquivalenceRefusesRemote(t *testing.T) {
	_, err := Equivalence(context.Background(), runner.Config{Run: spec.Run{Remote: "ssh://gen"}})
	var fe *spec.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, spec.FieldRemote, fe.Field)
	assert.Contains(t, err.Error(), "both on this host")
}

// At a hook beside XDP the verdict is the decision counted; tx is tx only
// where the frame came back.
func TestClassifyDecided(t *testing.T) {
	back := []traffic.Arrival{{Where: "dut", Frame: []byte{9}}, {Where: "gen", Frame: []byte{1, 2}}}
	v := classifyDecided(back, act(catalog.TX))
	assert.Equal(t, results.FrameVerdict{Verdict: results.FrameTX, Where: "gen", Out: []byte{1, 2}, Counted: "tx", Decided: true}, v)
	v = classifyDecided(nil, act(catalog.TX))
	assert.Equal(t, results.FrameTXFailed, v.Verdict)
	v = classifyDecided(back, act(catalog.Pass))
	assert.Equal(t, results.FrameVerdict{Verdict: results.FramePass, Counted: "pass", Decided: true}, v, "the stack's copy at dut says nothing at tc")
	assert.Equal(t, results.FrameDrop, classifyDecided(back, act(catalog.Drop)).Verdict)
	assert.Equal(t, results.FrameAborted, classifyDecided(nil, act(catalog.Aborted)).Verdict)
	v = classifyDecided(back, nil)
	assert.Equal(t, results.FrameDrop, v.Verdict)
	assert.Equal(t, results.CountedNone, v.Counted)
	assert.NotEmpty(t, v.Note)
	var before, after bpf.Stats
	assert.Nil(t, changed(before, after))
	after[catalog.Pass].Packets = 1
	assert.Equal(t, catalog.Pass, *changed(before, after))
}
