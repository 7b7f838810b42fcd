package bpf

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
// from text, typed by the object's BTF: integers (decimal or 0x hex),
// booleans, enums by name or number, and byte arrays (text, NUL-padded,
// or 0x hex). Nothing is loaded; every problem is an error naming the
// variable and what it takes.
func SetVariables(object string, spec *ebpf.CollectionSpec, values map[string]string) error {
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		v, ok := spec.Variables[name]
		if !ok {
			return &catalog.VariableError{Object: object, Name: name, Value: values[name], Why: "no global variable of that name; its variables are " + variableNames(spec)}
		}
		b, err := encodeVariable(v, values[name])
		if err == nil {
			err = v.Set(b)
		}
		if err != nil {
			return &catalog.VariableError{Object: object, Name: name, Value: values[name], Why: err.Error()}
		}
	}
	return nil
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
	size := int(v.Size())
	switch t := btf.UnderlyingType(v.Type.Type).(type) {
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
		return encodeInt(text, size, t.Encoding == btf.Signed)
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
	default:
		return nil, fmt.Errorf("its type %s is not one xdplab sets (integers, booleans, enums, byte arrays)", v.Type.Type)
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

// putUint writes the low size bytes of n in the host's order.
func putUint(n uint64, size int) []byte {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], n)
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return b[:size] // little-endian: the low bytes first
	}
	return b[8-size:]
}
