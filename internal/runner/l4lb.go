package runner

import (
	"context"
	"errors"
	"math"
	"net/netip"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/results"
)

// l4lbWorkload is the balancer's side here: its VIP and backends on the
// pair, the lb sink on the generator's veth that checks what it sends
// back, and the spread over backends.
type l4lbWorkload struct{}

func (l4lbWorkload) options(r *runner, o *bpf.DUTOptions) { o.Settings = r.lbConfig() }

func (l4lbWorkload) writes() bool { return true }

// far: encapsulated frames go back out to the generator's veth, where the
// lb sink checks and counts them by backend.
func (l4lbWorkload) far(r *runner, s *setup) error {
	p := r.pair
	if p.GenNS == nil {
		return errors.New("l4lb: its sink checks the encapsulation on the generator's port, which is on the generator host: run l4lb with both ports on this host")
	}
	return r.attachLBSink(s, r.lbConfig().Backends, "lb sink")
}

func (l4lbWorkload) start(_ *runner, s *setup) (any, error) { return s.prog.LBStats() }

func (l4lbWorkload) figures(_ context.Context, r *runner, s *setup, before any, _ *results.Result) (*results.Workload, error) {
	return r.lbFigures(s, before.([catalog.LBNoBackend + 1]uint64))
}

// lbConfig is the l4lb workload's setup on the pair: the VIP is the DUT's
// address and the stream's destination port, the backends are addresses in
// the benchmarking range behind the DUT, and encapsulated frames go back to
// the generator's veth.
func (r *runner) lbConfig() *bpf.LBConfig {
	p := r.pair
	n := r.cfg.Backends
	if n == 0 {
		n = spec.DefaultBackends
	}
	vip := netip.AddrPortFrom(p.DUT.IPv4.Addr(), dstPort)
	base := netip.MustParseAddr("198.18.2.0")
	if r.cfg.IPv6 {
		vip = netip.AddrPortFrom(p.DUT.IPv6.Addr(), dstPort)
		base = netip.MustParseAddr("2001:2:0:2::")
	}
	c := &bpf.LBConfig{VIP: vip, Proto: r.frameSpec().Layout().IPProto, Source4: p.DUT.IPv4.Addr(), Source6: p.DUT.IPv6.Addr(), NextHop: p.Gen.MAC}
	a := base
	for range n {
		a = a.Next()
		c.Backends = append(c.Backends, a)
	}
	return c
}

// lbFigures read the balancer's counts and the sink's per-backend counts
// over the result's traffic.
func (r *runner) lbFigures(s *setup, start [catalog.LBNoBackend + 1]uint64) (*results.Workload, error) {
	st, err := s.prog.LBStats()
	if err != nil {
		return nil, err
	}
	by, checks, err := s.lbSink.SinkCounts()
	if err != nil {
		return nil, err
	}
	cfg := r.lbConfig()
	d := func(i int) uint64 { return st[i] - start[i] }
	f := &results.LBFigures{VIP: cfg.VIP.String(), NewFlows: d(catalog.LBNew), KnownFlows: d(catalog.LBKnown),
		NoVIP: d(catalog.LBNoVIP), Malformed: d(catalog.LBMalformed), NoBackend: d(catalog.LBNoBackend),
		Encapsulated: checks[catalog.SinkEncapsulated], NotEncapsulated: checks[catalog.SinkNotEncapsulated], InnerBad: checks[catalog.SinkInnerBad],
		Source: "the balancer's lb_stats map and the lb sink's per-backend and check counts over all the result's traffic (warm-ups included); " +
			"spread = the largest |backend share - 1/backends| as a share of 1/backends"}
	var total uint64
	for _, b := range cfg.Backends {
		total += by[b]
	}
	even := 1 / float64(len(cfg.Backends))
	for _, b := range cfg.Backends {
		f.Backends = append(f.Backends, results.BackendCount{Addr: b.String(), Packets: by[b]})
		if total > 0 {
			f.Spread = max(f.Spread, math.Abs(float64(by[b])/float64(total)-even)/even)
		}
	}
	if sum := f.Encapsulated + f.NotEncapsulated + f.InnerBad; sum > 0 {
		f.Verified = float64(f.Encapsulated) / float64(sum)
	}
	return &results.Workload{Kind: "l4lb", LB: f}, nil
}
