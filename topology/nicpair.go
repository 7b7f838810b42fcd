package topology

import (
	"errors"
	"fmt"
	"net"

	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"
)

// NICPairOptions names two interfaces of one host cabled back to back: the
// generator sends on Peer, the program under test runs on DUT.
type NICPairOptions struct {
	RunID     string
	DUT, Peer string
	// Force accepts an interface that carries the default route.
	Force bool
}

// borrowed is a user's interface moved into one of xdplab's namespaces,
// with what it looked like in the host's.
type borrowed struct {
	name     string
	ns       *Namespace // where it is now
	up       bool
	mtu      int
	addrs    []netlink.Addr
	features map[string]bool
	channels *ethtool.Channels
}

// settable are the ethtool features a run may change, restored at the end.
var settable = []string{"rx-gro", "generic-receive-offload"}

// NewNICPair moves two interfaces the user named into a generator and a DUT
// namespace, as NewPair does with its veth, and configures them the same
// way (addresses from the benchmarking ranges, up). Close moves them back and
// restores their state, MTU, GRO, channels and addresses. Routes that went
// through them are not restored, so an interface that carries the default
// route is refused without Force.
func NewNICPair(o NICPairOptions) (_ *Pair, err error) {
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if err := validRunID(o.RunID); err != nil {
		return nil, err
	}
	if o.DUT == "" || o.Peer == "" {
		return nil, errors.New("a NIC pair needs two interfaces: --iface DUT --peer GEN")
	}
	if o.DUT == o.Peer {
		return nil, fmt.Errorf("--iface and --peer both name %s: name two interfaces cabled back to back", o.DUT)
	}
	host, err := OpenNIC(NICOptions{Name: o.DUT, Force: o.Force})
	if err != nil {
		return nil, err
	}
	p := &Pair{RunID: o.RunID, Queues: 1, host: host.NS}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Close())
		}
	}()
	if peer, err := OpenNIC(NICOptions{Name: o.Peer, Force: o.Force}); err != nil {
		return nil, err
	} else if err := peer.Close(); err != nil {
		return nil, err
	}
	name := func(role string) string { return NamespacePrefix + o.RunID + "-" + role }
	if p.GenNS, err = newNamespace(name("gen")); err != nil {
		return nil, err
	}
	if p.DUTNS, err = newNamespace(name("dut")); err != nil {
		return nil, err
	}
	for _, m := range []struct {
		name string
		ns   *Namespace
		ep   *Endpoint
		v4   Endpoint
	}{
		{o.Peer, p.GenNS, &p.Gen, Endpoint{IPv4: GenIPv4, IPv6: GenIPv6}},
		{o.DUT, p.DUTNS, &p.DUT, Endpoint{IPv4: DUTIPv4, IPv6: DUTIPv6}},
	} {
		b, err := p.borrow(m.name, m.ns)
		if err != nil {
			return nil, err
		}
		*m.ep = Endpoint{NS: m.ns, Name: b.name, IPv4: m.v4.IPv4, IPv6: m.v4.IPv6}
		if err := m.ep.configure(); err != nil {
			return nil, err
		}
	}
	rx, _, err := p.DUT.Queues()
	if err == nil {
		p.Queues = rx
	}
	return p, nil
}

// borrow records how an interface looks in the host's namespace and moves
// it into ns.
func (p *Pair) borrow(name string, ns *Namespace) (*borrowed, error) {
	h := p.host.nl
	l, err := h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	b := &borrowed{name: name, ns: ns, up: l.Attrs().Flags&net.FlagUp != 0, mtu: l.Attrs().MTU}
	addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() {
			continue // the kernel makes it again
		}
		b.addrs = append(b.addrs, a)
	}
	if b.features, err = p.host.eth.Features(name); err != nil {
		return nil, fmt.Errorf("features of %s: %w", name, err)
	}
	if ch, err := p.host.eth.GetChannels(name); err == nil {
		b.channels = &ch
	}
	if err := h.LinkSetNsFd(l, int(ns.Handle)); err != nil {
		return nil, fmt.Errorf("move %s into %s: %w", name, ns.Name, err)
	}
	p.borrowed = append(p.borrowed, b)
	return b, nil
}

// giveBack moves a borrowed interface back into the host's namespace and
// restores what it looked like there.
func (p *Pair) giveBack(b *borrowed) error {
	if b.ns != nil && b.ns.nl != nil {
		l, err := b.ns.nl.LinkByName(b.name)
		if err != nil {
			return fmt.Errorf("give back %s: %w", b.name, err)
		}
		if err := b.ns.nl.LinkSetNsFd(l, int(p.host.Handle)); err != nil {
			return fmt.Errorf("move %s back to the host's namespace: %w", b.name, err)
		}
	}
	h := p.host.nl
	l, err := h.LinkByName(b.name)
	if err != nil {
		return fmt.Errorf("give back %s: %w", b.name, err)
	}
	var errs []error
	if l.Attrs().MTU != b.mtu {
		errs = append(errs, h.LinkSetMTU(l, b.mtu))
	}
	if now, err := p.host.eth.Features(b.name); err == nil {
		change := map[string]bool{}
		for _, f := range settable {
			if was, ok := b.features[f]; ok && now[f] != was {
				change[f] = was
			}
		}
		if len(change) > 0 {
			errs = append(errs, p.host.eth.Change(b.name, change))
		}
	}
	if b.channels != nil {
		if now, err := p.host.eth.GetChannels(b.name); err == nil && now != *b.channels {
			_, err := p.host.eth.SetChannels(b.name, *b.channels)
			errs = append(errs, err)
		}
	}
	for _, a := range b.addrs {
		a := a
		a.Label = ""
		if err := h.AddrReplace(l, &a); err != nil {
			errs = append(errs, fmt.Errorf("restore address %s on %s: %w", a.IPNet, b.name, err))
		}
	}
	if b.up {
		errs = append(errs, h.LinkSetUp(l))
	} else {
		errs = append(errs, h.LinkSetDown(l))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("restore %s: %w", b.name, err)
	}
	return nil
}

// Borrowed names the user's interfaces the pair moved into its namespaces.
func (p *Pair) Borrowed() []string {
	var out []string
	for _, b := range p.borrowed {
		out = append(out, b.name)
	}
	return out
}
