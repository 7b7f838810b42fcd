package stream

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

const wrongLen = 64

// ShapeOptions say how the frames of a stream vary.
type ShapeOptions struct {
	// Frame is the stream's frame; with a Mix its Size is ignored.
	Frame FrameSpec
	Mix   Mix
	Flows int
	// Sources spreads the flows over this many source addresses (0: as
	// few as the ports allow).
	Sources int
	// MalformedPPM is the share of malformed frames, per million.
	MalformedPPM uint32
}

// Shaper makes a stream's frames one after another, as the generator
// program does in the kernel: the next flow, the next size of the mix,
// the send time, and now and then a malformed frame. Every frame is made
// from the template (the largest size, flow 0), so a frame never depends
// on the one before.
type Shaper struct {
	o        ShapeOptions
	lay      Layout
	tmpl     []byte
	flows    Flows
	sched    []int // bytes without FCS
	ipCheck  uint16
	l4Check  uint16
	buf      []byte
	slot     int
	flow     uint32
	step     uint32
	acc      uint32
	kind     int
	bad      atomic.Uint64
	plain    bool
	stampNow func() uint64
}

// NewShaper checks the options and builds the template.
func NewShaper(o ShapeOptions) (*Shaper, error) {
	spec := o.Frame
	if len(o.Mix) > 0 {
		if err := o.Mix.Validate(spec); err != nil {
			return nil, err
		}
		spec.Size = o.Mix.Largest()
	}
	if o.MalformedPPM > MaxMalformedPPM {
		return nil, fmt.Errorf("malformed share %d ppm out of range: at most all frames", o.MalformedPPM)
	}
	tmpl, err := Build(spec)
	if err != nil {
		return nil, err
	}
	flows, err := NewFlowsOver(max(o.Flows, 1), o.Sources, spec)
	if err != nil {
		return nil, err
	}
	s := &Shaper{o: o, lay: spec.Layout(), tmpl: tmpl, flows: flows, buf: make([]byte, len(tmpl)), step: 1}
	s.o.Frame = spec
	for _, size := range o.Mix.Schedule() {
		s.sched = append(s.sched, size-FCSLen)
	}
	be := binary.BigEndian
	if !s.lay.IPv6 {
		s.ipCheck = be.Uint16(tmpl[s.lay.L3+10:])
	}
	s.l4Check = be.Uint16(tmpl[s.lay.L4+s.lay.CheckOff:])
	s.plain = flows.N == 1 && len(s.sched) == 0 && o.MalformedPPM == 0 && !spec.Stamp
	s.stampNow = monotonicNs
	return s, nil
}

// Template is the largest frame of the stream, flow 0.
func (s *Shaper) Template() []byte { return s.tmpl }

// Layout is where the stream's fields are.
func (s *Shaper) Layout() Layout { return s.lay }

// Flows is the stream's flow layout.
func (s *Shaper) Flows() Flows { return s.flows }

// Share makes this shaper send flows start, start+step, ... (one of step
// threads).
func (s *Shaper) Share(start, step uint32) {
	s.flow, s.step = start%s.flows.N, max(step, 1)
}

// Malformed counts the malformed frames made so far.
func (s *Shaper) Malformed() uint64 { return s.bad.Load() }

func monotonicNs() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// Next makes the next frame; it stays valid until the next call.
func (s *Shaper) Next() []byte {
	if s.plain {
		return s.tmpl
	}
	return s.next(s.stampNow)
}

// NextAt is Next with the send time given (a stream with Stamp): what the
// generator program makes at that time.
func (s *Shaper) NextAt(now uint64) []byte {
	return s.next(func() uint64 { return now })
}

// advance steps the stream to its next frame: its size (the mix's next
// slot), its flow, and which malformed kind it is (-1: well formed).
func (s *Shaper) advance() (size int, flow uint32, bad int) {
	size = len(s.tmpl)
	if len(s.sched) > 0 {
		size = s.sched[s.slot]
		s.slot = (s.slot + 1) % len(s.sched)
	}
	if s.flows.N > 1 {
		flow = s.flow
		s.flow = (s.flow + s.step) % s.flows.N
	}
	bad = -1
	if s.o.MalformedPPM > 0 {
		s.acc += s.o.MalformedPPM
		if s.acc >= MaxMalformedPPM {
			s.acc -= MaxMalformedPPM
			bad = s.kind
			s.kind = (s.kind + 1) % len(malformedKinds)
			s.bad.Add(1)
		}
	}
	return size, flow, bad
}

func (s *Shaper) next(now func() uint64) []byte {
	l, be := s.lay, binary.BigEndian
	size, flow, bad := s.advance()
	b := s.buf[:size]
	copy(b, s.tmpl[:size])
	port := s.flows.SportBase + uint16(flow%s.flows.PortsPerAddr)
	addr := s.flows.SaddrLoBase + uint16(flow/s.flows.PortsPerAddr)
	tl4 := uint16(len(s.tmpl) - l.L4)
	l4len := uint16(size - l.L4)
	if l.IPv6 {
		plen := l4len
		if bad == 1 {
			plen += wrongLen
		}
		be.PutUint16(b[l.L3+8+14:], addr)
		be.PutUint16(b[l.L3+4:], plen)
	} else {
		tot := uint16(size - l.L3)
		if bad == 1 {
			tot += wrongLen
		}
		c := csumReplace2(s.ipCheck, uint16(len(s.tmpl)-l.L3), tot)
		c = csumReplace2(c, s.flows.SaddrLoBase, addr)
		be.PutUint16(b[l.L3+12+2:], addr)
		be.PutUint16(b[l.L3+2:], tot)
		be.PutUint16(b[l.L3+10:], c)
	}
	be.PutUint16(b[l.L4+l.PortOff:], port)
	if l.UDPLen {
		be.PutUint16(b[l.L4+4:], l4len)
	}
	ts := l.L4 + l.L4Hdr + 8
	if s.o.Frame.Stamp {
		binary.NativeEndian.PutUint64(b[ts:], now())
	}
	if l.L4Checksum {
		c := s.l4Check
		if l.Pseudo {
			c = csumReplace2(c, s.flows.SaddrLoBase, addr)
			c = csumReplace2(c, tl4, l4len)
		}
		if l.UDPLen {
			c = csumReplace2(c, tl4, l4len)
		}
		c = csumReplace2(c, s.flows.SportBase, port)
		if s.o.Frame.Stamp {
			for i := range 4 {
				c = csumReplace2(c, 0, be.Uint16(b[ts+2*i:]))
			}
		}
		if c == 0 && l.IPProto == 17 {
			c = 0xffff
		}
		be.PutUint16(b[l.L4+l.CheckOff:], c)
	}
	switch bad {
	case 0:
		b = b[:l.L4+4]
	case 2:
		b = b[:l.L3+10]
	}
	return b
}

// Options are the options the shaper was made with.
func (s *Shaper) Options() ShapeOptions { return s.o }

// Sizes are the frame sizes (with FCS) of one round of the mix, in the
// order they go out: the same for every round.
func (s *Shaper) Sizes() []int { return slices.Clone(s.sched) }
