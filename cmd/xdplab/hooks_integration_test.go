//go:build integration

package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
)

// Every hook measured with the same trials, interleaved: each decided on
// what the generator sent, counted by the hook's own counter; the
// in-kernel hooks name what they cannot have, the readers have their own
// figures; tx runs at XDP and tc and the readers record why not.
func TestIntegrationRunHooks(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--prog", "drop,tx", "--hooks", "all", "--interleave", "--trials", "2")
	assert.True(t, r.Config.Interleave)
	got := map[string]results.Result{}
	for _, res := range r.Results {
		got[res.Program.Name+" "+res.Mode] = res
	}
	for _, k := range []string{"drop generic", "drop native", "drop tc", "drop socket", "drop afpacket", "drop afxdp", "tx generic", "tx native", "tx tc"} {
		res, ok := got[k]
		require.True(t, ok, "a result for %s", k)
		require.Len(t, res.Trials, 2, k)
		require.NotNil(t, res.Summary.Hook, k)
		for _, tr := range res.Trials {
			gen := tr.Raw.Generator.Packets
			require.NotZero(t, gen, k)
			act := res.Program.Name
			h := tr.Hook
			require.NotNil(t, h, k)
			missed := uint64(0)
			if h.Reader != nil {
				missed = h.Reader.Missed
			}
			// Against what the DUT port received (its veth's count, as the
			// run's own cross-check reads it): a frame the veth's ring lost
			// under load never reached any hook.
			d := tr.Raw.Interfaces["dut"]
			rx := d.Ethtool["rx_queue_0_xdp_packets"]
			if rx == 0 {
				rx = d.RxPackets
			}
			got := float64(tr.Raw.Program[act].Packets + missed)
			assert.InEpsilon(t, float64(rx), got, 0.01, "%s: every frame the DUT received decided %s, or missed by the reader", k, act)
			assert.InEpsilon(t, float64(gen), got, 0.05, "%s: and near what the generator sent", k)
			assert.Positive(t, h.KernelNsPerPkt, k)
		}
		h := res.Summary.Hook
		switch res.Mode {
		case "generic", "native", "tc":
			assert.Nil(t, h.MissedShare, k)
			assert.Contains(t, h.NotMeasurable["switches"], "no thread", k)
		default:
			require.NotNil(t, h.ContextSwitchesPerM, k)
			assert.NotContains(t, h.NotMeasurable, "switches", k)
		}
	}
	assert.Equal(t, "tc", got["drop tc"].AttachedMode)
	assert.Contains(t, []string{"tcx", "cls_bpf on clsact"}, got["drop tc"].AttachMethod)
	assert.Equal(t, "SO_ATTACH_BPF", got["drop socket"].AttachMethod)
	// The socket filter refuses every copy: user space reads none; the
	// AF_PACKET reader reads and copies every frame.
	for _, tr := range got["drop socket"].Trials {
		assert.Zero(t, tr.Hook.Reader.Read)
		assert.Zero(t, tr.Hook.Reader.CopiedBytesPerFrame)
	}
	for _, tr := range got["drop afpacket"].Trials {
		assert.Positive(t, tr.Hook.Reader.Read)
		assert.InDelta(t, 60, tr.Hook.Reader.CopiedBytesPerFrame, 0.5, "64-byte frames, 60 without FCS")
	}
	// tx at tc: frames came back to the generator's side.
	for _, tr := range got["tx tc"].Trials {
		require.NotNil(t, tr.Raw.Sink)
		assert.InEpsilon(t, tr.Raw.Program["tx"].Packets, tr.Raw.Sink.Packets, 0.01)
	}
	var notRun []string
	for _, n := range r.NotRun {
		notRun = append(notRun, n.Program+" "+n.Hook)
		assert.NotEmpty(t, n.Why)
	}
	assert.ElementsMatch(t, []string{"tx socket", "tx afpacket", "tx afxdp"}, notRun)
}
