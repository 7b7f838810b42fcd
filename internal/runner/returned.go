package runner

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/results"
)

// A user's object may send frames back out of the DUT's port (XDP_TX),
// encapsulated towards backends or not: the return sink, a native XDP
// program on the generator's veth (l4lb's sink, told no backends in
// advance), counts and drops every frame that comes back and checks its
// encapsulation by outer destination.

// returnSinkAbsent says why a run of a user's object has no return sink
// ("" where it has one).
func (r *runner) returnSinkAbsent() string {
	p := r.pair
	if p.GenNS == nil {
		return "the generator's port is on the generator host"
	}
	if d := r.end.Info().Driver; d != "veth" {
		return fmt.Sprintf("the generator's port is a NIC (%s), which xdplab leaves without a program it does not need", d)
	}
	return ""
}

// attachReturnSink attaches the return sink on the generator's veth, where
// it has one.
func (r *runner) attachReturnSink(s *setup) (err error) {
	if why := r.returnSinkAbsent(); why != "" {
		if n := "what the object sent back out of the DUT is not checked: " + why; r.run != nil && !slices.Contains(r.run.Notes, n) {
			r.run.Notes = append(r.run.Notes, n)
		}
		return nil
	}
	return r.attachLBSink(s, nil, "return sink")
}

// attachLBSink loads l4lb's sink, knowing backends in advance (it learns
// others as they come), and attaches it natively on the generator's veth
// as the sink of s.
func (r *runner) attachLBSink(s *setup, backends []netip.Addr, what string) (err error) {
	p := r.pair
	if s.lbSink, err = bpf.LoadLBSink(backends); err != nil {
		return err
	}
	att, err := xdp.Attach(xdp.AttachOptions{NS: p.GenNS.Handle, Iface: p.Gen.Name, Program: s.lbSink.Program, Mode: xdpmode.Native})
	if err != nil {
		return errors.Join(fmt.Errorf("%s on %s: %w", what, p.Gen.Name, err), s.lbSink.Close())
	}
	s.sink = peer.ProgramSink(s.lbSink, att)
	return nil
}

// addReturned adds what the return sink of s counted since it was attached
// to res.Returned.
func (r *runner) addReturned(s *setup, res *results.Result) error {
	if s.lbSink == nil || s.work != nil {
		return nil
	}
	by, checks, err := s.lbSink.SinkCounts()
	if err != nil {
		return err
	}
	rt := returned(by, checks)
	if res.Returned == nil {
		res.Returned = &results.Returned{}
	}
	res.Returned.Add(rt)
	return nil
}

// returned is the return sink's counts as a result keeps them.
func returned(by map[netip.Addr]uint64, checks [catalog.NumSinkChecks]uint64) results.Returned {
	rt := results.Returned{
		Encapsulated: checks[catalog.SinkEncapsulated], NotEncapsulated: checks[catalog.SinkNotEncapsulated], InnerBad: checks[catalog.SinkInnerBad],
		Source: "the return sink on the generator's veth (a native XDP program that counts and drops what comes back): " +
			"its check counts and its per-destination map over the result's trials, warm-ups included (and the unpaced probe of --rate N%, where one ran); " +
			"encapsulated: IPIP, IPv6 in IPv4, IPv4 or IPv6 in IPv6 whose inner packet's family and length agree with the outer header",
	}
	rt.Frames = rt.Encapsulated + rt.NotEncapsulated + rt.InnerBad
	var named uint64
	for addr, n := range by {
		rt.ByDestination = append(rt.ByDestination, results.BackendCount{Addr: addr.String(), Packets: n})
		named += n
	}
	if named < rt.Encapsulated {
		rt.OtherDestinations = rt.Encapsulated - named
	}
	return rt
}
