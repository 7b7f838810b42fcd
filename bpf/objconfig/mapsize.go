package objconfig

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// kernelSized are the map types whose size is no user's to give: the
// kernel keeps it 0, or cilium/ebpf sets it (to the possible CPUs).
var kernelSized = []ebpf.MapType{ebpf.PerfEventArray, ebpf.CPUMap, ebpf.SkStorage, ebpf.InodeStorage,
	ebpf.TaskStorage, ebpf.CgroupStorage, ebpf.PerCPUCGroupStorage}

// AllMaps names, in a map size, every map of the object left unsized.
const AllMaps = "*"

// SizeMaps gives the maps of a user's object that have max_entries 0 the
// sizes in entries (map name to max_entries; AllMaps for every one no
// other entry sizes), and those named in cpus (AllMaps: every one left)
// the number of possible CPUs, as loaders size per-CPU tables, before
// anything is loaded. It returns what sized each map it sized, for the
// results; a perf event array the loader sizes to the possible CPUs, as
// libbpf does. A name the object has no map of is an error; so is a map
// left without a size (an *UnsizedMapsError).
func SizeMaps(object string, spec *ebpf.CollectionSpec, entries map[string]uint32, cpus []string) (map[string]string, error) {
	var names []string
	for name := range spec.Maps {
		names = append(names, name)
	}
	slices.Sort(names)
	possible := 0
	if len(cpus) > 0 {
		n, err := ebpf.PossibleCPU()
		if err != nil {
			return nil, fmt.Errorf("object %s: size maps to the possible CPUs: %w", object, err)
		}
		possible = n
	}
	sources := map[string]string{}
	size := func(name string, n uint32, source string) error {
		m, ok := spec.Maps[name]
		if !ok {
			return fmt.Errorf("object %s: no map %q to size: its maps are %s", object, name, strings.Join(names, ", "))
		}
		m.MaxEntries, sources[name] = n, source
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		if name != AllMaps {
			if err := size(name, entries[name], fmt.Sprintf("--map-size %s=%d", name, entries[name])); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range cpus {
		if name != AllMaps {
			if err := size(name, uint32(possible), fmt.Sprintf("--map-size %s=cpus: the %d possible CPUs", name, possible)); err != nil {
				return nil, err
			}
		}
	}
	var unsized []string
	for _, name := range names {
		m := spec.Maps[name]
		switch {
		case m.MaxEntries != 0:
		case m.Type == ebpf.PerfEventArray:
			sources[name] = "the loader: a perf event array gets the possible CPUs, as libbpf does"
		case slices.Contains(kernelSized, m.Type):
		case slices.Contains(cpus, AllMaps):
			m.MaxEntries, sources[name] = uint32(possible), fmt.Sprintf("--map-size '*=cpus': the %d possible CPUs", possible)
		case entries[AllMaps] != 0:
			m.MaxEntries, sources[name] = entries[AllMaps], fmt.Sprintf("--map-size '*=%d'", entries[AllMaps])
		default:
			unsized = append(unsized, name)
		}
	}
	if len(unsized) > 0 {
		return nil, &catalog.UnsizedMapsError{Object: object, Maps: unsized}
	}
	return sources, nil
}
