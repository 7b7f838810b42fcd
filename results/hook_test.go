package results

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hookTrial(user, kernel float64, reader *ReaderFigures) Trial {
	return Trial{Hook: &HookFigures{Hook: "afpacket", Where: "user space: ring", Method: "AF_PACKET ring", Drop: "counted",
		UserNsPerPkt: user, KernelNsPerPkt: kernel, Reader: reader, Sources: map[string]string{"cpu_split": "proc"}}}
}

// The hook summary takes medians over trials; the reader's figures only
// where every trial has a reader.
func TestSummarizeHook(t *testing.T) {
	assert.Nil(t, summarizeHook([]Trial{{}, {}}), "no hook figures, no summary")
	rs := []Trial{
		hookTrial(10, 100, &ReaderFigures{MissedShare: 0.1, SyscallsPerK: 1, ContextSwitchesPerM: 5, CopiedBytesPerFrame: 60}),
		hookTrial(30, 300, &ReaderFigures{MissedShare: 0.3, SyscallsPerK: 3, ContextSwitchesPerM: 7, CopiedBytesPerFrame: 60}),
		hookTrial(20, 200, &ReaderFigures{MissedShare: 0.2, SyscallsPerK: 2, ContextSwitchesPerM: 6, CopiedBytesPerFrame: 60}),
	}
	s := summarizeHook(rs)
	require.NotNil(t, s)
	assert.Equal(t, "afpacket", s.Hook)
	assert.InDelta(t, 20, s.UserNsPerPkt.Median, 0)
	assert.InDelta(t, 200, s.KernelNsPerPkt.Median, 0)
	assert.InDelta(t, 100, s.KernelNsPerPkt.Min, 0)
	require.NotNil(t, s.MissedShare)
	assert.InDelta(t, 0.2, s.MissedShare.Median, 1e-12)
	assert.InDelta(t, 2, s.SyscallsPerK.Median, 0)
	assert.InDelta(t, 6, s.ContextSwitchesPerM.Median, 0)
	assert.InDelta(t, 60, s.CopiedBytesPerFrame.Median, 0)
	rs[1].Hook.Reader = nil
	s = summarizeHook(rs)
	assert.Nil(t, s.MissedShare, "a trial without a reader: no reader summary")
}

// The hook table is written only where a hook beside XDP ran; a figure a
// hook cannot have is n/m with its reason, never 0.
func TestWriteHooks(t *testing.T) {
	r := &Run{Results: []Result{{Program: Program{Name: "drop"}, Mode: "native"}}}
	var b bytes.Buffer
	require.NoError(t, writeHooks(&b, r))
	assert.Empty(t, b.String(), "XDP's modes only: no hook table")
	assert.False(t, HasHooks(r))

	native := Result{Program: Program{Name: "drop"}, Mode: "native", Summary: Summary{Hook: &HookSummary{Hook: "xdp-native", Where: "kernel: driver",
		Method: "bpf_link", Drop: "XDP_DROP", UserNsPerPkt: Stat{Median: 5}, KernelNsPerPkt: Stat{Median: 50},
		NotMeasurable: map[string]string{"switches": "no thread of its own", "copies": "0 by the mechanism"}}}}
	native.Summary.ThroughputPPS.Median = 2e6
	missed, thr, sw, calls, cp := Stat{Median: 0.01}, Stat{Median: 70}, Stat{Median: 400}, Stat{Median: 0.4}, Stat{Median: 60}
	afp := Result{Program: Program{Name: "drop"}, Mode: "afpacket", Summary: Summary{Hook: &HookSummary{Hook: "afpacket", Where: "user space: ring",
		Method: "AF_PACKET ring", Drop: "counted", UserNsPerPkt: Stat{Median: 30}, KernelNsPerPkt: Stat{Median: 300},
		MissedShare: &missed, ThreadUserNsPerFrame: &thr, ThreadKernelNsPerFrame: &thr, ContextSwitchesPerM: &sw, SyscallsPerK: &calls, CopiedBytesPerFrame: &cp}}}
	afp.Summary.ThroughputPPS.Median = 0.5e6
	r.Results = []Result{native, afp}
	require.True(t, HasHooks(r))
	b.Reset()
	require.NoError(t, writeHooks(&b, r))
	out := b.String()
	assert.Contains(t, out, "xdp-native")
	assert.Regexp(t, `drop\s+xdp-native\s+kernel\s+2\.000\s+0\.00\s+n/m\s+5/50\s+n/m\s+n/m\s+n/m\s+n/m`, out)
	assert.Regexp(t, `drop\s+afpacket\s+user space\s+0\.500\s+0\.00\s+1\.00\s+30/300\s+70/70\s+400\s+0\.40\s+60\s+n/m`, out)
	assert.Contains(t, out, "n/m switches: no thread of its own")
	assert.Contains(t, out, "n/m copies: 0 by the mechanism")
	assert.Contains(t, out, "afpacket: user space: ring; AF_PACKET ring; drop: counted")
}
