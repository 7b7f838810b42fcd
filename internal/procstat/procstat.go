// Package procstat reads per-CPU time from /proc/stat, so that xdplab can say
// how much CPU a trial cost. It needs no privileges. Times are in the
// kernel's USER_HZ ticks converted to nanoseconds; /proc/stat has a
// resolution of one tick (10 ms with USER_HZ 100).
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// TickNS is the length of one USER_HZ tick in nanoseconds. USER_HZ is 100 on
// every Linux architecture xdplab runs on.
const TickNS = 10_000_000

// CPU holds one CPU's cumulative time in nanoseconds by kind.
type CPU struct {
	User    uint64 `json:"user_ns"`
	Nice    uint64 `json:"nice_ns"`
	System  uint64 `json:"system_ns"`
	Idle    uint64 `json:"idle_ns"`
	IOWait  uint64 `json:"iowait_ns"`
	IRQ     uint64 `json:"irq_ns"`
	SoftIRQ uint64 `json:"softirq_ns"`
	Steal   uint64 `json:"steal_ns"`
}

// Busy is the time the CPU did work: everything but idle, iowait and steal.
func (c CPU) Busy() uint64 { return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ }

// Total is all time accounted to the CPU.
func (c CPU) Total() uint64 { return c.Busy() + c.Idle + c.IOWait + c.Steal }

// Sub returns c - o.
func (c CPU) Sub(o CPU) CPU {
	return CPU{
		User: c.User - o.User, Nice: c.Nice - o.Nice, System: c.System - o.System,
		Idle: c.Idle - o.Idle, IOWait: c.IOWait - o.IOWait, IRQ: c.IRQ - o.IRQ,
		SoftIRQ: c.SoftIRQ - o.SoftIRQ, Steal: c.Steal - o.Steal,
	}
}

// Snapshot maps a CPU number to its times.
type Snapshot map[int]CPU

// Sub returns the per-CPU difference s - o for CPUs present in both.
func (s Snapshot) Sub(o Snapshot) Snapshot {
	d := make(Snapshot, len(s))
	for n, c := range s {
		if p, ok := o[n]; ok {
			d[n] = c.Sub(p)
		}
	}
	return d
}

// Read reads /proc/stat.
func Read() (Snapshot, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, fmt.Errorf("read cpu times: %w", err)
	}
	return Parse(b)
}

// Parse parses the content of /proc/stat.
func Parse(b []byte) (Snapshot, error) {
	s := Snapshot{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(f[0], "cpu"))
		if err != nil {
			return nil, fmt.Errorf("parse /proc/stat: bad cpu name %q", f[0])
		}
		var v [8]uint64
		for i := range v {
			if v[i], err = strconv.ParseUint(f[i+1], 10, 64); err != nil {
				return nil, fmt.Errorf("parse /proc/stat: %s field %d: %w", f[0], i+1, err)
			}
			v[i] *= TickNS
		}
		s[n] = CPU{User: v[0], Nice: v[1], System: v[2], Idle: v[3], IOWait: v[4], IRQ: v[5], SoftIRQ: v[6], Steal: v[7]}
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("parse /proc/stat: no per-CPU lines")
	}
	return s, nil
}
