package bpf

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// kernelSized are the map types whose size is no user's to give: the
// kernel keeps it 0, or cilium/ebpf sets it (to the possible CPUs).
var kernelSized = []ebpf.MapType{ebpf.PerfEventArray, ebpf.CPUMap, ebpf.SkStorage, ebpf.InodeStorage,
	ebpf.TaskStorage, ebpf.CgroupStorage, ebpf.PerCPUCGroupStorage}

// SizeMaps gives the maps of a user's object that have max_entries 0 the
// sizes in entries (map name to max_entries), before anything is loaded.
// A name the object has no map of is an error; so is a map left without a
// size (an *UnsizedMapsError).
func SizeMaps(object string, spec *ebpf.CollectionSpec, entries map[string]uint32) error {
	var names []string
	for name := range spec.Maps {
		names = append(names, name)
	}
	slices.Sort(names)
	for name, n := range entries {
		m, ok := spec.Maps[name]
		if !ok {
			return fmt.Errorf("object %s: no map %q to size: its maps are %s", object, name, strings.Join(names, ", "))
		}
		m.MaxEntries = n
	}
	var unsized []string
	for _, name := range names {
		m := spec.Maps[name]
		if m.MaxEntries == 0 && !slices.Contains(kernelSized, m.Type) {
			unsized = append(unsized, name)
		}
	}
	if len(unsized) > 0 {
		return &catalog.UnsizedMapsError{Object: object, Maps: unsized}
	}
	return nil
}
