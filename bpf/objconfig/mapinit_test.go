package objconfig

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const vipObject = "../testdata/vipmap_bpfel.o"

func writeInit(t *testing.T, text string) string {
	p := filepath.Join(t.TempDir(), "init.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func vipSpec(t *testing.T) *ebpf.CollectionSpec {
	spec, err := ebpf.LoadCollectionSpec(vipObject)
	require.NoError(t, err)
	return spec
}

// Keys and values typed by the maps' BTF: a struct key with an address,
// a port and a protocol; a struct value with an address, a MAC, a number
// and an enum by name; JSON reads as YAML does.
func TestReadMapInit(t *testing.T) {
	mi, err := ReadMapInit(writeInit(t, `
maps:
  vips:
    - key: {addr: 198.18.0.2, port: 80, proto: 17}
      value: {backend: 3}
  backends:
    - key: 3
      value: {addr: 198.18.1.10, mac: "02:00:00:00:01:0a", weight: 7, state: BACKEND_UP}
`), vipSpec(t))
	require.NoError(t, err)
	assert.Equal(t, 2, mi.Entries())
	assert.Len(t, mi.SHA256, 64)
	v := mi.entries["vips"][0]
	assert.Equal(t, []byte{198, 18, 0, 2, 0x00, 0x50, 17, 0}, v.key, "address and port (a __be16) in network order, the pad 0")
	assert.Equal(t, []byte{3, 0, 0, 0, 0, 0, 0, 0}, v.value)
	b := mi.entries["backends"][0]
	assert.Equal(t, uint32(3), binary.NativeEndian.Uint32(b.key))
	require.Len(t, b.value, 16)
	assert.Equal(t, []byte{198, 18, 1, 10}, b.value[0:4])
	assert.Equal(t, []byte{2, 0, 0, 0, 1, 10}, b.value[4:10])
	assert.Equal(t, uint16(7), binary.NativeEndian.Uint16(b.value[10:12]))
	assert.Equal(t, uint32(1), binary.NativeEndian.Uint32(b.value[12:16]), "BACKEND_UP")

	whole, err := ReadMapInit(writeInit(t, "maps:\n  vip_hits: [{key: 0, value: 2.0}]"), vipSpec(t))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), binary.NativeEndian.Uint64(whole.entries["vip_hits"][0].value), "a whole number written as a float, in YAML")

	js, err := ReadMapInit(writeInit(t, `{"maps": {"vip_hits": [{"key": 0, "value": 18446744073709551615}, {"key": 1, "value": 2.0}, {"key": 2, "value": 1e3}]}}`), vipSpec(t))
	require.NoError(t, err)
	assert.Equal(t, 3, js.Entries())
	hits := js.entries["vip_hits"]
	assert.Equal(t, uint64(18446744073709551615), binary.NativeEndian.Uint64(hits[0].value), "JSON integers exact past 2^53")
	assert.Equal(t, uint64(2), binary.NativeEndian.Uint64(hits[1].value), "a whole number written as a float")
	assert.Equal(t, uint64(1000), binary.NativeEndian.Uint64(hits[2].value))
}

// Arrays: addresses into byte arrays of their size, lists into arrays of
// numbers, text and 0x hex into other byte arrays, NUL-padded.
func TestReadMapInitArrays(t *testing.T) {
	mi, err := ReadMapInit(writeInit(t, `
maps:
  backends6:
    - key: 0
      value: {addr6: "2001:2::5", addr4: 198.18.0.9, ports: [80, 443], tag: "0x0102"}
    - key: 1
      value: {addr6: "198.18.0.7", tag: "edge"}
    - key: 2
      value: {ports: [1, 2, 3, 4]}
`), vipSpec(t))
	require.NoError(t, err)
	v := mi.entries["backends6"][0].value
	require.Len(t, v, 36)
	assert.Equal(t, netip.MustParseAddr("2001:2::5").AsSlice(), v[0:16])
	assert.Equal(t, []byte{198, 18, 0, 9}, v[16:20])
	assert.Equal(t, uint16(80), binary.NativeEndian.Uint16(v[20:22]))
	assert.Equal(t, uint16(443), binary.NativeEndian.Uint16(v[22:24]))
	assert.Equal(t, []byte{0, 0, 0, 0}, v[24:28], "ports not given stay 0")
	assert.Equal(t, []byte{1, 2, 0, 0, 0, 0, 0, 0}, v[28:36])
	w := mi.entries["backends6"][1].value
	m := netip.MustParseAddr("::ffff:198.18.0.7").As16()
	assert.Equal(t, m[:], w[0:16], "an IPv4 address in 16 bytes: mapped")
	assert.Equal(t, []byte("edge\x00\x00\x00\x00"), w[28:36])
	x := mi.entries["backends6"][2].value
	assert.Equal(t, uint16(4), binary.NativeEndian.Uint16(x[26:28]), "as many elements as the array has")
	for text, want := range map[string]string{
		"maps:\n  backends6: [{key: 0, value: {ports: [1, 2, 3, 4, 5]}}]":        "value.ports: 5 elements do not fit its 4",
		"maps:\n  backends6: [{key: 0, value: {ports: 80}}]":                     "value.ports: an array of 4: give a list",
		"maps:\n  backends6: [{key: 0, value: {ports: [80, x]}}]":                "value.ports[1]: an unsigned 16-bit integer: not a number",
		"maps:\n  backends6: [{key: 0, value: {tag: \"0x01zz\"}}]":               "value.tag: \"0x01zz\" is not hex",
		"maps:\n  backends6: [{key: 0, value: {tag: \"0x010203040506070809\"}}]": "value.tag: 9 bytes do not fit its 8",
		"maps:\n  backends6: [{key: 0, value: {tag: overlongtext}}]":             "value.tag: 12 bytes do not fit its 8",
		"maps:\n  backends6: [{key: 0, value: {addr4: \"2001:2::1\"}}]":          "value.addr4: address 2001:2::1 does not fit its 4 bytes (an IPv4 address takes 4, an IPv6 one 16)",
		"maps:\n  backends: [{key: 0, value: {mac: \"02:00:00:00:01:zz\"}}]":     "value.mac: \"02:00:00:00:01:zz\" is no MAC",
		"maps:\n  backends6: [{key: 0, value: {tag: 198.18.0.1}}]":               "value.tag: address 198.18.0.1 does not fit its 8 bytes",
		"maps:\n  backends6: [{key: 4, value: {}}]":                              "key: index 4 is past the array's 4 entries",
	} {
		_, err := ReadMapInit(writeInit(t, text), vipSpec(t))
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
	}
}

// The entries bound, exactly at it and one past it, in JSON (YAML of
// that many would pass its own bound first).
func TestReadMapInitEntriesBound(t *testing.T) {
	spec := specOf(t, "../testdata/legacy_bpfel.o")
	spec.Maps["blocklist"].MaxEntries = 2 * MaxMapInitEntries
	file := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"maps": {"blocklist": [`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"key":%d,"value":1}`, i)
		}
		b.WriteString("]}}")
		return writeInit(t, b.String())
	}
	mi, err := ReadMapInit(file(MaxMapInitEntries), spec)
	require.NoError(t, err)
	assert.Equal(t, MaxMapInitEntries, mi.Entries())
	_, err = ReadMapInit(file(MaxMapInitEntries+1), spec)
	assert.ErrorContains(t, err, "map blocklist: more than 524288 entries in the file")
}

// Every error names the file, the map, the entry and the field, and says
// what it takes.
func TestReadMapInitRefuses(t *testing.T) {
	for text, want := range map[string]string{
		"maps: {}":                              "no maps",
		"mapz: {}":                              "unknown field",
		"maps:\n  nosuch: [{key: 0, value: 0}]": `no map "nosuch" in the object: its maps are backends, backends6, vip_hits, vips`,
		"maps:\n  backends: [{key: 0, value: {nope: 1}}]":                    "map backends entry 1: value: no field nope: its fields are addr, mac, weight, state",
		"maps:\n  backends: [{key: 0, value: {state: X}}]":                   "map backends entry 1: value.state: enum backend_state: give one of BACKEND_DOWN, BACKEND_UP, BACKEND_DRAINING, or a number",
		"maps:\n  backends: [{key: 0, value: {mac: 02:00:00:00:01}}]":        "value.mac",
		"maps:\n  backends: [{key: 9999999999, value: {}}]":                  "map backends entry 1: key: an unsigned 32-bit integer: out of range",
		"maps:\n  backends: [{key: 0, value: 5}]":                            "value: a struct: give its members by name",
		"maps:\n  vips: [{key: {addr: 198.18.0.2, port: 70000}, value: {}}]": "key.port: an unsigned 16-bit integer: out of range",
		"maps:\n  vips: [{key: {addr: 2001:2::1}, value: {}}]":               "key.addr",
		"maps:\n  vip_hits: [{key: 0}]":                                      "value: missing",
		"maps:\n  vip_hits: [{key: 0, value: 1.5}]":                          "give a whole number",
		"maps:\n  vip_hits: [{key: [1], value: 1}]":                          "key: give a number or a name",
		"maps: [1, 2": "map init",
		"":            "no maps",
		" \n\t":       "no maps",
		`{"maps": {"vip_hits": [{"key": 0, "value": 1}]}} {}`: "more after the JSON object",
		`{"mapz": {}}`: `unknown field "mapz"`,
		`{"maps": {"vip_hits": [{"key": 0, "value": 1.5}]}}`:                  "map vip_hits entry 1: value: 1.5: give a whole number",
		`{"maps": {"vip_hits": [{"key": 0, "value": 1e400}]}}`:                "give a whole number",
		`{"maps": {"vip_hits": [{"key": 0, "value": 18446744073709551616}]}}`: "value: an unsigned 64-bit integer: out of range",
	} {
		_, err := ReadMapInit(writeInit(t, text), vipSpec(t))
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
		assert.Contains(t, err.Error(), "init.yaml", text)
		assert.Less(t, len(err.Error()), 1024, text)
	}
	// The bounds, each exactly at its limit and one byte past it.
	yamlAt := "maps:\n" + strings.Repeat("#", MaxMapInitYAMLBytes-len("maps:\n"))
	_, err := ReadMapInit(writeInit(t, yamlAt), vipSpec(t))
	assert.ErrorContains(t, err, "no maps", "YAML of exactly 1 MiB is read")
	_, err = ReadMapInit(writeInit(t, yamlAt+"#"), vipSpec(t))
	assert.ErrorContains(t, err, "YAML larger than 1048576 bytes (1 MiB), which costs hundreds of MiB to decode: give a configuration that large as JSON")
	jsonAt := `{"maps": {}}` + strings.Repeat(" ", MaxMapInitBytes-len(`{"maps": {}}`))
	_, err = ReadMapInit(writeInit(t, jsonAt), vipSpec(t))
	assert.ErrorContains(t, err, "no maps", "JSON of exactly 16 MiB is read")
	_, err = ReadMapInit(writeInit(t, jsonAt+" "), vipSpec(t))
	assert.ErrorContains(t, err, "larger than 16777216 bytes (16 MiB)")
	_, err = ReadMapInit(filepath.Join(t.TempDir(), "none.yaml"), vipSpec(t))
	assert.ErrorContains(t, err, "map init")
}

func specOf(t *testing.T, object string) *ebpf.CollectionSpec {
	spec, err := ebpf.LoadCollectionSpec(object)
	require.NoError(t, err)
	return spec
}

// A map of maps takes, per entry, the entries of the inner map made for
// it from the ELF's template, typed by the template's BTF.
func TestReadMapInitMapOfMaps(t *testing.T) {
	spec := specOf(t, "../testdata/ipiplb_bpfel.o")
	mi, err := ReadMapInit(writeInit(t, `
maps:
  rings:
    - key: 7
      value: [{key: 0, value: 2}, {key: 15, value: 3}]
  config:
    - key: 0
      value: {source: 198.18.0.2, ttl: 32}
`), spec)
	require.NoError(t, err)
	assert.Equal(t, 4, mi.Entries(), "two outer and inner entries, and the config")
	r := mi.entries["rings"][0]
	assert.Equal(t, uint32(7), binary.NativeEndian.Uint32(r.key))
	assert.Nil(t, r.value, "a map of maps' value is the inner map")
	require.Len(t, r.inner, 2)
	assert.Equal(t, uint32(15), binary.NativeEndian.Uint32(r.inner[1].key))
	assert.Equal(t, uint32(3), binary.NativeEndian.Uint32(r.inner[1].value))
	require.Contains(t, mi.inner, "rings")
	assert.Equal(t, ebpf.Array, mi.inner["rings"].Type)
	assert.Equal(t, uint32(16), mi.inner["rings"].MaxEntries)
	assert.NotContains(t, mi.inner, "config")
	assert.Equal(t, []byte{198, 18, 0, 2, 32, 0, 0, 0}, mi.entries["config"][0].value)

	many := "maps:\n  rings:\n    - key: 0\n      value: ["
	for i := range 17 {
		many += fmt.Sprintf("{key: %d, value: 1},", i%16)
	}
	for text, want := range map[string]string{
		"maps:\n  rings: [{key: 0, value: 3}]":                          "map rings entry 1: value: the entries of the inner map made for it: give a list of {key: ..., value: ...}",
		"maps:\n  rings: [{key: 0, value: [{key: 1}]}]":                 "map rings entry 1: value[0]: an inner map's entry: give {key: ..., value: ...}",
		"maps:\n  rings: [{key: 0, value: [{key: 16, value: 1}]}]":      "map rings entry 1: inner map entry 1: key: index 16 is past the array's 16 entries",
		"maps:\n  rings: [{key: 0, value: [{key: 1, value: {a: 1}}]}]":  "map rings entry 1: inner map entry 1: value: give a number or a name",
		"maps:\n  rings: [{key: 0, value: [{key: 1, value: 1, x: 2}]}]": "value[0]: an inner map's entry",
		many + "]":                               "map rings entry 1: inner map: 17 entries do not fit its max_entries 16",
		"maps:\n  config: [{key: 1, value: {}}]": "map config entry 1: key: index 1 is past the array's 1 entries",
	} {
		_, err := ReadMapInit(writeInit(t, text), spec)
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
	}
}

// A program array's slots come from --tail-call; a map of maps needs its
// template.
func TestReadMapInitRefusesProgramArrays(t *testing.T) {
	_, err := ReadMapInit(writeInit(t, "maps:\n  stages: [{key: 0, value: 1}]"), specOf(t, "../testdata/tailcall_bpfel.o"))
	assert.ErrorContains(t, err, "map stages (ProgramArray) holds programs: give its slots with --tail-call")
	spec := specOf(t, "../testdata/ipiplb_bpfel.o")
	spec.Maps["rings"].InnerMap = nil
	_, err = ReadMapInit(writeInit(t, "maps:\n  rings: [{key: 0, value: []}]"), spec)
	assert.ErrorContains(t, err, "map rings (HashOfMaps) has no inner map template in the ELF")
}

// A legacy "maps" section has no BTF: keys and values are 0x hex of
// their sizes, or integers where they are 1, 2, 4 or 8 bytes.
func TestReadMapInitLegacyMaps(t *testing.T) {
	spec := specOf(t, "../testdata/legacy_bpfel.o")
	mi, err := ReadMapInit(writeInit(t, `
maps:
  blocklist:
    - {key: "0xc6120001", value: 0}
    - {key: 3256877057, value: "0x0100000000000000"}
    - {key: 0xc6120003, value: 1}
  flow_keys:
    - {key: "0xc6120001c6120002003500ff", value: 9}
`), spec)
	require.NoError(t, err)
	b := mi.entries["blocklist"]
	assert.Equal(t, []byte{0xc6, 0x12, 0x00, 0x01}, b[0].key, "quoted 0x hex: the bytes as written")
	assert.Equal(t, uint32(0xc6120003), binary.NativeEndian.Uint32(b[2].key), "an unquoted 0x is a YAML number: the host's order")
	assert.Equal(t, uint32(3256877057), binary.NativeEndian.Uint32(b[1].key), "a number: the host's order")
	assert.Equal(t, []byte{1, 0, 0, 0, 0, 0, 0, 0}, b[1].value)
	assert.Len(t, mi.entries["flow_keys"][0].key, 12)
	assert.Equal(t, uint32(9), binary.NativeEndian.Uint32(mi.entries["flow_keys"][0].value))
	for text, want := range map[string]string{
		"maps:\n  blocklist: [{key: \"0xc612\", value: 0}]":     "map blocklist entry 1: key: the map has no BTF: give 0x and 4 hex bytes, not \"0xc612\"",
		"maps:\n  blocklist: [{key: 198.18.0.1, value: 0}]":     "key: the map has no BTF: an unsigned 32-bit integer: not a number, or 0x and 4 hex bytes",
		"maps:\n  flow_keys: [{key: 5, value: 0}]":              "map flow_keys entry 1: key: the map has no BTF to type its 12 bytes: give 0x and 12 hex bytes",
		"maps:\n  blocklist: [{key: 1, value: {a: 1}}]":         "value: give a number or a name",
		"maps:\n  blocklist: [{key: \"0x0102030g\", value: 0}]": "give 0x and 4 hex bytes",
	} {
		_, err := ReadMapInit(writeInit(t, text), spec)
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
	}
}
