// Package flags decides which flags a trial gets and how a net figure is
// shown: the rules that make every figure xdplab prints physically
// possible and say when one deserves less trust. It reads counts that the
// runner gathered and needs no privileges.
package flags

import (
	"fmt"
	"math"

	"github.com/xdplab/xdplab/results"
)

// Trial is what a trial's flags are decided from: settled counts over the
// trial (start to the drained end) and the window's figures.
type Trial struct {
	Generated  uint64  // frames the generator sent
	Tries      uint64  // frames it tried to send (0: it does not say)
	Seen       uint64  // frames the DUT counted (its program, or its veth)
	Malformed  uint64  // frames made malformed on purpose
	OfferedPPS float64 // over the timed window
	RatePPS    uint64  // the rate asked for (0: unpaced)

	// LiveFrames: the generator is the live-frames program, whose frames
	// the generator's veth counts in tx_queue_*_xdp_xmit (+errors);
	// otherwise in tx_packets.
	LiveFrames            bool
	GenXmit, GenXmitError uint64
	GenXmitKnown          bool
	GenTx                 uint64

	// Counted: the DUT program counts its frames by action (a built-in),
	// so it can be held against the DUT veth's own count.
	Counted      bool
	DUTRx        uint64
	DUTRxCounter string
	// Expected is the action the built-in returns for well-formed frames
	// ("" for workloads whose action depends on the frame) and
	// ExpectedGot how many frames got it.
	Expected    string
	ExpectedGot uint64
	// Sink: frames sent on by the program (tx, redirect) against the
	// sink's count plus the DUT veth's XDP_TX errors. For a program
	// without xdplab counters (a user's object), SentOnCounter names the
	// DUT interface's counter SentOn came from ("": none).
	Sink                       bool
	SentOn, SinkGot, TxErrors  uint64
	SentOnCounter              string
	CPUNsPerPkt                float64
	DUTNsPerPkt, DUTNoiseBound *float64 // a resolved DUT share, or the bound of one within noise
	// GenElsewhere: the generator ran on another host (--remote), whose
	// CPU cost this host cannot calibrate: the DUT-share rule cannot tell
	// who set the rate, the loss can.
	GenElsewhere bool
}

// KeptUpPerMille is the loss, per mille, at or below which an unpaced
// trial with the generator on another host counts as generator-bound: the
// DUT took (almost) every frame offered as fast as the generator could
// send.
const KeptUpPerMille = 1

func disagree(a, b uint64) bool {
	m := max(a, b)
	if m == 0 {
		return false
	}
	return math.Abs(float64(a)-float64(b))/float64(m) > results.Agreement
}

// apart says whether two counts of the same frames differ by more than
// Agreement of the trial's frames (of, at least 1).
func apart(a, b, of uint64) bool {
	d := max(a, b) - min(a, b)
	return float64(d) > results.Agreement*float64(max(of, 1))
}

// Ratio is a/b, and 0 where b is 0 (nothing to share out).
func Ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// For decides a trial's flags, in a fixed order.
func For(t Trial) []results.Flag {
	var out []results.Flag
	flag := func(code, format string, args ...any) {
		out = append(out, results.Flag{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if t.Generated == 0 {
		flag(results.FlagGeneratorShort, "the generator sent nothing: this trial measured nothing")
	}
	if t.Generated > 0 && t.Seen == 0 {
		flag(results.FlagDUTSawNothing, "the DUT counted 0 of %d offered frames", t.Generated)
	}
	if t.Generated > 0 && t.Seen > t.Generated {
		flag(results.FlagSeenExceedsOffered, "the DUT counted %d frames, %d more than the generator sent: frames from elsewhere or counters read over different windows; loss is shown as 0",
			t.Seen, t.Seen-t.Generated)
	}
	if t.RatePPS > 0 && t.OfferedPPS < 0.98*float64(t.RatePPS) {
		flag(results.FlagRateShort, "offered %.0f frames/s, %.1f%% short of the %d asked for: the generator cannot reach that rate here",
			t.OfferedPPS, 100*(1-t.OfferedPPS/float64(t.RatePPS)), t.RatePPS)
	}
	if t.Tries > 0 && disagree(t.Generated, t.Tries) {
		flag(results.FlagGeneratorShort, "the generator sent %d of the %d frames it tried (%.2f%%)", t.Generated, t.Tries, 100*Ratio(t.Generated, t.Tries))
	}
	if t.LiveFrames {
		if t.GenXmitKnown && disagree(t.Generated, t.GenXmit+t.GenXmitError) {
			flag(results.FlagCountersDisagree, "generator counted %d frames, the generator veth's ndo_xdp_xmit %d (+%d errors)", t.Generated, t.GenXmit, t.GenXmitError)
		} else if !t.GenXmitKnown && disagree(t.Generated, t.GenTx) {
			// A NIC: the program's redirects against what the port
			// sent (a driver may drop redirected frames at its xmit).
			flag(results.FlagCountersDisagree, "generator counted %d frames redirected to its port, the port's tx_packets %d: the driver did not send the rest", t.Generated, t.GenTx)
		}
		if t.Generated > 0 && Ratio(t.GenXmitError, t.Generated) > 0.001 {
			flag(results.FlagRingOverflow, "%d frames (%.2f%%) found the DUT's rx ring full (tx_queue_*_xdp_xmit_errors): counted as loss", t.GenXmitError, 100*Ratio(t.GenXmitError, t.Generated))
		}
	} else if disagree(t.Generated, t.GenTx) {
		flag(results.FlagCountersDisagree, "generator counted %d frames, the generator veth's tx_packets %d", t.Generated, t.GenTx)
	}
	if t.Counted {
		if disagree(t.Seen, t.DUTRx) {
			flag(results.FlagCountersDisagree, "the DUT program counted %d frames, the DUT interface's %s %d", t.Seen, t.DUTRxCounter, t.DUTRx)
		}
		// Frames malformed on purpose may rightly get another action.
		if t.Expected != "" && t.Seen > 0 && Ratio(t.ExpectedGot, t.Seen) < 1-results.Agreement-Ratio(t.Malformed, t.Generated) {
			flag(results.FlagUnexpectedAction, "only %.2f%% of the frames the program saw got %s", 100*Ratio(t.ExpectedGot, t.Seen), t.Expected)
		}
		if t.Sink && disagree(t.SentOn, t.SinkGot+t.TxErrors) {
			flag(results.FlagCountersDisagree, "the DUT program sent on %d frames, the sink counted %d (+%d tx errors)", t.SentOn, t.SinkGot, t.TxErrors)
		}
	} else if t.Sink && t.SentOnCounter != "" && apart(t.SentOn, t.SinkGot+t.TxErrors, t.Generated) {
		// The sink also takes what the DUT's stack sends (a few
		// frames): the two may differ by a share of the trial's frames.
		flag(results.FlagCountersDisagree, "the DUT interface's %s counted %d frames sent back out, the return sink %d (+%d tx errors), of %d generated",
			t.SentOnCounter, t.SentOn, t.SinkGot, t.TxErrors, t.Generated)
	}
	if b := t.DUTNoiseBound; b != nil {
		flag(results.FlagDUTWithinNoise, "the DUT's share of the %.1f ns/pkt CPU cost is below %.1f ns/pkt, the calibration's noise: shown as < %.1f", t.CPUNsPerPkt, *b, *b)
		if t.CPUNsPerPkt > 0 && *b < 0.1*t.CPUNsPerPkt {
			flag(results.FlagGeneratorBound, "the DUT's share is below %.1f of %.1f ns/pkt: the generator, not the DUT, set this rate", *b, t.CPUNsPerPkt)
		}
	} else if d := t.DUTNsPerPkt; d != nil && t.CPUNsPerPkt > 0 && *d < 0.1*t.CPUNsPerPkt {
		flag(results.FlagGeneratorBound, "the DUT's share is %.1f of %.1f ns/pkt: the generator, not the DUT, set this rate", *d, t.CPUNsPerPkt)
	} else if t.GenElsewhere && t.RatePPS == 0 && t.Generated > 0 && (t.Generated-min(t.Seen, t.Generated))*1000 <= KeptUpPerMille*t.Generated {
		flag(results.FlagGeneratorBound, "the DUT counted %d of the %d frames the generator on the other host sent as fast as it could (loss %.3f%%, at most %.1f%%): "+
			"the generator, not the DUT, set this rate, a lower bound of the DUT's", t.Seen, t.Generated, 100*Loss(t.Seen, t.Generated), 0.1*KeptUpPerMille)
	}
	return out
}

// Loss is 1 - seen/generated, never below 0 (a surplus is flagged
// seen-exceeds-offered) and 0 where nothing was generated (flagged
// generator-short).
func Loss(seen, generated uint64) float64 {
	if generated == 0 || seen >= generated {
		return 0
	}
	return 1 - float64(seen)/float64(generated)
}

// Net is a figure less a measured cost: gross - cost, resolved only where
// it exceeds noise, the spread of the cost's own measurement. Within the
// noise (or below zero) it is not a number to show: the answer is then
// "below noise".
func Net(gross, cost, noise float64) (v float64, resolved bool) {
	v = gross - cost
	if math.IsNaN(v) || v <= noise {
		return 0, false
	}
	return v, true
}

// Noise is the spread a subtracted cost was measured with: the range of
// its samples, and at least floor (a share of the cost itself, since a
// few samples understate their spread).
func Noise(samples []float64, floor float64) float64 {
	if len(samples) == 0 {
		return math.Max(floor, 0)
	}
	lo, hi := samples[0], samples[0]
	for _, s := range samples[1:] {
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	return math.Max(hi-lo, floor)
}

// ProgFigure is the program's own ns/pkt from run-time stats, net of
// their overhead (measured with spread noise): a plain figure, or one
// flagged prog-within-noise with its bound.
func ProgFigure(gross, overhead, noise float64) results.Figure {
	f := results.Figure{Unit: "ns/packet",
		Source: fmt.Sprintf("BPF run-time stats (bpf_prog_info run_time_ns / run_cnt) in a separate pass: %.1f ns gross, "+
			"less %.1f ns the stats themselves cost per run (measured within %.1f ns)", gross, overhead, noise)}
	v, ok := Net(gross, overhead, noise)
	if !ok {
		f.Flag, f.Bound = results.FlagProgWithinNoise, noise
		f.Source += fmt.Sprintf("; the net figure is within that noise: below %.1f ns", noise)
		return f
	}
	f.Value = v
	return f
}
