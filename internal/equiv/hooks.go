package equiv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results"
)

// hookNote says how a hook beside XDP is judged.
const hookNote = "at tc, a socket filter and a user-space reader (afpacket, afxdp) a frame's verdict is the hook's own count of its decision (decided): " +
	"after those hooks the stack receives the frame whatever was decided, so where it came out cannot tell; a frame sent back (tx at tc) is also seen where it came out, and its bytes compared"

// equivHook attaches program name at hook m and sends every frame,
// judging each by the decision the hook counted.
func (r *check) equivHook(ctx context.Context, w *traffic.Watch, name string, m xdpmode.Mode, frames []stream.NamedFrame) (_ *results.EquivMode, _ results.Program, _ []stream.NamedFrame, err error) {
	if err := r.pair.DUT.SetGRO(true); err != nil {
		return nil, results.Program{}, nil, err
	}
	h, err := r.b.AttachHook(name, m)
	if err != nil {
		return nil, results.Program{}, nil, err
	}
	defer func() { err = errors.Join(err, h.Close()) }()
	rp := h.Program()
	em := &results.EquivMode{Mode: m.String()}
	for _, f := range frames {
		if err := ctx.Err(); err != nil {
			return nil, rp, nil, err
		}
		v, err := r.sendDecided(w, h, m, f.Frame)
		if err != nil {
			return nil, rp, nil, fmt.Errorf("%s at %s, frame %q: %w", rp.Name, m.HookName(), f.Name, err)
		}
		em.Frames = append(em.Frames, v)
	}
	return em, rp, frames, nil
}

// sendDecided sends one frame and waits for the hook's decision (and, for
// tx, for the frame back at the generator).
func (r *check) sendDecided(w *traffic.Watch, h *runner.HookUnderTest, m xdpmode.Mode, frame []byte) (results.FrameVerdict, error) {
	if err := w.Drain(); err != nil {
		return results.FrameVerdict{}, err
	}
	st0, err := h.Decisions()
	if err != nil {
		return results.FrameVerdict{}, err
	}
	if err := traffic.SendFrames(r.pair.GenNS.Handle, r.pair.Gen.Ifindex, frame, 1); err != nil {
		return results.FrameVerdict{}, err
	}
	var decided *catalog.Action
	for deadline := time.Now().Add(equivWait); time.Now().Before(deadline) && decided == nil; {
		st, err := h.Decisions()
		if err != nil {
			return results.FrameVerdict{}, err
		}
		decided = changed(st0, st)
		if decided == nil {
			time.Sleep(time.Millisecond)
		}
	}
	wait := equivSettle
	if decided != nil && *decided == catalog.TX {
		wait = equivWait
	}
	arrivals, err := w.Wait(wait, equivSettle)
	if err != nil {
		return results.FrameVerdict{}, err
	}
	return classifyHook(m, arrivals, decided), nil
}

// classifyHook judges a frame at a hook beside XDP; a test replaces it to
// make one hook differ on purpose, and sees the finding reported.
var classifyHook = func(_ xdpmode.Mode, arrivals []traffic.Arrival, decided *catalog.Action) results.FrameVerdict {
	return classifyDecided(arrivals, decided)
}
