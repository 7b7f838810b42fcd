//go:build integration

package bpf_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/topology"
)

func TestIntegrationProgramsActionsAndCounters(t *testing.T) {
	testenv.RequireRoot(t)
	for _, b := range catalog.Builtins() {
		if b.Workload {
			continue // workloads_test.go, with their settings
		}
		for _, w := range []catalog.Work{catalog.NoTouch, catalog.ReadData, catalog.ParseIP, catalog.SwapMACs} {
			for _, v6 := range []bool{false, true} {
				t.Run(b.Name+"/"+w.String(), func(t *testing.T) {
					p, err := bpf.LoadDUT(bpf.DUTOptions{Program: b.Name, Work: w})
					require.NoError(t, err)
					defer p.Close()
					if b.Name == "redirect" {
						// ifindex 1 is lo in every namespace.
						require.NoError(t, p.TxPort.Put(uint32(0), uint32(1)))
					}
					in := frame(t, v6, 128)
					out := make([]byte, len(in)+256)
					ret := runEach(t, p.Program, &ebpf.RunOptions{Data: in, DataOut: out}, 3)
					assert.Equal(t, uint32(b.Action), ret, "action")

					st, err := bpf.ReadStats(p.Stats)
					require.NoError(t, err)
					assert.Equal(t, uint64(3), st[b.Action].Packets, "counted under its action")
					assert.Equal(t, uint64(3*len(in)), st[b.Action].Bytes)
					assert.Equal(t, uint64(3), st.Total().Packets, "nothing else counted")

					out = out[:len(in)]
					swapped := b.Name == "tx" || w == catalog.SwapMACs
					if swapped {
						assert.Equal(t, []byte(macA), out[0:6], "dst MAC is the old source")
						assert.Equal(t, []byte(macB), out[6:12], "src MAC is the old destination")
						assert.Equal(t, in[12:], out[12:], "rest unchanged")
					} else {
						assert.Equal(t, in, out, "frame unchanged")
					}
				})
			}
		}
	}
}

func TestIntegrationProgramsAbortOnTruncatedFrames(t *testing.T) {
	testenv.RequireRoot(t)
	// 14 bytes of Ethernet claiming IPv4 but no IP header: parse-ip aborts.
	in := append(append([]byte{}, frame(t, false, 64)[:14]...), 0)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop", Work: catalog.ParseIP})
	require.NoError(t, err)
	defer p.Close()
	ret, err := p.Program.Run(&ebpf.RunOptions{Data: in})
	require.NoError(t, err)
	assert.Equal(t, uint32(catalog.Aborted), ret)
	st, err := bpf.ReadStats(p.Stats)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), st[catalog.Aborted].Packets)
	assert.Zero(t, st[catalog.Drop].Packets)
}

func TestIntegrationRedirectWithEmptyDevmapAborts(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "redirect"})
	require.NoError(t, err)
	defer p.Close()
	ret, err := p.Program.Run(&ebpf.RunOptions{Data: frame(t, false, 64)})
	require.NoError(t, err)
	assert.Equal(t, uint32(catalog.Aborted), ret, "an empty devmap is visible, not a silent drop")
}

// The generator program shapes every frame exactly as stream.Shaper does:
// flows, sizes of a mix, protocols, VLAN tags and malformed frames, each
// frame made from the template whatever the frame held before.
func TestIntegrationGeneratorMatchesShaper(t *testing.T) {
	testenv.RequireRoot(t)
	type tc struct {
		proto stream.Protocol
		v6    bool
		vlan  uint16
		mix   bool
		bad   uint32
	}
	var cases []tc
	for _, proto := range []stream.Protocol{stream.UDP, stream.TCPSYN, stream.ICMP} {
		for _, v6 := range []bool{false, true} {
			cases = append(cases, tc{proto, v6, 0, false, 0}, tc{proto, v6, 42, true, 200_000})
		}
	}
	cases = append(cases, tc{stream.UDP, false, 0, true, 0}, tc{stream.UDP, true, 0, false, 1_000_000})
	for _, c := range cases {
		name := fmt.Sprintf("%s/v6=%v/vlan=%d/mix=%v/bad=%d", c.proto, c.v6, c.vlan, c.mix, c.bad)
		t.Run(name, func(t *testing.T) {
			onOneCPU(t)
			s := stream.FrameSpec{Size: 128, Proto: c.proto, VLAN: c.vlan, SrcMAC: macA, DstMAC: macB,
				Src: netip.MustParseAddr("198.18.0.1"), Dst: netip.MustParseAddr("198.18.0.2"), SrcPort: 10000, DstPort: 9}
			if c.v6 {
				s.Src, s.Dst = netip.MustParseAddr("2001:2::1"), netip.MustParseAddr("2001:2::2")
			}
			o := stream.ShapeOptions{Frame: s, Flows: 7, MalformedPPM: c.bad}
			if c.mix {
				o.Mix = stream.Mix{{Size: s.MinSize(), Weight: 3}, {Size: 700, Weight: 2}, {Size: s.MaxSize(), Weight: 1}}
			}
			want, err := stream.NewShaper(o)
			require.NoError(t, err)
			g, err := bpf.LoadGenerator(traffic.GenOptions(want, 1, 0, false))
			require.NoError(t, err)
			defer g.Close()
			in := want.Template()
			for i := range 20 {
				ro := &ebpf.RunOptions{Data: in, DataOut: make([]byte, len(in)+256)}
				ret, err := g.Program.Run(ro)
				require.NoError(t, err)
				out := ro.DataOut
				require.Equal(t, uint32(catalog.Redirect), ret, "frame %d", i)
				w := want.NextAt(0)
				require.Equal(t, len(w), len(out), "frame %d length", i)
				assert.True(t, bytes.Equal(w, out), "frame %d:\n got %x\nwant %x", i, out, w)
			}
			st, err := bpf.ReadStats(g.Stats)
			require.NoError(t, err)
			assert.Equal(t, uint64(20), st[catalog.Redirect].Packets)
			n, err := g.Malformed()
			require.NoError(t, err)
			assert.Equal(t, want.Malformed(), n)
		})
	}
}

// A stamped frame carries the send time with valid checksums, and the
// latency sink files it in the right bucket.
func TestIntegrationLatencyStampAndSink(t *testing.T) {
	testenv.RequireRoot(t)
	for _, proto := range []stream.Protocol{stream.UDP, stream.TCPSYN, stream.ICMP} {
		for _, v6 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/v6=%v", proto, v6), func(t *testing.T) {
				s := stream.FrameSpec{Size: 128, Proto: proto, VLAN: 9, SrcMAC: macA, DstMAC: macB, Stamp: true,
					Src: netip.MustParseAddr("198.18.0.1"), Dst: netip.MustParseAddr("198.18.0.2"), SrcPort: 10000, DstPort: 9}
				if v6 {
					s.Src, s.Dst = netip.MustParseAddr("2001:2::1"), netip.MustParseAddr("2001:2::2")
				}
				sh, err := stream.NewShaper(stream.ShapeOptions{Frame: s, Flows: 3})
				require.NoError(t, err)
				g, err := bpf.LoadGenerator(traffic.GenOptions(sh, 1, 0, false))
				require.NoError(t, err)
				defer g.Close()
				ro := &ebpf.RunOptions{Data: sh.Template(), DataOut: make([]byte, 512)}
				ret, err := g.Program.Run(ro)
				require.NoError(t, err)
				out := ro.DataOut
				require.Equal(t, uint32(catalog.Redirect), ret)
				require.NoError(t, stream.CheckChecksums(out), "the stamp is in the checksum")

				l := sh.Layout()
				sink, err := bpf.LoadLatencySink(bpf.LatencyOptions{L3Offset: uint32(l.L3), IPv6: v6, L4Hdr: uint32(l.L4Hdr)})
				require.NoError(t, err)
				defer sink.Close()
				require.NoError(t, sink.ResetExtremes())
				ret, err = sink.Program.Run(&ebpf.RunOptions{Data: out})
				require.NoError(t, err)
				assert.Equal(t, uint32(catalog.Drop), ret)
				ret, err = sink.Program.Run(&ebpf.RunOptions{Data: sh.Template()}) // no stamp
				require.NoError(t, err)
				assert.Equal(t, uint32(catalog.Drop), ret)
				snap, err := sink.Read()
				require.NoError(t, err)
				assert.Equal(t, uint64(1), snap.Count)
				assert.Equal(t, uint64(1), snap.Unstamped)
				assert.Positive(t, snap.MinNs)
				assert.Equal(t, snap.MinNs, snap.MaxNs)
				assert.Less(t, snap.MinNs, uint64(time.Second), "stamped and read within a second")
				assert.Equal(t, uint64(1), snap.Buckets[bpf.LatencyBucket(snap.MinNs)])
				p50, err := snap.Quantile(0.5)
				require.NoError(t, err)
				assert.InDelta(t, float64(snap.MinNs), p50, 0.001, "clamped to the exact extremes")
				st, err := bpf.ReadStats(sink.Stats)
				require.NoError(t, err)
				assert.Equal(t, uint64(2), st[catalog.Drop].Packets)
			})
		}
	}
}

func TestIntegrationLoadObject(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	bad := dir + "/bad.o"
	require.NoError(t, os.WriteFile(bad, []byte("not an elf"), 0o644))
	_, err := bpf.LoadObject(bpf.ObjectOptions{Path: bad})
	assert.ErrorContains(t, err, "not a BPF ELF object")

	_, err = bpf.LoadObject(bpf.ObjectOptions{Path: dir + "/missing.o"})
	assert.ErrorIs(t, err, os.ErrNotExist)

	obj := "dut_bpfel.o" // four XDP programs
	_, err = bpf.LoadObject(bpf.ObjectOptions{Path: obj})
	assert.ErrorContains(t, err, "choose one with --program")
	_, err = bpf.LoadObject(bpf.ObjectOptions{Path: obj, Program: "nope"})
	assert.ErrorContains(t, err, "xdp_drop, xdp_pass, xdp_redirect, xdp_tx")

	p, err := bpf.LoadObject(bpf.ObjectOptions{Path: obj, Program: "xdp_pass"})
	require.NoError(t, err)
	defer p.Close()
	assert.False(t, p.Counted)
	assert.Equal(t, bpf.DUTObjectSHA256(), p.SHA256, "the committed object is the embedded one")
	ret, err := p.Program.Run(&ebpf.RunOptions{Data: frame(t, false, 64)})
	require.NoError(t, err)
	assert.Equal(t, uint32(catalog.Pass), ret)
}

func TestIntegrationStatsOverhead(t *testing.T) {
	testenv.RequireRoot(t)
	_, _, _, err := bpf.StatsOverhead()
	require.ErrorContains(t, err, "run-time stats are off", "without stats enabled there is nothing to measure")

	closer, err := ebpf.EnableStats(unix.BPF_STATS_RUN_TIME)
	require.NoError(t, err)
	defer closer.Close()
	med, lo, hi, err := bpf.StatsOverhead()
	require.NoError(t, err)
	assert.Greater(t, lo, 0.0, "every run pays for the clock reads")
	assert.LessOrEqual(t, lo, med)
	assert.LessOrEqual(t, med, hi)
}

// The layout hardware offload needs (a plain array) counts like the per-CPU
// one.
func TestIntegrationArrayStatsLayout(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop", ArrayStats: true})
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, ebpf.Array, p.Stats.Type())
	in := frame(t, false, 64)
	ret := runEach(t, p.Program, &ebpf.RunOptions{Data: in}, 10)
	assert.Equal(t, uint32(catalog.Drop), ret)
	s, err := bpf.ReadStats(p.Stats)
	require.NoError(t, err)
	assert.Equal(t, uint64(10), s[catalog.Drop].Packets)
	assert.Equal(t, uint64(10*len(in)), s[catalog.Drop].Bytes)
}

// Loading for offload binds the stats map to the device first; a device
// without BPF offload refuses it with a sentence, and redirect is refused
// before anything is loaded.
func TestIntegrationLoadForOffloadRefused(t *testing.T) {
	testenv.RequireRoot(t)
	_, err := bpf.LoadDUT(bpf.DUTOptions{Program: "redirect", Ifindex: 1})
	assert.ErrorContains(t, err, "devmap, which stays on the host")
	_, err = bpf.LoadDUT(bpf.DUTOptions{Program: "drop", Ifindex: 1}) // lo
	require.Error(t, err)
	assert.ErrorContains(t, err, "holds no offloaded maps")
}

// With Restore, the generator writes the template's head back into a frame
// that the DUT program wrote into (its writes come back in the generator's
// pages): the frame leaves as the template, whatever it held.
func TestIntegrationGeneratorRestores(t *testing.T) {
	testenv.RequireRoot(t)
	onOneCPU(t)
	s := stream.FrameSpec{Size: 64, SrcMAC: macA, DstMAC: macB,
		Src: netip.MustParseAddr("198.18.0.1"), Dst: netip.MustParseAddr("198.18.0.2"), SrcPort: 10000, DstPort: 9}
	sh, err := stream.NewShaper(stream.ShapeOptions{Frame: s})
	require.NoError(t, err)
	tmpl := sh.Template()
	dirty := append([]byte(nil), tmpl...)
	for i := range 40 {
		dirty[i] ^= 0xff // an outer header written over the Ethernet and IP headers
	}
	for _, restore := range []bool{false, true} {
		g, err := bpf.LoadGenerator(traffic.GenOptions(sh, 1, 0, restore))
		require.NoError(t, err)
		ro := &ebpf.RunOptions{Data: dirty, DataOut: make([]byte, len(dirty)+64)}
		ret, err := g.Program.Run(ro)
		g.Close()
		require.NoError(t, err)
		require.Equal(t, uint32(catalog.Redirect), ret)
		assert.Equal(t, restore, bytes.Equal(tmpl, ro.DataOut), "restore %v", restore)
	}
}

// An object whose map its loader sizes loads once the size is given.
func TestIntegrationLoadObjectUnsizedMap(t *testing.T) {
	testenv.RequireRoot(t)
	_, err := bpf.LoadObject(bpf.ObjectOptions{Path: "testdata/unsized_bpfel.o"})
	var ue *catalog.UnsizedMapsError
	require.ErrorAs(t, err, &ue, "refused by name, not as the kernel's EINVAL")
	p, err := bpf.LoadObject(bpf.ObjectOptions{Path: "testdata/unsized_bpfel.o", MapEntries: map[string]uint32{"per_ifindex": 32}})
	require.NoError(t, err)
	defer p.Close()
	ret, err := p.Program.Run(&ebpf.RunOptions{Data: frame(t, false, 64)})
	require.NoError(t, err)
	assert.Equal(t, uint32(catalog.Pass), ret)
}

// runEach runs prog n times, one frame a call, and returns its last
// verdict. Not Repeat: n: a signal between repeats (the Go runtime's
// preemption is one) ends the call with EINTR, and cilium/ebpf runs the
// whole Repeat again, so the program counts more frames than asked.
func runEach(t *testing.T, prog *ebpf.Program, o *ebpf.RunOptions, n int) uint32 {
	t.Helper()
	var ret uint32
	for range n {
		var err error
		ret, err = prog.Run(o)
		require.NoError(t, err)
	}
	return ret
}

// A user's load balancer does nothing useful until its maps hold its
// configuration: filled from a --map-init file after loading, it counts
// every frame sent to the configured VIP for the backend the file names,
// and none sent elsewhere.
func TestIntegrationMapInit(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, topology.QuietIPv6(p.GenNS.Handle, p.Gen.Name))
	vip := p.DUT.IPv4.Addr()
	init := filepath.Join(t.TempDir(), "lb.yaml")
	require.NoError(t, os.WriteFile(init, []byte(fmt.Sprintf(`
maps:
  vips:
    - key: {addr: %s, port: 80, proto: 17}   # a __be16: written in network order
      value: {backend: 2}
  backends:
    - key: 2
      value: {addr: 198.18.1.2, mac: "02:00:00:00:01:02", weight: 1, state: BACKEND_UP}
  vip_hits:                # per-CPU: the same value on every CPU
    - key: 5
      value: 7
`, vip)), 0o600))
	var prog *bpf.Program
	require.NoError(t, nsthread.Do(p.DUTNS.Handle, func() (err error) {
		prog, err = bpf.LoadObject(bpf.ObjectOptions{Path: "testdata/vipmap_bpfel.o", MapInit: init})
		return err
	}))
	defer prog.Close()
	assert.Contains(t, strings.Join(prog.Notes, "\n"), "maps filled from "+init)
	assert.Len(t, prog.MapInitSHA256, 64)
	att, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: xdpmode.Native})
	require.NoError(t, err)
	defer att.Close()
	frame := func(port uint16) []byte {
		f, err := stream.Build(stream.FrameSpec{Size: 64, Proto: stream.UDP, SrcMAC: p.Gen.MAC, DstMAC: p.DUT.MAC,
			Src: p.Gen.IPv4.Addr(), Dst: vip, SrcPort: 1000, DstPort: port})
		require.NoError(t, err)
		return f
	}
	require.NoError(t, traffic.SendFrames(p.GenNS.Handle, p.Gen.Ifindex, frame(80), 50))
	require.NoError(t, traffic.SendFrames(p.GenNS.Handle, p.Gen.Ifindex, frame(81), 30))
	hits := func(backend uint32) uint64 {
		var per []uint64
		require.NoError(t, prog.Map("vip_hits").Lookup(backend, &per))
		var n uint64
		for _, x := range per {
			n += x
		}
		return n
	}
	require.Eventually(t, func() bool { return hits(2) == 50 }, 5*time.Second, 10*time.Millisecond, "every frame to the VIP, for backend 2")
	assert.Zero(t, hits(0), "none for a backend the file did not name")
	var per []uint64
	require.NoError(t, prog.Map("vip_hits").Lookup(uint32(5), &per))
	cpus, err := ebpf.PossibleCPU()
	require.NoError(t, err)
	assert.Equal(t, slices.Repeat([]uint64{7}, cpus), per, "a per-CPU map's value on every possible CPU")
}
