package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// ExceptionTap counts the xdp:xdp_exception and xdp:xdp_redirect_err
// events of one XDP program by action: frames it aborted (Aborted), and
// frames whose XDP_TX or XDP_REDIRECT failed (TX, Redirect). It is a raw tracepoint program
// (exception.c); it needs CAP_BPF and CAP_PERFMON (root) and the kernel's
// BTF.
type ExceptionTap struct {
	coll  *ebpf.Collection
	links []link.Link
	objs  exceptionObjects
}

// NumExceptionSlots are the tap's counters: the five XDP actions and one
// for any other.
const NumExceptionSlots = 6

// TapExceptions attaches the exception tap for program p.
func TapExceptions(p *ebpf.Program) (_ *ExceptionTap, err error) {
	info, err := p.Info()
	if err != nil {
		return nil, fmt.Errorf("exception tap: program info: %w", err)
	}
	id, ok := info.ID()
	if !ok {
		return nil, errors.New("exception tap: the kernel gives no program ID (before 4.13)")
	}
	spec, err := loadException()
	if err != nil {
		return nil, fmt.Errorf("exception tap: parse embedded object: %w", err)
	}
	var vars exceptionVariableSpecs
	if err := specs(spec, &vars); err != nil {
		return nil, fmt.Errorf("exception tap: %w", err)
	}
	if err := vars.TargetId.Set(uint32(id)); err != nil {
		return nil, fmt.Errorf("exception tap: %w", err)
	}
	t := &ExceptionTap{}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	if t.coll, err = ebpf.NewCollection(spec); err != nil {
		return nil, fmt.Errorf("exception tap: %w (it needs the kernel's BTF)", loadHint(err))
	}
	if err := view(t.coll, &t.objs); err != nil {
		return nil, fmt.Errorf("exception tap: %w", err)
	}
	for _, tp := range []struct {
		name string
		prog *ebpf.Program
	}{{"xdp_exception", t.objs.XdpExceptionTap}, {"xdp_redirect_err", t.objs.XdpRedirectErrTap}} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: tp.name, Program: tp.prog})
		if err != nil {
			return nil, fmt.Errorf("exception tap: attach to xdp:%s: %w", tp.name, err)
		}
		t.links = append(t.links, l)
	}
	return t, nil
}

// Counts reads the exceptions so far, by action.
func (t *ExceptionTap) Counts() (out [NumExceptionSlots]uint64, err error) {
	for i := range out {
		if err := t.objs.Exceptions.Lookup(uint32(i), &out[i]); err != nil {
			return out, fmt.Errorf("exception tap: read slot %d: %w", i, err)
		}
	}
	return out, nil
}

// Close detaches the tap and unloads it.
func (t *ExceptionTap) Close() error {
	if t == nil {
		return nil
	}
	var errs []error
	for _, l := range t.links {
		errs = append(errs, l.Close())
	}
	if t.coll != nil {
		t.coll.Close()
	}
	t.links, t.coll = nil, nil
	return errors.Join(errs...)
}
