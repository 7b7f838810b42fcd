package bpf

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
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
type Stats [catalog.NumActions]Counter

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

// ReadStats reads the stats map of a program, summing per-CPU records.
func ReadStats(m *ebpf.Map) (Stats, error) {
	var s Stats
	if m == nil {
		return s, fmt.Errorf("read stats: program has no xdplab stats map")
	}
	for i := range uint32(catalog.NumActions) {
		if m.Type() == ebpf.Array {
			// The layout hardware offload needs: one record per action;
			// a device may hold fewer entries than actions (netdevsim:
			// 2), and the program counts nothing past them.
			if i >= m.MaxEntries() {
				continue
			}
			var r dutDatarec
			if err := m.Lookup(i, &r); err != nil {
				return s, fmt.Errorf("read stats %s: %w", catalog.Action(i), err)
			}
			s[i] = Counter{Packets: r.Packets, Bytes: r.Bytes}
			continue
		}
		var perCPU []dutDatarec
		if err := m.Lookup(i, &perCPU); err != nil {
			return s, fmt.Errorf("read stats %s: %w", catalog.Action(i), err)
		}
		for _, r := range perCPU {
			s[i].Packets += r.Packets
			s[i].Bytes += r.Bytes
		}
	}
	return s, nil
}

// StatsOverhead measures what BPF run-time stats add to every run of a
// program: it runs a program that does nothing but return XDP_DROP through
// BPF_PROG_TEST_RUN, five times 200000 runs, and returns the median run time
// per run the stats recorded, with the lowest and highest of the five. Call
// it while run-time stats are enabled (ebpf.EnableStats). The two clock reads
// per run dominate it; on a VM they cost tens of ns, far more than a small
// XDP program, so a program's stats figure is only honest net of this.
func StatsOverhead() (median, lo, hi float64, err error) {
	prog, err := LoadMinimal(MinimalOptions{Action: catalog.Drop})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("stats overhead: %w", err)
	}
	defer prog.Close()
	frame := make([]byte, 64)
	const rounds, repeat = 5, 200_000
	per := make([]float64, 0, rounds)
	last, err := prog.Stats()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("stats overhead: %w", err)
	}
	for range rounds {
		if _, err := prog.Run(&ebpf.RunOptions{Data: frame, Repeat: repeat}); err != nil {
			return 0, 0, 0, fmt.Errorf("stats overhead: test run: %w", err)
		}
		st, err := prog.Stats()
		if err != nil {
			return 0, 0, 0, fmt.Errorf("stats overhead: %w", err)
		}
		if st.RunCount == last.RunCount {
			return 0, 0, 0, errors.New("stats overhead: run-time stats are off")
		}
		per = append(per, float64(st.Runtime-last.Runtime)/float64(st.RunCount-last.RunCount))
		last = st
	}
	slices.Sort(per)
	return per[rounds/2], per[0], per[rounds-1], nil
}

// perCPUCounters reads entries 0..n-1 of a per-CPU array of the shared
// datarec layout (frames and bytes), each summed over CPUs.
func perCPUCounters(m *ebpf.Map, n int, what string) ([]Counter, error) {
	out := make([]Counter, n)
	for i := range out {
		var per []dutDatarec
		if err := m.Lookup(uint32(i), &per); err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, i, err)
		}
		for _, c := range per {
			out[i].Packets += c.Packets
			out[i].Bytes += c.Bytes
		}
	}
	return out, nil
}

// perCPUSums reads entries 0..n-1 of a per-CPU array of counters, each
// summed over CPUs.
func perCPUSums(m *ebpf.Map, n int, what string) ([]uint64, error) {
	out := make([]uint64, n)
	for i := range out {
		var per []uint64
		if err := m.Lookup(uint32(i), &per); err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, i, err)
		}
		for _, v := range per {
			out[i] += v
		}
	}
	return out, nil
}
