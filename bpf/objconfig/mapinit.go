package objconfig

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
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
// or a filter takes, far below what would exhaust memory. Decoding YAML
// costs a few hundred times its size in memory (about 300 MiB for 1 MiB),
// JSON about ten times: a large configuration is given as JSON.
const (
	MaxMapInitBytes     = 16 << 20 // JSON
	MaxMapInitYAMLBytes = 1 << 20
	MaxMapInitEntries   = 1 << 19
)

// MapInit is a user's object's map contents from a file, encoded by the
// maps' BTF: entries per map, applied after loading and before traffic.
type MapInit struct {
	Path   string
	SHA256 string
	// entries are each map's keys and values as bytes, in file order.
	entries map[string][]mapEntry
	// inner is the template of each map of maps' inner maps.
	inner map[string]*ebpf.MapSpec
}

// mapEntry is one entry: a key and a value, or for a map of maps a key
// and the entries of the inner map made for it.
type mapEntry struct {
	key, value []byte
	inner      []mapEntry
}

// Entries is how many entries the file gives, in all, inner maps' ones
// included.
func (m *MapInit) Entries() int {
	n := 0
	for _, es := range m.entries {
		for _, e := range es {
			n += 1 + len(e.inner)
		}
	}
	return n
}

// ReadMapInit reads a map contents file (JSON or YAML):
//
//	maps:
//	  vips:
//	    - key: {addr: 198.18.0.2, port: 80, proto: 17}
//	      value: {index: 0}
//	  rings:            # a map of maps: each value is the inner map's entries
//	    - key: 0
//	      value:
//	        - {key: 0, value: 3}
//
// and encodes every key and value by the BTF of spec's maps: integers
// (those typed __be16, __be32 and __be64 in network order), booleans,
// enums by name, IPv4 and IPv6 addresses (into 4- and 16-byte fields,
// network order), MACs (6-byte arrays), arrays as lists, byte arrays as
// text or 0x hex, and structs by member name (members not named stay 0).
// A map of maps gets an inner map per entry, made from the ELF's
// template. A map without BTF (a legacy "maps" section) takes 0x hex of
// its key and value sizes, or integers where they are 1, 2, 4 or 8
// bytes. Every error names the map, the entry and the field.
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
	doc, err := decodeMapInit(raw)
	if err != nil {
		return nil, fmt.Errorf("map init %s: %w", path, err)
	}
	sum := sha256.Sum256(raw)
	mi := &MapInit{Path: path, SHA256: hex.EncodeToString(sum[:]), entries: map[string][]mapEntry{}, inner: map[string]*ebpf.MapSpec{}}
	r := &entryReader{}
	for _, name := range slices.Sorted(maps.Keys(doc.Maps)) {
		ms, ok := spec.Maps[name]
		if !ok {
			return nil, fmt.Errorf("map init %s: no map %q in the object: its maps are %s", path, name, strings.Join(slices.Sorted(maps.Keys(spec.Maps)), ", "))
		}
		es, err := r.read(ms, doc.Maps[name])
		if err != nil {
			return nil, fmt.Errorf("map init %s: map %s%w", path, name, err)
		}
		mi.entries[name] = es
		if ms.InnerMap != nil {
			mi.inner[name] = ms.InnerMap.Copy()
		}
	}
	return mi, nil
}

// fileEntry is an entry as the file gives it.
type fileEntry struct {
	Key   any `yaml:"key" json:"key"`
	Value any `yaml:"value" json:"value"`
}

// mapInitDoc is a map contents file.
type mapInitDoc struct {
	Maps map[string][]fileEntry `yaml:"maps" json:"maps"`
}

const mapInitShape = "write maps: NAME: [{key: ..., value: ...}]"

// decodeMapInit decodes a map contents file: JSON (an object, up to
// MaxMapInitBytes) or YAML (up to MaxMapInitYAMLBytes), unknown keys
// refused.
func decodeMapInit(raw []byte) (*mapInitDoc, error) {
	var doc mapInitDoc
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if len(raw) > MaxMapInitBytes {
			return nil, fmt.Errorf("larger than %d bytes (16 MiB): a map contents file is a configuration", MaxMapInitBytes)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // integers as written, beyond 2^53 too
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%s (%s)", firstLine(err.Error()), mapInitShape)
		}
		if dec.More() {
			return nil, fmt.Errorf("more after the JSON object (%s)", mapInitShape)
		}
	} else {
		if len(raw) > MaxMapInitYAMLBytes {
			return nil, fmt.Errorf("YAML larger than %d bytes (1 MiB), which costs hundreds of MiB to decode: give a configuration that large as JSON (up to 16 MiB)", MaxMapInitYAMLBytes)
		}
		if err := yaml.UnmarshalWithOptions(raw, &doc, yaml.Strict()); err != nil {
			return nil, fmt.Errorf("%s (%s)", firstLine(err.Error()), mapInitShape)
		}
	}
	if len(doc.Maps) == 0 {
		return nil, fmt.Errorf("no maps: %s", mapInitShape)
	}
	return &doc, nil
}

// entryReader encodes a map's entries, counting them against
// MaxMapInitEntries.
type entryReader struct{ total int }

// read encodes entries for map ms; its errors start with the entry, for
// the caller to put the map's name before.
func (r *entryReader) read(ms *ebpf.MapSpec, entries []fileEntry) ([]mapEntry, error) {
	switch ms.Type {
	case ebpf.ProgramArray:
		return nil, fmt.Errorf(" (%s) holds programs: give its slots with --tail-call, or leave them to the ELF", ms.Type)
	case ebpf.ArrayOfMaps, ebpf.HashOfMaps:
		if ms.InnerMap == nil {
			return nil, fmt.Errorf(" (%s) has no inner map template in the ELF (__array(values, ...)) to make its inner maps from", ms.Type)
		}
		if t := ms.InnerMap.Type; t == ebpf.ArrayOfMaps || t == ebpf.HashOfMaps || t == ebpf.ProgramArray {
			return nil, fmt.Errorf(" (%s) holds maps of type %s: xdplab fills one level of maps", ms.Type, t)
		}
	}
	if uint64(len(entries)) > uint64(ms.MaxEntries) {
		return nil, fmt.Errorf(": %d entries do not fit its max_entries %d", len(entries), ms.MaxEntries)
	}
	out := make([]mapEntry, 0, len(entries))
	for i, e := range entries {
		if r.total++; r.total > MaxMapInitEntries {
			return nil, fmt.Errorf(": more than %d entries in the file", MaxMapInitEntries)
		}
		where := fmt.Sprintf(" entry %d", i+1)
		k, err := encodeTyped(ms.Key, ms.KeySize, e.Key, "key")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if arrayLike(ms.Type) && len(k) == 4 && binary.NativeEndian.Uint32(k) >= ms.MaxEntries {
			return nil, fmt.Errorf("%s: key: index %d is past the array's %d entries", where, binary.NativeEndian.Uint32(k), ms.MaxEntries)
		}
		me := mapEntry{key: k}
		if ms.InnerMap != nil {
			list, ok := e.Value.([]any)
			if !ok {
				return nil, fmt.Errorf("%s: value: the entries of the inner map made for it: give a list of {key: ..., value: ...}", where)
			}
			inner := make([]fileEntry, len(list))
			for j, x := range list {
				m, ok := x.(map[string]any)
				if !ok || len(m) != 2 || m["key"] == nil || m["value"] == nil {
					return nil, fmt.Errorf("%s: value[%d]: an inner map's entry: give {key: ..., value: ...}", where, j)
				}
				inner[j] = fileEntry{Key: m["key"], Value: m["value"]}
			}
			if me.inner, err = r.read(ms.InnerMap, inner); err != nil {
				return nil, fmt.Errorf("%s: inner map%w", where, err)
			}
		} else if me.value, err = encodeTyped(ms.Value, ms.ValueSize, e.Value, "value"); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		out = append(out, me)
	}
	return out, nil
}

func arrayLike(t ebpf.MapType) bool {
	return t == ebpf.Array || t == ebpf.PerCPUArray || t == ebpf.ArrayOfMaps
}

// encodeTyped encodes v as a key or value of size bytes and BTF type t;
// without BTF (a legacy map), as raw bytes.
func encodeTyped(t btf.Type, size uint32, v any, path string) ([]byte, error) {
	if _, void := t.(*btf.Void); t == nil || void {
		return encodeRaw(int(size), v, path)
	}
	return encodeField(t, v, path)
}

// encodeRaw encodes a key or value of a map without BTF: 0x hex of
// exactly size bytes, or an integer in the host's order where size is 1,
// 2, 4 or 8.
func encodeRaw(size int, v any, path string) ([]byte, error) {
	if s, ok := v.(string); ok && strings.HasPrefix(s, "0x") {
		b, err := hex.DecodeString(s[2:])
		if err != nil || len(b) != size {
			return nil, fmt.Errorf("%s: the map has no BTF: give 0x and %d hex bytes, not %q", path, size, s)
		}
		return b, nil
	}
	switch size {
	case 1, 2, 4, 8:
		text, err := scalarText(v, path)
		if err != nil {
			return nil, err
		}
		b, err := encodeInt(text, size, false)
		if err != nil {
			return nil, fmt.Errorf("%s: the map has no BTF: %w, or 0x and %d hex bytes", path, err, size)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s: the map has no BTF to type its %d bytes: give 0x and %d hex bytes", path, size, size)
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
	case err == nil:
		return nil, fmt.Errorf("%s: address %s does not fit its %d bytes (an IPv4 address takes 4, an IPv6 one 16)", path, s, size)
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
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			return string(x), nil
		}
		f, err := x.Float64()
		if err != nil || f != math.Trunc(f) {
			return "", fmt.Errorf("%s: %v: give a whole number", path, x)
		}
		return strconv.FormatFloat(f, 'f', -1, 64), nil
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
