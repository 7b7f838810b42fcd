package topology

import (
	"fmt"
	"strings"
)

// Counters are an interface's counters at one moment: netlink's link
// statistics and ethtool's driver statistics.
type Counters struct {
	RxPackets uint64 `json:"rx_packets"`
	RxBytes   uint64 `json:"rx_bytes"`
	RxDropped uint64 `json:"rx_dropped"`
	TxPackets uint64 `json:"tx_packets"`
	TxBytes   uint64 `json:"tx_bytes"`
	TxDropped uint64 `json:"tx_dropped"`
	// Ethtool holds the driver's statistics by name (for veth the per-queue
	// XDP counters: rx_queue_0_xdp_packets, tx_queue_0_xdp_xmit, ...).
	Ethtool map[string]uint64 `json:"ethtool,omitempty"`
}

// Sub returns c - o; ethtool counters present in both are subtracted.
func (c Counters) Sub(o Counters) Counters {
	d := Counters{
		RxPackets: c.RxPackets - o.RxPackets, RxBytes: c.RxBytes - o.RxBytes, RxDropped: c.RxDropped - o.RxDropped,
		TxPackets: c.TxPackets - o.TxPackets, TxBytes: c.TxBytes - o.TxBytes, TxDropped: c.TxDropped - o.TxDropped,
	}
	if c.Ethtool != nil {
		d.Ethtool = make(map[string]uint64, len(c.Ethtool))
		for k, v := range c.Ethtool {
			if ov, ok := o.Ethtool[k]; ok {
				d.Ethtool[k] = v - ov
			}
		}
	}
	return d
}

// SumQueues adds the per-queue ethtool counters with the given suffix over
// every queue of the given direction ("rx" or "tx"), e.g.
// SumQueues("rx", "xdp_packets") adds rx_queue_N_xdp_packets. ok is false
// when the driver has no such counter.
func (c Counters) SumQueues(dir, suffix string) (sum uint64, ok bool) {
	prefix := dir + "_queue_"
	for k, v := range c.Ethtool {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		i := strings.IndexByte(rest, '_')
		if i < 0 || rest[i+1:] != suffix {
			continue
		}
		sum += v
		ok = true
	}
	return sum, ok
}

// Counters reads the endpoint's counters.
func (e *Endpoint) Counters() (Counters, error) {
	l, err := e.NS.nl.LinkByName(e.Name)
	if err != nil {
		return Counters{}, fmt.Errorf("read counters of %s: %w", e.Name, err)
	}
	var c Counters
	if s := l.Attrs().Statistics; s != nil {
		c.RxPackets, c.RxBytes, c.RxDropped = s.RxPackets, s.RxBytes, s.RxDropped
		c.TxPackets, c.TxBytes, c.TxDropped = s.TxPackets, s.TxBytes, s.TxDropped
	}
	st, err := e.NS.eth.Stats(e.Name)
	if err == nil {
		c.Ethtool = st
	}
	return c, nil
}
