package topology

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/xdplab/xdplab/internal/nsthread"
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

// IPInReceives reads the namespace's count of IP packets received
// (Ip InReceives from snmp, or Ip6InReceives from snmp6): what XDP_PASS
// delivered to the stack.
func (n *Namespace) IPInReceives(ipv6 bool) (uint64, error) {
	var v uint64
	err := nsthread.Do(n.Handle, func() error {
		var err error
		if ipv6 {
			v, err = readSNMP6("/proc/thread-self/net/snmp6", "Ip6InReceives")
		} else {
			v, err = readSNMP("/proc/thread-self/net/snmp", "Ip", "InReceives")
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("namespace %s: %w", n.Name, err)
	}
	return v, nil
}

func readSNMP(path, proto, field string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		h, v := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(h) == 0 || h[0] != proto+":" || len(v) != len(h) || v[0] != h[0] {
			continue
		}
		for j := range h {
			if h[j] == field {
				return strconv.ParseUint(v[j], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("%s: no %s %s", path, proto, field)
}

func readSNMP6(path, field string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == field {
			return strconv.ParseUint(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, field)
}
