package hook

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// TCOptions says where to attach a program at tc ingress.
type TCOptions struct {
	NS      netns.NsHandle // the interface's namespace
	Iface   string
	Program *ebpf.Program // a SchedCLS program
	// ForceClsact attaches as a cls_bpf filter on clsact even where the
	// kernel has tcx (6.6+): what older kernels run.
	ForceClsact bool
}

// TC is a program attached at tc ingress. Close detaches it.
type TC struct {
	Iface   string
	Ifindex int
	// Method is "tcx" (a BPF link, 6.6+) or "cls_bpf on clsact"
	// (direct-action, for kernels before tcx).
	Method string
	// ReadBack is how the attach was confirmed.
	ReadBack string

	ns     netns.NsHandle
	lnk    link.Link
	filter *netlink.BpfFilter
	qdisc  *netlink.GenericQdisc // the clsact qdisc we added, nil if there was one
	closed bool
}

// tcxIngress is where tcx attaches.
const tcxIngress = ebpf.AttachTCXIngress

// AttachTC attaches the program at tc ingress of the interface and reads
// the attach back: the program's id among the interface's tcx programs,
// or the filter with that id on clsact's ingress.
func AttachTC(o TCOptions) (*TC, error) {
	if o.Program == nil {
		return nil, fmt.Errorf("attach %s tc: no program", o.Iface)
	}
	info, err := o.Program.Info()
	if err != nil {
		return nil, fmt.Errorf("attach %s tc: program info: %w", o.Iface, err)
	}
	id, _ := info.ID()
	t := &TC{Iface: o.Iface, ns: o.NS}
	err = nsthread.Do(o.NS, func() error {
		ifi, err := net.InterfaceByName(o.Iface)
		if err != nil {
			return fmt.Errorf("attach %s tc: %w", o.Iface, err)
		}
		t.Ifindex = ifi.Index
		if !o.ForceClsact {
			l, err := link.AttachTCX(link.TCXOptions{Interface: ifi.Index, Program: o.Program, Attach: tcxIngress})
			if err == nil {
				t.lnk, t.Method = l, "tcx"
				return t.readBackTCX(uint32(id))
			}
			if !errors.Is(err, ebpf.ErrNotSupported) {
				return fmt.Errorf("attach %s tc (tcx): %w", o.Iface, explain(err))
			}
		}
		t.Method = "cls_bpf on clsact"
		return t.attachClsact(o, uint32(id))
	})
	if err != nil {
		return nil, errors.Join(err, t.Close())
	}
	return t, nil
}

// readBackTCX finds the program among the interface's tcx ingress ones.
func (t *TC) readBackTCX(id uint32) error {
	res, err := link.QueryPrograms(link.QueryOptions{Target: t.Ifindex, Attach: tcxIngress})
	if err != nil {
		return fmt.Errorf("read back tcx of %s: %w", t.Iface, err)
	}
	for _, p := range res.Programs {
		if uint32(p.ID) == id {
			t.ReadBack = fmt.Sprintf("program id %d among %d tcx ingress program(s)", id, len(res.Programs))
			return nil
		}
	}
	return fmt.Errorf("read back tcx of %s: program id %d is not attached at ingress", t.Iface, id)
}

// attachClsact adds clsact (unless the interface has it) and a
// direct-action cls_bpf filter at its ingress, then finds it again.
func (t *TC) attachClsact(o TCOptions, id uint32) error {
	l, err := netlink.LinkByIndex(t.Ifindex)
	if err != nil {
		return fmt.Errorf("attach %s tc: %w", o.Iface, err)
	}
	q := &netlink.GenericQdisc{QdiscType: "clsact", QdiscAttrs: netlink.QdiscAttrs{LinkIndex: t.Ifindex,
		Handle: netlink.MakeHandle(0xffff, 0), Parent: netlink.HANDLE_CLSACT}}
	if err := netlink.QdiscAdd(q); err == nil {
		t.qdisc = q
	} else if !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("attach %s tc: add clsact: %w", o.Iface, explain(err))
	}
	f := &netlink.BpfFilter{FilterAttrs: netlink.FilterAttrs{LinkIndex: t.Ifindex, Parent: netlink.HANDLE_MIN_INGRESS,
		Handle: 1, Protocol: unix.ETH_P_ALL, Priority: 1}, Fd: o.Program.FD(), Name: "xdplab", DirectAction: true}
	if err := netlink.FilterAdd(f); err != nil {
		return fmt.Errorf("attach %s tc: add cls_bpf filter: %w", o.Iface, explain(err))
	}
	t.filter = f
	fs, err := netlink.FilterList(l, netlink.HANDLE_MIN_INGRESS)
	if err != nil {
		return fmt.Errorf("read back tc filters of %s: %w", o.Iface, err)
	}
	if !slices.ContainsFunc(fs, func(x netlink.Filter) bool {
		b, ok := x.(*netlink.BpfFilter)
		return ok && uint32(b.Id) == id && b.DirectAction
	}) {
		return fmt.Errorf("read back tc filters of %s: no direct-action cls_bpf filter with program id %d at ingress", o.Iface, id)
	}
	t.ReadBack = fmt.Sprintf("direct-action cls_bpf filter with program id %d on clsact ingress", id)
	return nil
}

// Close detaches the program (and removes the clsact qdisc it added). It
// is safe to call twice.
func (t *TC) Close() error {
	if t == nil || t.closed {
		return nil
	}
	t.closed = true
	if t.lnk != nil {
		return t.lnk.Close()
	}
	if t.filter == nil && t.qdisc == nil {
		return nil
	}
	return nsthread.Do(t.ns, func() error {
		var errs []error
		if t.filter != nil {
			if err := netlink.FilterDel(t.filter); err != nil && !gone(err) {
				errs = append(errs, fmt.Errorf("detach %s tc filter: %w", t.Iface, err))
			}
		}
		if t.qdisc != nil {
			if err := netlink.QdiscDel(t.qdisc); err != nil && !gone(err) {
				errs = append(errs, fmt.Errorf("remove clsact of %s: %w", t.Iface, err))
			}
		}
		return errors.Join(errs...)
	})
}

// gone: the interface (and what was attached to it) is no more.
func gone(err error) bool {
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EINVAL)
}

// explain adds what a user can do about a permission error.
func explain(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w (run as root or grant CAP_BPF and CAP_NET_ADMIN)", err)
	}
	return err
}
