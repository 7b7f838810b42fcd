package stream

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MixEntry is one frame size of a mix and its weight.
type MixEntry struct {
	Size   int // with FCS
	Weight int
}

// Mix is a weighted set of frame sizes (IMIX).
type Mix []MixEntry

// SimpleIMIX is the common "simple IMIX": 7:4:1 of 64, 570 and 1518 bytes.
var SimpleIMIX = Mix{{64, 7}, {570, 4}, {1518, 1}}

// MaxMixSlots bounds the sum of a mix's weights: the generator program
// cycles through one slot per frame.
const MaxMixSlots = 64

// ParseMix reads a mix: "imix" (SimpleIMIX) or size:weight pairs such as
// "64:7,570:4,1518:1".
func ParseMix(s string) (Mix, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "imix") || strings.EqualFold(t, "simple") {
		return slices.Clone(SimpleIMIX), nil
	}
	var m Mix
	for _, part := range strings.Split(t, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), ":")
		size, err1 := strconv.Atoi(strings.TrimSpace(a))
		w, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("mix %q: write imix, or size:weight pairs such as 64:7,570:4,1518:1", s)
		}
		m = append(m, MixEntry{Size: size, Weight: w})
	}
	return m, nil
}

func (m Mix) String() string {
	var parts []string
	for _, e := range m {
		parts = append(parts, fmt.Sprintf("%d:%d", e.Size, e.Weight))
	}
	return strings.Join(parts, ",")
}

// Validate checks the mix against the frames of spec.
func (m Mix) Validate(spec FrameSpec) error {
	if len(m) == 0 {
		return errors.New("mix: no sizes")
	}
	total := 0
	seen := map[int]bool{}
	for _, e := range m {
		if lo, hi := spec.MinSize(), spec.MaxSize(); e.Size < lo || e.Size > hi {
			return fmt.Errorf("mix %s: size %d out of range: %s needs %d to %d bytes (with FCS)", m, e.Size, spec.Describe(), lo, hi)
		}
		if e.Weight < 1 {
			return fmt.Errorf("mix %s: weight %d of size %d: weights are whole numbers from 1", m, e.Weight, e.Size)
		}
		if seen[e.Size] {
			return fmt.Errorf("mix %s: size %d named twice", m, e.Size)
		}
		seen[e.Size] = true
		total += e.Weight
	}
	if total > MaxMixSlots {
		return fmt.Errorf("mix %s: weights add up to %d, at most %d (reduce them, keeping the ratio)", m, total, MaxMixSlots)
	}
	return nil
}

// Schedule is the order frames go out in, one size (with FCS) per frame,
// one cycle long (the sum of the weights): a smooth weighted round robin,
// so that 7:4:1 interleaves instead of sending seven small frames in a row.
func (m Mix) Schedule() []int {
	cur := make([]int, len(m))
	total := 0
	for _, e := range m {
		total += e.Weight
	}
	var out []int
	for range total {
		best := 0
		for i, e := range m {
			cur[i] += e.Weight
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, m[best].Size)
	}
	return out
}

// MeanSize is the mean frame size (with FCS) of one cycle.
func (m Mix) MeanSize() float64 {
	var sum, n float64
	for _, e := range m {
		sum += float64(e.Size * e.Weight)
		n += float64(e.Weight)
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

// Largest is the largest size of the mix.
func (m Mix) Largest() int {
	l := 0
	for _, e := range m {
		l = max(l, e.Size)
	}
	return l
}

// MaxMalformedPPM is the highest share of malformed frames: all of them.
const MaxMalformedPPM = 1_000_000

// The malformed kinds, in the order they go out.
var malformedKinds = []string{
	"L4 header cut short (4 bytes of it)",
	"IP length claims 64 bytes more than the frame holds",
	"IP header cut short (10 bytes of it)",
}

// MalformedKinds returns a copy of malformedKinds, which no importer can change.
func MalformedKinds() []string { return slices.Clone(malformedKinds) }
