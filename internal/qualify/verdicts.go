package qualify

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/caps"
)

// The verdict functions below decide from what a check saw; they touch
// no kernel, so that every verdict is tested on synthetic outcomes.

// testedLater are the capability rows the probe does not exercise (it
// says not-tested) that a functional check does: their verdict is that
// check's.
var testedLater = map[caps.CapabilityID]string{
	caps.CapRedirect:    "XDP_REDIRECT",
	caps.CapNdoXmit:     "XDP_REDIRECT",
	caps.CapXSKZeroCopy: "AF_XDP receive (zero-copy)",
}

// capabilityVerdict turns one row of the probe's advertised-against-
// detected table into a verdict; functional says the functional checks
// run in this qualification.
func capabilityVerdict(row offload.Row, functional bool) (results.Verdict, string) {
	v, detail := results.VerdictNotRun, fmt.Sprintf("advertised %s, detected %s", row.Advertised, row.Detected)
	if check, ok := testedLater[row.ID]; ok && functional && row.Detected == caps.Answer(offload.CheckNotTested) {
		return results.VerdictNotApplicable, detail + ": the functional check " + check + " tests it"
	}
	if row.Detected == caps.Answer(offload.CheckNotTested) && row.Advertised == caps.No {
		// Not claimed, and not testable here: nothing to decide. A claim
		// left untested (advertised yes or not reported) stays not-run.
		return results.VerdictNotApplicable, detail + ": not advertised, and the probe cannot test it here"
	}
	if row.Verdict == offload.VerdictMatch && row.Detected == caps.Yes {
		v = results.VerdictPass
	} else if row.Verdict == offload.VerdictMatch {
		v = results.VerdictNotSupported
	} else if row.Verdict == offload.VerdictMismatch && row.Detected == caps.Yes {
		v = results.VerdictWorksNotAdvertised
	} else if row.Verdict == offload.VerdictMismatch {
		v = results.VerdictAdvertisedFails
	} else if row.Detected == caps.Yes {
		v = results.VerdictPass
		detail += " (the driver reports no xdp-features to hold it against)"
	} else if row.Detected == caps.No {
		v = results.VerdictNotSupported
		detail += " (the driver reports no xdp-features to hold it against)"
	}
	if row.Note != "" {
		detail += ": " + row.Note
	}
	return v, detail
}

// xskVerdict: good of n frames arrived intact on an AF_XDP socket that
// opened (openErr nil) in copy or zero-copy mode.
func xskVerdict(zeroCopy, advertised bool, openErr error, good, n int) results.Verdict {
	if openErr != nil && zeroCopy && advertised {
		return results.VerdictAdvertisedFails
	} else if openErr != nil && zeroCopy {
		return results.VerdictNotSupported
	} else if openErr != nil {
		return results.VerdictFail
	} else if good != n {
		return results.VerdictFail
	} else if zeroCopy && !advertised {
		return results.VerdictWorksNotAdvertised
	}
	return results.VerdictPass
}

// fragsVerdict: frames of length want were sent; the program saw frames
// of which the longest was maxLen.
func fragsVerdict(native, advertised bool, frames, n, maxLen, want uint64) results.Verdict {
	whole := frames == n && maxLen == want
	if !whole {
		return results.VerdictFail
	} else if native && !advertised {
		return results.VerdictWorksNotAdvertised
	}
	return results.VerdictPass
}

// searchVerdict judges an NDR/PDR search: pass with both rates found and
// confirmed, inconclusive where a search confirmed nothing within its
// trials (on a noisy machine a search may not settle: that decides
// nothing about the device), fail where no search result exists.
func searchVerdict(res *results.Result) (results.Verdict, string) {
	if res.NDR == nil || res.PDR == nil {
		return results.VerdictFail, "no search result"
	}
	desc := func(t *results.Throughput) string {
		if r, ok := t.Found(); ok {
			return fmt.Sprintf("%s %.3f Mpps (confirmed, %d trials)", strings.ToUpper(t.Goal), r/1e6, t.Trials)
		}
		return fmt.Sprintf("%s not found in %d trials", strings.ToUpper(t.Goal), t.Trials)
	}
	detail := desc(res.NDR) + ", " + desc(res.PDR)
	if res.NDR.Note != "" {
		detail += "; " + res.NDR.Note
	}
	if !res.NDR.Confirmed || !res.PDR.Confirmed {
		return results.VerdictInconclusive, detail
	}
	return results.VerdictPass, detail
}

// throughputVerdict judges a throughput run of drop: it fails where the
// DUT saw nothing or measured no rate, and is inconclusive where the
// generator fell short (the trial measured the generator, not the DUT).
func throughputVerdict(res *results.Result) (results.Verdict, []string) {
	v := results.VerdictPass
	var flags []string
	for _, t := range res.Trials {
		for _, f := range t.Flags {
			flags = append(flags, f.Code)
			switch f.Code {
			case results.FlagDUTSawNothing:
				v = results.VerdictFail
			case results.FlagGeneratorShort:
				if v == results.VerdictPass {
					v = results.VerdictInconclusive
				}
			}
		}
	}
	if len(res.Trials) == 0 || !(res.Summary.ThroughputPPS.Median > 0) {
		v = results.VerdictFail
	}
	return v, flags
}

// soakLoss is the loss over samples: 1 - throughput / offered; ok is
// false where nothing was offered.
func soakLoss(ss []results.Sample) (loss float64, ok bool) {
	var off, thr float64
	for _, s := range ss {
		off += s.OfferedPPS
		thr += s.ThroughputPPS
	}
	if !(off > 0) {
		return 0, false
	}
	return max(0, 1-thr/off), true
}

// soakVerdict: loss in the last quarter of the soak's samples may exceed
// the first quarter's by at most allowance; a soak that offered nothing in
// either decides nothing.
func soakVerdict(ss []results.Sample, allowance float64) (v results.Verdict, first, last float64) {
	n := len(ss)
	if n == 0 {
		return results.VerdictInconclusive, 0, 0
	}
	q := max(n/4, 1)
	first, ok1 := soakLoss(ss[:min(q, n)])
	last, ok2 := soakLoss(ss[max(n-q, 0):])
	if !ok1 || !ok2 {
		return results.VerdictInconclusive, first, last
	} else if last-first > allowance {
		return results.VerdictFail, first, last
	}
	return results.VerdictPass, first, last
}

// countersVerdict: every per-second sample within reason (a wrapped or
// reset counter shows as a rate from nowhere or below zero), and no trial
// flag that counters disagree.
func countersVerdict(ss []results.Sample, flags []results.Flag) (v results.Verdict, bad int) {
	for _, s := range ss {
		if s.ThroughputPPS < 0 || s.ThroughputPPS > 2*s.OfferedPPS+1e6 {
			bad++
		}
	}
	v = results.VerdictPass
	for _, f := range flags {
		if f.Code == results.FlagCountersDisagree {
			v = results.VerdictFail
		}
	}
	if bad > 0 {
		v = results.VerdictFail
	}
	if len(ss) == 0 {
		v = results.VerdictInconclusive
	}
	return v, bad
}

// newWarnings are the kernel log lines in after but not before that say
// WARNING, BUG, Oops, a call trace or a general protection fault.
func newWarnings(before, after []string) []string {
	seen := map[string]bool{}
	for _, l := range before {
		seen[l] = true
	}
	var warn []string
	for _, l := range after {
		if seen[l] {
			continue
		}
		for _, w := range []string{"WARNING:", "BUG:", "Call Trace", "general protection", "Oops"} {
			if strings.Contains(l, w) {
				warn = append(warn, strings.TrimSpace(l))
				break
			}
		}
	}
	return warn
}

// returnedText says what the program returned for the n frames: act's
// count first, then any other action's.
func returnedText(counts [catalog.QualifyOther + 1]uint64, act catalog.Action, name string, code uint32, n uint64) string {
	returned := fmt.Sprintf("the program returned %s for %d of %d frames", name, countOf(counts, act), n)
	if other := counts[catalog.QualifyOther]; other > 0 {
		returned += fmt.Sprintf(", an unknown action (%d) for %d", code, other)
	}
	for a := catalog.Aborted; a <= catalog.Redirect; a++ {
		if a != act && counts[a] > 0 {
			returned += fmt.Sprintf(", %s for %d", a, counts[a])
		}
	}
	return returned
}

// actionOutcome says where the n frames f came out for action act, and
// whether that is where act sends them: got are the frames collected
// back (tx) or behind the second port (redirect), delivered the UDP
// payloads the DUT's stack received, aborted the exceptions seen.
func actionOutcome(act catalog.Action, f []byte, got, delivered [][]byte, aborted, n uint64) (string, bool) {
	switch act {
	case catalog.Drop:
		return fmt.Sprintf("%d reached the DUT's stack", len(delivered)), len(delivered) == 0
	case catalog.Pass:
		good := 0
		for _, d := range delivered {
			if bytes.Equal(d, f[14+20+8:]) {
				good++
			}
		}
		return fmt.Sprintf("%d of %d reached a UDP socket in the DUT's namespace with their payload intact", good, n), uint64(good) == n
	case catalog.TX:
		return fmt.Sprintf("%d of %d came back to the generator's interface, MACs swapped, the rest intact", len(got), n), uint64(len(got)) == n
	case catalog.Redirect:
		return fmt.Sprintf("%d of %d arrived intact behind the DUT's second port", len(got), n), uint64(len(got)) == n
	}
	return fmt.Sprintf("xdp:xdp_exception fired %d times for XDP_ABORTED", aborted), aborted >= n
}
