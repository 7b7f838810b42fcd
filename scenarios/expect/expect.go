// Package expect reads and checks a scenario's expectations ("drop >=
// 99.9%", "native[drop] >= 2x generic", "p99[native] <= 200us") against
// results: a verdict of pass, fail or inconclusive per expectation and
// result, never pass where no result could answer. It needs no
// privileges; its errors name the expectation and say how to write it.
package expect

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/flags"
)

// Expectation is one line of a scenario's expect list, such as
// "drop >= 99.9%", "loss <= 0.1%", "mpps[native] >= 1" or
// "native[drop] >= 2x generic", a latency percentile of runs with
// latency: "p99[native] <= 200us" (p50, p90, p99; ns, us or ms), or what a
// workload counted: "flows == sent" (flowstats' distinct flows against the
// flows the generator sent; or a number), "limit >=
// 95%" (ratelimit's passed rate as a share of its limit), "spread <= 5%"
// (l4lb's largest deviation from an even share of backends), "verified >=
// 99.9%" (l4lb's frames the sink found encapsulated right). The scope in
// brackets is a mode (or a hook: tc, socket, afpacket, afxdp) or a program. Shares, loss, rates and percentiles are
// each judged on their median over the trials.
type Expectation struct {
	Text    string
	Subject string // an action (drop, pass, tx, redirect, aborted), loss, mpps, or a mode
	Mode    string // [mode] scope; empty: every mode
	Program string // [program] scope; empty: every program
	Op      string
	Value   float64
	Percent bool
	// Unit is a latency's unit (ns, us, ms); Value is then in ns.
	Unit string
	// Sent: the value is the number of flows the generator sent
	// ("flows == sent").
	Sent bool
	// Against: the subject's throughput as a multiple of this mode's, for
	// the same program, frame size and flows.
	Against string
}

var (
	exprRe  = regexp.MustCompile(`^\s*([a-z][a-z0-9]*)(?:\[([a-z][a-z0-9_-]*)\])?\s*(>=|<=|==|>|<)\s*([0-9]*\.?[0-9]+|sent)\s*(%|ns|us|ms|x\s*([a-z]+))?\s*$`)
	pcts    = map[string]float64{"p50": 0.5, "p90": 0.9, "p99": 0.99}
	units   = map[string]float64{"ns": 1, "us": 1e3, "ms": 1e6}
	actions = []string{"aborted", "drop", "pass", "tx", "redirect"}
	// modeNames are XDP's modes and the hooks beside them, as results
	// name them (xdpmode.Mode's String).
	modeNames = []string{"generic", "native", "offload", "tc", "socket", "afpacket", "afxdp"}
)

func in(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseExpectation reads one expectation.
func Parse(s string) (Expectation, error) {
	m := exprRe.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return Expectation{}, fmt.Errorf("%q: write SUBJECT[SCOPE] OP VALUE (SCOPE: a mode or a program), such as \"drop >= 99.9%%\", \"loss <= 0.1%%\", \"mpps[native] >= 1\" or \"native[drop] >= 2x generic\"", s)
	}
	v, _ := strconv.ParseFloat(m[4], 64)
	e := Expectation{Text: s, Subject: m[1], Op: m[3], Value: v, Percent: m[5] == "%", Against: m[6], Sent: m[4] == "sent"}
	if e.Sent && (e.Subject != "flows" || m[5] != "") {
		return e, fmt.Errorf("%q: only flows compares with sent (flows == sent)", s)
	}
	if k, ok := units[m[5]]; ok {
		e.Unit, e.Value = m[5], v*k
	}
	if scope := m[2]; in(scope, modeNames) {
		e.Mode = scope
	} else {
		e.Program = scope // a program's name (or none), checked against the results
	}
	if e.Mode != "" && in(e.Subject, modeNames) {
		return e, fmt.Errorf("%q: a mode compared with another takes a program scope: \"native[drop] >= 2x generic\"", s)
	} else if in(e.Subject, modeNames) {
		if e.Against == "" || !in(e.Against, modeNames) {
			return e, fmt.Errorf("%q: a mode is compared with another: \"native >= 2x generic\"", s)
		}
	} else if in(e.Subject, actions) || e.Subject == "loss" {
		if !e.Percent {
			return e, fmt.Errorf("%q: %s is a share: give it in percent (%s >= 99.9%%)", s, e.Subject, e.Subject)
		}
		if v > 100 {
			return e, fmt.Errorf("%q: %g%% is more than all frames", s, v)
		}
	} else if e.Subject == "mpps" {
		if e.Percent || e.Against != "" || e.Unit != "" {
			return e, fmt.Errorf("%q: mpps is a rate: give a number (mpps >= 1)", s)
		}
	} else if e.Subject == "spread" || e.Subject == "verified" {
		if !e.Percent {
			return e, fmt.Errorf("%q: %s is the l4lb workload's share: give it in percent (spread <= 5%%, verified >= 99.9%%)", s, e.Subject)
		}
	} else if e.Subject == "limit" {
		if !e.Percent {
			return e, fmt.Errorf("%q: limit is the ratelimit workload's passed rate as a share of its limit: give it in percent (limit >= 95%%)", s)
		}
	} else if e.Subject == "flows" {
		if e.Percent || e.Against != "" || e.Unit != "" {
			return e, fmt.Errorf("%q: flows counts the flowstats workload's flows: give a number (flows == 1024)", s)
		}
	} else if pcts[e.Subject] > 0 {
		if e.Unit == "" {
			return e, fmt.Errorf("%q: %s is a latency: give it with ns, us or ms (%s <= 200us)", s, e.Subject, e.Subject)
		}
	} else {
		return e, fmt.Errorf("%q: unknown subject %q: use an action (%s), loss, mpps, p50, p90, p99, flows, limit, spread, verified, or a mode", s, e.Subject, strings.Join(actions, ", "))
	}
	if e.Unit != "" && pcts[e.Subject] == 0 {
		return e, fmt.Errorf("%q: only a latency (p50, p90, p99) takes ns, us or ms", s)
	}
	return e, nil
}

// The outcomes of an expectation on one result.
const (
	Pass         = "pass"
	Fail         = "fail"
	Inconclusive = "inconclusive" // the result cannot answer it (said why in Got)
)

// Verdict is one expectation checked against one result.
type Verdict struct {
	Expectation string `json:"expectation"`
	Program     string `json:"program,omitempty"`
	Mode        string `json:"mode,omitempty"`
	FrameSize   int    `json:"frame_size,omitempty"`
	Flows       int    `json:"flows,omitempty"`
	Got         string `json:"got"`
	// Result is pass, fail or inconclusive; Pass is Result == pass.
	Result string `json:"result"`
	Pass   bool   `json:"pass"`
}

// Outcome sums verdicts up: fail when any failed, else inconclusive when
// any could not be decided (or there are none), else pass.
func Outcome(vs []Verdict) string {
	out := Pass
	if len(vs) == 0 {
		return Inconclusive
	}
	for _, v := range vs {
		switch v.Result {
		case Fail:
			return Fail
		case Inconclusive:
			out = Inconclusive
		case Pass:
		default:
			return Fail // no verdict is no pass
		}
	}
	return out
}

// offered is what the generator sent over a result's trials.
func offered(res *results.Result) uint64 {
	var n uint64
	for _, t := range res.Trials {
		n += t.Raw.Generator.Packets
	}
	return n
}

// judgeRatio judges "MODE >= Nx OTHER" on res against other, the same
// program's result in the other mode.
func judgeRatio(e Expectation, run *results.Run, res, other *results.Result) (string, string, bool) {
	if other == nil || other.ControlPlaneOnly {
		return undecided(fmt.Sprintf("no %s result of %s to compare with", e.Against, res.Program.Name))
	}
	if offered(res) == 0 || offered(other) == 0 {
		return undecided("the generator sent nothing in one of the two modes")
	}
	if other.Summary.ThroughputPPS.Median == 0 {
		return undecided(fmt.Sprintf("the %s result measured 0 Mpps: no ratio to it", e.Against))
	}
	ratio := res.Summary.ThroughputPPS.Median / other.Summary.ThroughputPPS.Median
	got := fmt.Sprintf("%.2fx (%.3f vs %.3f Mpps)", ratio, res.Summary.ThroughputPPS.Median/1e6, other.Summary.ThroughputPPS.Median/1e6)
	// A rate the generator set is a lower bound of the DUT's: the
	// ratio is then bounded from below (this mode's), from above (the
	// other's), or not at all (both).
	dir := 0
	lb, olb := lowerBound(run, res), lowerBound(run, other)
	switch {
	case lb && olb:
		return undecided(got + ": both rates are lower bounds, " + keptUp(run, res) + " in both modes, so their ratio says nothing of the DUT's; a faster generator decides (live frames, kernel 5.18+)")
	case lb:
		dir = 1
	case olb:
		dir = -1
	}
	if !decides(e.Op, ratio, e.Value, dir) {
		return undecided(got + ": the " + map[bool]string{true: res.Mode, false: e.Against}[lb] + " rate is a lower bound, " + keptUp(run, map[bool]*results.Result{true: res, false: other}[lb]) + ", which leaves it open")
	}
	return decided(got, compareOp(e.Op, ratio, e.Value))
}

// judgeRate judges "mpps OP N" on res.
func judgeRate(e Expectation, run *results.Run, res *results.Result) (string, string, bool) {
	got := res.Summary.ThroughputPPS.Median / 1e6
	if lowerBound(run, res) {
		if !decides(e.Op, got, e.Value, 1) {
			return undecided(fmt.Sprintf("%.3f Mpps, a lower bound: %s; a faster generator decides (live frames, kernel 5.18+)", got, keptUp(run, res)))
		}
		return decided(fmt.Sprintf("%.3f Mpps, a lower bound (%s)", got, keptUp(run, res)), compareOp(e.Op, got, e.Value))
	}
	return decided(fmt.Sprintf("%.3f Mpps", got), compareOp(e.Op, got, e.Value))
}

// lowerBound tells whether res's rate is only a lower bound of the
// DUT's: unpaced, the DUT took (nearly) every frame the generator sent as
// fast as it could (loss at most flags.KeptUpPerMille per mille, median
// over the trials), so the generator, not the DUT, set the rate.
func lowerBound(run *results.Run, res *results.Result) bool {
	return run.Config.RatePPS == 0 && run.Config.RatePercent == 0 && len(res.Trials) > 0 &&
		res.Summary.Loss.Median*1000 <= flags.KeptUpPerMille
}

// keptUp says why a rate is a lower bound.
func keptUp(run *results.Run, res *results.Result) string {
	return fmt.Sprintf("the DUT took every frame the %s generator sent as fast as it could (loss %.3f%%)", run.Config.Generator, 100*res.Summary.Loss.Median)
}

// decides tells whether comparing got with want settles op although got
// bounds the truth from one side only: dir > 0, the truth is at least
// got; dir < 0, at most got; 0, got is the truth. A verdict stands only
// where it holds for every value the truth may take.
func decides(op string, got, want float64, dir int) bool {
	if dir == 0 {
		return true
	}
	ok := compareOp(op, got, want)
	switch op {
	case ">=", ">":
		return (dir > 0) == ok
	case "<=", "<":
		return (dir > 0) != ok
	}
	// ==: only a miss on the side the truth moves away to.
	return !ok && (dir > 0) == (got > want)
}

func compareOp(op string, got, want float64) bool {
	switch op {
	case ">=":
		return got >= want
	case "<=":
		return got <= want
	case "==":
		return got == want
	case ">":
		return got > want
	}
	return got < want
}

// Check evaluates the expectations on a scenario's runs. An expectation
// that applies to no measured result gets one inconclusive verdict.
func Check(exp []Expectation, runs []*results.Run) []Verdict {
	var out []Verdict
	for _, e := range exp {
		before := len(out)
		for _, r := range runs {
			byMode := map[string]map[string]*results.Result{} // program -> mode -> result
			for i := range r.Results {
				res := &r.Results[i]
				if byMode[res.Program.Name] == nil {
					byMode[res.Program.Name] = map[string]*results.Result{}
				}
				byMode[res.Program.Name][res.Mode] = res
			}
			for i := range r.Results {
				res := &r.Results[i]
				if res.ControlPlaneOnly || (e.Mode != "" && res.Mode != e.Mode) || (e.Program != "" && res.Program.Name != e.Program) {
					continue
				}
				v := Verdict{Expectation: e.Text, Program: res.Program.Name, Mode: res.Mode, FrameSize: r.Config.FrameSize, Flows: r.Config.Flows}
				got, result, applies := judge(e, r, res, byMode[res.Program.Name])
				if !applies {
					continue
				}
				v.Got, v.Result, v.Pass = got, result, result == Pass
				out = append(out, v)
			}
		}
		if len(out) == before {
			out = append(out, Verdict{Expectation: e.Text, Result: Inconclusive,
				Got: "applies to no measured result of this scenario (check its programs and modes; offload on netdevsim measures no traffic)"})
		}
	}
	return out
}

// decided is a comparison's verdict with what was got.
func decided(got string, ok bool) (string, string, bool) {
	if ok {
		return got, Pass, true
	}
	return got, Fail, true
}

// undecided says why a result cannot answer an expectation.
func undecided(why string) (string, string, bool) { return why, Inconclusive, true }

// judge checks one expectation on one result of run: what was got, the
// result, and whether the expectation applies to it at all. modes holds
// the results of the same program by mode.
func judge(e Expectation, run *results.Run, res *results.Result, modes map[string]*results.Result) (string, string, bool) {
	nothing := offered(res) == 0
	if in(e.Subject, modeNames) {
		if res.Mode != e.Subject {
			return "", "", false
		}
		return judgeRatio(e, run, res, modes[e.Against])
	}
	if nothing && (e.Subject == "loss" || e.Subject == "mpps") {
		return undecided("the generator sent nothing: no loss or rate to judge")
	}
	if e.Subject == "loss" {
		got := res.Summary.Loss.Median * 100
		return decided(fmt.Sprintf("%.4f%%", got), compareOp(e.Op, got, e.Value))
	}
	if e.Subject == "mpps" {
		return judgeRate(e, run, res)
	}
	switch {
	case e.Subject == "flows" || e.Subject == "spread" || e.Subject == "verified" || e.Subject == "limit":
		return judgeWorkload(e, run, res)
	case pcts[e.Subject] > 0:
		return judgeLatency(e, res)
	}
	return judgeShare(e, res)
}

// judgeWorkload judges a workload's own figure: flowstats' flows, l4lb's
// spread and verified share, and (any other subject it is given)
// ratelimit's share of the limit.
func judgeWorkload(e Expectation, run *results.Run, res *results.Result) (string, string, bool) {
	w := res.Workload
	if e.Subject == "flows" {
		if w == nil || w.Flows == nil {
			return undecided("no flow table: flows applies to the flowstats workload")
		}
		want := e.Value
		if e.Sent {
			want = float64(run.Config.Flows)
		}
		return decided(fmt.Sprintf("%d flows (the generator sent %d)", w.Flows.Count, run.Config.Flows), compareOp(e.Op, float64(w.Flows.Count), want))
	}
	if e.Subject == "spread" || e.Subject == "verified" {
		if w == nil || w.LB == nil {
			return undecided("no balancer counts: " + e.Subject + " applies to the l4lb workload")
		}
		got := 100 * w.LB.Spread
		if e.Subject == "verified" {
			got = 100 * w.LB.Verified
		}
		return decided(fmt.Sprintf("%.3f%%", got), compareOp(e.Op, got, e.Value))
	}
	// limit
	if w == nil || w.RateLimit == nil {
		return undecided("no rate limit: limit applies to the ratelimit workload")
	}
	l := w.RateLimit
	got := 100 * l.Share
	return decided(fmt.Sprintf("%.2f%% (%.0f of %d x %d frames/s)", got, l.PassedPPS, l.LimitPPS, l.Sources), compareOp(e.Op, got, e.Value))
}

// judgeLatency judges a latency percentile: the median over trials of
// each trial's percentile.
func judgeLatency(e Expectation, res *results.Result) (string, string, bool) {
	var vals []float64
	for _, t := range res.Trials {
		if l := t.Latency; l != nil && l.Count > 0 {
			vals = append(vals, map[string]float64{"p50": l.P50Ns, "p90": l.P90Ns, "p99": l.P99Ns}[e.Subject])
		}
	}
	if len(vals) == 0 {
		return undecided("no latency measured: set traffic.latency and use tx or redirect")
	}
	got := results.Summarize(vals, "ns", "").Median
	return decided(fmt.Sprintf("%.1f us", got/1e3), compareOp(e.Op, got, e.Value))
}

// judgeShare judges an action's share of the frames offered to the
// built-in whose action it is (or, for a workload whose action depends on
// the frame, any action).
func judgeShare(e Expectation, res *results.Result) (string, string, bool) {
	if res.Program.Counted && res.Program.Expected != "" && res.Program.Expected != e.Subject {
		return "", "", false
	}
	if !res.Program.Counted {
		return undecided("a user's program has no xdplab counters to tell actions apart")
	}
	// The median over trials of each trial's share, as loss and latency
	// are judged: one trial a noisy host cut short does not decide.
	var shares []float64
	var surplus uint64
	for _, t := range res.Trials {
		act, sent := t.Raw.Program[e.Subject].Packets, t.Raw.Generator.Packets
		if sent == 0 {
			continue
		}
		if act > sent {
			// More than the generator sent: frames from elsewhere (the
			// stack's own) or counters read over different windows. A
			// share stays within 100%; a surplus beyond the counters'
			// agreement decides nothing.
			if float64(act-sent) > results.Agreement*float64(sent) {
				return undecided(fmt.Sprintf("the program counted %d %s frames of %d the generator sent in trial %d: the counters disagree (see the trials' flags)", act, e.Subject, sent, t.Index))
			}
			surplus += act - sent
			act = sent
		}
		shares = append(shares, 100*float64(act)/float64(sent))
	}
	if len(shares) == 0 {
		return undecided("the generator sent nothing: no share to judge")
	}
	got := results.Summarize(shares, "%", "").Median
	text := fmt.Sprintf("%.3f%% of offered", got)
	if len(shares) > 1 {
		text += fmt.Sprintf(" (median of %d trials, %.3f%% to %.3f%%)", len(shares), slices.Min(shares), slices.Max(shares))
	}
	if surplus > 0 {
		text += fmt.Sprintf(" (%d frames more than offered, not the generator's: flagged %s)", surplus, results.FlagSeenExceedsOffered)
	}
	return decided(text, compareOp(e.Op, got, e.Value))
}
