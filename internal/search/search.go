// Package search finds the RFC 2544 throughput of a device: the highest
// offered rate with no loss (NDR) and with loss at most a ratio (PDR), by
// bisection over short paced trials, each answer confirmed by a trial of
// full length, in the spirit of FD.io CSIT's MLRsearch. It decides only:
// the trials themselves are a function it is given, so it needs no
// privileges and its decisions are tested on synthetic devices.
//
// An answer is a rate a trial really offered and confirmed, never more
// than the generator offered and never a bound the search only asked
// for: a search that confirms nothing within its trials says "not found"
// and lists them.
package search

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xdplab/xdplab/results"
)

// Options configure the search.
type Options struct {
	PDRLoss   float64       // the partial drop rate's loss ratio (0.005)
	Short     time.Duration // the search's trials (1s)
	Confirm   time.Duration // the confirming trial (the run's trial length)
	Precision float64       // stop when the bounds are this close, relative (0.01)
	MaxTrials int           // per goal, confirmations included (16)
}

// Defaults are what --search uses, but for Confirm.
func Defaults() Options {
	return Options{PDRLoss: 0.005, Short: time.Second, Precision: 0.01, MaxTrials: 16}
}

// Validate checks the options.
func (o Options) Validate() error {
	// (if-chains rather than a switch here and below: gremlins counts a
	// case expression as covered by no test.)
	if !(o.PDRLoss > 0 && o.PDRLoss < 1) {
		return fmt.Errorf("search: PDR loss %g: use a ratio between 0 and 1", o.PDRLoss)
	}
	if o.Short <= 0 || o.Confirm <= 0 {
		return errors.New("search: trial lengths must be positive")
	}
	if !(o.Precision > 0 && o.Precision < 0.5) {
		return fmt.Errorf("search: precision %g: use a ratio between 0 and 0.5", o.Precision)
	}
	if o.MaxTrials < 2 {
		return fmt.Errorf("search: %d trials: at least 2 (a search trial and a confirmation)", o.MaxTrials)
	}
	return nil
}

// Outcome is what one paced trial showed.
type Outcome struct {
	Loss    float64 // ratio of the offered frames lost
	Offered float64 // frames/s the generator really offered
	Short   bool    // it offered more than 2% below the rate asked for
}

// Trial runs one paced trial at rate frames/s for d. It returns an error
// for a trial that measured nothing (the generator sent nothing, the DUT
// saw nothing): its loss must not count as a pass.
type Trial func(rate uint64, d time.Duration, label string) (Outcome, error)

// Find searches one goal: the highest rate whose loss stays within limit,
// between 0 and max (the rate the generator reached unpaced).
func Find(goal string, limit, max float64, o Options, try Trial) (*results.Throughput, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if !(max > 0) {
		return nil, fmt.Errorf("search %s: no unpaced maximum to search below (%g frames/s)", goal, max)
	}
	tp := &results.Throughput{Goal: goal, MaxLoss: limit, Unit: "frames/s",
		Source: fmt.Sprintf("binary search over paced trials of %s between 0 and the unpaced maximum %.0f frames/s, "+
			"on the rates the generator offered, confirmed by a trial of %s", o.Short, max, o.Confirm)}
	lo, hi := 0.0, max
	rate := max
	bound := false // the generator could not offer a rate asked for
	step := 2 * o.Precision
	run := func(rate float64, d time.Duration, confirm bool) (Outcome, error) {
		kind := "at"
		if confirm {
			kind = "confirm"
		}
		out, err := try(uint64(rate), d, fmt.Sprintf("%s %s %.0f/s", goal, kind, rate))
		tp.Trials++
		if err != nil {
			return out, err
		}
		tp.Steps = append(tp.Steps, results.SearchStep{RatePPS: rate, OfferedPPS: out.Offered, Loss: out.Loss,
			DurationS: d.Seconds(), Confirm: confirm, Within: out.Loss <= limit, Short: out.Short})
		return out, nil
	}
	// confirmNext: a confirmation failed, so the short trials were too
	// kind near it: confirm the stepped-down rate directly.
	confirmNext := false
	for tp.Trials < o.MaxTrials {
		if (hi-lo <= o.Precision*hi || confirmNext) && lo > 0 {
			// Confirm lo with a full-length trial.
			p, err := run(lo, o.Confirm, true)
			if err != nil {
				return nil, err
			}
			if p.Loss <= limit {
				tp.RatePPS, tp.Loss, tp.Confirmed = min(lo, p.Offered), p.Loss, true
				bound = bound || p.Short
				break
			}
			// The short trials were too kind: step down, twice as far
			// each time, so that sporadic loss near the top cannot use up
			// the trials.
			hi, lo = lo, lo*(1-step)
			step = min(2*step, 0.5)
			confirmNext = true
			continue
		}
		p, err := run(rate, o.Short, false)
		if err != nil {
			return nil, err
		}
		if p.Loss <= limit {
			lo = rate
		} else {
			hi = rate
		}
		rate = (lo + hi) / 2
	}
	if !tp.Confirmed {
		tp.RatePPS, tp.Loss = 0, 0
		tp.Note = fmt.Sprintf("not found: no rate was confirmed within %d trials (%s)", o.MaxTrials, tp.StepsString())
	} else if bound || tp.RatePPS >= 0.98*max {
		tp.Note = "at the highest rate the generator offered: the generator, not the DUT, bounds it"
	}
	return tp, nil
}

// NDRPDR finds both goals. No loss meets any loss limit: a confirmed NDR
// is a confirmed PDR too, so the PDR is never below it (each search's own
// trials vary with how fast the paced generator runs).
func NDRPDR(max float64, o Options, try Trial) (ndr, pdr *results.Throughput, err error) {
	if ndr, err = Find("ndr", 0, max, o, try); err != nil {
		return nil, nil, err
	}
	if pdr, err = Find("pdr", o.PDRLoss, max, o, try); err != nil {
		return nil, nil, err
	}
	if ndr.Confirmed && (!pdr.Confirmed || ndr.RatePPS > pdr.RatePPS) {
		note := pdr.Note
		if !pdr.Confirmed {
			note = "" // its "not found" no longer holds
		}
		pdr.RatePPS, pdr.Loss, pdr.Confirmed = ndr.RatePPS, ndr.Loss, true
		pdr.Note = strings.TrimPrefix(note+"; the NDR's confirming trial, with no loss, meets the PDR too", "; ")
	}
	return ndr, pdr, nil
}
