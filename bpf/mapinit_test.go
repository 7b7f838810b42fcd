package bpf

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const vipObject = "testdata/vipmap_bpfel.o"

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
    - key: {addr: 198.18.0.2, port: 0x5000, proto: 17}
      value: {backend: 3}
  backends:
    - key: 3
      value: {addr: 198.18.1.10, mac: "02:00:00:00:01:0a", weight: 7, state: BACKEND_UP}
`), vipSpec(t))
	require.NoError(t, err)
	assert.Equal(t, 2, mi.Entries())
	assert.Len(t, mi.SHA256, 64)
	v := mi.entries["vips"][0]
	assert.Equal(t, []byte{198, 18, 0, 2, 0x00, 0x50, 17, 0}, v.key, "address in network order, the port as given, the pad 0")
	assert.Equal(t, []byte{3, 0, 0, 0, 0, 0, 0, 0}, v.value)
	b := mi.entries["backends"][0]
	assert.Equal(t, uint32(3), binary.NativeEndian.Uint32(b.key))
	require.Len(t, b.value, 16)
	assert.Equal(t, []byte{198, 18, 1, 10}, b.value[0:4])
	assert.Equal(t, []byte{2, 0, 0, 0, 1, 10}, b.value[4:10])
	assert.Equal(t, uint16(7), binary.NativeEndian.Uint16(b.value[10:12]))
	assert.Equal(t, uint32(1), binary.NativeEndian.Uint32(b.value[12:16]), "BACKEND_UP")

	js, err := ReadMapInit(writeInit(t, `{"maps": {"vip_hits": [{"key": 0, "value": 5}]}}`), vipSpec(t))
	require.NoError(t, err)
	assert.Equal(t, 1, js.Entries())
}

// Every error names the file, the map, the entry and the field, and says
// what it takes.
func TestReadMapInitRefuses(t *testing.T) {
	for text, want := range map[string]string{
		"maps: {}":                              "no maps",
		"mapz: {}":                              "unknown field",
		"maps:\n  nosuch: [{key: 0, value: 0}]": `no map "nosuch" in the object: its maps are backends, vip_hits, vips`,
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
	} {
		_, err := ReadMapInit(writeInit(t, text), vipSpec(t))
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), want, text)
		assert.Contains(t, err.Error(), "init.yaml", text)
		assert.Less(t, len(err.Error()), 1024, text)
	}
	big := writeInit(t, "maps:\n"+strings.Repeat("#", MaxMapInitBytes))
	_, err := ReadMapInit(big, vipSpec(t))
	assert.ErrorContains(t, err, "larger than 16777216 bytes")
	_, err = ReadMapInit(filepath.Join(t.TempDir(), "none.yaml"), vipSpec(t))
	assert.ErrorContains(t, err, "map init")
}
