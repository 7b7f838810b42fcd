package bpf_test

import (
	"math"
	"net"
	"net/netip"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xaa}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xbb}
)

func frame(t *testing.T, ipv6 bool, size int) []byte {
	t.Helper()
	s := stream.FrameSpec{Size: size, SrcMAC: macA, DstMAC: macB,
		Src: netip.MustParseAddr("198.18.0.1"), Dst: netip.MustParseAddr("198.18.0.2"), SrcPort: 10000, DstPort: 9}
	if ipv6 {
		s.Src, s.Dst = netip.MustParseAddr("2001:2::1"), netip.MustParseAddr("2001:2::2")
	}
	b, err := stream.BuildUDP(s)
	require.NoError(t, err)
	return b
}

func TestCatalogue(t *testing.T) {
	assert.Equal(t, []string{"drop", "pass", "tx", "redirect", "filter", "ratelimit", "flowstats", "l4lb"}, catalog.BuiltinNames())
	_, err := catalog.LookupBuiltin("frobnicate")
	assert.ErrorIs(t, err, catalog.ErrUnknownProgram)
	assert.ErrorContains(t, err, "drop, pass, tx, redirect")
	w, err := catalog.ParseWork("parse-ip")
	require.NoError(t, err)
	assert.Equal(t, catalog.ParseIP, w)
	_, err = catalog.ParseWork("lots")
	assert.ErrorContains(t, err, "no-touch, read-data, parse-ip, swap-macs")
	assert.Len(t, bpf.DUTObjectSHA256(), 64)
}

// onOneCPU keeps the test on one thread pinned to one CPU: the generator's
// state is per CPU, as it is for each generator thread.
func onOneCPU(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	var old, one unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &old))
	for i := range 1024 {
		if old.IsSet(i) {
			one.Set(i)
			break
		}
	}
	require.NoError(t, unix.SchedSetaffinity(0, &one))
	t.Cleanup(func() {
		_ = unix.SchedSetaffinity(0, &old)
		runtime.UnlockOSThread()
	})
}

func TestLatencyBuckets(t *testing.T) {
	prevHi := uint64(0)
	last := bpf.LatencyBucket(math.MaxUint64)
	require.Less(t, last, bpf.LatencyBuckets)
	for i := 0; i <= last; i++ {
		lo, hi := bpf.LatencyBucketBounds(i)
		if i > 0 {
			assert.Equal(t, prevHi+1, lo, "bucket %d follows on", i)
		}
		assert.Equal(t, i, bpf.LatencyBucket(lo))
		assert.Equal(t, i, bpf.LatencyBucket(hi))
		if lo >= 8 {
			assert.LessOrEqual(t, float64(hi-lo+1)/float64(lo), 0.125, "bucket %d at most 12.5%% wide", i)
		}
		prevHi = hi
	}
}

// The catalogue names every program of every committed object, within the
// kernel's name length.
func TestObjectCatalogue(t *testing.T) {
	progs, maps, err := bpf.Catalogue()
	require.NoError(t, err)
	for _, want := range []string{"xdp_drop", "xdp_tx", "xdp_gen", "xdp_lb_sink", "xdp_filter", "xdplab_drop"} {
		assert.Contains(t, progs, want)
	}
	assert.Contains(t, maps, "xdp_stats")
	for _, n := range append(progs, maps...) {
		assert.LessOrEqual(t, len(n), 15, n)
	}
}
