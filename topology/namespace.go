package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/safchain/ethtool"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/nsthread"
)

// NamespacePrefix starts the name of every namespace xdplab makes.
const NamespacePrefix = "xdplab-"

// LinkPrefix starts the name of every link xdplab makes.
const LinkPrefix = "xl"

// netnsDir is where iproute2 and vishvananda/netns keep named namespaces.
const netnsDir = "/var/run/netns"

// Namespace is a named network namespace xdplab made.
type Namespace struct {
	Name   string
	Handle netns.NsHandle
	nl     *netlink.Handle
	eth    *ethtool.Ethtool
	// borrowed: a namespace xdplab did not make (the host's, for a NIC the
	// user named); Close leaves it alone.
	borrowed bool
}

// newNamespace makes a named namespace and opens handles into it.
func newNamespace(name string) (*Namespace, error) {
	if !strings.HasPrefix(name, NamespacePrefix) {
		return nil, fmt.Errorf("namespace %q: xdplab names its namespaces %s<id>-<role>", name, NamespacePrefix)
	}
	if _, err := os.Stat(filepath.Join(netnsDir, name)); err == nil {
		return nil, fmt.Errorf("create namespace %s: it exists already, made by another run or left by a dead one (`xdplab clean --dry-run` tells which)", name)
	}
	h, err := createNamed(name)
	if err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", name, permHint(err))
	}
	ns := &Namespace{Name: name, Handle: h}
	if err := ns.openHandles(); err != nil {
		return nil, errors.Join(err, ns.Close())
	}
	lo, err := ns.nl.LinkByName("lo")
	if err == nil {
		err = ns.nl.LinkSetUp(lo)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("namespace %s: bring up lo: %w", name, err), ns.Close())
	}
	return ns, nil
}

// openHandles opens the netlink and ethtool handles into the namespace.
// Only the route family: others (xfrm, netfilter) may be modules a minimal
// kernel has not loaded. The ethtool socket takes the namespace of the
// thread that opens it.
func (n *Namespace) openHandles() error {
	var err error
	if n.nl, err = netlink.NewHandleAt(n.Handle, unix.NETLINK_ROUTE); err != nil {
		return fmt.Errorf("netlink in namespace %s: %w", n.Name, err)
	}
	err = nsthread.Do(n.Handle, func() error {
		var err error
		n.eth, err = ethtool.NewEthtool()
		return err
	})
	if err != nil {
		return fmt.Errorf("ethtool in namespace %s: %w", n.Name, err)
	}
	return nil
}

// shareNetnsDir makes netnsDir a mount point of its own with shared
// propagation, as `ip netns add` does before its first namespace. Where
// xdplab made the first named namespace and iproute2 came after, iproute2
// bind-mounted the directory over xdplab's namespaces: hidden beneath it,
// they could be neither unmounted nor removed (EINVAL, then EBUSY).
var shareNetnsDir = sync.OnceValue(func() error {
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return err
	}
	err := unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) { // not a mount point yet
		if err = unix.Mount(netnsDir, netnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
			err = unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		}
	}
	if err != nil {
		return fmt.Errorf("make %s a shared mount point, as ip netns does: %w", netnsDir, err)
	}
	return nil
})

// createNamed makes the namespace on a throw-away thread, so the caller's
// thread never changes namespace.
func createNamed(name string) (netns.NsHandle, error) {
	if err := shareNetnsDir(); err != nil {
		return netns.None(), err
	}
	type res struct {
		h   netns.NsHandle
		err error
	}
	c := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: this thread ends in the new namespace and dies.
		h, err := netns.NewNamed(name)
		c <- res{h, err}
	}()
	r := <-c
	return r.h, r.err
}

// Netlink returns a netlink handle in the namespace.
func (n *Namespace) Netlink() *netlink.Handle { return n.nl }

// Ethtool returns an ethtool handle in the namespace.
func (n *Namespace) Ethtool() *ethtool.Ethtool { return n.eth }

// Close closes the handles and deletes the namespace, and with it every
// link in it.
func (n *Namespace) Close() error {
	if n == nil {
		return nil
	}
	if n.eth != nil {
		n.eth.Close()
		n.eth = nil
	}
	if n.nl != nil {
		n.nl.Close()
		n.nl = nil
	}
	var errs []error
	if n.Handle.IsOpen() {
		if err := n.Handle.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close namespace %s: %w", n.Name, err))
		}
		n.Handle = netns.None()
	}
	if n.Name != "" && !n.borrowed {
		if err := netns.DeleteNamed(n.Name); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", n.Name, err))
		}
		n.Name = ""
	}
	return errors.Join(errs...)
}

func permHint(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (run as root, or grant CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_BPF)", err)
	}
	return err
}
