package bpf

import (
	"fmt"

	"github.com/cilium/ebpf"
)

// Counter is a number of frames and their bytes (L2, without FCS).
type Counter struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// Sub returns c - o.
func (c Counter) Sub(o Counter) Counter {
	return Counter{Packets: c.Packets - o.Packets, Bytes: c.Bytes - o.Bytes}
}

// Stats is the content of the shared stats map, summed over CPUs, by action.
type Stats [NumActions]Counter

// Total sums all actions.
func (s Stats) Total() Counter {
	var t Counter
	for _, c := range s {
		t.Packets += c.Packets
		t.Bytes += c.Bytes
	}
	return t
}

// Sub returns s - o, action by action.
func (s Stats) Sub(o Stats) Stats {
	var d Stats
	for i := range s {
		d[i] = s[i].Sub(o[i])
	}
	return d
}

// ReadStats reads and sums the per-CPU stats map of a program.
func ReadStats(m *ebpf.Map) (Stats, error) {
	var s Stats
	if m == nil {
		return s, fmt.Errorf("read stats: program has no xdplab stats map")
	}
	for i := range uint32(NumActions) {
		var perCPU []dutDatarec
		if err := m.Lookup(i, &perCPU); err != nil {
			return s, fmt.Errorf("read stats %s: %w", Action(i), err)
		}
		for _, r := range perCPU {
			s[i].Packets += r.Packets
			s[i].Bytes += r.Bytes
		}
	}
	return s, nil
}
