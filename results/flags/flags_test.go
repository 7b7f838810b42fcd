package flags

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/results"
)

// clean is a trial no rule flags: every count agrees.
func clean() Trial {
	return Trial{Generated: 1000, Tries: 1000, Seen: 1000, OfferedPPS: 1000, LiveFrames: true,
		GenXmit: 1000, GenXmitKnown: true, GenTx: 1000, Counted: true, DUTRx: 1000, DUTRxCounter: "rx_queue_*_xdp_packets",
		Expected: "drop", ExpectedGot: 1000, CPUNsPerPkt: 100, DUTNsPerPkt: ptr(50.0)}
}

func ptr(v float64) *float64 { return &v }

func codes(fs []results.Flag) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestFlags(t *testing.T) {
	assert.Empty(t, For(clean()))
	for _, c := range []struct {
		name string
		mod  func(*Trial)
		want []string
	}{
		{"nothing sent", func(t *Trial) { t.Generated, t.Tries, t.Seen, t.GenXmit, t.DUTRx, t.ExpectedGot = 0, 0, 0, 0, 0, 0 }, []string{results.FlagGeneratorShort}},
		{"the DUT saw nothing", func(t *Trial) { t.Seen, t.DUTRx, t.ExpectedGot = 0, 0, 0 }, []string{results.FlagDUTSawNothing}},
		{"one more seen than sent", func(t *Trial) { t.Seen, t.DUTRx, t.ExpectedGot = 1001, 1001, 1001 }, []string{results.FlagSeenExceedsOffered}},
		{"rate 2% short", func(t *Trial) { t.RatePPS = 1021 }, []string{results.FlagRateShort}},
		{"rate within 2%", func(t *Trial) { t.RatePPS = 1020 }, nil},
		{"sent 1% fewer than tried", func(t *Trial) { t.Tries = 1011 }, []string{results.FlagGeneratorShort}},
		{"sent within 1% of tried", func(t *Trial) { t.Tries = 1010 }, nil},
		{"tries unknown", func(t *Trial) { t.Tries = 0 }, nil},
		{"xmit disagrees", func(t *Trial) { t.GenXmit = 980 }, []string{results.FlagCountersDisagree}},
		{"xmit plus errors agree", func(t *Trial) { t.GenXmit, t.GenXmitError = 999, 1 }, nil},
		{"xmit unknown", func(t *Trial) { t.GenXmit, t.GenXmitKnown = 0, false }, nil},
		{"a NIC's port sent none of the redirected frames", func(t *Trial) { t.GenXmit, t.GenXmitKnown, t.GenTx = 0, false, 0 }, []string{results.FlagCountersDisagree}},
		{"a NIC's port sent 1% fewer", func(t *Trial) { t.GenXmit, t.GenXmitKnown, t.GenTx = 0, false, 989 }, []string{results.FlagCountersDisagree}},
		{"a veth's tx_packets are not its xmit count", func(t *Trial) { t.GenTx = 0 }, nil},
		{"ring overflow", func(t *Trial) { t.GenXmit, t.GenXmitError = 998, 2 }, []string{results.FlagRingOverflow}},
		{"ring at 0.1%", func(t *Trial) { t.GenXmit, t.GenXmitError = 999, 1 }, nil},
		{"AF_PACKET tx disagrees", func(t *Trial) { t.LiveFrames, t.GenTx = false, 900 }, []string{results.FlagCountersDisagree}},
		{"AF_PACKET agrees", func(t *Trial) { t.LiveFrames, t.GenXmit = false, 0 }, nil},
		{"DUT veth disagrees", func(t *Trial) { t.DUTRx = 1020 }, []string{results.FlagCountersDisagree}},
		{"a user's program is not held against its veth", func(t *Trial) { t.Counted, t.DUTRx = false, 1020 }, nil},
		{"unexpected action", func(t *Trial) { t.ExpectedGot = 980 }, []string{results.FlagUnexpectedAction}},
		{"malformed frames may get another action", func(t *Trial) { t.ExpectedGot, t.Malformed = 980, 15 }, nil},
		{"a workload has no expected action", func(t *Trial) { t.Expected, t.ExpectedGot = "", 0 }, nil},
		{"sink short", func(t *Trial) { t.Sink, t.SentOn, t.SinkGot = true, 1000, 900 }, []string{results.FlagCountersDisagree}},
		{"sink plus tx errors agree", func(t *Trial) { t.Sink, t.SentOn, t.SinkGot, t.TxErrors = true, 1000, 900, 100 }, nil},
		{"a user's program: the return sink short by 2% of the frames", func(t *Trial) {
			t.Counted, t.Sink, t.SentOnCounter, t.SentOn, t.SinkGot = false, true, "rx_queue_*_xdp_tx", 1000, 980
		}, []string{results.FlagCountersDisagree}},
		{"a user's program: a few stack frames at the return sink", func(t *Trial) {
			t.Counted, t.Sink, t.SentOnCounter, t.SentOn, t.SinkGot = false, true, "tx_packets (netlink)", 0, 5
		}, nil},
		{"a user's program: tx errors make up the difference", func(t *Trial) {
			t.Counted, t.Sink, t.SentOnCounter, t.SentOn, t.SinkGot, t.TxErrors = false, true, "rx_queue_*_xdp_tx", 1000, 950, 50
		}, nil},
		{"a user's program without a counter to hold the sink against", func(t *Trial) {
			t.Counted, t.Sink, t.SentOn, t.SinkGot = false, true, 1000, 0
		}, nil},
		{"generator-bound", func(t *Trial) { t.DUTNsPerPkt = ptr(9.9) }, []string{results.FlagGeneratorBound}},
		{"DUT share at 10%", func(t *Trial) { t.DUTNsPerPkt = ptr(10) }, nil},
		{"DUT within noise", func(t *Trial) { t.DUTNsPerPkt, t.DUTNoiseBound = nil, ptr(20) }, []string{results.FlagDUTWithinNoise}},
		{"DUT within small noise", func(t *Trial) { t.DUTNsPerPkt, t.DUTNoiseBound = nil, ptr(5) }, []string{results.FlagDUTWithinNoise, results.FlagGeneratorBound}},
		{"generator elsewhere, no loss", func(t *Trial) { t.GenElsewhere, t.DUTNsPerPkt = true, nil }, []string{results.FlagGeneratorBound}},
		{"generator elsewhere, loss at 0.1%", func(t *Trial) {
			t.GenElsewhere, t.DUTNsPerPkt, t.Generated, t.Tries, t.GenXmit = true, nil, 100000, 100000, 100000
			t.Seen, t.DUTRx, t.ExpectedGot = 99900, 99900, 99900
		}, []string{results.FlagGeneratorBound}},
		{"generator elsewhere, loss past 0.1%", func(t *Trial) {
			t.GenElsewhere, t.DUTNsPerPkt, t.Generated, t.Tries, t.GenXmit = true, nil, 100000, 100000, 100000
			t.Seen, t.DUTRx, t.ExpectedGot = 99899, 99899, 99899
		}, nil},
		{"generator elsewhere, paced", func(t *Trial) { t.GenElsewhere, t.DUTNsPerPkt, t.RatePPS = true, nil, 1000 }, nil},
		{"generator elsewhere sent nothing", func(t *Trial) {
			t.GenElsewhere, t.DUTNsPerPkt, t.Generated, t.Tries, t.Seen, t.GenXmit, t.DUTRx, t.ExpectedGot = true, nil, 0, 0, 0, 0, 0, 0
		}, []string{results.FlagGeneratorShort}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := clean()
			c.mod(&tr)
			assert.Equal(t, c.want, codes(For(tr)))
		})
	}
}

// Every flag's message carries the counts it was decided from.
func TestFlagMessages(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Trial)
		want string
	}{
		{func(t *Trial) { t.Seen, t.DUTRx, t.ExpectedGot = 1032, 1032, 1032 }, "the DUT counted 1032 frames, 32 more than the generator sent"},
		{func(t *Trial) { t.RatePPS = 2000 }, "offered 1000 frames/s, 50.0% short of the 2000 asked for"},
		{func(t *Trial) {
			t.GenElsewhere, t.DUTNsPerPkt, t.Seen, t.DUTRx, t.ExpectedGot = true, nil, 999, 999, 999
		},
			"the DUT counted 999 of the 1000 frames the generator on the other host sent as fast as it could (loss 0.100%, at most 0.1%)"},
		{func(t *Trial) { t.Tries = 1250 }, "the generator sent 1000 of the 1250 frames it tried (80.00%)"},
		{func(t *Trial) { t.GenXmit = 900 }, "generator counted 1000 frames, the generator veth's ndo_xdp_xmit 900 (+0 errors)"},
		{func(t *Trial) { t.GenXmit, t.GenXmitError = 980, 20 }, "20 frames (2.00%) found the DUT's rx ring full"},
		{func(t *Trial) { t.LiveFrames, t.GenTx = false, 900 }, "generator counted 1000 frames, the generator veth's tx_packets 900"},
		{func(t *Trial) { t.DUTRx = 1100 }, "the DUT program counted 1000 frames, the DUT interface's rx_queue_*_xdp_packets 1100"},
		{func(t *Trial) { t.ExpectedGot = 750 }, "only 75.00% of the frames the program saw got drop"},
		{func(t *Trial) { t.Sink, t.SentOn, t.SinkGot, t.TxErrors = true, 1000, 800, 50 }, "the DUT program sent on 1000 frames, the sink counted 800 (+50 tx errors)"},
		{func(t *Trial) {
			t.Counted, t.Sink, t.SentOnCounter, t.SentOn, t.SinkGot, t.TxErrors = false, true, "rx_queue_*_xdp_tx", 1000, 800, 50
		}, "the DUT interface's rx_queue_*_xdp_tx counted 1000 frames sent back out, the return sink 800 (+50 tx errors), of 1000 generated"},
		{func(t *Trial) { t.DUTNsPerPkt = ptr(5) }, "the DUT's share is 5.0 of 100.0 ns/pkt"},
		{func(t *Trial) { t.DUTNsPerPkt, t.DUTNoiseBound = nil, ptr(7) }, "the DUT's share of the 100.0 ns/pkt CPU cost is below 7.0 ns/pkt"},
		{func(t *Trial) { t.DUTNsPerPkt, t.DUTNoiseBound = nil, ptr(7) }, "the DUT's share is below 7.0 of 100.0 ns/pkt"},
		{func(t *Trial) { t.Seen, t.DUTRx, t.ExpectedGot = 0, 0, 0 }, "the DUT counted 0 of 1000 offered frames"},
	} {
		tr := clean()
		c.mod(&tr)
		var msgs []string
		for _, f := range For(tr) {
			msgs = append(msgs, f.Message)
		}
		assert.Condition(t, func() bool {
			for _, m := range msgs {
				if strings.Contains(m, c.want) {
					return true
				}
			}
			return false
		}, "want %q in %q", c.want, msgs)
	}
}

// The limits themselves: exactly at a limit is no flag.
func TestFlagLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  func(*Trial)
		want []string
	}{
		{"counts 1% apart", func(t *Trial) { t.GenXmit = 990 }, nil},
		{"a user's program's sink exactly 1% of the frames apart", func(t *Trial) {
			t.Counted, t.Sink, t.SentOnCounter, t.SentOn, t.SinkGot = false, true, "tx_packets (netlink)", 1000, 990
		}, nil},
		{"a user's program's sink past 1% of the frames, the other way", func(t *Trial) {
			t.Counted, t.Sink, t.SentOnCounter, t.SentOn, t.SinkGot = false, true, "tx_packets (netlink)", 989, 1000
		}, []string{results.FlagCountersDisagree}},
		{"a user's program's sink with nothing generated", func(t *Trial) {
			t.Generated, t.Tries, t.GenXmit, t.Seen, t.DUTRx, t.ExpectedGot = 0, 0, 0, 0, 0, 0
			t.Counted, t.Sink, t.SentOnCounter, t.SentOn, t.SinkGot = false, true, "tx_packets (netlink)", 0, 1
		}, []string{results.FlagGeneratorShort, results.FlagCountersDisagree}},
		{"offered exactly 98% of the rate", func(t *Trial) { t.OfferedPPS, t.RatePPS = 980, 1000 }, nil},
		{"expected action exactly 99%", func(t *Trial) { t.ExpectedGot = 990 }, nil},
		{"the noise bound exactly 10% of the cost", func(t *Trial) { t.DUTNsPerPkt, t.DUTNoiseBound = nil, ptr(10) }, []string{results.FlagDUTWithinNoise}},
		{"seen without anything generated", func(t *Trial) { t.Generated, t.Tries, t.GenXmit, t.Seen, t.DUTRx, t.ExpectedGot = 0, 0, 0, 5, 5, 5 },
			[]string{results.FlagGeneratorShort}},
		{"no CPU cost", func(t *Trial) { t.CPUNsPerPkt, t.DUTNsPerPkt, t.DUTNoiseBound = 0, nil, ptr(0) }, []string{results.FlagDUTWithinNoise}},
		{"no CPU cost, a share", func(t *Trial) { t.CPUNsPerPkt, t.DUTNsPerPkt = 0, ptr(0) }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := clean()
			c.mod(&tr)
			assert.Equal(t, c.want, codes(For(tr)))
		})
	}
}

func TestLoss(t *testing.T) {
	assert.Equal(t, 0.0, Loss(0, 0))
	assert.Equal(t, 0.0, Loss(1001, 1000), "a surplus is no negative loss")
	assert.Equal(t, 0.0, Loss(1000, 1000))
	assert.InDelta(t, 0.25, Loss(750, 1000), 1e-12)
	assert.Equal(t, 1.0, Loss(0, 1000))
}

func TestNet(t *testing.T) {
	v, ok := Net(10, 4, 3)
	assert.True(t, ok)
	assert.Equal(t, 6.0, v)
	_, ok = Net(10, 7, 3)
	assert.False(t, ok, "3 is within a noise of 3")
	v, ok = Net(10, 12, 3)
	assert.False(t, ok, "never negative")
	assert.Zero(t, v)
	v, ok = Net(10.5, 7, 3)
	assert.True(t, ok)
	assert.Equal(t, 3.5, v)
}

func TestNoise(t *testing.T) {
	assert.Equal(t, 4.0, Noise([]float64{10, 14, 12}, 1))
	assert.Equal(t, 5.0, Noise([]float64{10, 14, 12}, 5))
	assert.Equal(t, 2.0, Noise(nil, 2))
	assert.Equal(t, 0.0, Noise(nil, -1))
	assert.Equal(t, 4.0, Noise([]float64{14, 10}, 0))
}

func TestProgFigure(t *testing.T) {
	f := ProgFigure(50, 40, 3)
	assert.Equal(t, 10.0, f.Value)
	assert.Empty(t, f.Flag)
	assert.Equal(t, "10.0", f.String("%.1f"))
	f = ProgFigure(41, 40, 3)
	assert.Equal(t, results.FlagProgWithinNoise, f.Flag)
	assert.Equal(t, 3.0, f.Bound)
	assert.Zero(t, f.Value)
	assert.Equal(t, "< 3.0 (within noise)", f.String("%.1f"))
	assert.Contains(t, f.Source, "below 3.0 ns")
	f = ProgFigure(30, 40, 3)
	assert.Equal(t, results.FlagProgWithinNoise, f.Flag, "a negative net figure")
	var none *results.Figure
	assert.Equal(t, "-", none.String("%.1f"))
}

func TestDUTString(t *testing.T) {
	s := results.Summary{}
	assert.Equal(t, "-", s.DUTString(3))
	st := results.Stat{Min: 10, Median: 12, Max: 15, N: 3}
	s.DUTNsPerPkt = &st
	assert.Equal(t, "12.0 [10.0-15.0]", s.DUTString(3))
	s.DUTWithinNoise, s.DUTNoiseBound = 1, 8
	assert.Equal(t, "12.0 [10.0-15.0], 1/4 < 8.0 (noise)", s.DUTString(4))
	s.DUTNsPerPkt = nil
	assert.Equal(t, "< 8.0 (noise)", s.DUTString(1))
}

// A flagged net figure carries no value in JSON: only its bound.
func TestProgFigureJSON(t *testing.T) {
	b, err := json.Marshal(ProgFigure(41, 40, 3))
	assert.NoError(t, err)
	assert.NotContains(t, string(b), `"value"`)
	assert.Contains(t, string(b), `"flag":"prog-within-noise","bound":3`)
	b, err = json.Marshal(ProgFigure(50, 40, 3))
	assert.NoError(t, err)
	assert.Contains(t, string(b), `"value":10`)
	assert.NotContains(t, string(b), `"flag"`)
	var f results.Figure
	assert.NoError(t, json.Unmarshal([]byte(`{"unit":"ns/packet","source":"s","flag":"prog-within-noise","bound":3}`), &f))
	assert.Equal(t, "< 3.0 (within noise)", f.String("%.1f"))
}
