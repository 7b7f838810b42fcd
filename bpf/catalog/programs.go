package catalog

import (
	"errors"
	"fmt"
	"strings"
)

// Action is an XDP action code as a program returns it.
type Action uint32

// The XDP actions, in the kernel's numbering.
const (
	Aborted  Action = 0
	Drop     Action = 1
	Pass     Action = 2
	TX       Action = 3
	Redirect Action = 4
)

var actionNames = [NumActions]string{"aborted", "drop", "pass", "tx", "redirect"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint32(a))
}

// Work is the per-packet work a built-in program does before it returns its
// action, in the manner of xdp-bench's packet operations.
type Work uint32

var workNames = []string{"no-touch", "read-data", "parse-ip", "swap-macs"}

func (w Work) String() string {
	if int(w) < len(workNames) {
		return workNames[w]
	}
	return fmt.Sprintf("work(%d)", uint32(w))
}

// ParseWork reads a work level by name.
func ParseWork(s string) (Work, error) {
	for i, n := range workNames {
		if s == n {
			return Work(i), nil
		}
	}
	return 0, fmt.Errorf("unknown packet work %q: use one of %s", s, strings.Join(workNames, ", "))
}

// Builtin describes one of xdplab's device-under-test programs: the
// trivial ones that show a platform's ceiling, and the reference workloads
// (filter, ...) that do what deployed programs do.
type Builtin struct {
	Name    string // the name users give to --prog
	Section string // the program's name in the object
	Action  Action // the action it returns for a well-formed frame
	// Mixed: the action depends on the frame (a workload): there is no
	// one expected action.
	Mixed bool
	// Workload: a reference workload with its own object and settings
	// (package bpf registers its loader under Name).
	Workload bool
	Doc      string
}

// builtins are the trivial programs of xdplab.c, then the reference
// workloads, one line each.
var builtins = []Builtin{
	{Name: "drop", Section: "xdp_drop", Action: Drop, Doc: "count, then drop"},
	{Name: "pass", Section: "xdp_pass", Action: Pass, Doc: "count, then pass to the network stack"},
	{Name: "tx", Section: "xdp_tx", Action: TX, Doc: "count, swap MACs, transmit back out of the receiving interface"},
	{Name: "redirect", Section: "xdp_redirect", Action: Redirect, Doc: "count, redirect through a devmap to another interface"},
	{Name: "filter", Section: "xdp_filter", Mixed: true, Workload: true,
		Doc: "DDoS filter: drop by source/destination prefix (LPM tries) or protocol and port, rules in maps, hits per rule"},
	{Name: "ratelimit", Section: "xdp_ratelimit", Mixed: true, Workload: true,
		Doc: "per-source token bucket in an LRU hash: pass up to the limit (and burst), drop the rest"},
	{Name: "flowstats", Section: "xdp_flowstats", Action: Pass, Workload: true,
		Doc: "per-flow packets and bytes (VLAN, IPv4/IPv6, TCP/UDP) in an LRU hash, then pass"},
	{Name: "l4lb", Section: "xdp_l4lb", Action: TX, Workload: true,
		Doc: "Katran-style L4 balancer: VIP lookup, Maglev ring, LRU connection table, IP-in-IP encapsulation, XDP_TX"},
}

// Builtins lists the built-in programs.
func Builtins() []Builtin { return append([]Builtin(nil), builtins...) }

// BuiltinNames lists the names of the built-in programs.
func BuiltinNames() []string {
	var names []string
	for _, b := range builtins {
		names = append(names, b.Name)
	}
	return names
}

// ErrUnknownProgram is returned for a program name that is not built in.
var ErrUnknownProgram = errors.New("unknown program")

// LookupBuiltin finds a built-in program by name.
func LookupBuiltin(name string) (Builtin, error) {
	for _, b := range builtins {
		if b.Name == name {
			return b, nil
		}
	}
	return Builtin{}, fmt.Errorf("%w %q: built-in programs are %s (or load your own with --object FILE.o --program NAME)",
		ErrUnknownProgram, name, strings.Join(BuiltinNames(), ", "))
}

// RateLimit is the ratelimit workload's per-source limit.
type RateLimit struct {
	PPS   uint64 // frames a second a source may send
	Burst uint64 // frames it may send at once
}

// TailCall puts program Program in slot Index of program array Map.
type TailCall struct {
	Map     string
	Index   uint32
	Program string
}

func (t TailCall) String() string { return fmt.Sprintf("%s:%d=%s", t.Map, t.Index, t.Program) }
