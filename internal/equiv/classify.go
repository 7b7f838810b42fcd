package equiv

import (
	"fmt"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/results"
)

// classify decides a frame's verdict from where it came out and the
// exceptions it raised: the DUT's stack first (a passed frame may draw a
// reply from it to the generator), then the generator's veth, then the
// others; nowhere is a drop unless an exception says why.
func classify(arrivals []traffic.Arrival, exc [bpf.NumExceptionSlots]uint64, countable bool, counted *catalog.Action) results.FrameVerdict {
	var v results.FrameVerdict
	if counted != nil {
		v.Counted = counted.String()
	} else if countable {
		// A program of xdplab's counts every frame it runs on: this
		// frame never reached it.
		v.Counted = results.CountedNone
		v.Note = "xdplab's stats map counted no action: the program did not run on this frame"
	}
	for _, where := range []struct{ at, verdict string }{{"dut", results.FramePass}, {"gen", results.FrameTX}, {"sink", results.FrameRedirect}, {"lo", results.FrameRedirect}} {
		for _, a := range arrivals {
			if a.Where == where.at {
				v.Verdict, v.Where, v.Out = where.verdict, a.Where, a.Frame
				return v
			}
		}
	}
	if exc[catalog.Aborted] > 0 {
		v.Verdict = results.FrameAborted
	} else if exc[catalog.TX] > 0 {
		v.Verdict = results.FrameTXFailed
	} else if exc[catalog.Redirect] > 0 {
		v.Verdict = results.FrameRedirectFailed
	} else {
		v.Verdict = results.FrameDrop
	}
	if counted != nil && (*counted == catalog.TX || *counted == catalog.Redirect || *counted == catalog.Pass) && v.Verdict == results.FrameDrop {
		v.Note = fmt.Sprintf("counted %s, but it came out nowhere xdplab watches and raised no exception", counted)
	}
	return v
}

// changed is the action whose count grew, nil where none did.
func changed(before, after bpf.Stats) *catalog.Action {
	for a := range after {
		if after[a].Packets > before[a].Packets {
			act := catalog.Action(a)
			return &act
		}
	}
	return nil
}

// classifyDecided is a frame's verdict at a hook beside XDP: its decision,
// and for tx where it came out.
func classifyDecided(arrivals []traffic.Arrival, decided *catalog.Action) results.FrameVerdict {
	v := results.FrameVerdict{Decided: true}
	if decided == nil {
		v.Verdict, v.Counted = results.FrameDrop, results.CountedNone
		v.Note = "the hook counted no decision: it never saw this frame"
		return v
	}
	v.Counted = decided.String()
	switch *decided {
	case catalog.Pass:
		v.Verdict = results.FramePass
	case catalog.Aborted:
		v.Verdict = results.FrameAborted
	case catalog.TX:
		v.Verdict = results.FrameTXFailed
		for _, a := range arrivals {
			if a.Where == "gen" {
				v.Verdict, v.Where, v.Out = results.FrameTX, a.Where, a.Frame
				break
			}
		}
	default:
		v.Verdict = results.FrameDrop
	}
	return v
}
