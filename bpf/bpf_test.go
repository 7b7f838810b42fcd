package bpf_test

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/scenarios/traffic"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xaa}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xbb}
)

func frame(t *testing.T, ipv6 bool, size int) []byte {
	t.Helper()
	s := traffic.FrameSpec{Size: size, SrcMAC: macA, DstMAC: macB,
		Src: netip.MustParseAddr("198.18.0.1"), Dst: netip.MustParseAddr("198.18.0.2"), SrcPort: 10000, DstPort: 9}
	if ipv6 {
		s.Src, s.Dst = netip.MustParseAddr("2001:2::1"), netip.MustParseAddr("2001:2::2")
	}
	b, err := traffic.BuildUDP(s)
	require.NoError(t, err)
	return b
}

func TestCatalogue(t *testing.T) {
	assert.Equal(t, []string{"drop", "pass", "tx", "redirect"}, bpf.BuiltinNames())
	_, err := bpf.LookupBuiltin("frobnicate")
	assert.ErrorIs(t, err, bpf.ErrUnknownProgram)
	assert.ErrorContains(t, err, "drop, pass, tx, redirect")
	w, err := bpf.ParseWork("parse-ip")
	require.NoError(t, err)
	assert.Equal(t, bpf.ParseIP, w)
	_, err = bpf.ParseWork("lots")
	assert.ErrorContains(t, err, "no-touch, read-data, parse-ip, swap-macs")
	assert.Len(t, bpf.DUTObjectSHA256(), 64)
}

func TestProgramsActionsAndCounters(t *testing.T) {
	testenv.RequireRoot(t)
	for _, b := range bpf.Builtins() {
		for _, w := range []bpf.Work{bpf.NoTouch, bpf.ReadData, bpf.ParseIP, bpf.SwapMACs} {
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
					ret, err := p.Program.Run(&ebpf.RunOptions{Data: in, DataOut: out, Repeat: 3})
					require.NoError(t, err)
					assert.Equal(t, uint32(b.Action), ret, "action")

					st, err := bpf.ReadStats(p.Stats)
					require.NoError(t, err)
					assert.Equal(t, uint64(3), st[b.Action].Packets, "counted under its action")
					assert.Equal(t, uint64(3*len(in)), st[b.Action].Bytes)
					assert.Equal(t, uint64(3), st.Total().Packets, "nothing else counted")

					out = out[:len(in)]
					swapped := b.Name == "tx" || w == bpf.SwapMACs
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

func TestProgramsAbortOnTruncatedFrames(t *testing.T) {
	testenv.RequireRoot(t)
	// 14 bytes of Ethernet claiming IPv4 but no IP header: parse-ip aborts.
	in := append(append([]byte{}, frame(t, false, 64)[:14]...), 0)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop", Work: bpf.ParseIP})
	require.NoError(t, err)
	defer p.Close()
	ret, err := p.Program.Run(&ebpf.RunOptions{Data: in})
	require.NoError(t, err)
	assert.Equal(t, uint32(bpf.Aborted), ret)
	st, err := bpf.ReadStats(p.Stats)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), st[bpf.Aborted].Packets)
	assert.Zero(t, st[bpf.Drop].Packets)
}

func TestRedirectWithEmptyDevmapAborts(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "redirect"})
	require.NoError(t, err)
	defer p.Close()
	ret, err := p.Program.Run(&ebpf.RunOptions{Data: frame(t, false, 64)})
	require.NoError(t, err)
	assert.Equal(t, uint32(bpf.Aborted), ret, "an empty devmap is visible, not a silent drop")
}

// The generator program stamps flow i exactly as traffic.Flows.Stamp does,
// with valid checksums, cycling through the flows.
func TestGeneratorStampsFlows(t *testing.T) {
	testenv.RequireRoot(t)
	for _, v6 := range []bool{false, true} {
		name := map[bool]string{false: "ipv4", true: "ipv6"}[v6]
		t.Run(name, func(t *testing.T) {
			in := frame(t, v6, 64+boolInt(v6)*4)
			spec := traffic.FrameSpec{Src: netip.MustParseAddr("198.18.0.1"), SrcPort: 10000}
			if v6 {
				spec.Src = netip.MustParseAddr("2001:2::1")
			}
			// 7 flows, 3 ports per address: exercises both address and port.
			flows, err := traffic.NewFlows(3, spec)
			require.NoError(t, err)
			flows.N, flows.PortsPerAddr = 7, 3
			g, err := bpf.LoadGenerator(bpf.GenOptions{TargetIfindex: 1, IPv6: v6, Flows: flows.N,
				PortsPerAddr: flows.PortsPerAddr, SportBase: flows.SportBase, SaddrLoBase: flows.SaddrLoBase})
			require.NoError(t, err)
			defer g.Close()
			for i := uint32(0); i < 9; i++ {
				out := make([]byte, len(in)+256)
				ret, err := g.Program.Run(&ebpf.RunOptions{Data: in, DataOut: out})
				require.NoError(t, err)
				assert.Equal(t, uint32(bpf.Redirect), ret)
				want := append([]byte(nil), in...)
				flows.Stamp(want, v6, i%7)
				assert.True(t, bytes.Equal(want, out[:len(in)]), "flow %d", i%7)
				assert.NoError(t, traffic.CheckChecksums(out[:len(in)]), "flow %d", i%7)
			}
			st, err := bpf.ReadStats(g.Stats)
			require.NoError(t, err)
			assert.Equal(t, uint64(9), st[bpf.Redirect].Packets)
		})
	}
}

func TestLoadObject(t *testing.T) {
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
	assert.Equal(t, uint32(bpf.Pass), ret)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestStatsOverhead(t *testing.T) {
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
func TestArrayStatsLayout(t *testing.T) {
	testenv.RequireRoot(t)
	p, err := bpf.LoadDUT(bpf.DUTOptions{Program: "drop", ArrayStats: true})
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, ebpf.Array, p.Stats.Type())
	in := frame(t, false, 64)
	ret, err := p.Program.Run(&ebpf.RunOptions{Data: in, Repeat: 10})
	require.NoError(t, err)
	assert.Equal(t, uint32(bpf.Drop), ret)
	s, err := bpf.ReadStats(p.Stats)
	require.NoError(t, err)
	assert.Equal(t, uint64(10), s[bpf.Drop].Packets)
	assert.Equal(t, uint64(10*len(in)), s[bpf.Drop].Bytes)
}

// Loading for offload binds the stats map to the device first; a device
// without BPF offload refuses it with a sentence, and redirect is refused
// before anything is loaded.
func TestLoadForOffloadRefused(t *testing.T) {
	testenv.RequireRoot(t)
	_, err := bpf.LoadDUT(bpf.DUTOptions{Program: "redirect", Ifindex: 1})
	assert.ErrorContains(t, err, "devmap, which stays on the host")
	_, err = bpf.LoadDUT(bpf.DUTOptions{Program: "drop", Ifindex: 1}) // lo
	require.Error(t, err)
	assert.ErrorContains(t, err, "holds no offloaded maps")
}
