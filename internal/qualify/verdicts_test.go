package qualify

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/results/caps"
)

func TestCapabilityVerdict(t *testing.T) {
	for _, c := range []struct {
		row  offload.Row
		want results.Verdict
		in   string
	}{
		{offload.Row{Verdict: offload.VerdictMatch, Advertised: "yes", Detected: "yes"}, results.VerdictPass, "advertised yes, detected yes"},
		{offload.Row{Verdict: offload.VerdictMatch, Advertised: "no", Detected: "no"}, results.VerdictNotSupported, "advertised no"},
		{offload.Row{Verdict: offload.VerdictMismatch, Advertised: "no", Detected: "yes", Note: "works, but not advertised"}, results.VerdictWorksNotAdvertised, ": works, but not advertised"},
		{offload.Row{Verdict: offload.VerdictMismatch, Advertised: "yes", Detected: "no"}, results.VerdictAdvertisedFails, "detected no"},
		{offload.Row{Verdict: offload.VerdictUnverified, Advertised: "not-reported", Detected: "yes"}, results.VerdictPass, "no xdp-features"},
		{offload.Row{Verdict: offload.VerdictUnverified, Advertised: "not-reported", Detected: "no"}, results.VerdictNotSupported, "no xdp-features"},
		{offload.Row{Verdict: offload.VerdictUnverified, Advertised: "yes", Detected: "not-tested"}, results.VerdictNotRun, "detected not-tested"},
	} {
		v, d := capabilityVerdict(c.row, true)
		assert.Equal(t, c.want, v, "%+v", c.row)
		assert.Contains(t, d, c.in)
	}
	// A row the probe leaves to a functional check.
	row := offload.Row{ID: caps.CapRedirect, Capability: "a label decides nothing", Verdict: offload.VerdictUnverified, Advertised: "not-reported", Detected: offload.CheckNotTested}
	v, d := capabilityVerdict(row, true)
	assert.Equal(t, results.VerdictNotApplicable, v)
	assert.Contains(t, d, "the functional check XDP_REDIRECT tests it")
	v, _ = capabilityVerdict(row, false)
	assert.Equal(t, results.VerdictNotRun, v, "without the functional section it is not run")
	row.ID, row.Capability = caps.CapRxTimestamp, "XDP_REDIRECT (redirect)"
	v, _ = capabilityVerdict(row, true)
	assert.Equal(t, results.VerdictNotRun, v, "no functional check covers it")
	row.Advertised = "yes"
	v, _ = capabilityVerdict(row, true)
	assert.Equal(t, results.VerdictNotRun, v, "a claim left untested")
	row.Advertised = "no"
	v, d = capabilityVerdict(row, true)
	assert.Equal(t, results.VerdictNotApplicable, v, "not claimed, not testable")
	assert.Contains(t, d, "not advertised, and the probe cannot test it here")
}

func TestXSKVerdict(t *testing.T) {
	e := errors.New("EOPNOTSUPP")
	assert.Equal(t, results.VerdictPass, xskVerdict(false, false, nil, 10, 10))
	assert.Equal(t, results.VerdictFail, xskVerdict(false, false, nil, 9, 10))
	assert.Equal(t, results.VerdictFail, xskVerdict(false, true, e, 0, 10), "copy mode must open")
	assert.Equal(t, results.VerdictNotSupported, xskVerdict(true, false, e, 0, 10))
	assert.Equal(t, results.VerdictAdvertisedFails, xskVerdict(true, true, e, 0, 10))
	assert.Equal(t, results.VerdictWorksNotAdvertised, xskVerdict(true, false, nil, 10, 10))
	assert.Equal(t, results.VerdictPass, xskVerdict(true, true, nil, 10, 10))
	assert.Equal(t, results.VerdictFail, xskVerdict(true, true, nil, 11, 10))
}

func TestFragsVerdict(t *testing.T) {
	assert.Equal(t, results.VerdictPass, fragsVerdict(true, true, 10, 10, 8004, 8004))
	assert.Equal(t, results.VerdictPass, fragsVerdict(false, false, 10, 10, 8004, 8004), "generic mode needs no driver feature")
	assert.Equal(t, results.VerdictWorksNotAdvertised, fragsVerdict(true, false, 10, 10, 8004, 8004))
	assert.Equal(t, results.VerdictFail, fragsVerdict(true, true, 9, 10, 8004, 8004))
	assert.Equal(t, results.VerdictFail, fragsVerdict(true, true, 10, 10, 4096, 8004), "cut short")
	assert.Equal(t, results.VerdictFail, fragsVerdict(true, false, 10, 10, 4096, 8004))
}

func tput(goal string, rate float64, confirmed bool) *results.Throughput {
	return &results.Throughput{Goal: goal, RatePPS: rate, Confirmed: confirmed, Trials: 7}
}

func TestSearchVerdict(t *testing.T) {
	v, d := searchVerdict(&results.Result{NDR: tput("ndr", 4e6, true), PDR: tput("pdr", 5e6, true)})
	assert.Equal(t, results.VerdictPass, v)
	assert.Equal(t, "NDR 4.000 Mpps (confirmed, 7 trials), PDR 5.000 Mpps (confirmed, 7 trials)", d)
	v, d = searchVerdict(&results.Result{NDR: tput("ndr", 4e6, true), PDR: tput("pdr", 0, false)})
	assert.Equal(t, results.VerdictInconclusive, v)
	assert.Contains(t, d, "PDR not found in 7 trials")
	v, _ = searchVerdict(&results.Result{NDR: tput("ndr", 0, false), PDR: tput("pdr", 5e6, true)})
	assert.Equal(t, results.VerdictInconclusive, v)
	v, d = searchVerdict(&results.Result{})
	assert.Equal(t, results.VerdictFail, v)
	assert.Equal(t, "no search result", d)
	n := tput("ndr", 4e6, true)
	n.Note = "bounded"
	_, d = searchVerdict(&results.Result{NDR: n, PDR: tput("pdr", 5e6, true)})
	assert.Contains(t, d, "; bounded")
}

func TestThroughputVerdict(t *testing.T) {
	good := results.Result{Trials: []results.Trial{{}}, Summary: results.Summary{ThroughputPPS: results.Stat{Median: 1e6}}}
	v, flags := throughputVerdict(&good)
	assert.Equal(t, results.VerdictPass, v)
	assert.Empty(t, flags)
	withFlag := func(codes ...string) results.Result {
		r := good
		r.Trials = []results.Trial{{}}
		for _, c := range codes {
			r.Trials[0].Flags = append(r.Trials[0].Flags, results.Flag{Code: c})
		}
		return r
	}
	r := withFlag(results.FlagGeneratorShort)
	v, flags = throughputVerdict(&r)
	assert.Equal(t, results.VerdictInconclusive, v)
	assert.Equal(t, []string{results.FlagGeneratorShort}, flags)
	r = withFlag(results.FlagDUTSawNothing, results.FlagGeneratorShort)
	v, _ = throughputVerdict(&r)
	assert.Equal(t, results.VerdictFail, v)
	r = withFlag(results.FlagGeneratorShort, results.FlagDUTSawNothing)
	v, _ = throughputVerdict(&r)
	assert.Equal(t, results.VerdictFail, v, "fail wins whatever the order")
	r = withFlag(results.FlagGeneratorBound)
	v, _ = throughputVerdict(&r)
	assert.Equal(t, results.VerdictPass, v, "a flag that says nothing against the DUT")
	zero := good
	zero.Summary.ThroughputPPS.Median = 0
	v, _ = throughputVerdict(&zero)
	assert.Equal(t, results.VerdictFail, v)
	none := good
	none.Trials = nil
	v, _ = throughputVerdict(&none)
	assert.Equal(t, results.VerdictFail, v)
}

func TestSoakVerdict(t *testing.T) {
	ss := []results.Sample{{OfferedPPS: 100, ThroughputPPS: 100}, {OfferedPPS: 100, ThroughputPPS: 100}, {OfferedPPS: 100, ThroughputPPS: 100}, {OfferedPPS: 100, ThroughputPPS: 99.6}}
	v, first, last := soakVerdict(ss, 0.005)
	assert.Equal(t, results.VerdictPass, v)
	assert.Zero(t, first)
	assert.InDelta(t, 0.004, last, 1e-9)
	ss[3].ThroughputPPS = 99.4
	v, _, last = soakVerdict(ss, 0.005)
	assert.Equal(t, results.VerdictFail, v, "loss grew by 0.6%%")
	assert.InDelta(t, 0.006, last, 1e-9)
	ss[0].ThroughputPPS = 99.8
	v, _, _ = soakVerdict(ss, 0.005)
	assert.Equal(t, results.VerdictPass, v, "grew by 0.4%% from 0.2%%")
	v, _, _ = soakVerdict(nil, 0.005)
	assert.Equal(t, results.VerdictInconclusive, v)
	silent := []results.Sample{{}, {}, {}, {}}
	v, _, _ = soakVerdict(silent, 0.005)
	assert.Equal(t, results.VerdictInconclusive, v, "nothing offered decides nothing")
	one := []results.Sample{{OfferedPPS: 100, ThroughputPPS: 90}}
	v, first, last = soakVerdict(one, 0.005)
	assert.Equal(t, results.VerdictPass, v)
	assert.InDelta(t, 0.1, first, 1e-9)
	assert.InDelta(t, 0.1, last, 1e-9)
	more := []results.Sample{{OfferedPPS: 100, ThroughputPPS: 110}}
	l, ok := soakLoss(more)
	assert.True(t, ok)
	assert.Zero(t, l, "never below zero")
}

func TestCountersVerdict(t *testing.T) {
	ok := []results.Sample{{OfferedPPS: 1e6, ThroughputPPS: 1e6}}
	v, bad := countersVerdict(ok, nil)
	assert.Equal(t, results.VerdictPass, v)
	assert.Zero(t, bad)
	v, bad = countersVerdict([]results.Sample{{OfferedPPS: 1e6, ThroughputPPS: -1}}, nil)
	assert.Equal(t, results.VerdictFail, v)
	assert.Equal(t, 1, bad)
	v, _ = countersVerdict([]results.Sample{{OfferedPPS: 1e6, ThroughputPPS: 3e6 + 1}}, nil)
	assert.Equal(t, results.VerdictFail, v, "a rate from nowhere")
	v, _ = countersVerdict([]results.Sample{{OfferedPPS: 1e6, ThroughputPPS: 3e6}}, nil)
	assert.Equal(t, results.VerdictPass, v)
	v, _ = countersVerdict(ok, []results.Flag{{Code: results.FlagCountersDisagree}})
	assert.Equal(t, results.VerdictFail, v)
	v, _ = countersVerdict(ok, []results.Flag{{Code: results.FlagGeneratorBound}})
	assert.Equal(t, results.VerdictPass, v)
	v, _ = countersVerdict(nil, nil)
	assert.Equal(t, results.VerdictInconclusive, v)
}

func TestNewWarnings(t *testing.T) {
	before := []string{"WARNING: old one", "eth0 up"}
	after := append(before, "[  9.1] WARNING: CPU: 1 PID: 2 at net/core/xdp.c", "veth up", " Call Trace: ", "BUG: x", "Oops: 0002", "general protection fault")
	assert.Equal(t, []string{"[  9.1] WARNING: CPU: 1 PID: 2 at net/core/xdp.c", "Call Trace:", "BUG: x", "Oops: 0002", "general protection fault"}, newWarnings(before, after))
	assert.Empty(t, newWarnings(before, before))
}

func TestFinish(t *testing.T) {
	q := func(vs ...results.Verdict) *results.Qualification {
		r := &results.Qualification{}
		for _, v := range vs {
			r.Checks = append(r.Checks, results.QualifyCheck{Name: string(v), Verdict: v})
		}
		r.Finish()
		return r
	}
	assert.Equal(t, results.VerdictPass, q(results.VerdictPass, results.VerdictNotSupported, results.VerdictNotApplicable).Verdict)
	assert.Equal(t, results.VerdictPass, q(results.VerdictWorksNotAdvertised).Verdict)
	assert.Equal(t, results.VerdictFail, q(results.VerdictPass, results.VerdictFail).Verdict)
	assert.Equal(t, results.VerdictFail, q(results.VerdictPass, results.VerdictAdvertisedFails).Verdict)
	assert.Equal(t, results.VerdictFail, q(results.VerdictNotRun, results.VerdictFail).Verdict, "a failure is a failure")
	assert.Equal(t, results.VerdictInconclusive, q(results.VerdictPass, results.VerdictNotRun).Verdict)
	assert.Equal(t, results.VerdictInconclusive, q(results.VerdictPass, results.VerdictInconclusive).Verdict)
	assert.Equal(t, results.VerdictInconclusive, q().Verdict, "no checks")
	assert.Equal(t, results.VerdictInconclusive, q(results.VerdictNotApplicable, results.VerdictNotSupported).Verdict, "nothing passed")
	assert.Equal(t, results.VerdictFail, q(results.VerdictPass, "maybe").Verdict, "an unknown verdict")
	r := q(results.VerdictPass, results.VerdictNotRun, results.VerdictInconclusive, results.VerdictPass)
	assert.Equal(t, map[results.Verdict]int{"pass": 2, "not-run": 1, "inconclusive": 1}, r.Counts)
	assert.Len(t, r.Undecided(), 2)
	assert.Empty(t, r.Failed())
}

// Where frames came out decides an action check: each action has its own
// place, and a frame anywhere else (or short of n) fails it.
func TestActionOutcome(t *testing.T) {
	f := make([]byte, 128)
	for i := range f {
		f[i] = byte(i)
	}
	payload := f[14+20+8:]
	two := [][]byte{payload, payload}
	for _, c := range []struct {
		act            catalog.Action
		got, delivered [][]byte
		aborted        uint64
		ok             bool
		where          string
	}{
		{catalog.Drop, nil, nil, 0, true, "0 reached the DUT's stack"},
		{catalog.Drop, nil, two[:1], 0, false, "1 reached the DUT's stack"},
		{catalog.Pass, nil, two, 0, true, "2 of 2 reached a UDP socket"},
		{catalog.Pass, nil, [][]byte{payload, f[:10]}, 0, false, "1 of 2 reached"},
		{catalog.TX, two, nil, 0, true, "2 of 2 came back"},
		{catalog.TX, two[:1], nil, 0, false, "1 of 2 came back"},
		{catalog.Redirect, two, nil, 0, true, "2 of 2 arrived intact"},
		{catalog.Redirect, nil, nil, 0, false, "0 of 2 arrived"},
		{catalog.Aborted, nil, nil, 2, true, "fired 2 times"},
		{catalog.Aborted, nil, nil, 1, false, "fired 1 times"},
	} {
		where, ok := actionOutcome(c.act, f, c.got, c.delivered, c.aborted, 2)
		assert.Equal(t, c.ok, ok, "%s %s", c.act, where)
		assert.Contains(t, where, c.where)
	}
	var counts [catalog.QualifyOther + 1]uint64
	counts[catalog.TX], counts[catalog.Drop], counts[catalog.QualifyOther] = 7, 2, 1
	assert.Equal(t, "the program returned XDP_TX for 7 of 10 frames, an unknown action (9) for 1, drop for 2",
		returnedText(counts, catalog.TX, "XDP_TX", 9, 10))
}
