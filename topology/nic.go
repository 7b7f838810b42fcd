package topology

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// NICOptions names an interface the user wants xdplab to use.
type NICOptions struct {
	Name string
	// NS is the namespace the interface is in; nil means the host's (the
	// namespace xdplab was started in).
	NS *netns.NsHandle
	// NSLabel names NS in messages and results ("host" by default).
	NSLabel string
	// Force accepts the interface that carries the default route.
	Force bool
	// NeverSSH refuses the interface this process's SSH session runs over
	// even with Force: the remote agent, for which taking it would cut the
	// session that gives it back.
	NeverSSH bool
	// Journal, where set, records the interface as it is before the first
	// change (an interface of the host's namespace only), so that `xdplab
	// clean` can restore it after a killed run.
	Journal *Journal
}

// NIC is an interface xdplab did not create: a real NIC (or anything else)
// the user named. Every setting changed through it is recorded and restored
// by Restore and Close, in reverse order.
type NIC struct {
	Endpoint
	// DefaultRoute tells whether the interface carries a default route
	// (accepted only with Force).
	DefaultRoute bool
	undo         []undoStep
	journal      *Journal
	journaled    bool
}

type undoStep struct {
	what string
	fn   func() error
}

// ErrDefaultRoute is returned for the interface that carries the default
// route when Force is not set.
var ErrDefaultRoute = errors.New("carries the default route")

// OpenNIC opens a user-named interface. It refuses the one that carries the
// default route unless o.Force: attaching to it or sending on it can cut the
// machine off.
func OpenNIC(o NICOptions) (_ *NIC, err error) {
	if o.Name == "" {
		return nil, errors.New("open interface: no name")
	}
	label := o.NSLabel
	if label == "" {
		label = "host"
	}
	var h netns.NsHandle
	if o.NS == nil {
		if h, err = netns.Get(); err != nil {
			return nil, fmt.Errorf("open interface %s: current namespace: %w", o.Name, err)
		}
	} else if h, err = dupHandle(*o.NS); err != nil {
		return nil, fmt.Errorf("open interface %s: %w", o.Name, err)
	}
	ns := &Namespace{Name: label, Handle: h, borrowed: true}
	defer func() {
		if err != nil {
			err = errors.Join(err, ns.Close())
		}
	}()
	// Only the route family: others (xfrm, netfilter) may be modules a
	// minimal kernel has not loaded.
	if ns.nl, err = netlink.NewHandleAt(h, unix.NETLINK_ROUTE); err != nil {
		return nil, fmt.Errorf("open interface %s: netlink: %w", o.Name, err)
	}
	if err = nsthread.Do(h, func() error {
		var err error
		ns.eth, err = ethtool.NewEthtool()
		return err
	}); err != nil {
		return nil, fmt.Errorf("open interface %s: ethtool: %w", o.Name, err)
	}
	l, err := ns.nl.LinkByName(o.Name)
	if err != nil {
		return nil, fmt.Errorf("interface %s (namespace %s): %w: check the name with `ip link`", o.Name, label, err)
	}
	n := &NIC{Endpoint: Endpoint{NS: ns, Name: o.Name, Ifindex: l.Attrs().Index, MAC: l.Attrs().HardwareAddr}}
	if o.NS == nil {
		n.journal = o.Journal
	}
	why, ssh, err := carriesDefaultRoute(ns.nl, n.Ifindex, os.Getenv("SSH_CONNECTION"))
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", o.Name, err)
	}
	if ssh && o.NeverSSH {
		return nil, fmt.Errorf("interface %s carries the SSH session xdplab runs over (%s): taking it would cut the session that gives it back; name another interface", o.Name, why)
	}
	n.DefaultRoute = why != ""
	if n.DefaultRoute && !o.Force {
		return nil, fmt.Errorf("interface %s %w (%s): xdplab will not attach to it or send on it, "+
			"since that can cut this machine off; name another interface, or add --force if you mean it", o.Name, ErrDefaultRoute, why)
	}
	return n, nil
}

func dupHandle(h netns.NsHandle) (netns.NsHandle, error) {
	var d netns.NsHandle
	err := nsthread.Do(h, func() error {
		var err error
		d, err = netns.Get()
		return err
	})
	return d, err
}

// carriesDefaultRoute tells why moving or attaching to ifindex could cut
// the machine off, or "" where nothing says so: a default route (IPv4 or
// IPv6, any table, directly or as one of several next hops), or the route
// to the SSH client of this session (sshConn is $SSH_CONNECTION), leaves
// through ifindex or through a device stacked with it: its master (a
// bridge or bond it is a port of), its lower device (a VLAN's or
// macvlan's parent), or an upper one (a VLAN, macvlan or master on top),
// transitively.
func carriesDefaultRoute(h *netlink.Handle, ifindex int, sshConn string) (why string, ssh bool, err error) {
	links, err := h.LinkList()
	if err != nil {
		return "", false, fmt.Errorf("list links: %w", err)
	}
	related := stacked(links, ifindex)
	name := func(i int) string {
		for _, l := range links {
			if l.Attrs().Index == i {
				return l.Attrs().Name
			}
		}
		return fmt.Sprintf("ifindex %d", i)
	}
	via := func(i int) string {
		if i == ifindex {
			return ""
		}
		return fmt.Sprintf(" through %s, which it is stacked with", name(i))
	}
	// The SSH session first: its interface is refused even where it
	// also carries the default route, and even with --force by the agent.
	if f := strings.Fields(sshConn); len(f) >= 1 {
		if ip := net.ParseIP(f[0]); ip != nil {
			rs, err := h.RouteGet(ip)
			if err == nil {
				for _, r := range rs {
					if related[r.LinkIndex] {
						return fmt.Sprintf("the route to this SSH session's client %s leaves%s", ip, via(r.LinkIndex)), true, nil
					}
				}
			}
		}
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := h.RouteListFiltered(fam, &netlink.Route{Table: 0}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return "", false, fmt.Errorf("list routes: %w", err)
		}
		for _, r := range routes {
			if r.Dst != nil {
				if ones, _ := r.Dst.Mask.Size(); ones != 0 {
					continue
				}
			}
			if related[r.LinkIndex] {
				return "the default route leaves" + via(r.LinkIndex), false, nil
			}
			for _, nh := range r.MultiPath {
				if related[nh.LinkIndex] {
					return "a next hop of the default route leaves" + via(nh.LinkIndex), false, nil
				}
			}
		}
	}
	return "", false, nil
}

// stacked is ifindex and every device stacked with it: masters and lower
// devices below, upper devices above, transitively.
func stacked(links []netlink.Link, ifindex int) map[int]bool {
	set := map[int]bool{ifindex: true}
	for changed := true; changed; {
		changed = false
		for _, l := range links {
			a := l.Attrs()
			in := set[a.Index]
			lower := []int{a.MasterIndex}
			if a.NetNsID < 0 {
				// A parent in another namespace (a veth's peer) has an
				// index of that namespace's: not one of these.
				lower = append(lower, a.ParentIndex)
			}
			for _, other := range lower {
				if other == 0 {
					continue
				}
				// l sits on other: either in the set brings the other.
				if in && !set[other] {
					set[other], changed = true, true
				}
				if set[other] && !in {
					set[a.Index], in, changed = true, true, true
				}
			}
		}
	}
	return set
}

func (n *NIC) record(what string, fn func() error) {
	n.undo = append(n.undo, undoStep{what, fn})
}

// journalFirst writes the interface as it is to the journal before its
// first change.
func (n *NIC) journalFirst() error {
	if n.journal == nil || n.journaled {
		return nil
	}
	rec, err := snapshot(n.NS, n.Name)
	if err != nil {
		return err
	}
	if err := n.journal.Lend(rec); err != nil {
		return err
	}
	n.journaled = true
	return nil
}

// Changes lists what Restore will undo, oldest first.
func (n *NIC) Changes() []string {
	var out []string
	for _, u := range n.undo {
		out = append(out, u.what)
	}
	return out
}

// SetMTU sets the MTU and records the old one.
func (n *NIC) SetMTU(mtu int) error {
	l, err := n.NS.nl.LinkByIndex(n.Ifindex)
	if err != nil {
		return fmt.Errorf("set mtu of %s: %w", n.Name, err)
	}
	old := l.Attrs().MTU
	if old == mtu {
		return nil
	}
	if err := n.journalFirst(); err != nil {
		return err
	}
	if err := n.NS.nl.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("set mtu of %s to %d: %w", n.Name, mtu, err)
	}
	n.record(fmt.Sprintf("mtu %d -> %d", old, mtu), func() error {
		if err := n.NS.nl.LinkSetMTU(l, old); err != nil {
			return fmt.Errorf("restore mtu %d on %s: %w", old, n.Name, err)
		}
		return nil
	})
	return nil
}

// SetFeature turns an ethtool feature (rx-gro, ...) on or off and records
// the old state.
func (n *NIC) SetFeature(name string, on bool) error {
	f, err := n.NS.eth.Features(n.Name)
	if err != nil {
		return fmt.Errorf("read features of %s: %w", n.Name, err)
	}
	old, ok := f[name]
	if !ok {
		return fmt.Errorf("set %s on %s: the driver has no such feature", name, n.Name)
	}
	if old == on {
		return nil
	}
	if err := n.journalFirst(); err != nil {
		return err
	}
	if err := n.NS.eth.Change(n.Name, map[string]bool{name: on}); err != nil {
		return fmt.Errorf("set %s %v on %s: %w", name, on, n.Name, err)
	}
	n.record(fmt.Sprintf("%s %v -> %v", name, old, on), func() error {
		if err := n.NS.eth.Change(n.Name, map[string]bool{name: old}); err != nil {
			return fmt.Errorf("restore %s %v on %s: %w", name, old, n.Name, err)
		}
		return nil
	})
	return nil
}

// SetQueues sets the number of queues: combined channels where the driver
// has them, else rx and tx channels (veth). It records the old settings.
func (n *NIC) SetQueues(count uint32) error {
	old, err := n.NS.eth.GetChannels(n.Name)
	if err != nil {
		return fmt.Errorf("read channels of %s: %w", n.Name, err)
	}
	want := old
	if old.MaxCombined > 0 {
		want.CombinedCount = count
	} else {
		want.RxCount, want.TxCount = count, count
	}
	if want == old {
		return nil
	}
	if err := n.journalFirst(); err != nil {
		return err
	}
	if _, err := n.NS.eth.SetChannels(n.Name, want); err != nil {
		return fmt.Errorf("set %d queues on %s: %w", count, n.Name, err)
	}
	n.record(fmt.Sprintf("channels rx %d tx %d combined %d -> rx %d tx %d combined %d", old.RxCount, old.TxCount,
		old.CombinedCount, want.RxCount, want.TxCount, want.CombinedCount), func() error {
		if _, err := n.NS.eth.SetChannels(n.Name, old); err != nil {
			return fmt.Errorf("restore channels on %s: %w", n.Name, err)
		}
		return nil
	})
	return nil
}

// Restore undoes every recorded change, newest first; it goes on past a
// failed step and returns every error.
func (n *NIC) Restore() error {
	var errs []error
	for i := len(n.undo) - 1; i >= 0; i-- {
		errs = append(errs, n.undo[i].fn())
	}
	n.undo = nil
	if err := errors.Join(errs...); err != nil {
		return &TeardownError{fmt.Errorf("restore %s: %w", n.Name, err)}
	}
	if n.journaled {
		if err := n.journal.Returned(n.Name); err != nil {
			return &TeardownError{err}
		}
		n.journaled = false
	}
	return nil
}

// TeardownError is a restore or removal at the end of a run that failed:
// something is left as the run made it. The message says what, and the
// journal (if any) keeps the record for `xdplab clean`.
type TeardownError struct{ Err error }

func (e *TeardownError) Error() string {
	return fmt.Sprintf("teardown incomplete: %v (run `xdplab clean`, or `xdplab clean --dry-run` to see what it would do)", e.Err)
}
func (e *TeardownError) Unwrap() error { return e.Err }

// Close restores what was changed and closes the handles; the interface
// and its namespace stay.
func (n *NIC) Close() error {
	if n == nil {
		return nil
	}
	err := n.Restore()
	return errors.Join(err, n.NS.Close())
}
