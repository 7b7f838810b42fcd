//go:build integration

package bpf

import (
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf/catalog"
)

// With ifindex 0 the hand-made BPF_MAP_CREATE makes a host map: this checks
// the attribute layout cilium/ebpf then accepts as a replacement.
func TestIntegrationNewOffloadedMapOnHost(t *testing.T) {
	requireRoot(t)
	spec := &ebpf.MapSpec{Name: "xdp_stats", Type: ebpf.Array, KeySize: 4, ValueSize: 16, MaxEntries: 5}
	m, err := newOffloadedMap(spec, 0)
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, ebpf.Array, m.Type())
	assert.Equal(t, uint32(16), m.ValueSize())
	assert.Equal(t, uint32(5), m.MaxEntries())
	require.NoError(t, spec.Compatible(m))
	info, err := m.Info()
	require.NoError(t, err)
	assert.Equal(t, "xdp_stats", info.Name)
}

// bindToDevice on ifindex 0 makes the same maps on the host: the program
// loads with them, its constants (.rodata) arrive, and a map type offload
// cannot hold is refused by name.
func TestIntegrationBindToDeviceOnHost(t *testing.T) {
	requireRoot(t)
	spec, err := loadDut()
	require.NoError(t, err)
	require.NoError(t, spec.Variables["work"].Set(uint32(catalog.ParseIP)))
	for name := range spec.Programs {
		if name != "xdp_drop" {
			delete(spec.Programs, name)
		}
	}
	var copts ebpf.CollectionOptions
	_, _, err = bindToDevice(spec.Copy(), "xdp_drop", 0, &copts)
	assert.ErrorContains(t, err, "not offloadable: map xdp_stats is a PerCPUArray")

	spec.Maps["xdp_stats"].Type = ebpf.Array
	copts = ebpf.CollectionOptions{}
	closeMaps, notes, err := bindToDevice(spec, "xdp_drop", 0, &copts)
	require.NoError(t, err)
	defer closeMaps()
	assert.Empty(t, notes, "the host holds every entry")
	assert.NotContains(t, spec.Maps, "tx_port", "a map the program does not use is dropped")
	coll, err := ebpf.NewCollectionWithOptions(spec, copts)
	require.NoError(t, err)
	defer coll.Close()

	var ro []byte
	for name, m := range copts.MapReplacements {
		if name == ".rodata" {
			require.NoError(t, m.Lookup(uint32(0), &ro))
		}
	}
	require.NotEmpty(t, ro, ".rodata was made and filled")
	assert.Contains(t, ro, byte(catalog.ParseIP), "the work constant arrived")

	// One frame a call, three calls: a Repeat that a signal interrupts
	// runs again whole, counting more.
	for range 3 {
		ret, err := coll.Programs["xdp_drop"].Run(&ebpf.RunOptions{Data: make([]byte, 64)})
		require.NoError(t, err)
		assert.Equal(t, uint32(catalog.Drop), ret)
	}
	s, err := ReadStats(coll.Maps["xdp_stats"])
	require.NoError(t, err)
	assert.Equal(t, uint64(3), s[catalog.Drop].Packets)
}

// requireRoot is testenv.RequireRoot for this internal test file (testenv
// imports bpf for its leak check).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("integration tests need root; CI runs them as root")
	}
	t.Skip("needs root (CAP_BPF)")
}
