package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Thread is what the kernel accounts to one thread: its time on CPU
// (schedstat, in ns), the split of that time into user and system
// (stat's utime and stime, in clock ticks: only their ratio is used),
// and its context switches (status).
type Thread struct {
	RunNs       uint64
	UserTicks   uint64
	SystemTicks uint64
	Voluntary   uint64
	Involuntary uint64
}

// Sub returns t - o.
func (t Thread) Sub(o Thread) Thread {
	return Thread{RunNs: t.RunNs - o.RunNs, UserTicks: t.UserTicks - o.UserTicks, SystemTicks: t.SystemTicks - o.SystemTicks,
		Voluntary: t.Voluntary - o.Voluntary, Involuntary: t.Involuntary - o.Involuntary}
}

// Split divides the time on CPU into user and system ns by the ticks'
// ratio; with no tick yet it is all system (a reader that only waits
// in poll runs in the kernel).
func (t Thread) Split() (userNs, systemNs float64) {
	ticks := t.UserTicks + t.SystemTicks
	if ticks == 0 {
		return 0, float64(t.RunNs)
	}
	u := float64(t.RunNs) * float64(t.UserTicks) / float64(ticks)
	return u, float64(t.RunNs) - u
}

// ReadThread reads thread tid of this process.
func ReadThread(tid int) (Thread, error) {
	dir := fmt.Sprintf("/proc/self/task/%d/", tid)
	var t Thread
	b, err := os.ReadFile(dir + "schedstat")
	if err != nil {
		return t, err
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return t, fmt.Errorf("%sschedstat: %q: no run time", dir, b)
	}
	if t.RunNs, err = strconv.ParseUint(f[0], 10, 64); err != nil {
		return t, fmt.Errorf("%sschedstat: %w", dir, err)
	}
	if b, err = os.ReadFile(dir + "stat"); err != nil {
		return t, err
	}
	if t.UserTicks, t.SystemTicks, err = parseTaskStat(b); err != nil {
		return t, fmt.Errorf("%sstat: %w", dir, err)
	}
	if b, err = os.ReadFile(dir + "status"); err != nil {
		return t, err
	}
	t.Voluntary, t.Involuntary, err = parseSwitches(b)
	if err != nil {
		return t, fmt.Errorf("%sstatus: %w", dir, err)
	}
	return t, nil
}

// parseTaskStat reads utime and stime (fields 14 and 15; the command,
// field 2, may hold spaces and parentheses: count from its last ')').
func parseTaskStat(b []byte) (utime, stime uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("no command field")
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')': state is field 3, so utime (14) is f[11], stime f[12].
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%d fields after the command, want 13 or more", len(f))
	}
	if utime, err = strconv.ParseUint(f[11], 10, 64); err != nil {
		return 0, 0, err
	}
	stime, err = strconv.ParseUint(f[12], 10, 64)
	return utime, stime, err
}

func parseSwitches(b []byte) (vol, invol uint64, err error) {
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var p *uint64
		switch k {
		case "voluntary_ctxt_switches":
			p = &vol
		case "nonvoluntary_ctxt_switches":
			p = &invol
		default:
			continue
		}
		if *p, err = strconv.ParseUint(strings.TrimSpace(v), 10, 64); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", k, err)
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("no context switch counts")
	}
	return vol, invol, nil
}
