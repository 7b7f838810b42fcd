package xdp

import (
	"errors"
	"fmt"
	"net"

	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// AttachOptions says where and how to attach an XDP program.
type AttachOptions struct {
	NS      netns.NsHandle // the interface's namespace
	Iface   string
	Program *ebpf.Program
	Mode    xdpmode.Mode
	// ForceNetlink attaches through netlink even where bpf_link works.
	ForceNetlink bool
}

// Attachment is an attached program. Close detaches it.
type Attachment struct {
	Iface   string
	Ifindex int
	Mode    xdpmode.Mode // the mode the kernel reports, equal to the one asked for
	Method  string       // "bpf_link" or "netlink"

	ns     netns.NsHandle
	lnk    link.Link
	flags  link.XDPAttachFlags
	closed bool
}

// ModeMismatchError is returned when the kernel attached a program in
// another mode than the one asked for.
type ModeMismatchError struct {
	Iface           string
	Asked, Reported xdpmode.Mode
	ReportedRaw     uint32
}

func (e *ModeMismatchError) Error() string {
	return fmt.Sprintf("attach %s %s: the kernel reports the program attached in %s mode (IFLA_XDP_ATTACHED=%d)",
		e.Iface, e.Asked, e.Reported, e.ReportedRaw)
}

// Attach attaches the program and reads the mode back.
func Attach(o AttachOptions) (*Attachment, error) {
	if o.Program == nil {
		return nil, fmt.Errorf("attach %s: no program", o.Iface)
	}
	if linkFlags(o.Mode) == 0 {
		return nil, fmt.Errorf("attach %s: unknown mode %d", o.Iface, int(o.Mode))
	}
	a := &Attachment{Iface: o.Iface, ns: o.NS, flags: linkFlags(o.Mode)}
	useNetlink := o.ForceNetlink
	if !useNetlink {
		if err := HaveXDPLink(); errors.Is(err, ebpf.ErrNotSupported) {
			useNetlink = true
		}
	}
	err := nsthread.Do(o.NS, func() error {
		ifi, err := net.InterfaceByName(o.Iface)
		if err != nil {
			return fmt.Errorf("attach %s %s: %w", o.Iface, o.Mode, err)
		}
		a.Ifindex = ifi.Index
		if useNetlink {
			a.Method = "netlink"
			l, err := netlink.LinkByIndex(ifi.Index)
			if err != nil {
				return fmt.Errorf("attach %s %s: %w", o.Iface, o.Mode, err)
			}
			// XDP_FLAGS_UPDATE_IF_NOEXIST (1): never replace someone's program.
			if err := netlink.LinkSetXdpFdWithFlags(l, o.Program.FD(), int(a.flags)|1); err != nil {
				return explainAttach(o, err)
			}
			return nil
		}
		a.Method = "bpf_link"
		l, err := link.AttachXDP(link.XDPOptions{Program: o.Program, Interface: ifi.Index, Flags: a.flags})
		if err != nil {
			return explainAttach(o, err)
		}
		a.lnk = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	mode, raw, err := a.readBack(o.Program)
	if err != nil {
		return nil, errors.Join(err, a.Close())
	}
	if mode != o.Mode {
		return nil, errors.Join(&ModeMismatchError{Iface: o.Iface, Asked: o.Mode, Reported: mode, ReportedRaw: raw}, a.Close())
	}
	a.Mode = mode
	return a, nil
}

// readBack asks netlink which mode the program runs in.
func (a *Attachment) readBack(prog *ebpf.Program) (xdpmode.Mode, uint32, error) {
	h, err := netlink.NewHandleAt(a.ns, unix.NETLINK_ROUTE)
	if err != nil {
		return 0, 0, fmt.Errorf("read back xdp mode of %s: %w", a.Iface, err)
	}
	defer h.Close()
	l, err := h.LinkByIndex(a.Ifindex)
	if err != nil {
		return 0, 0, fmt.Errorf("read back xdp mode of %s: %w", a.Iface, err)
	}
	x := l.Attrs().Xdp
	if x == nil || !x.Attached {
		return 0, 0, fmt.Errorf("read back xdp mode of %s: the kernel reports no XDP program attached", a.Iface)
	}
	if info, err := prog.Info(); err == nil {
		if id, ok := info.ID(); ok && x.ProgId != 0 && uint32(id) != x.ProgId {
			return 0, x.AttachMode, fmt.Errorf("read back xdp mode of %s: program id %d attached, not ours (%d)", a.Iface, x.ProgId, id)
		}
	}
	m, ok := modeFromAttached(x.AttachMode)
	if !ok {
		return 0, x.AttachMode, fmt.Errorf("read back xdp mode of %s: the kernel reports attach mode %d (several programs or none)", a.Iface, x.AttachMode)
	}
	return m, x.AttachMode, nil
}

// Close detaches the program. It is safe to call twice.
func (a *Attachment) Close() error {
	if a == nil || a.closed {
		return nil
	}
	a.closed = true
	if a.lnk != nil {
		if err := a.lnk.Close(); err != nil {
			return fmt.Errorf("detach %s: %w", a.Iface, err)
		}
		return nil
	}
	return nsthread.Do(a.ns, func() error {
		l, err := netlink.LinkByIndex(a.Ifindex)
		if err != nil {
			var nf netlink.LinkNotFoundError
			if errors.As(err, &nf) {
				return nil // the interface is gone, and the program with it
			}
			return fmt.Errorf("detach %s: %w", a.Iface, err)
		}
		if err := netlink.LinkSetXdpFdWithFlags(l, -1, int(a.flags)); err != nil {
			return fmt.Errorf("detach %s: %w", a.Iface, err)
		}
		return nil
	})
}

// explainAttach turns an attach errno into a sentence a user can act on.
func explainAttach(o AttachOptions, err error) error {
	base := fmt.Sprintf("attach %s %s", o.Iface, o.Mode)
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%s: %w (run as root or grant CAP_BPF and CAP_NET_ADMIN)", base, err)
	case errors.Is(err, unix.EBUSY), errors.Is(err, unix.EEXIST):
		return fmt.Errorf("%s: another XDP program is attached there already: %w", base, err)
	case o.Mode == xdpmode.Offload && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)):
		return fmt.Errorf("%s: the device cannot offload this program (no hardware offload, or the program was not loaded bound to it): %w", base, err)
	case o.Mode == xdpmode.Native && errors.Is(err, unix.EOPNOTSUPP):
		// A driver with native XDP refuses it too where its setup does
		// not fit (vmxnet3 above its XDP MTU, virtio_net without enough
		// queues): the bpf_link path gives no extended ack to say which.
		return fmt.Errorf("%s: the driver refused native XDP (it has none, or not with this MTU or these queues): %w", base, err)
	case errors.Is(err, unix.ERANGE), errors.Is(err, unix.E2BIG):
		return fmt.Errorf("%s: the MTU is too large for XDP on this driver (or the program is not frags-aware): %w", base, err)
	}
	return fmt.Errorf("%s: %w", base, err)
}
