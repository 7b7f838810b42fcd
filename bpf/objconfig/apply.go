package objconfig

import (
	"fmt"
	"maps"
	"slices"

	"github.com/cilium/ebpf"
)

// Apply puts every entry into the loaded collection's maps, making each
// map of maps' inner maps from their template first.
func (m *MapInit) Apply(coll *ebpf.Collection) error {
	if m == nil {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(m.entries)) {
		mp := coll.Maps[name]
		if mp == nil {
			return fmt.Errorf("map init %s: map %s was not loaded", m.Path, name)
		}
		for i, e := range m.entries[name] {
			if err := m.put(mp, name, e); err != nil {
				return fmt.Errorf("map init %s: map %s entry %d: %w", m.Path, name, i+1, err)
			}
		}
	}
	return nil
}

func (m *MapInit) put(mp *ebpf.Map, name string, e mapEntry) error {
	if e.value != nil && perCPU(mp.Type()) {
		// The same value on every possible CPU, as a loader fills a
		// per-CPU map it configures.
		n, err := ebpf.PossibleCPU()
		if err != nil {
			return err
		}
		return mp.Put(e.key, slices.Repeat([][]byte{e.value}, n))
	}
	if e.value != nil {
		return mp.Put(e.key, e.value)
	}
	inner, err := ebpf.NewMap(m.inner[name])
	if err != nil {
		return fmt.Errorf("make its inner map: %w", err)
	}
	defer inner.Close() // the outer map holds it
	for j, ie := range e.inner {
		if err := inner.Put(ie.key, ie.value); err != nil {
			return fmt.Errorf("inner map entry %d: %w", j+1, err)
		}
	}
	return mp.Put(e.key, inner)
}

func perCPU(t ebpf.MapType) bool {
	return t == ebpf.PerCPUHash || t == ebpf.PerCPUArray || t == ebpf.LRUCPUHash
}
