package topology

import (
	"fmt"
	"time"

	"github.com/xdplab/xdplab/results"
	"golang.org/x/sys/unix"
)

// SetGRO turns rx-gro on or off. A generic-mode program on a veth sees
// redirected frames only with rx-gro on, and a veth accepts redirected
// frames (ndo_xdp_xmit) only while its peer has a native XDP program or GRO.
func (e *Endpoint) SetGRO(on bool) error {
	if err := e.NS.eth.Change(e.Name, map[string]bool{"rx-gro": on}); err != nil {
		return fmt.Errorf("set rx-gro %v on %s: %w", on, e.Name, err)
	}
	return nil
}

// GRO reads whether rx-gro is on.
func (e *Endpoint) GRO() (bool, error) {
	f, err := e.NS.eth.Features(e.Name)
	if err != nil {
		return false, fmt.Errorf("read features of %s: %w", e.Name, err)
	}
	return f["rx-gro"], nil
}

// Queues reads the number of rx and tx queues of the endpoint.
func (e *Endpoint) Queues() (rx, tx int, err error) {
	l, err := e.NS.nl.LinkByName(e.Name)
	if err != nil {
		return 0, 0, fmt.Errorf("read queues of %s: %w", e.Name, err)
	}
	return l.Attrs().NumRxQueues, l.Attrs().NumTxQueues, nil
}

// Driver names the endpoint's driver (ethtool).
func (e *Endpoint) Driver() (string, error) {
	d, err := e.NS.eth.DriverName(e.Name)
	if err != nil {
		return "", fmt.Errorf("driver of %s: %w", e.Name, err)
	}
	return d, nil
}

// MTU reads the endpoint's MTU.
func (e *Endpoint) MTU() (int, error) {
	l, err := e.NS.nl.LinkByName(e.Name)
	if err != nil {
		return 0, fmt.Errorf("read mtu of %s: %w", e.Name, err)
	}
	return l.Attrs().MTU, nil
}

// SetMTU sets the endpoint's MTU. For the veths of a pair xdplab made:
// they go with the pair. A lent NIC's MTU is in its journal before the
// run changes anything, and its teardown (or xdplab clean) sets it back.
func (e *Endpoint) SetMTU(mtu int) error {
	l, err := e.NS.nl.LinkByName(e.Name)
	if err != nil {
		return fmt.Errorf("set mtu of %s: %w", e.Name, err)
	}
	if err := e.NS.nl.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("set mtu %d on %s: %w", mtu, e.Name, err)
	}
	return nil
}

// Environment is the endpoint as its driver has it, for the results'
// environment: driver, its version and firmware, ring sizes, channels and
// its IRQs' CPUs (irqs says them for a name). What the driver does not
// report stays empty.
func (e *Endpoint) Environment(role string, irqs func(name string) []string) results.NICEnvironment {
	n := results.NICEnvironment{Role: role, Name: e.Name}
	if d, err := e.NS.eth.DriverInfo(e.Name); err == nil {
		n.Driver, n.DriverVersion, n.Firmware = d.Driver, d.Version, d.FwVersion
	}
	if r, err := e.NS.eth.GetRing(e.Name); err == nil {
		n.Rings = fmt.Sprintf("rx %d tx %d", r.RxPending, r.TxPending)
	}
	if c, err := e.NS.eth.GetChannels(e.Name); err == nil {
		switch {
		case c.CombinedCount > 0 && c.RxCount+c.TxCount == 0:
			n.Channels = fmt.Sprintf("combined %d", c.CombinedCount)
		case c.CombinedCount > 0:
			n.Channels = fmt.Sprintf("rx %d tx %d combined %d", c.RxCount, c.TxCount, c.CombinedCount)
		default:
			n.Channels = fmt.Sprintf("rx %d tx %d", c.RxCount, c.TxCount)
		}
	}
	if irqs != nil {
		n.IRQs = irqs(e.Name)
	}
	return n
}

// LinkUpTimeout bounds WaitCarrier where the caller gives no time: a NIC
// negotiates its link in seconds (QEMU's emulated igb in about 2 s under
// TCG), and an XDP attach in native mode resets many drivers.
const LinkUpTimeout = 15 * time.Second

// WaitCarrier waits until the endpoint has its carrier (IFF_LOWER_UP): a
// real NIC drops it while it negotiates its link, and while a driver
// resets its rings for an XDP program attached or removed in native mode
// (igb, ixgbe, e1000e, ...); frames sent meanwhile are lost. A veth has its
// carrier as soon as both ends are up. It says how long it waited.
func (e *Endpoint) WaitCarrier(timeout time.Duration) (time.Duration, error) {
	if timeout <= 0 {
		timeout = LinkUpTimeout
	}
	start := time.Now()
	for {
		l, err := e.NS.nl.LinkByName(e.Name)
		if err != nil {
			return time.Since(start), fmt.Errorf("carrier of %s: %w", e.Name, err)
		}
		if l.Attrs().RawFlags&unix.IFF_LOWER_UP != 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > timeout {
			return time.Since(start), fmt.Errorf("%s has no carrier after %s (operstate %s): check the cable, or the driver's reset after an XDP attach", e.Name, timeout.Round(time.Second), l.Attrs().OperState)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
