package bpf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// mapCreateAttr is the BPF_MAP_CREATE part of union bpf_attr, up to
// map_ifindex.
type mapCreateAttr struct {
	MapType    uint32
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	MapFlags   uint32
	InnerMapFD uint32
	NumaNode   uint32
	MapName    [unix.BPF_OBJ_NAME_LEN]byte
	MapIfindex uint32
}

// newOffloadedMap creates a map like spec on the device ifindex (resolved
// in the calling thread's namespace). cilium/ebpf's MapSpec has no
// map_ifindex, so this makes the BPF_MAP_CREATE call itself and hands the fd
// to cilium/ebpf. An offloaded program can use only maps on its device.
func newOffloadedMap(spec *ebpf.MapSpec, ifindex uint32) (*ebpf.Map, error) {
	attr := mapCreateAttr{
		MapType: uint32(spec.Type), KeySize: spec.KeySize, ValueSize: spec.ValueSize,
		MaxEntries: spec.MaxEntries, MapFlags: spec.Flags, MapIfindex: ifindex,
	}
	copy(attr.MapName[:unix.BPF_OBJ_NAME_LEN-1], spec.Name)
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_MAP_CREATE, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return nil, fmt.Errorf("create map %s on ifindex %d: %w (the device holds no offloaded maps, or not this type)", spec.Name, ifindex, errno)
	}
	m, err := ebpf.NewMapFromFD(int(fd))
	if err != nil {
		unix.Close(int(fd))
		return nil, fmt.Errorf("create map %s on ifindex %d: %w", spec.Name, ifindex, err)
	}
	return m, nil
}

// bindToDevice prepares spec's program prog for hardware offload on
// ifindex: the program is bound to the device, and every map it uses is
// created on the device (with its initial contents: .rodata holds the
// program's constants) and handed to the collection as a replacement. Maps
// the program does not use are dropped. Offload devices hold array and hash
// maps only; any other map the program uses is refused by name. The caller
// closes the maps with the returned function once the collection is loaded.
func bindToDevice(spec *ebpf.CollectionSpec, prog string, ifindex uint32, copts *ebpf.CollectionOptions) (func(), []string, error) {
	var notes []string
	ps := spec.Programs[prog]
	ps.Ifindex = ifindex
	used := map[string]bool{}
	for _, ins := range ps.Instructions {
		if ins.IsLoadFromMap() && ins.Reference() != "" {
			used[ins.Reference()] = true
		}
	}
	var made []*ebpf.Map
	closeAll := func() {
		for _, m := range made {
			m.Close()
		}
	}
	copts.MapReplacements = map[string]*ebpf.Map{}
	for name, ms := range spec.Maps {
		if !used[name] {
			delete(spec.Maps, name)
			for vn, v := range spec.Variables {
				if v.SectionName == name {
					delete(spec.Variables, vn)
				}
			}
			continue
		}
		if ms.Type != ebpf.Array && ms.Type != ebpf.Hash {
			closeAll()
			return nil, nil, fmt.Errorf("not offloadable: map %s is a %s; offload devices hold only array and hash maps", name, ms.Type)
		}
		// Devices take maps without flags (netdevsim refuses any): no
		// BPF_F_RDONLY_PROG for .rodata, and no BPF_F_MMAPABLE, which
		// cilium/ebpf asks of every map named like a data section
		// (.rodata, .data, .bss) where the kernel can: such maps get a
		// name of their own (the collection still knows them by the
		// section).
		if ifindex != 0 {
			ms.Flags = 0
		}
		ms.Flags &^= unix.BPF_F_MMAPABLE
		if strings.HasPrefix(ms.Name, ".") {
			ms.Name = "xl" + strings.TrimPrefix(ms.Name, ".")
		}
		m, err := newOffloadedMap(ms, ifindex)
		if errors.Is(err, unix.ENOMEM) && ms.MaxEntries > deviceMaxEntries {
			// netdevsim holds at most two entries per map: keys past
			// that find nothing, so only the first actions count.
			notes = append(notes, fmt.Sprintf("map %s: the device holds %d entries, not %d: keys from %d on are not counted",
				name, deviceMaxEntries, ms.MaxEntries, deviceMaxEntries))
			ms.MaxEntries = deviceMaxEntries
			m, err = newOffloadedMap(ms, ifindex)
		}
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		made = append(made, m)
		contents, err := withVariables(spec, name, ms.Contents)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		for _, kv := range contents {
			if err := m.Put(kv.Key, kv.Value); err != nil {
				closeAll()
				return nil, nil, fmt.Errorf("map %s on ifindex %d: initial contents: %w", name, ifindex, err)
			}
		}
		copts.MapReplacements[name] = m
	}
	return closeAll, notes, nil
}

// deviceMaxEntries is the fewest map entries an offload device is known to
// hold (netdevsim: 2).
const deviceMaxEntries = 2

// withVariables returns a data section's contents with the values of its
// variables written in, as cilium/ebpf does for the maps it creates itself.
func withVariables(spec *ebpf.CollectionSpec, section string, contents []ebpf.MapKV) ([]ebpf.MapKV, error) {
	var vars []*ebpf.VariableSpec
	for _, v := range spec.Variables {
		if v.SectionName == section && v.Value != nil {
			vars = append(vars, v)
		}
	}
	if len(vars) == 0 {
		return contents, nil
	}
	if len(contents) != 1 {
		return nil, fmt.Errorf("data section %s: %d initial values, want 1", section, len(contents))
	}
	data, ok := contents[0].Value.([]byte)
	if !ok {
		return nil, fmt.Errorf("data section %s: initial value is a %T", section, contents[0].Value)
	}
	data = slices.Clone(data)
	for _, v := range vars {
		end := int(v.Offset) + len(v.Value)
		if end > len(data) {
			return nil, fmt.Errorf("data section %s: variable %s beyond its end", section, v.Name)
		}
		copy(data[v.Offset:end], v.Value)
	}
	return []ebpf.MapKV{{Key: contents[0].Key, Value: data}}, nil
}
