package topology

import (
	"errors"
	"fmt"
)

// NICPairOptions names two interfaces cabled back to back: the generator
// sends on Peer, the program under test runs on DUT.
type NICPairOptions struct {
	RunID     string
	DUT, Peer string
	// Split: the two ports are on two hosts, and this host has only one of
	// them. The controller names DUT and leaves Peer empty; the generator
	// host's agent names Peer and leaves DUT empty. The pair then has only
	// that side's namespace and endpoint.
	Split bool
	// Force accepts an interface that carries the default route.
	Force bool
	// NeverSSH refuses the interface of this process's SSH session even
	// with Force (see NICOptions).
	NeverSSH bool
}

// borrowed is a user's interface moved into one of xdplab's namespaces,
// with what it looked like in the host's (also in the run's journal).
type borrowed struct {
	ns  *Namespace // where it is now
	rec Lent
}

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
	if o.Split {
		if (o.DUT == "") == (o.Peer == "") {
			return nil, errors.New("one host of a two-host pair has one of its ports: name the DUT's (--iface) or the generator's (--peer)")
		}
	} else if o.DUT == "" || o.Peer == "" {
		return nil, errors.New("a NIC pair needs two interfaces: --iface DUT --peer GEN")
	}
	if o.DUT == o.Peer {
		return nil, fmt.Errorf("--iface and --peer both name %s: name two interfaces cabled back to back", o.DUT)
	}
	// The sides this host has, each named for its role.
	type side struct{ name, role string }
	var sides []side
	for _, sd := range []side{{o.Peer, "gen"}, {o.DUT, "dut"}} {
		if sd.name != "" {
			sides = append(sides, sd)
		}
	}
	host, err := OpenNIC(NICOptions{Name: sides[0].name, Force: o.Force, NeverSSH: o.NeverSSH})
	if err != nil {
		return nil, err
	}
	p := &Pair{RunID: o.RunID, Queues: 1, host: host.NS}
	if p.journal, err = OpenJournal(o.RunID); err != nil {
		return nil, errors.Join(err, host.NS.Close())
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Close())
		}
	}()
	for _, sd := range sides[1:] {
		if other, err := OpenNIC(NICOptions{Name: sd.name, Force: o.Force, NeverSSH: o.NeverSSH}); err != nil {
			return nil, err
		} else if err := other.Close(); err != nil {
			return nil, err
		}
	}
	for _, sd := range sides {
		ns, ep, addrs := &p.GenNS, &p.Gen, Endpoint{IPv4: GenIPv4, IPv6: GenIPv6}
		if sd.role == "dut" {
			ns, ep, addrs = &p.DUTNS, &p.DUT, Endpoint{IPv4: DUTIPv4, IPv6: DUTIPv6}
		}
		if *ns, err = p.newNamespace(NamespacePrefix + o.RunID + "-" + sd.role); err != nil {
			return nil, err
		}
		b, err := p.borrow(sd.name, *ns)
		if err != nil {
			return nil, err
		}
		*ep = Endpoint{NS: *ns, Name: b.rec.Name, IPv4: addrs.IPv4, IPv6: addrs.IPv6}
		if err := ep.configure(); err != nil {
			return nil, err
		}
	}
	if p.DUTNS == nil {
		return p, nil
	}
	rx, _, err := p.DUT.Queues()
	if err == nil {
		p.Queues = rx
	}
	return p, nil
}

// borrow records how an interface looks in the host's namespace, in the
// journal first, and moves it into ns.
func (p *Pair) borrow(name string, ns *Namespace) (*borrowed, error) {
	rec, err := snapshot(p.host, name)
	if err != nil {
		return nil, err
	}
	rec.In = ns.Name
	if err := p.journal.Lend(rec); err != nil {
		return nil, err
	}
	l, err := p.host.nl.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	b := &borrowed{ns: ns, rec: rec}
	p.borrowed = append(p.borrowed, b)
	if err := p.host.nl.LinkSetNsFd(l, int(ns.Handle)); err != nil {
		return nil, fmt.Errorf("move %s into %s: %w", name, ns.Name, err)
	}
	return b, nil
}

// giveBack moves a borrowed interface back into the host's namespace,
// restores what it looked like there, and only then drops it from the
// journal.
func (p *Pair) giveBack(b *borrowed) error {
	if err := restore(p.host, b.ns, b.rec); err != nil {
		return err
	}
	return p.journal.Returned(b.rec.Name)
}

// Borrowed names the user's interfaces the pair moved into its namespaces.
func (p *Pair) Borrowed() []string {
	var out []string
	for _, b := range p.borrowed {
		out = append(out, b.rec.Name)
	}
	return out
}
