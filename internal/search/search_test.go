package search

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// device is a synthetic DUT: no loss up to capacity, then the excess is
// lost (plus lossy, a band above capacity where loss is small); the
// generator reaches at most gen frames/s.
type device struct {
	capacity, gen float64
	band, small   float64 // loss small up to capacity*(1+band)
	shortKind     float64 // short trials lose nothing up to capacity*(1+shortKind)
	confirmFails  bool    // every confirming trial loses frames
	calls         []time.Duration
	failAt        int // the n-th trial errs (1-based; 0: never)
}

func (d *device) trial(rate uint64, dur time.Duration, label string) (Outcome, error) {
	d.calls = append(d.calls, dur)
	if d.failAt > 0 && len(d.calls) == d.failAt {
		return Outcome{}, errors.New("the generator sent nothing")
	}
	off := float64(rate)
	short := false
	if d.gen > 0 && off > d.gen {
		off, short = d.gen, true
	}
	limit := d.capacity
	if d.shortKind > 0 && strings.Contains(label, " at ") {
		limit = d.capacity * (1 + d.shortKind)
	}
	confirm := strings.Contains(label, "confirm")
	switch {
	case confirm && d.confirmFails:
		return Outcome{Loss: 0.5, Offered: off, Short: short}, nil
	case off <= limit:
		return Outcome{Loss: 0, Offered: off, Short: short}, nil
	case off <= d.capacity*(1+d.band):
		return Outcome{Loss: d.small, Offered: off, Short: short}, nil
	}
	return Outcome{Loss: (off - limit) / off, Offered: off, Short: short}, nil
}

func opts() Options {
	o := Defaults()
	o.Confirm = 5 * time.Second
	return o
}

func TestFindConverges(t *testing.T) {
	for _, c := range []float64{1e5, 2.5e6, 7.77e6, 9.7e6} {
		d := &device{capacity: c}
		tp, err := Find("ndr", 0, 1e7, opts(), d.trial)
		require.NoError(t, err)
		assert.True(t, tp.Confirmed, "%g", c)
		assert.LessOrEqual(t, tp.RatePPS, c, "never above what the device takes")
		assert.GreaterOrEqual(t, tp.RatePPS, c*(1-2*opts().Precision), "within the precision of %g", c)
		assert.LessOrEqual(t, tp.Trials, opts().MaxTrials)
		assert.Equal(t, len(d.calls), tp.Trials)
		assert.Len(t, tp.Steps, tp.Trials)
		last := tp.Steps[len(tp.Steps)-1]
		assert.True(t, last.Confirm && last.Within)
		assert.Equal(t, 5*time.Second, d.calls[len(d.calls)-1], "the confirming trial is full length")
		for _, dur := range d.calls[:len(d.calls)-1] {
			assert.Equal(t, time.Second, dur, "search trials are short")
		}
		assert.Empty(t, tp.Note, "%g: %s", c, tp.Note)
	}
}

// The answer is the rate the generator really offered, and a search the
// generator bounds says so.
func TestFindGeneratorBound(t *testing.T) {
	d := &device{capacity: 9e6, gen: 5e6}
	tp, err := Find("ndr", 0, 1e7, opts(), d.trial)
	require.NoError(t, err)
	require.True(t, tp.Confirmed)
	assert.LessOrEqual(t, tp.RatePPS, 5e6)
	assert.Contains(t, tp.Note, "the generator, not the DUT, bounds it")
	// At the unpaced maximum itself.
	d = &device{capacity: 2e7}
	tp, err = Find("ndr", 0, 1e7, opts(), d.trial)
	require.NoError(t, err)
	assert.True(t, tp.Confirmed)
	assert.LessOrEqual(t, tp.RatePPS, 1e7)
	assert.Contains(t, tp.Note, "bounds it")
}

// Short trials that are too kind: the confirmation fails, the search steps
// down twice as far each time and still ends at or below the capacity.
func TestFindStepsDown(t *testing.T) {
	d := &device{capacity: 5e6, shortKind: 0.1}
	tp, err := Find("ndr", 0, 1e7, opts(), d.trial)
	require.NoError(t, err)
	require.True(t, tp.Confirmed, tp.StepsString())
	assert.LessOrEqual(t, tp.RatePPS, 5e6)
	var failed []float64
	for _, s := range tp.Steps {
		if s.Confirm && !s.Within {
			failed = append(failed, s.RatePPS)
		}
	}
	require.Len(t, failed, 3, "confirmations failed above the capacity: %s", tp.StepsString())
	// Each failed confirmation steps down further than the last:
	// (1-2p), then (1-4p), then (1-8p) of the rate before, confirmed
	// directly, with no short trial between.
	assert.InDelta(t, failed[0]*(1-0.02), failed[1], failed[0]*0.0001)
	assert.InDelta(t, failed[1]*(1-0.04), failed[2], failed[1]*0.0001)
	assert.InDelta(t, failed[2]*(1-0.08), tp.RatePPS, failed[2]*0.0001)
	n := len(tp.Steps)
	for _, s := range tp.Steps[n-4:] {
		assert.True(t, s.Confirm, "after a failed confirmation the next trial confirms: %s", tp.StepsString())
	}
}

// A search that confirms nothing within its trials reports no rate at all.
func TestFindNotFound(t *testing.T) {
	d := &device{capacity: 5e6, confirmFails: true}
	o := opts()
	o.MaxTrials = 10
	tp, err := Find("pdr", 0.005, 1e7, o, d.trial)
	require.NoError(t, err)
	assert.False(t, tp.Confirmed)
	assert.Zero(t, tp.RatePPS, "not the lower bound it asked for")
	assert.Equal(t, 10, tp.Trials, "the cap")
	assert.Len(t, tp.Steps, 10)
	assert.Contains(t, tp.Note, "not found: no rate was confirmed within 10 trials")
	assert.Contains(t, tp.Note, "confirm")
	_, ok := tp.Found()
	assert.False(t, ok)
}

func TestFindErrors(t *testing.T) {
	d := &device{capacity: 5e6, failAt: 3}
	_, err := Find("ndr", 0, 1e7, opts(), d.trial)
	assert.ErrorContains(t, err, "sent nothing")
	_, err = Find("ndr", 0, 0, opts(), (&device{capacity: 1}).trial)
	assert.ErrorContains(t, err, "no unpaced maximum")
	for _, mod := range []func(*Options){
		func(o *Options) { o.PDRLoss = 0 }, func(o *Options) { o.PDRLoss = 1 },
		func(o *Options) { o.Short = 0 }, func(o *Options) { o.Confirm = 0 },
		func(o *Options) { o.Precision = 0 }, func(o *Options) { o.Precision = 0.5 },
		func(o *Options) { o.MaxTrials = 1 },
	} {
		o := opts()
		mod(&o)
		assert.Error(t, o.Validate())
		_, err := Find("ndr", 0, 1e7, o, (&device{capacity: 1}).trial)
		assert.Error(t, err)
	}
	assert.NoError(t, opts().Validate())
	o := opts()
	o.MaxTrials = 2
	assert.NoError(t, o.Validate())
}

// NDR and PDR each find their own goal; the PDR is never below a
// confirmed NDR.
func TestNDRPDR(t *testing.T) {
	// Up to 10% above capacity the device loses 0.3%: within the PDR's
	// 0.5%, not within the NDR's 0.
	d := &device{capacity: 5e6, band: 0.1, small: 0.003}
	ndr, pdr, err := NDRPDR(1e7, opts(), d.trial)
	require.NoError(t, err)
	require.True(t, ndr.Confirmed && pdr.Confirmed)
	assert.Equal(t, "ndr", ndr.Goal)
	assert.Equal(t, "pdr", pdr.Goal)
	assert.Zero(t, ndr.MaxLoss)
	assert.Equal(t, 0.005, pdr.MaxLoss)
	assert.LessOrEqual(t, ndr.RatePPS, 5e6)
	assert.Greater(t, pdr.RatePPS, 5.2e6, "the PDR finds the lossy band")
	assert.LessOrEqual(t, pdr.RatePPS, 5.5e6)
	// A PDR search that confirms nothing takes the NDR's confirmation.
	calls := 0
	ndrOnly := func(rate uint64, dur time.Duration, label string) (Outcome, error) {
		calls++
		if strings.HasPrefix(label, "pdr") && strings.Contains(label, "confirm") {
			return Outcome{Loss: 0.5, Offered: float64(rate)}, nil
		}
		return (&device{capacity: 5e6}).trial(rate, dur, label)
	}
	ndr, pdr, err = NDRPDR(1e7, opts(), ndrOnly)
	require.NoError(t, err)
	require.True(t, ndr.Confirmed)
	assert.True(t, pdr.Confirmed)
	assert.Equal(t, ndr.RatePPS, pdr.RatePPS)
	assert.Contains(t, pdr.Note, "the NDR's confirming trial")
	assert.NotContains(t, pdr.Note, "not found")
	// The same rate for both: the PDR keeps its own confirmation.
	same := func(rate uint64, dur time.Duration, label string) (Outcome, error) {
		return (&device{capacity: 5e6}).trial(rate, dur, label)
	}
	ndr, pdr, err = NDRPDR(1e7, opts(), same)
	require.NoError(t, err)
	assert.Equal(t, ndr.RatePPS, pdr.RatePPS)
	assert.Empty(t, pdr.Note)
	// Neither confirmed: neither found.
	d = &device{capacity: 5e6, confirmFails: true}
	ndr, pdr, err = NDRPDR(1e7, opts(), d.trial)
	require.NoError(t, err)
	assert.False(t, ndr.Confirmed || pdr.Confirmed)
	assert.Zero(t, ndr.RatePPS+pdr.RatePPS)
	_, _, err = NDRPDR(1e7, opts(), (&device{capacity: 5e6, failAt: 1}).trial)
	assert.Error(t, err)
}
