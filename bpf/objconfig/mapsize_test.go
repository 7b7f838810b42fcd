package objconfig

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf/catalog"
)

const unsized = "../testdata/unsized_bpfel.o" // per_ifindex: max_entries 0

// A map whose size the object leaves to its loader is refused by name
// before anything is loaded, and sized when told how.
func TestSizeMaps(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpec(unsized)
	require.NoError(t, err)
	require.Zero(t, spec.Maps["per_ifindex"].MaxEntries, "the fixture leaves the size to its loader")

	_, err = SizeMaps(unsized, spec, nil, nil)
	var ue *catalog.UnsizedMapsError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, []string{"per_ifindex"}, ue.Maps)

	_, err = SizeMaps(unsized, spec, map[string]uint32{"nosuch": 4}, nil)
	assert.ErrorContains(t, err, `no map "nosuch" to size: its maps are per_ifindex`)
	_, err = SizeMaps(unsized, spec, nil, []string{"nosuch"})
	assert.ErrorContains(t, err, `no map "nosuch" to size`)

	sized, err := SizeMaps(unsized, spec, map[string]uint32{"per_ifindex": 64}, nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(64), spec.Maps["per_ifindex"].MaxEntries)
	assert.Equal(t, map[string]string{"per_ifindex": "--map-size per_ifindex=64"}, sized)

	// Maps the kernel or cilium/ebpf size stay 0.
	spec.Maps["per_ifindex"].Type, spec.Maps["per_ifindex"].MaxEntries = ebpf.PerfEventArray, 0
	sized, err = SizeMaps(unsized, spec, nil, nil)
	assert.NoError(t, err)
	assert.Contains(t, sized["per_ifindex"], "perf event array gets the possible CPUs")
}

// The loaders' conventions: NAME=cpus sizes a map to the possible CPUs;
// '*=N' and '*=cpus' size every map left, after those named; a perf
// event array is the loader's; each size says what gave it.
func TestSizeMapsConventions(t *testing.T) {
	const bench = "../testdata/bench7_bpfel.o"
	cpus, err := ebpf.PossibleCPU()
	require.NoError(t, err)
	load := func() *ebpf.CollectionSpec {
		spec, err := ebpf.LoadCollectionSpec(bench)
		require.NoError(t, err)
		return spec
	}
	spec := load()
	_, err = SizeMaps(bench, spec, nil, nil)
	var ue *catalog.UnsizedMapsError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, []string{"cpumap_kthread_cnt", "devmap_xmit_cnt", "exception_cnt", "redir_err_cnt", "rx_cnt", "rxq_cnt"}, ue.Maps, "six unsized; the perf event array is the loader's")

	spec = load()
	sized, err := SizeMaps(bench, spec, map[string]uint32{"rxq_cnt": 64}, []string{"*"})
	require.NoError(t, err)
	for name, m := range spec.Maps {
		switch name {
		case "rxq_cnt":
			assert.Equal(t, uint32(64), m.MaxEntries)
			assert.Equal(t, "--map-size rxq_cnt=64", sized[name])
		case "events":
			assert.Zero(t, m.MaxEntries, "cilium/ebpf sizes it at load")
			assert.Contains(t, sized[name], "as libbpf does")
		default:
			if !assert.Contains(t, sized, name) {
				continue
			}
			assert.Equal(t, uint32(cpus), m.MaxEntries, name)
			assert.Contains(t, sized[name], "'*=cpus'")
		}
	}
	spec = load()
	sized, err = SizeMaps(bench, spec, map[string]uint32{"*": 8}, []string{"rx_cnt"})
	require.NoError(t, err)
	assert.Equal(t, uint32(cpus), spec.Maps["rx_cnt"].MaxEntries)
	assert.Contains(t, sized["rx_cnt"], "rx_cnt=cpus")
	assert.Equal(t, uint32(8), spec.Maps["exception_cnt"].MaxEntries)
	assert.Equal(t, "--map-size '*=8'", sized["exception_cnt"])
}
