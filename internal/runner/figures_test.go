package runner

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/procstat"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

func snapAt(t0 time.Time, sec int, gen, tries uint64, prog bpf.Stats, dut, genIf topology.Counters, busy uint64) snapshot {
	return snapshot{
		at: t0.Add(time.Duration(sec) * time.Second), gen: bpf.Counter{Packets: gen, Bytes: gen * 60}, tries: tries,
		prog: prog, ifaces: map[string]topology.Counters{"dut": dut, "gen": genIf},
		cpu: procstat.Snapshot{0: {System: busy, Idle: uint64(sec)*1e9 - busy}},
	}
}

func TestFiguresAndFlags(t *testing.T) {
	r := &runner{cfg: Config{Run: spec.Run{FrameSize: 64}}, kind: stream.LiveFrames, cpus: []int{0}}
	drop := catalog.Action(catalog.Drop)
	s := &setup{prog: &bpf.Program{Counted: true, Expected: &drop}}
	t0 := time.Now()
	q := func(rx, xmit, xerr uint64) topology.Counters {
		return topology.Counters{Ethtool: map[string]uint64{"rx_queue_0_xdp_packets": rx, "tx_queue_0_xdp_xmit": xmit, "tx_queue_0_xdp_xmit_errors": xerr}}
	}
	var p0, p1 bpf.Stats
	p1[catalog.Drop] = bpf.Counter{Packets: 1000}
	start := snapAt(t0, 0, 0, 0, p0, q(0, 0, 0), q(0, 0, 0), 0)
	end := snapAt(t0, 2, 1000, 1000, p1, q(1000, 0, 0), q(0, 1000, 0), 1e9)
	tr := r.figures(s, 1, start, end, end, nil)
	assert.Equal(t, 500.0, tr.Figures.ThroughputPPS)
	assert.Equal(t, 500.0*64*8, tr.Figures.L2BitsPerSec)
	assert.Equal(t, 500.0*84*8, tr.Figures.L1BitsPerSec)
	assert.Zero(t, tr.Figures.Loss)
	assert.Equal(t, 1e6, tr.Figures.CPUNsPerPkt, "1 s busy / 1000 frames")
	assert.Equal(t, 50.0, tr.Figures.CPUPercent)
	assert.Empty(t, tr.Flags)

	// The DUT veth saw 2% more than the program counted; the generator's
	// veth refused 5% of the frames; the DUT counted half of them as pass.
	var p2 bpf.Stats
	p2[catalog.Drop] = bpf.Counter{Packets: 500}
	p2[catalog.Pass] = bpf.Counter{Packets: 500}
	end = snapAt(t0, 2, 1000, 1100, p2, q(1020, 950, 50), q(0, 950, 50), 1e9)
	tr = r.figures(s, 1, start, end, end, nil)
	codes := map[string]bool{}
	for _, f := range tr.Flags {
		codes[f.Code] = true
	}
	assert.True(t, codes[results.FlagCountersDisagree], "program vs veth")
	assert.True(t, codes[results.FlagRingOverflow])
	assert.True(t, codes[results.FlagUnexpectedAction])
	assert.True(t, codes[results.FlagGeneratorShort], "1000 of 1100 tried")

	// Nothing seen.
	end = snapAt(t0, 2, 1000, 1000, p0, q(0, 1000, 0), q(0, 1000, 0), 1e9)
	tr = r.figures(s, 1, start, end, end, nil)
	assert.Equal(t, 1.0, tr.Figures.Loss)
	assert.Equal(t, results.FlagDUTSawNothing, tr.Flags[0].Code)

	// A generator that sent nothing never passes silently.
	end = snapAt(t0, 2, 0, 0, p0, q(0, 0, 0), q(0, 0, 0), 1e9)
	tr = r.figures(s, 1, start, end, end, nil)
	assert.Equal(t, results.FlagGeneratorShort, tr.Flags[0].Code)
	assert.Contains(t, tr.Flags[0].Message, "sent nothing")

	// Generator-bound: the DUT's share is below 10%.
	cal := 0.95e6
	r.calNs = &cal
	end = snapAt(t0, 2, 1000, 1000, p1, q(1000, 1000, 0), q(0, 1000, 0), 1e9)
	tr = r.figures(s, 1, start, end, end, nil)
	assert.InDelta(t, 0.05e6, *tr.Figures.DUTNsPerPkt, 1)
	assert.Equal(t, results.FlagGeneratorBound, tr.Flags[0].Code)
}

// A user's object has no counters of xdplab's: what it saw is the DUT
// interface's count that moved over the trial (the XDP counter holds what
// the calibration left in it, and stays), and what it sent back is held
// against the return sink's count, within 1% of the trial's frames.
func TestFiguresOfAUserObject(t *testing.T) {
	r := &runner{cfg: Config{Run: spec.Run{FrameSize: 64}}, kind: stream.AFPacket, cpus: []int{0}}
	s := &setup{prog: &bpf.Program{}, sink: fakeSink{}}
	t0 := time.Now()
	var none bpf.Stats
	at := func(rx, xdp, xdpTx, tx uint64) topology.Counters {
		return topology.Counters{RxPackets: rx, TxPackets: tx, Ethtool: map[string]uint64{"rx_queue_0_xdp_packets": xdp, "rx_queue_0_xdp_tx": xdpTx}}
	}
	gen := func(tx uint64) topology.Counters { return topology.Counters{TxPackets: tx} }
	withSink := func(sn snapshot, n uint64) snapshot { sn.sink = bpf.Counter{Packets: n}; return sn }

	// Generic: the stack's receive path counts, the XDP counter stays.
	start := withSink(snapAt(t0, 0, 0, 0, none, at(0, 5000, 0, 0), gen(0), 0), 0)
	end := withSink(snapAt(t0, 2, 1000, 1000, none, at(1000, 5000, 0, 1000), gen(1000), 1e9), 1000)
	tr := r.figures(s, 1, start, end, end, nil)
	assert.Equal(t, 500.0, tr.Figures.ThroughputPPS, "rx_packets moved, the XDP counter did not")
	assert.Zero(t, tr.Figures.Loss)
	assert.Empty(t, tr.Flags)

	// Native: the XDP counters move; the sink got 2% fewer than XDP_TX
	// sent back, more than 1% of the trial's frames.
	end = withSink(snapAt(t0, 2, 1000, 1000, none, at(1000, 6000, 1000, 1000), gen(1000), 1e9), 980)
	tr = r.figures(s, 1, start, end, end, nil)
	assert.Equal(t, 500.0, tr.Figures.ThroughputPPS)
	require.Len(t, tr.Flags, 1)
	assert.Equal(t, results.FlagCountersDisagree, tr.Flags[0].Code)
	assert.Contains(t, tr.Flags[0].Message, "rx_queue_*_xdp_tx counted 1000 frames sent back out, the return sink 980")

	// A few frames of the DUT's stack at the sink, of a program that
	// sends nothing back: no disagreement.
	end = withSink(snapAt(t0, 2, 1000, 1000, none, at(1000, 6000, 0, 3), gen(1000), 1e9), 3)
	tr = r.figures(s, 1, start, end, end, nil)
	assert.Empty(t, tr.Flags)
	end = withSink(snapAt(t0, 2, 1000, 1000, none, at(1000, 6000, 0, 3), gen(1000), 1e9), 9)
	tr = r.figures(s, 1, start, end, end, nil)
	assert.Empty(t, tr.Flags, "9 of 1000 frames: within 1%")
	end = withSink(snapAt(t0, 2, 1000, 1000, none, at(1000, 6000, 0, 3), gen(1000), 1e9), 15)
	tr = r.figures(s, 1, start, end, end, nil)
	require.Len(t, tr.Flags, 1, "15 of 1000 frames: past 1%")
	assert.Contains(t, tr.Flags[0].Message, "the DUT interface's rx_queue_*_xdp_tx counted 0 frames sent back out, the return sink 15")
}

type fakeSink struct{ peer.Sink }

// The host's checks are the runner's: threads beyond the CPUs this
// process may use are refused where the run starts (inside the matrix's
// VM there), though the description alone accepts them.
func TestCheckHost(t *testing.T) {
	c := Config{Run: spec.Defaults()}
	require.NoError(t, c.checkHost())
	c.Threads = len(host.CPUs()) + 1
	require.NoError(t, c.Validate(), "the description alone does not know the host")
	err := c.checkHost()
	require.Error(t, err)
	fes := spec.FieldErrors(err)
	require.Len(t, fes, 1)
	assert.Equal(t, spec.FieldThreads, fes[0].Field)
	assert.Contains(t, err.Error(), fmt.Sprintf("this machine lets xdplab use %d CPUs", len(host.CPUs())))
}
