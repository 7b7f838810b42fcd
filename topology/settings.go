package topology

import (
	"fmt"

	"github.com/xdplab/xdplab/results"
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

// SetMTU sets the endpoint's MTU. For the veths of a pair xdplab made:
// they go with the pair. A lent NIC's settings change only through its
// journal.
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
