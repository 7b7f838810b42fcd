package bpf

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// offloadHelpers are the helpers hardware offload runs on the device
// (Netronome nfp's verifier accepts these; netdevsim accepts what the
// kernel's offload core does and holds only array and hash maps).
var offloadHelpers = []asm.BuiltinFunc{
	asm.FnMapLookupElem, asm.FnMapUpdateElem, asm.FnMapDeleteElem,
	asm.FnGetPrandomU32, asm.FnPerfEventOutput, asm.FnXdpAdjustHead, asm.FnXdpAdjustTail,
}

// NotOffloadableError says what in a program hardware offload cannot run.
type NotOffloadableError struct {
	Program string
	Reasons []string
}

func (e *NotOffloadableError) Error() string {
	return fmt.Sprintf("%s is not offloadable: it uses %s (hardware offload, on nfp-class devices and netdevsim, runs array and hash maps and a few helpers only)",
		e.Program, strings.Join(e.Reasons, "; "))
}

// Offloadability lists what program prog of spec uses that hardware
// offload does not support: maps other than array and hash (per-CPU maps,
// LPM tries, LRU hashes, devmaps), map flags, global data (device maps have
// no direct value access), tail calls, kfuncs and helpers outside the
// offload set. Empty: nothing known stands in the way (the device's own
// verifier has the last word).
func Offloadability(spec *ebpf.CollectionSpec, prog string) []string {
	ps := spec.Programs[prog]
	if ps == nil {
		return []string{fmt.Sprintf("no program %q", prog)}
	}
	var why []string
	add := func(s string) {
		if !slices.Contains(why, s) {
			why = append(why, s)
		}
	}
	maps := map[string]bool{}
	for _, ins := range ps.Instructions {
		switch {
		case ins.IsKfuncCall():
			add("kfuncs")
		case ins.IsBuiltinCall():
			fn := asm.BuiltinFunc(ins.Constant)
			if fn == asm.FnTailCall {
				add("tail calls")
			} else if !slices.Contains(offloadHelpers, fn) {
				add("helper " + helperName(fn))
			}
		}
		if ref := ins.Reference(); ref != "" && spec.Maps[ref] != nil {
			maps[ref] = true
		}
	}
	names := make([]string, 0, len(maps))
	for n := range maps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := spec.Maps[n]
		switch {
		case strings.HasPrefix(n, ".rodata") || strings.HasPrefix(n, ".data") || strings.HasPrefix(n, ".bss") || strings.HasPrefix(n, ".kconfig"):
			add("global data (" + n + ")")
		case m.Type != ebpf.Array && m.Type != ebpf.Hash:
			add(fmt.Sprintf("%s map %s", mapKind(m.Type), n))
		case m.Flags != 0:
			add(fmt.Sprintf("map %s with flags %#x", n, m.Flags))
		}
	}
	return why
}

func helperName(fn asm.BuiltinFunc) string {
	s := strings.TrimPrefix(fn.String(), "Fn")
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return "bpf_" + b.String()
}

func mapKind(t ebpf.MapType) string {
	switch t {
	case ebpf.PerCPUArray, ebpf.PerCPUHash, ebpf.LRUCPUHash:
		return "per-CPU"
	case ebpf.LPMTrie:
		return "LPM trie"
	case ebpf.LRUHash:
		return "LRU hash"
	case ebpf.DevMap, ebpf.DevMapHash:
		return "devmap"
	case ebpf.ProgramArray:
		return "program array"
	}
	return t.String()
}

// BuiltinOffloadability says what keeps built-in program name from
// hardware offload (nil: nothing). The trivial programs have an offload
// build without global data; redirect's devmap stays on the host.
func BuiltinOffloadability(name string) ([]string, error) {
	b, err := catalog.LookupBuiltin(name)
	if err != nil {
		return nil, err
	}
	if !b.Workload {
		if b.Name == "redirect" {
			return []string{"devmap map tx_port (bpf_redirect_map)"}, nil
		}
		return nil, nil
	}
	spec, err := lookupWorkload(name).load()
	if err != nil {
		return nil, fmt.Errorf("%s: parse embedded object: %w", name, err)
	}
	return Offloadability(spec, b.Section), nil
}

// ObjectOffloadability says what keeps a user's program from hardware
// offload, reading the object as LoadObject would.
func ObjectOffloadability(opts ObjectOptions) ([]string, error) {
	spec, _, name, _, _, err := objectSpec(opts)
	if err != nil {
		return nil, err
	}
	return Offloadability(spec, name), nil
}
