package bpf

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// Latency histogram layout (latency.c): values below LatencySub have a
// bucket each; a value whose highest set bit is e >= 3 falls into one of
// LatencySub equal sub-buckets of [2^e, 2^(e+1)), so a bucket is at most
// 12.5% wide.
const (
	LatencySub     = 1 << catalog.LatencySubBits
	LatencyBuckets = 64 * LatencySub
)

// LatencyBucket is the bucket of a value in nanoseconds, as latency.c
// computes it.
func LatencyBucket(d uint64) int {
	if d < LatencySub {
		return int(d)
	}
	e := 63 - bits.LeadingZeros64(d)
	return (e-catalog.LatencySubBits+1)*LatencySub + int((d>>(e-catalog.LatencySubBits))&(LatencySub-1))
}

// LatencyBucketBounds is the range [lo, hi] of values in bucket i.
func LatencyBucketBounds(i int) (lo, hi uint64) {
	if i < LatencySub {
		return uint64(i), uint64(i)
	}
	e := i/LatencySub + catalog.LatencySubBits - 1
	sub := uint64(i % LatencySub)
	width := uint64(1) << (e - catalog.LatencySubBits)
	lo = uint64(1)<<e + sub*width
	return lo, lo + width - 1
}

// LatencyOptions say where the latency sink finds the send time.
type LatencyOptions struct {
	L3Offset uint32 // 14, or 18 behind a VLAN tag (0: 14)
	IPv6     bool
	L4Hdr    uint32 // the stream's transport header length (0: 8)
}

// LatencySink is the loaded latency sink: a counting drop program that
// files each stamped frame's one-way latency in a histogram.
type LatencySink struct {
	Program *ebpf.Program
	Stats   *ebpf.Map // shared layout; key catalog.Drop counts every frame
	hist    *ebpf.Map
	summary *ebpf.Map
	ext     *ebpf.Map
	coll    *ebpf.Collection
}

// LoadLatencySink loads the latency sink.
func LoadLatencySink(o LatencyOptions) (*LatencySink, error) {
	if o.L3Offset == 0 {
		o.L3Offset = 14
	}
	if o.L4Hdr == 0 {
		o.L4Hdr = 8
	}
	spec, err := loadLatency()
	if err != nil {
		return nil, fmt.Errorf("load latency sink: parse embedded object: %w", err)
	}
	var s latencyVariableSpecs
	if err := specs(spec, &s); err != nil {
		return nil, fmt.Errorf("load latency sink: %w", err)
	}
	if err := set(setting{s.L3Off, o.L3Offset}, setting{s.Ipv6, b2u(o.IPv6)}, setting{s.L4Hdr, o.L4Hdr}); err != nil {
		return nil, fmt.Errorf("load latency sink: %w", err)
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load latency sink: %w", loadHint(err))
	}
	var objs latencyObjects
	if err := view(coll, &objs); err != nil {
		coll.Close()
		return nil, fmt.Errorf("load latency sink: %w", err)
	}
	return &LatencySink{Program: objs.XdpLatency, Stats: objs.XdpStats,
		hist: objs.LatHist, summary: objs.LatSummary, ext: objs.LatExtremes, coll: coll}, nil
}

// Close unloads the sink.
func (l *LatencySink) Close() error {
	if l == nil || l.coll == nil {
		return nil
	}
	l.coll.Close()
	l.coll = nil
	return nil
}

// LatencySnapshot is the sink's state summed over CPUs.
type LatencySnapshot struct {
	Buckets   []uint64
	Count     uint64
	SumNs     uint64
	Unstamped uint64
	// MinNs and MaxNs are exact, since the last ResetExtremes; 0: none.
	MinNs, MaxNs uint64
}

// Read reads the histogram, the counts and the extremes.
func (l *LatencySink) Read() (LatencySnapshot, error) {
	s := LatencySnapshot{Buckets: make([]uint64, LatencyBuckets)}
	var (
		key  uint32
		vals []uint64
		it   = l.hist.Iterate()
	)
	for it.Next(&key, &vals) {
		for _, v := range vals {
			s.Buckets[key] += v
		}
	}
	if err := it.Err(); err != nil {
		return s, fmt.Errorf("read latency histogram: %w", err)
	}
	var sums []latencyLatSummary
	if err := l.summary.Lookup(uint32(0), &sums); err != nil {
		return s, fmt.Errorf("read latency summary: %w", err)
	}
	for _, v := range sums {
		s.Count += v.Count
		s.SumNs += v.SumNs
		s.Unstamped += v.Unstamped
	}
	var ext []latencyLatExtremes
	if err := l.ext.Lookup(uint32(0), &ext); err != nil {
		return s, fmt.Errorf("read latency extremes: %w", err)
	}
	for _, v := range ext {
		if v.MinNs != 0 && (s.MinNs == 0 || v.MinNs < s.MinNs) {
			s.MinNs = v.MinNs
		}
		s.MaxNs = max(s.MaxNs, v.MaxNs)
	}
	return s, nil
}

// ResetExtremes starts a new minimum and maximum. A frame being filed on
// another CPU at that instant may be missed by them (not by the counts).
func (l *LatencySink) ResetExtremes() error {
	zero := make([]latencyLatExtremes, runtime.NumCPU())
	if n, err := ebpf.PossibleCPU(); err == nil {
		zero = make([]latencyLatExtremes, n)
	}
	if err := l.ext.Put(uint32(0), zero); err != nil {
		return fmt.Errorf("reset latency extremes: %w", err)
	}
	return nil
}

// Sub is the change from an earlier snapshot: the histogram and counts of
// the frames in between, with this snapshot's extremes.
func (s LatencySnapshot) Sub(prev LatencySnapshot) LatencySnapshot {
	d := LatencySnapshot{Buckets: make([]uint64, LatencyBuckets), Count: s.Count - prev.Count,
		SumNs: s.SumNs - prev.SumNs, Unstamped: s.Unstamped - prev.Unstamped, MinNs: s.MinNs, MaxNs: s.MaxNs}
	for i := range d.Buckets {
		if i < len(s.Buckets) && i < len(prev.Buckets) {
			d.Buckets[i] = s.Buckets[i] - prev.Buckets[i]
		}
	}
	return d
}

// ErrNoLatency says no stamped frame arrived.
var ErrNoLatency = errors.New("no stamped frame arrived")

// Quantile is the q-quantile (0 < q <= 1) of the histogram: the midpoint
// of the bucket that holds it, within the exact extremes when known.
func (s LatencySnapshot) Quantile(q float64) (float64, error) {
	var total uint64
	for _, n := range s.Buckets {
		total += n
	}
	if total == 0 {
		return 0, ErrNoLatency
	}
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var acc uint64
	for i, n := range s.Buckets {
		acc += n
		if acc >= rank {
			lo, hi := LatencyBucketBounds(i)
			if s.MinNs != 0 {
				lo = max(lo, min(s.MinNs, hi))
			}
			if s.MaxNs != 0 {
				hi = min(hi, max(s.MaxNs, lo))
			}
			return (float64(lo) + float64(hi)) / 2, nil
		}
	}
	return 0, ErrNoLatency
}
