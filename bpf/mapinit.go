package bpf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/goccy/go-yaml"
)

// Bounds on a --map-init file: what a configuration of a load balancer
// or a filter takes, far below what would exhaust memory.
const (
	MaxMapInitBytes   = 16 << 20
	MaxMapInitEntries = 1 << 20
)

// MapInit is a user's object's map contents from a file, encoded by the
// maps' BTF: entries per map, applied after loading and before traffic.
type MapInit struct {
	Path   string
	SHA256 string
	// entries are each map's keys and values as bytes, in file order.
	entries map[string][]mapEntry
}

type mapEntry struct{ key, value []byte }

// Entries is how many entries the file gives, in all.
func (m *MapInit) Entries() int {
	n := 0
	for _, es := range m.entries {
		n += len(es)
	}
	return n
}

// ReadMapInit reads a map contents file (JSON or YAML):
//
//	maps:
//	  vips:
//	    - key: {addr: 198.18.0.2, port: 80, proto: 17}
//	      value: {index: 0}
//
// and encodes every key and value by the BTF of spec's maps: integers,
// booleans, enums by name, IPv4 and IPv6 addresses (into 4- and 16-byte
// fields, network order), MACs (6-byte arrays), arrays as lists, byte
// arrays as text or 0x hex, and structs by member name (members not
// named stay 0). Every error names the map, the entry and the field.
func ReadMapInit(path string, spec *ebpf.CollectionSpec) (*MapInit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("map init: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxMapInitBytes+1))
	if err != nil {
		return nil, fmt.Errorf("map init %s: %w", path, err)
	}
	if len(raw) > MaxMapInitBytes {
		return nil, fmt.Errorf("map init %s: larger than %d bytes (16 MiB): a map contents file is a configuration", path, MaxMapInitBytes)
	}
	var doc struct {
		Maps map[string][]struct {
			Key   any `yaml:"key"`
			Value any `yaml:"value"`
		} `yaml:"maps"`
	}
	if err := yaml.UnmarshalWithOptions(raw, &doc, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("map init %s: %s (write maps: NAME: [{key: ..., value: ...}])", path, firstLine(err.Error()))
	}
	if len(doc.Maps) == 0 {
		return nil, fmt.Errorf("map init %s: no maps: write maps: NAME: [{key: ..., value: ...}]", path)
	}
	sum := sha256.Sum256(raw)
	mi := &MapInit{Path: path, SHA256: hex.EncodeToString(sum[:]), entries: map[string][]mapEntry{}}
	total := 0
	for _, name := range slices.Sorted(maps.Keys(doc.Maps)) {
		ms, ok := spec.Maps[name]
		if !ok {
			return nil, fmt.Errorf("map init %s: no map %q in the object: its maps are %s", path, name, strings.Join(slices.Sorted(maps.Keys(spec.Maps)), ", "))
		}
		if ms.Key == nil || ms.Value == nil {
			return nil, fmt.Errorf("map init %s: map %s has no BTF for its key and value: xdplab cannot type its entries", path, name)
		}
		if ms.Type == ebpf.ArrayOfMaps || ms.Type == ebpf.HashOfMaps || ms.Type == ebpf.ProgramArray {
			return nil, fmt.Errorf("map init %s: map %s (%s) holds maps or programs: give its entries with --tail-call, or leave it to the ELF", path, name, ms.Type)
		}
		for i, e := range doc.Maps[name] {
			if total++; total > MaxMapInitEntries {
				return nil, fmt.Errorf("map init %s: more than %d entries", path, MaxMapInitEntries)
			}
			where := fmt.Sprintf("map init %s: map %s entry %d", path, name, i+1)
			k, err := encodeField(ms.Key, e.Key, "key")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			v, err := encodeField(ms.Value, e.Value, "value")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			mi.entries[name] = append(mi.entries[name], mapEntry{k, v})
		}
	}
	return mi, nil
}

// Apply puts every entry into the loaded collection's maps.
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
			if err := mp.Put(e.key, e.value); err != nil {
				return fmt.Errorf("map init %s: map %s entry %d: %w", m.Path, name, i+1, err)
			}
		}
	}
	return nil
}

// encodeField encodes a YAML value as BTF type t; path names the field in
// errors.
func encodeField(t btf.Type, v any, path string) ([]byte, error) {
	size, err := btf.Sizeof(t)
	if err != nil {
		return nil, fmt.Errorf("%s: its size: %w", path, err)
	}
	switch u := btf.UnderlyingType(t).(type) {
	case *btf.Struct:
		return encodeStruct(u.Members, size, v, path)
	case *btf.Union:
		return encodeStruct(u.Members, size, v, path)
	case *btf.Array:
		return encodeArray(u, size, v, path)
	case *btf.Int, *btf.Enum:
		if s, ok := v.(string); ok && size == 4 {
			if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
				b := a.As4()
				return b[:], nil // an IPv4 address in a __be32, network order
			}
		}
		text, err := scalarText(v, path)
		if err != nil {
			return nil, err
		}
		b, err := encodeValue(t, size, text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s: its type %s is not one xdplab fills (integers, enums, addresses, MACs, arrays, structs)", path, t)
}

func encodeStruct(members []btf.Member, size int, v any, path string) ([]byte, error) {
	fields, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a struct: give its members by name, such as {%s: ...}", path, memberNames(members))
	}
	out := make([]byte, size)
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		i := slices.IndexFunc(members, func(m btf.Member) bool { return m.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%s: no field %s: its fields are %s", path, name, memberNames(members))
		}
		m := members[i]
		if m.BitfieldSize != 0 || m.Offset%8 != 0 {
			return nil, fmt.Errorf("%s.%s: a bitfield: xdplab fills whole fields", path, name)
		}
		b, err := encodeField(m.Type, fields[name], path+"."+name)
		if err != nil {
			return nil, err
		}
		copy(out[m.Offset/8:], b)
	}
	return out, nil
}

func encodeArray(a *btf.Array, size int, v any, path string) ([]byte, error) {
	if el, ok := btf.UnderlyingType(a.Type).(*btf.Int); ok && el.Size == 1 {
		if s, ok := v.(string); ok {
			return encodeBytes(s, size, path)
		}
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: an array of %d: give a list", path, a.Nelems)
	}
	if len(list) > int(a.Nelems) {
		return nil, fmt.Errorf("%s: %d elements do not fit its %d", path, len(list), a.Nelems)
	}
	elSize := size / max(int(a.Nelems), 1)
	out := make([]byte, size)
	for i, e := range list {
		b, err := encodeField(a.Type, e, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		copy(out[i*elSize:], b)
	}
	return out, nil
}

// encodeBytes fills a byte array: an IPv4 or IPv6 address where it has 4
// or 16 bytes, a MAC where it has 6, else 0x hex or text, NUL-padded.
func encodeBytes(s string, size int, path string) ([]byte, error) {
	var b []byte
	switch a, err := netip.ParseAddr(s); {
	case err == nil && a.Is4() && size == 4:
		x := a.As4()
		b = x[:]
	case err == nil && size == 16:
		x := a.As16()
		b = x[:]
	case size == 6 && strings.Count(s, ":") == 5:
		mac, err := net.ParseMAC(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is no MAC", path, s)
		}
		b = mac
	case strings.HasPrefix(s, "0x"):
		if b, err = hex.DecodeString(s[2:]); err != nil {
			return nil, fmt.Errorf("%s: %q is not hex", path, s)
		}
	default:
		b = []byte(s)
	}
	if len(b) > size {
		return nil, fmt.Errorf("%s: %d bytes do not fit its %d", path, len(b), size)
	}
	return append(b, make([]byte, size-len(b))...), nil
}

// scalarText is a YAML scalar as the text encodeValue reads.
func scalarText(v any, path string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		if x != math.Trunc(x) {
			return "", fmt.Errorf("%s: %v: give a whole number", path, x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", fmt.Errorf("%s: missing", path)
	}
	return "", fmt.Errorf("%s: give a number or a name, not %T", path, v)
}

func memberNames(ms []btf.Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return strings.Join(out, ", ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
