package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// QualifyPrograms are the programs of `xdplab qualify`'s functional checks
// (qualify.c): Action returns the action it was loaded with and counts it,
// Adjust moves the head and the tail, Frags is xdp.frags-aware (nil where
// the kernel has no frags-aware programs, before 5.18), and
// Exception counts the xdp:xdp_exception tracepoint.
type QualifyPrograms struct {
	Action    *ebpf.Program
	Adjust    *ebpf.Program
	Frags     *ebpf.Program
	XSK       *ebpf.Program // redirects to the AF_XDP socket of the rx queue
	exception *ebpf.Program
	objs      qualifyObjects // views into coll, which owns them
	coll      *ebpf.Collection
}

// LoadQualify loads the functional checks' programs; Action returns
// action (any number: an unknown one makes a broken program).
func LoadQualify(action uint32) (*QualifyPrograms, error) {
	spec, err := loadQualify()
	if err != nil {
		return nil, fmt.Errorf("load qualify programs: parse embedded object: %w", err)
	}
	var s qualifyVariableSpecs
	if err := specs(spec, &s); err != nil {
		return nil, fmt.Errorf("load qualify programs: %w", err)
	}
	if err := set(setting{s.Q_action, action}); err != nil {
		return nil, fmt.Errorf("load qualify programs: %w", err)
	}
	// A kernel before 5.18 refuses the frags-aware program, and with it
	// the whole collection: leave it out there (Frags is nil then).
	noFrags := errors.Is(HaveFrags(), ebpf.ErrNotSupported)
	if noFrags {
		delete(spec.Programs, "xdp_q_frags")
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load qualify programs: %w", loadHint(err))
	}
	q := &QualifyPrograms{coll: coll}
	if err := view(coll, &q.objs); err != nil {
		coll.Close()
		return nil, fmt.Errorf("load qualify programs: %w", err)
	}
	q.Action, q.Adjust, q.Frags, q.XSK, q.exception = q.objs.XdpQ_action, q.objs.XdpQ_adjust, q.objs.XdpQ_frags, q.objs.XdpQ_xsk, q.objs.TpException
	return q, nil
}

// Close unloads the programs.
func (q *QualifyPrograms) Close() error {
	if q == nil || q.coll == nil {
		return nil
	}
	q.coll.Close()
	q.coll = nil
	return nil
}

// Counts reads the frames the programs returned each action for (index
// QualifyOther: an unknown action), summed over CPUs.
func (q *QualifyPrograms) Counts() ([catalog.QualifyOther + 1]uint64, error) {
	var out [catalog.QualifyOther + 1]uint64
	v, err := perCPUSums(q.objs.Q_counts, len(out), "qualify counts")
	copy(out[:], v)
	return out, err
}

// SetPort sets the redirect's egress interface, resolved in the calling
// thread's namespace.
func (q *QualifyPrograms) SetPort(ifindex int) error {
	if err := q.objs.Q_port.Put(uint32(0), uint32(ifindex)); err != nil {
		return fmt.Errorf("qualify redirect port %d: %w", ifindex, err)
	}
	return nil
}

// SetXSK puts an AF_XDP socket into the XSKMAP for an rx queue.
func (q *QualifyPrograms) SetXSK(queue, fd int) error {
	if err := q.objs.Q_xsks.Put(uint32(queue), uint32(fd)); err != nil {
		return fmt.Errorf("qualify af_xdp socket for queue %d: %w", queue, err)
	}
	return nil
}

// FragsSeen is what the frags-aware program saw: frames and the largest
// length (all fragments).
func (q *QualifyPrograms) FragsSeen() (frames, maxLen uint64, err error) {
	var v qualifyFragsSeen
	if err := q.objs.Q_frags.Lookup(uint32(0), &v); err != nil {
		return 0, 0, fmt.Errorf("qualify frags: %w", err)
	}
	return v.Frames, v.MaxLen, nil
}

// TraceExceptions attaches the xdp:xdp_exception counter; Close detaches.
func (q *QualifyPrograms) TraceExceptions() (link.Link, error) {
	l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "xdp_exception", Program: q.exception})
	if err != nil {
		return nil, fmt.Errorf("trace xdp:xdp_exception: %w", err)
	}
	return l, nil
}

// Exceptions reads the xdp_exception counts by action.
func (q *QualifyPrograms) Exceptions() ([catalog.QualifyOther + 1]uint64, error) {
	var out [catalog.QualifyOther + 1]uint64
	for i := range out {
		if err := q.objs.Q_exceptions.Lookup(uint32(i), &out[i]); err != nil {
			return out, fmt.Errorf("qualify exceptions: %w", err)
		}
	}
	return out, nil
}
