package runner

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/results"
)

// The return sink's counts as a result keeps them: every check counted
// once, destinations by address, and encapsulated frames the sink's map
// had no room to name counted apart.
func TestReturned(t *testing.T) {
	var checks [catalog.NumSinkChecks]uint64
	checks[catalog.SinkEncapsulated], checks[catalog.SinkNotEncapsulated], checks[catalog.SinkInnerBad] = 100, 3, 2
	rt := returned(map[netip.Addr]uint64{netip.MustParseAddr("198.19.0.1"): 60, netip.MustParseAddr("2001:2::9"): 30}, checks)
	assert.Equal(t, uint64(105), rt.Frames)
	assert.Equal(t, uint64(100), rt.Encapsulated)
	assert.Equal(t, uint64(3), rt.NotEncapsulated)
	assert.Equal(t, uint64(2), rt.InnerBad)
	assert.Equal(t, uint64(10), rt.OtherDestinations)
	assert.ElementsMatch(t, []string{"198.19.0.1", "2001:2::9"}, []string{rt.ByDestination[0].Addr, rt.ByDestination[1].Addr})
	assert.NotEmpty(t, rt.Source)

	rt = returned(map[netip.Addr]uint64{netip.MustParseAddr("198.19.0.1"): 100}, checks)
	assert.Zero(t, rt.OtherDestinations, "every encapsulated frame named")
}

// The map contents file's SHA-256 is recorded at the first load; a file
// that changed before another mode loaded it stops the run.
func TestRecordMapInit(t *testing.T) {
	r := &runner{run: &results.Run{Config: results.Config{MapInit: "lb.yaml"}}}
	require.NoError(t, r.recordMapInit(&bpf.Program{}), "no file")
	assert.Empty(t, r.run.Config.MapInitSHA256)
	require.NoError(t, r.recordMapInit(&bpf.Program{MapInitSHA256: "aa"}))
	assert.Equal(t, "aa", r.run.Config.MapInitSHA256)
	require.NoError(t, r.recordMapInit(&bpf.Program{MapInitSHA256: "aa"}), "the same contents again")
	err := r.recordMapInit(&bpf.Program{MapInitSHA256: "bb"})
	require.ErrorContains(t, err, "map init lb.yaml changed during the run (sha256 aa, now bb)")
	assert.Equal(t, "aa", r.run.Config.MapInitSHA256)
	assert.NoError(t, (&runner{}).recordMapInit(&bpf.Program{MapInitSHA256: "aa"}), "no run to record into (a bench)")
}
