package peer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/topology"
)

// Local is the generator's end in a namespace of this host.
type Local struct {
	E *topology.Endpoint
	// Host, when set, names this host in Info (the agent sets it).
	Host string
}

var _ End = (*Local)(nil)

// NewLocal is the end at e, an endpoint of a topology xdplab made.
func NewLocal(e *topology.Endpoint) *Local { return &Local{E: e} }

// Info reads the interface's driver, queues and XDP features.
func (l *Local) Info() Info {
	e := l.E
	in := Info{Host: l.Host, Namespace: e.NS.Name, Name: e.Name, Ifindex: e.Ifindex, MAC: e.MAC, IPv4: e.IPv4, IPv6: e.IPv6}
	in.Driver, _ = e.Driver()
	in.MTU, _ = e.MTU()
	in.RxQueues, in.TxQueues, _ = e.Queues()
	if f, err := offload.Features(e.NS.Handle, e.Ifindex); err == nil {
		in.XDPFeatures, in.FeaturesKnown = uint64(f.XDP), true
	} else if !errors.Is(err, offload.ErrNotReported) {
		in.FeaturesError = fmt.Sprintf("xdp-features of %s: %v", e.Name, err)
	}
	return in
}

func (l *Local) Counters() (topology.Counters, error) { return l.E.Counters() }

func (l *Local) Queues() (rx, tx int, err error) { return l.E.Queues() }

func (l *Local) SetMTU(mtu int) error { return l.E.SetMTU(mtu) }

func (l *Local) QuietIPv6() error { return topology.QuietIPv6(l.E.NS.Handle, l.E.Name) }

func (l *Local) WaitCarrier(timeout time.Duration) (time.Duration, error) {
	return l.E.WaitCarrier(timeout)
}

// AttachSink loads the sink and attaches it natively on the interface.
func (l *Local) AttachSink(o SinkOptions) (Sink, error) {
	s := &localSink{kind: o.Kind}
	var prog *ebpf.Program
	switch o.Kind {
	case SinkCount:
		p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop", Work: catalog.NoTouch})
		if err != nil {
			return nil, fmt.Errorf("sink on %s: %w", l.E.Name, err)
		}
		s.prog, s.stats, prog = p, p.Stats, p.Program
	case SinkLatency:
		lat, err := bpf.LoadLatencySink(o.Latency)
		if err != nil {
			return nil, fmt.Errorf("latency sink on %s: %w", l.E.Name, err)
		}
		s.lat, s.stats, prog = lat, lat.Stats, lat.Program
	case SinkPass:
		// Frags-aware where the kernel has it (5.18+), for the MTU 9000
		// checks.
		frags := bpf.HaveFrags() == nil
		p, err := bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Pass, Frags: frags})
		if err != nil {
			return nil, fmt.Errorf("XDP_PASS on %s: %w", l.E.Name, err)
		}
		s.pass, prog = p, p
	default:
		return nil, fmt.Errorf("sink on %s: unknown kind %q", l.E.Name, o.Kind)
	}
	att, err := xdp.Attach(xdp.AttachOptions{NS: l.E.NS.Handle, Iface: l.E.Name, Program: prog, Mode: xdpmode.Native})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sink on %s: %w", l.E.Name, err), s.Close())
	}
	s.att = att
	return s, nil
}

// ProgramSink wraps a counting program attached by its caller (a
// workload's own sink) as a Sink: Close closes both.
func ProgramSink(p *bpf.Program, att *xdp.Attachment) Sink {
	return &localSink{kind: SinkCount, prog: p, stats: p.Stats, att: att}
}

type localSink struct {
	kind  SinkKind
	prog  *bpf.Program
	lat   *bpf.LatencySink
	pass  *ebpf.Program
	stats *ebpf.Map
	att   *xdp.Attachment
}

func (s *localSink) Count() (bpf.Counter, error) {
	if s.stats == nil {
		return bpf.Counter{}, fmt.Errorf("a %s sink counts nothing", s.kind)
	}
	st, err := bpf.ReadStats(s.stats)
	return st.Total(), err
}

func (s *localSink) Latency() (bpf.LatencySnapshot, error) {
	if s.lat == nil {
		return bpf.LatencySnapshot{}, ErrNoLatency
	}
	return s.lat.Read()
}

func (s *localSink) ResetExtremes() error {
	if s.lat == nil {
		return ErrNoLatency
	}
	return s.lat.ResetExtremes()
}

func (s *localSink) Close() error {
	errs := []error{s.att.Close(), s.prog.Close(), s.lat.Close()}
	if s.pass != nil {
		errs = append(errs, s.pass.Close())
	}
	return errors.Join(errs...)
}

// NewGenerator makes a generator on the interface.
func (l *Local) NewGenerator(o traffic.Options) (Generator, error) {
	o.NS, o.Ifindex = l.E.NS.Handle, l.E.Ifindex
	g, err := traffic.New(o)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Snapshot reads g's counters and, with full, the interface's.
func (l *Local) Snapshot(g Generator, full bool) (Snapshot, error) {
	var s Snapshot
	var err error
	s.At = time.Now()
	if s.Sent, err = g.Sent(); err != nil {
		return s, err
	}
	if !full {
		return s, nil
	}
	if s.Tries, err = g.Attempted(); err != nil {
		return s, err
	}
	if s.Malformed, err = g.Malformed(); err != nil {
		return s, err
	}
	c, err := l.E.Counters()
	if err != nil {
		return s, err
	}
	s.Iface = &c
	return s, nil
}

func (l *Local) Send(frame []byte, n int) error {
	return traffic.SendFrames(l.E.NS.Handle, l.E.Ifindex, frame, n)
}

func (l *Local) Listen() (Receiver, error) {
	r, err := traffic.Listen(l.E.NS.Handle, l.E.Ifindex)
	if err != nil {
		return nil, err
	}
	return localReceiver{r}, nil
}

type localReceiver struct{ r *traffic.Receiver }

func (r localReceiver) Collect(max int, quiet time.Duration, want []byte) ([][]byte, error) {
	return r.r.Collect(max, quiet, func(b []byte) bool { return want == nil || bytes.Equal(b, want) })
}

func (r localReceiver) Close() error { return r.r.Close() }

// Close releases nothing of its own: the topology owns the interface.
func (l *Local) Close() error { return nil }

// Hostname is this host's name, for Info.
func Hostname() string {
	h, _ := os.Hostname()
	return h
}
