package catalog

import (
	"fmt"
	"strings"
)

// The errors a user's object is refused with before anything is loaded:
// each names what to give (internal/spec turns them into the setting to
// change).

// ProgramChoiceError says that a user's object holds no XDP program of the
// name given (Name), or several and none was named.
type ProgramChoiceError struct {
	Object   string
	Name     string
	Programs []string // its XDP programs
	// Others say what else it holds where it holds no XDP program ("8
	// tracepoint program(s)").
	Others []string
}

// NoXDP says the object holds no XDP program at all: naming one cannot
// help.
func (e *ProgramChoiceError) NoXDP() bool { return len(e.Programs) == 0 }

// Holds says what the object holds instead of an XDP program.
func (e *ProgramChoiceError) Holds() string {
	if len(e.Others) == 0 {
		return "no program at all"
	}
	return strings.Join(e.Others, ", ")
}

func (e *ProgramChoiceError) Error() string {
	if e.NoXDP() {
		return fmt.Sprintf("load object %s: it holds no XDP program (it holds %s): xdplab loads XDP programs", e.Object, e.Holds())
	}
	if e.Name == "" {
		return fmt.Sprintf("load object %s: it holds %d XDP programs (%s): choose one with --program",
			e.Object, len(e.Programs), strings.Join(e.Programs, ", "))
	}
	return fmt.Sprintf("load object %s: no program %q: its XDP programs are %s", e.Object, e.Name, strings.Join(e.Programs, ", "))
}

// UnsizedMapsError names the maps of a user's object whose size its own
// loader sets at load time (max_entries 0 in the ELF, as loaders built on
// libbpf commonly do) and that no size was given for.
type UnsizedMapsError struct {
	Object string
	Maps   []string
}

func (e *UnsizedMapsError) Error() string {
	return fmt.Sprintf("object %s: map(s) %s have max_entries 0 (their loader sets the size at load time)", e.Object, strings.Join(e.Maps, ", "))
}

// VariableError says why a global variable of a user's object cannot be
// set to a value.
type VariableError struct {
	Object, Name, Value, Why string
}

func (e *VariableError) Error() string {
	return fmt.Sprintf("object %s: variable %s=%s: %s", e.Object, e.Name, e.Value, e.Why)
}
