package vm

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"time"
)

// watcher reads the console as it comes: when it last said anything,
// whether the init script started, which step runs, each step's time, and
// the last lines worth showing in an error. QEMU's output reaches it
// through one goroutine (exec's copy); the watchdog reads it from another.
type watcher struct {
	mu      sync.Mutex
	start   time.Time
	last    time.Time // the last byte; zero: nothing yet
	firstAt time.Duration
	initAt  time.Duration
	inited  bool
	partial []byte
	tail    []string // the last lines, heartbeats left out
	step    string   // the step running now
	stepAt  time.Time
	// stepBudget is the running timed step's budget, from its marker.
	stepBudget time.Duration
	steps      []StepTime
	now        func() time.Time
}

// tailLines is how many console lines an error shows.
const tailLines = 8

// StepTime is how long one step of the script took, as the host saw its
// start and end markers go by.
type StepTime struct {
	Name   string        `json:"name"`
	Took   time.Duration `json:"took_ns"`
	Status int           `json:"status"`
	// Ended is false for a step that started and never reported its
	// status: the VM was stopped in it.
	Ended bool `json:"ended"`
}

func newWatcher(start time.Time, now func() time.Time) *watcher {
	return &watcher{start: start, now: now}
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.now()
	if w.last.IsZero() {
		w.firstAt = t.Sub(w.start)
	}
	w.last = t
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(strings.TrimRight(string(w.partial[:i]), "\r"), t)
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 4096 {
		// A line without an end (a progress bar, junk): keep its start.
		w.line(string(w.partial[:200])+"...", t)
		w.partial = w.partial[:0]
	}
	return len(p), nil
}

func (w *watcher) line(l string, t time.Time) {
	switch {
	case strings.HasPrefix(l, markInit):
		if !w.inited {
			w.inited, w.initAt = true, t.Sub(w.start)
		}
	case l == markAlive:
		return // a heartbeat says the guest lives, nothing to show
	case strings.HasPrefix(l, markStart):
		// "name" or, for a timed step, "name budget-seconds".
		f := strings.Fields(strings.TrimPrefix(l, markStart))
		w.step, w.stepAt, w.stepBudget = "", t, 0
		if len(f) > 0 {
			w.step = f[0]
		}
		if len(f) == 2 {
			if secs, err := strconv.Atoi(f[1]); err == nil && secs > 0 {
				w.stepBudget = time.Duration(secs) * time.Second
			}
		}
	case strings.HasPrefix(l, markStatus):
		f := strings.Fields(strings.TrimPrefix(l, markStatus))
		if len(f) == 2 && f[0] == w.step {
			st, _ := strconv.Atoi(f[1])
			w.steps = append(w.steps, StepTime{Name: w.step, Took: t.Sub(w.stepAt), Status: st, Ended: true})
			w.step = ""
		}
	}
	if strings.TrimSpace(l) == "" {
		return
	}
	if len(l) > 200 {
		l = l[:200] + "..."
	}
	w.tail = append(w.tail, l)
	if len(w.tail) > tailLines {
		w.tail = w.tail[len(w.tail)-tailLines:]
	}
}

// state is what the watchdog decides on.
type state struct {
	silent  time.Duration // since the last byte, or since the start
	said    bool          // any byte at all
	firstAt time.Duration // when the first came
	inited  bool
	initAt  time.Duration
	step    string
	stepFor time.Duration
	// stepBudget is the timed step's budget (zero: an untimed step).
	stepBudget time.Duration
}

func (w *watcher) state() state {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.now()
	s := state{inited: w.inited, initAt: w.initAt, step: w.step, said: !w.last.IsZero(), firstAt: w.firstAt, stepBudget: w.stepBudget}
	if s.said {
		s.silent = t.Sub(w.last)
	} else {
		s.silent = t.Sub(w.start)
	}
	if w.step != "" {
		s.stepFor = t.Sub(w.stepAt)
	}
	return s
}

// finish returns the steps, the one the VM was stopped in last, and the
// last lines (with an unfinished one).
func (w *watcher) finish() ([]StepTime, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	steps := append([]StepTime(nil), w.steps...)
	if w.step != "" {
		steps = append(steps, StepTime{Name: w.step, Took: w.now().Sub(w.stepAt)})
	}
	tail := append([]string(nil), w.tail...)
	if p := strings.TrimSpace(string(w.partial)); p != "" {
		if len(p) > 200 {
			p = p[:200] + "..."
		}
		tail = append(tail, p)
		if len(tail) > tailLines {
			tail = tail[1:]
		}
	}
	return steps, tail
}
