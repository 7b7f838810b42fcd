package objconfig

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf/catalog"
)

func configuredSpec(t *testing.T) *ebpf.CollectionSpec {
	spec, err := ebpf.LoadCollectionSpec("../testdata/configured_bpfel.o")
	require.NoError(t, err)
	return spec
}

// Each kind of variable takes its text as its BTF type says, and refuses
// what does not fit, naming the variable and what it takes.
func TestSetVariables(t *testing.T) {
	spec := configuredSpec(t)
	require.NoError(t, SetVariables("c.o", spec, map[string]string{
		"verdict": "VERDICT_DROP", "queue_mask": "0x3", "offset": "-2", "match_tag": "true", "tag": "ab",
	}))
	var v uint32
	require.NoError(t, spec.Variables["verdict"].Get(&v))
	assert.Equal(t, uint32(1), v)
	require.NoError(t, spec.Variables["queue_mask"].Get(&v))
	assert.Equal(t, uint32(3), v)
	var o int16
	require.NoError(t, spec.Variables["offset"].Get(&o))
	assert.Equal(t, int16(-2), o)
	var b bool
	require.NoError(t, spec.Variables["match_tag"].Get(&b))
	assert.True(t, b)
	var tag [4]byte
	require.NoError(t, spec.Variables["tag"].Get(&tag))
	assert.Equal(t, [4]byte{'a', 'b', 0, 0}, tag)

	require.NoError(t, SetVariables("c.o", spec, map[string]string{"verdict": "3", "tag": "0x01020304"}))
	require.NoError(t, spec.Variables["verdict"].Get(&v))
	assert.Equal(t, uint32(3), v)
	require.NoError(t, spec.Variables["tag"].Get(&tag))
	assert.Equal(t, [4]byte{1, 2, 3, 4}, tag)
}

func TestSetVariablesRefused(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"nosuch", "1", "no global variable of that name; its variables are match_tag, offset, queue_mask, seen, tag, verdict"},
		{"verdict", "VERDICT_MAYBE", "enum verdict: give one of VERDICT_ABORTED, VERDICT_DROP, VERDICT_PASS, VERDICT_TX, or a number"},
		{"queue_mask", "-1", "an unsigned 32-bit integer: not a number"},
		{"queue_mask", "0x100000000", "an unsigned 32-bit integer: out of range"},
		{"offset", "40000", "a signed 16-bit integer: out of range"},
		{"match_tag", "maybe", "a bool: give true or false"},
		{"tag", "abcde", "5 bytes do not fit its 4"},
		{"tag", "0xzz", `a byte array: "zz" is not hex`},
	} {
		err := SetVariables("c.o", configuredSpec(t), map[string]string{c.name: c.value})
		var ve *catalog.VariableError
		require.ErrorAs(t, err, &ve, c.name)
		assert.Equal(t, c.name, ve.Name)
		assert.Equal(t, c.want, ve.Why, c.name+"="+c.value)
		assert.Contains(t, err.Error(), "object c.o: variable "+c.name+"="+c.value)
	}
}

// structConfig is structcfg.c's struct config, as Go lays it out.
type structConfig struct {
	Drop  uint8
	_     [3]byte
	Mode  uint32
	Pps   uint32
	Burst uint16
	_     [2]byte // struct limits' tail padding
	Tag   [8]byte
	Bits  uint32
}

// A struct variable's members are set by name, nested ones through dots,
// each typed by its BTF; its other bytes stay as the ELF has them.
func TestSetStructMembers(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpec("../testdata/structcfg_bpfel.o")
	require.NoError(t, err)
	require.NoError(t, SetVariables("s.o", spec, map[string]string{
		"cfg.drop": "1", "cfg.mode": "MODE_ENFORCE", "cfg.limit.pps": "250000", "cfg.tag": "edge",
	}))
	var c structConfig
	require.NoError(t, spec.Variables["cfg"].Get(&c))
	assert.Equal(t, uint8(1), c.Drop)
	assert.Equal(t, uint32(2), c.Mode)
	assert.Equal(t, uint32(250000), c.Pps)
	assert.Equal(t, uint16(8), c.Burst, "a member not named keeps its value from the ELF")
	assert.Equal(t, [8]byte{'e', 'd', 'g', 'e'}, c.Tag)

	for _, x := range []struct{ name, value, want string }{
		{"cfg.nosuch", "1", "no member nosuch: the members are drop, mode, limit, tag, flags, more"},
		{"cfg.limit.nosuch", "1", "no member nosuch: the members are pps, burst"},
		{"cfg.limit.burst", "70000", "an unsigned 16-bit integer: out of range"},
		{"cfg.mode", "MODE_MAYBE", "enum mode: give one of MODE_OFF, MODE_COUNT, MODE_ENFORCE, or a number"},
		{"cfg.flags", "1", "member flags is a bitfield: xdplab sets whole members"},
		{"cfg.drop.x", "1", "no struct"},
		{"cfg.limit", "5", "is a struct: set its members by name, such as NAME.member=VALUE"},
		{"cfg", "1", "is a struct: set its members by name"},
		{"nocfg.drop", "1", "no global variable of that name; its variables are cfg"},
	} {
		err := SetVariables("s.o", spec, map[string]string{x.name: x.value})
		var ve *catalog.VariableError
		require.ErrorAs(t, err, &ve, x.name)
		assert.Equal(t, x.name, ve.Name)
		assert.Contains(t, ve.Why, x.want, x.name+"="+x.value)
	}
}
