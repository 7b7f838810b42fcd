package topology

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// Endpoint is one end of a veth xdplab made.
type Endpoint struct {
	NS      *Namespace
	Name    string
	Ifindex int
	MAC     net.HardwareAddr
	IPv4    netip.Prefix
	IPv6    netip.Prefix
}

// PairOptions configures a pair topology.
type PairOptions struct {
	// RunID names the run ("xdplab-<RunID>-gen"); empty picks a random one.
	RunID string
	// Queues is the number of rx and tx queues on every veth (default 1).
	Queues int
	// Sink adds a second veth from the DUT namespace to a sink namespace,
	// where redirected frames arrive.
	Sink bool
}

// Pair is the pair topology: a generator namespace and a DUT namespace
// joined by a veth; optionally a sink namespace behind the DUT.
//
//	xdplab-<id>-gen          xdplab-<id>-dut                 xdplab-<id>-sink
//	  xl<id>g  <--- veth --->  xl<id>d
//	                           xl<id>o  <--- veth --->  xl<id>s
type Pair struct {
	RunID  string
	Queues int
	GenNS  *Namespace
	DUTNS  *Namespace
	SinkNS *Namespace // nil without Sink

	Gen  Endpoint // in GenNS, the generator sends here
	DUT  Endpoint // in DUTNS, the program under test runs here
	Out  Endpoint // in DUTNS, redirect egress (with Sink)
	Sink Endpoint // in SinkNS, where redirected frames arrive (with Sink)

	// A NIC pair (NewNICPair): the host's namespace and the user's
	// interfaces moved out of it, given back by Close.
	host     *Namespace
	borrowed []*borrowed
	// journal records the namespaces before they are made and the
	// user's interfaces before they are moved (see journal.go).
	journal *Journal
}

// newNamespace journals a namespace, then makes it.
func (p *Pair) newNamespace(name string) (*Namespace, error) {
	if err := p.journal.AddNamespace(name); err != nil {
		return nil, err
	}
	return newNamespace(name)
}

// The addresses of the pair, from the benchmarking ranges (RFC 2544, RFC 5180).
var (
	GenIPv4  = netip.MustParsePrefix("198.18.0.1/24")
	DUTIPv4  = netip.MustParsePrefix("198.18.0.2/24")
	OutIPv4  = netip.MustParsePrefix("198.18.1.1/24")
	SinkIPv4 = netip.MustParsePrefix("198.18.1.2/24")
	GenIPv6  = netip.MustParsePrefix("2001:2::1/64")
	DUTIPv6  = netip.MustParsePrefix("2001:2::2/64")
	OutIPv6  = netip.MustParsePrefix("2001:2:0:1::1/64")
	SinkIPv6 = netip.MustParsePrefix("2001:2:0:1::2/64")
)

// MaxQueues bounds the queue count of a veth (the kernel allows 4096).
const MaxQueues = 256

// NewRunID returns a random run id: 6 hex digits, short enough for link
// names ("xl" + id + one letter fits IFNAMSIZ).
func NewRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validRunID(id string) error {
	if len(id) < 1 || len(id) > 8 {
		return fmt.Errorf("run id %q: use 1 to 8 characters", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Errorf("run id %q: use lower-case letters and digits", id)
		}
	}
	return nil
}

// NewPair builds the pair topology. On error nothing is left behind.
func NewPair(o PairOptions) (_ *Pair, err error) {
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	if err := validRunID(o.RunID); err != nil {
		return nil, err
	}
	if o.Queues == 0 {
		o.Queues = 1
	}
	if o.Queues < 1 || o.Queues > MaxQueues {
		return nil, fmt.Errorf("queues %d out of range: use 1 to %d", o.Queues, MaxQueues)
	}
	p := &Pair{RunID: o.RunID, Queues: o.Queues}
	var err0 error
	if p.journal, err0 = OpenJournal(o.RunID); err0 != nil {
		return nil, err0
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Close())
		}
	}()
	name := func(role string) string { return NamespacePrefix + o.RunID + "-" + role }
	if p.GenNS, err = p.newNamespace(name("gen")); err != nil {
		return nil, err
	}
	if p.DUTNS, err = p.newNamespace(name("dut")); err != nil {
		return nil, err
	}
	p.Gen = Endpoint{NS: p.GenNS, Name: LinkPrefix + o.RunID + "g", IPv4: GenIPv4, IPv6: GenIPv6}
	p.DUT = Endpoint{NS: p.DUTNS, Name: LinkPrefix + o.RunID + "d", IPv4: DUTIPv4, IPv6: DUTIPv6}
	if err = newVeth(&p.Gen, &p.DUT, o.Queues); err != nil {
		return nil, err
	}
	if o.Sink {
		if p.SinkNS, err = p.newNamespace(name("sink")); err != nil {
			return nil, err
		}
		p.Out = Endpoint{NS: p.DUTNS, Name: LinkPrefix + o.RunID + "o", IPv4: OutIPv4, IPv6: OutIPv6}
		p.Sink = Endpoint{NS: p.SinkNS, Name: LinkPrefix + o.RunID + "s", IPv4: SinkIPv4, IPv6: SinkIPv6}
		if err = newVeth(&p.Out, &p.Sink, o.Queues); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// newVeth makes a veth from a (in a's namespace) to b (in b's), configures
// both ends and fills in their indexes and MACs.
func newVeth(a, b *Endpoint, queues int) error {
	la := netlink.NewLinkAttrs()
	la.Name = a.Name
	la.NumTxQueues, la.NumRxQueues = queues, queues
	v := &netlink.Veth{LinkAttrs: la, PeerName: b.Name, PeerNamespace: netlink.NsFd(int(b.NS.Handle))}
	if err := a.NS.nl.LinkAdd(v); err != nil {
		return fmt.Errorf("create veth %s/%s: %w", a.Name, b.Name, permHint(err))
	}
	for _, e := range []*Endpoint{a, b} {
		if err := e.configure(); err != nil {
			return err
		}
	}
	return nil
}

func (e *Endpoint) configure() error {
	h := e.NS.nl
	l, err := h.LinkByName(e.Name)
	if err != nil {
		return fmt.Errorf("veth %s in %s: %w", e.Name, e.NS.Name, err)
	}
	for _, p := range []netip.Prefix{e.IPv4, e.IPv6} {
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
		if p.Addr().Is6() {
			addr.Flags = 0x02 // IFA_F_NODAD: usable at once
		}
		if err := h.AddrAdd(l, addr); err != nil {
			return fmt.Errorf("address %s on %s: %w", p, e.Name, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("bring up %s: %w", e.Name, err)
	}
	e.Ifindex = l.Attrs().Index
	e.MAC = l.Attrs().HardwareAddr
	return nil
}

// Endpoints lists the endpoints of this host that exist (of a split NIC
// pair, only this host's side).
func (p *Pair) Endpoints() []*Endpoint {
	var out []*Endpoint
	for _, e := range []*Endpoint{&p.Gen, &p.DUT} {
		if e.NS != nil {
			out = append(out, e)
		}
	}
	if p.SinkNS != nil {
		out = append(out, &p.Out, &p.Sink)
	}
	return out
}

// Namespaces lists the namespaces that exist.
func (p *Pair) Namespaces() []*Namespace {
	var out []*Namespace
	for _, n := range []*Namespace{p.GenNS, p.DUTNS, p.SinkNS} {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// Close deletes the namespaces, and with them every link and attached
// program in them. It is safe to call twice.
func (p *Pair) Close() error {
	if p == nil {
		return nil
	}
	var errs []error
	// The user's interfaces go back first: deleting a namespace would
	// destroy a virtual one and return a physical one unconfigured.
	for _, b := range p.borrowed {
		if err := p.giveBack(b); err != nil {
			errs = append(errs, err)
			// Deleting the namespace would destroy a virtual interface
			// still in it, or return a physical one bare: it stays, with
			// the journal, for `xdplab clean`.
			if b.ns != nil {
				b.ns.borrowed = true
			}
		}
	}
	p.borrowed = nil
	for _, n := range []**Namespace{&p.SinkNS, &p.DUTNS, &p.GenNS, &p.host} {
		if *n != nil {
			errs = append(errs, (*n).Close())
			*n = nil
		}
	}
	// The journal goes last, and stays where an interface was not
	// restored.
	errs = append(errs, p.journal.Close())
	p.journal = nil
	if err := errors.Join(errs...); err != nil {
		return &TeardownError{err}
	}
	return nil
}
