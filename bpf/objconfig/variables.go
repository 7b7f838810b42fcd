package objconfig

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// SetVariables sets global variables of a user's object (its .rodata,
// .data and .bss, such as libbpf loaders set `const volatile` settings)
// from text, typed by the object's BTF: integers (decimal or 0x hex; those
// typed __be16, __be32 or __be64 are written in network order),
// booleans, enums by name or number, and byte arrays (text, NUL-padded,
// or 0x hex). A name with dots sets a member of a struct (or union)
// variable, nested ones too: cfg.rate_limit, cfg.tcp.track. Nothing is
// loaded; every problem is an error naming the variable and what it
// takes.
func SetVariables(object string, spec *ebpf.CollectionSpec, values map[string]string) error {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		base, path, _ := strings.Cut(name, ".")
		v, ok := spec.Variables[base]
		if !ok {
			return &catalog.VariableError{Object: object, Name: name, Value: values[name], Why: "no global variable of that name; its variables are " + variableNames(spec)}
		}
		var err error
		if path == "" {
			var b []byte
			if b, err = encodeVariable(v, values[name]); err == nil {
				err = v.Set(b)
			}
		} else {
			err = setMember(v, path, values[name])
		}
		if err != nil {
			return &catalog.VariableError{Object: object, Name: name, Value: values[name], Why: err.Error()}
		}
	}
	return nil
}

// setMember sets the member at path (names with dots) of struct variable v
// to text, leaving its other bytes as they are.
func setMember(v *ebpf.VariableSpec, path, text string) error {
	if v.Type == nil {
		return fmt.Errorf("the object has no BTF for it, so xdplab cannot tell its members")
	}
	t, off := v.Type.Type, uint32(0)
	for _, name := range strings.Split(path, ".") {
		var members []btf.Member
		switch c := btf.UnderlyingType(t).(type) {
		case *btf.Struct:
			members = c.Members
		case *btf.Union:
			members = c.Members
		default:
			return fmt.Errorf("%s is no struct: it has no member %s", t, name)
		}
		i := slices.IndexFunc(members, func(m btf.Member) bool { return m.Name == name })
		if i < 0 {
			var names []string
			for _, m := range members {
				names = append(names, m.Name)
			}
			return fmt.Errorf("no member %s: the members are %s", name, strings.Join(names, ", "))
		}
		m := members[i]
		if m.BitfieldSize != 0 || m.Offset%8 != 0 {
			return fmt.Errorf("member %s is a bitfield: xdplab sets whole members", name)
		}
		t, off = m.Type, off+uint32(m.Offset)/8
	}
	size, err := btf.Sizeof(t)
	if err != nil {
		return fmt.Errorf("the member's size: %w", err)
	}
	b, err := encodeValue(t, size, text)
	if err != nil {
		return err
	}
	cur := make([]byte, v.Size())
	copy(cur, v.Value)
	if int(off)+len(b) > len(cur) {
		return fmt.Errorf("the member lies past the variable's %d bytes", len(cur))
	}
	copy(cur[off:], b)
	return v.Set(cur)
}

func variableNames(spec *ebpf.CollectionSpec) string {
	var out []string
	for n, v := range spec.Variables {
		if !strings.HasPrefix(n, ".") && v.Type != nil {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// encodeVariable writes text as variable v's bytes, as its BTF type says.
func encodeVariable(v *ebpf.VariableSpec, text string) ([]byte, error) {
	if v.Type == nil {
		return nil, fmt.Errorf("the object has no BTF for it, so xdplab cannot tell its type")
	}
	return encodeValue(v.Type.Type, int(v.Size()), text)
}

// encodeValue writes text as size bytes of BTF type typ.
func encodeValue(typ btf.Type, size int, text string) ([]byte, error) {
	switch t := btf.UnderlyingType(typ).(type) {
	case *btf.Int:
		if t.Encoding == btf.Bool {
			on, err := strconv.ParseBool(text)
			if err != nil {
				return nil, fmt.Errorf("a bool: give true or false")
			}
			b := make([]byte, size)
			if on {
				b[0] = 1
			}
			return b, nil
		}
		b, err := encodeInt(text, size, t.Encoding == btf.Signed)
		if err == nil && networkOrder(typ) {
			b = toNetworkOrder(b)
		}
		return b, err
	case *btf.Enum:
		for _, ev := range t.Values {
			if ev.Name == text {
				return putUint(ev.Value, size), nil
			}
		}
		b, err := encodeInt(text, size, t.Signed)
		if err != nil {
			var names []string
			for _, ev := range t.Values {
				names = append(names, ev.Name)
			}
			return nil, fmt.Errorf("enum %s: give one of %s, or a number", t.Name, strings.Join(names, ", "))
		}
		return b, nil
	case *btf.Array:
		el, ok := btf.UnderlyingType(t.Type).(*btf.Int)
		if !ok || el.Size != 1 {
			return nil, fmt.Errorf("an array of %s: xdplab sets byte arrays only", t.Type)
		}
		var b []byte
		if h, ok := strings.CutPrefix(text, "0x"); ok {
			var err error
			if b, err = hex.DecodeString(h); err != nil {
				return nil, fmt.Errorf("a byte array: %q is not hex", h)
			}
		} else {
			b = []byte(text)
		}
		if len(b) > size {
			return nil, fmt.Errorf("%d bytes do not fit its %d", len(b), size)
		}
		return append(b, make([]byte, size-len(b))...), nil
	case *btf.Struct, *btf.Union:
		return nil, fmt.Errorf("%s is a struct: set its members by name, such as NAME.member=VALUE", typ)
	default:
		return nil, fmt.Errorf("its type %s is not one xdplab sets (integers, booleans, enums, byte arrays, struct members)", typ)
	}
}

func encodeInt(text string, size int, signed bool) ([]byte, error) {
	bits := size * 8
	if bits == 0 || bits > 64 {
		return nil, fmt.Errorf("an integer of %d bytes: xdplab sets 1 to 8", size)
	}
	if signed {
		n, err := strconv.ParseInt(text, 0, bits)
		if err != nil {
			return nil, fmt.Errorf("a signed %d-bit integer: %s", bits, rangeText(err))
		}
		return putUint(uint64(n), size), nil
	}
	n, err := strconv.ParseUint(text, 0, bits)
	if err != nil {
		return nil, fmt.Errorf("an unsigned %d-bit integer: %s", bits, rangeText(err))
	}
	return putUint(n, size), nil
}

func rangeText(err error) string {
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return "out of range"
	}
	return "not a number"
}

// networkOrder says whether typ is named as kept in network order: a
// typedef __be16, __be32 or __be64 on the way to its integer.
func networkOrder(typ btf.Type) bool {
	for {
		switch t := typ.(type) {
		case *btf.Typedef:
			if strings.HasPrefix(t.Name, "__be") {
				return true
			}
			typ = t.Type
		case *btf.Volatile:
			typ = t.Type
		case *btf.Const:
			typ = t.Type
		default:
			return false
		}
	}
}

// toNetworkOrder turns an integer's bytes in the host's order into
// network order.
func toNetworkOrder(b []byte) []byte {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		slices.Reverse(b)
	}
	return b
}

// putUint writes the low size bytes of n in the host's order.
func putUint(n uint64, size int) []byte {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], n)
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return b[:size] // little-endian: the low bytes first
	}
	return b[8-size:]
}
