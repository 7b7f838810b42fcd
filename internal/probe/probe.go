// Package probe runs `xdplab probe`: it builds the capability report of a
// veth pair it makes itself, or of interfaces the user names, from
// offload's probing, and holds that report's format (Report, its JSON
// schema probe.schema.json, and its text). It needs root (CAP_BPF,
// CAP_NET_ADMIN, CAP_SYS_ADMIN); interfaces the user names are only read
// unless the user asks for the attach checks.
package probe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/topology"
)

// Options configures a probe.
type Options struct {
	// Ifaces names interfaces (in the host's namespace) to probe; none
	// probes a veth pair xdplab builds.
	Ifaces []string
	// Attach allows attaching test programs and changing the MTU on named
	// interfaces (always done on xdplab's own pair). Every change is
	// undone.
	Attach bool
	// Force accepts the interface that carries the default route.
	Force bool
	// NeverSSH refuses the interface of this process's SSH session even
	// with Force (a probe --remote runs over that session).
	NeverSSH bool
	RunID    string
	Version  string
}

// Run probes and returns the report. It removes what it built and restores
// what it changed, also when ctx is cancelled.
func Run(ctx context.Context, o Options) (rep *Report, err error) {
	rep = &Report{
		Schema: ReportSchema, SchemaVersion: ReportSchemaVersion,
		Tool: "xdplab " + o.Version, Created: time.Now().UTC(),
	}
	rep.Kernel = offload.ProbeKernel()
	if len(o.Ifaces) == 0 {
		if err := probePair(ctx, o, rep); err != nil {
			return nil, err
		}
		return rep, nil
	}
	// Open every interface first, so a refused one stops the probe before
	// anything is attached.
	var nics []*topology.NIC
	var journal *topology.Journal
	if o.Attach {
		// --attach may change the MTU: the journal keeps how each
		// interface was, for `xdplab clean` after a kill.
		id := o.RunID
		if id == "" {
			id = topology.NewRunID()
		}
		if journal, err = topology.OpenJournal(id); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, n := range nics {
			err = errors.Join(err, n.Close())
		}
		if journal != nil {
			err = errors.Join(err, journal.Close())
		}
	}()
	for _, name := range o.Ifaces {
		n, err := topology.OpenNIC(topology.NICOptions{Name: name, Force: o.Force, NeverSSH: o.NeverSSH, Journal: journal})
		if err != nil {
			return nil, err
		}
		nics = append(nics, n)
	}
	for _, n := range nics {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t := offload.Target{EP: &n.Endpoint, Attach: o.Attach}
		if o.Attach {
			n := n
			t.SetMTU = func(mtu int) (func() error, error) {
				if err := n.SetMTU(mtu); err != nil {
					return nil, err
				}
				return n.Restore, nil
			}
		}
		c, err := offload.ProbeInterface(t)
		if err != nil {
			return nil, err
		}
		if n.DefaultRoute {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s carries the default route; probed because of --force", n.Name))
		}
		rep.Interfaces = append(rep.Interfaces, c)
	}
	if !o.Attach {
		rep.Notes = append(rep.Notes, "read-only probe: nothing was attached; add --attach to detect what works (every change is undone)")
	}
	return rep, nil
}

// probePair probes both ends of a veth pair xdplab builds: they are its own,
// so it attaches, changes the MTU and sends test frames freely.
func probePair(ctx context.Context, o Options, rep *Report) (err error) {
	p, err := topology.NewPair(topology.PairOptions{RunID: o.RunID})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, p.Close()) }()
	ends := []struct {
		ep, peer *topology.Endpoint
	}{{&p.DUT, &p.Gen}, {&p.Gen, &p.DUT}}
	for _, e := range ends {
		if err := ctx.Err(); err != nil {
			return err
		}
		ep, peer := e.ep, e.peer
		frame, err := stream.BuildUDP(stream.FrameSpec{Size: 64, SrcMAC: peer.MAC, DstMAC: ep.MAC,
			Src: peer.IPv4.Addr(), Dst: ep.IPv4.Addr(), SrcPort: 9, DstPort: 9})
		if err != nil {
			return err
		}
		t := offload.Target{
			EP: ep, MadeByXdplab: true, Attach: true,
			SetMTU: func(mtu int) (func() error, error) {
				// A veth checks its peer's MTU too: change both.
				if err := SetMTU(mtu, ep, peer); err != nil {
					return nil, errors.Join(err, SetMTU(1500, ep, peer))
				}
				return func() error { return SetMTU(1500, ep, peer) }, nil
			},
			SendFrame: func() error { return traffic.SendFrames(peer.NS.Handle, peer.Ifindex, frame, 4) },
		}
		c, err := offload.ProbeInterface(t)
		if err != nil {
			return err
		}
		if c.AdvertisedWhilePeerNative, err = whilePeerNative(ep, peer); err != nil {
			return err
		}
		rep.Interfaces = append(rep.Interfaces, c)
	}
	rep.Notes = append(rep.Notes,
		"a veth pair built for the probe (removed after): test programs were attached, the MTU changed and test frames sent on it",
		"a veth accepts redirected frames (ndo-xmit) only while its peer has a native XDP program or GRO on: see 'advertised while the peer has a native program'")
	return nil
}

// SetMTU sets the MTU of each endpoint.
func SetMTU(mtu int, eps ...*topology.Endpoint) error {
	for _, ep := range eps {
		if err := ep.SetMTU(mtu); err != nil {
			return err
		}
	}
	return nil
}

// whilePeerNative reads what ep advertises while its peer has a native
// XDP_PASS program.
func whilePeerNative(ep, peer *topology.Endpoint) (*offload.Advertised, error) {
	prog, err := bpf.LoadMinimal(bpf.MinimalOptions{Action: catalog.Pass})
	if err != nil {
		return nil, err
	}
	defer prog.Close()
	a, err := xdp.Attach(xdp.AttachOptions{NS: peer.NS.Handle, Iface: peer.Name, Program: prog, Mode: xdpmode.Native})
	if err != nil {
		return nil, err
	}
	df, ferr := offload.Features(ep.NS.Handle, ep.Ifindex)
	if err := a.Close(); err != nil {
		return nil, err
	}
	if ferr != nil && !errors.Is(ferr, offload.ErrNotReported) {
		return nil, ferr
	}
	adv := offload.AdvertisedFrom(df, ferr)
	return &adv, nil
}
