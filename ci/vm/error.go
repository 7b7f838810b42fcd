package vm

import (
	"fmt"
	"strings"
	"time"
)

// Why a VM ended badly.
type ErrorKind int

const (
	// NoBoot: the boot did not reach the init script in time (KVM's
	// boot deadline, or QEMU ended first). Under a KVM choice that is not
	// forced, Run boots again with TCG.
	NoBoot ErrorKind = iota + 1
	// Stalled: the console said nothing for Options.Stall.
	Stalled
	// TimedOut: the VM ran past Options.Timeout.
	TimedOut
	// Exited: QEMU ended with an error after the init script started.
	Exited
	// Unfinished: the VM powered off before its script ended (a kernel
	// panic, or init died).
	Unfinished
	// Stuck: a timed step outlived its budget, the KILL after it and
	// StuckAfter: a process stuck in the kernel.
	Stuck
)

// Error says how a VM ended badly, with the accelerator, the step it was
// in and the console's last lines.
type Error struct {
	Kind  ErrorKind
	Accel Accel
	After time.Duration // how long the VM had run
	// Limit is the deadline that ran out (NoBoot, Stalled, TimedOut).
	Limit time.Duration
	// Said: the console showed anything at all (NoBoot, Stalled).
	Said bool
	Step string   // the step running when it ended, if any
	Last []string // the console's last lines
	Err  error    // QEMU's exit (NoBoot, Exited)
}

// Reason is what went wrong, without the accelerator, step or console.
func (e *Error) Reason() string {
	switch e.Kind {
	case NoBoot:
		switch {
		case e.Err != nil:
			return fmt.Sprintf("QEMU ended before the init script started: %v", e.Err)
		case !e.Said:
			return fmt.Sprintf("no console output in %s", e.Limit)
		default:
			return fmt.Sprintf("the init script did not start in %s", e.Limit)
		}
	case Stalled:
		return fmt.Sprintf("the console was silent for %s", e.Limit)
	case TimedOut:
		return fmt.Sprintf("the VM did not power off within %s", e.Limit)
	case Exited:
		return fmt.Sprintf("qemu: %v", e.Err)
	case Unfinished:
		return "the VM powered off before its script ended (a kernel panic, or init died)"
	case Stuck:
		return fmt.Sprintf("a step ran %s past its budget of %s and the KILL after it: a process stuck in the kernel (an uninterruptible sleep: a driver or lock that does not return)", killGrace+StuckAfter, e.Limit)
	}
	return "the VM failed"
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason())
	fmt.Fprintf(&b, " (accel %s", e.Accel)
	if e.Step != "" {
		fmt.Fprintf(&b, ", in step %s", e.Step)
	}
	b.WriteString(")")
	if len(e.Last) > 0 {
		b.WriteString("; the console's last lines:\n    | " + strings.Join(e.Last, "\n    | "))
	} else {
		b.WriteString("; the console was empty")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
