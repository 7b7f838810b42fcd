//go:build integration

package hook_test

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/hook"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/topology"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const frames = 200

// pair is a veth pair of the test's own, and a frame from the
// generator's end to the DUT's.
func pair(t *testing.T) (*topology.Pair, []byte) {
	testenv.RequireRoot(t)
	p, err := topology.NewPair(topology.PairOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	// The generator's port sends no IPv6 of its own (MLD, router
	// solicitations): the DUT receives the test's frames only.
	require.NoError(t, topology.QuietIPv6(p.GenNS.Handle, p.Gen.Name))
	f, err := stream.Build(stream.FrameSpec{Size: 64, Proto: stream.UDP, SrcMAC: p.Gen.MAC, DstMAC: p.DUT.MAC,
		Src: p.Gen.IPv4.Addr(), Dst: p.DUT.IPv4.Addr(), SrcPort: 9, DstPort: 9})
	require.NoError(t, err)
	return p, f
}

func load(t *testing.T, p *topology.Pair, prog string, h xdpmode.Mode) *bpf.Program {
	var pr *bpf.Program
	require.NoError(t, nsthread.Do(p.DUTNS.Handle, func() error {
		var err error
		pr, err = bpf.LoadDUT(bpf.DUTOptions{Program: prog, Hook: h})
		return err
	}))
	t.Cleanup(func() { pr.Close() })
	return pr
}

func send(t *testing.T, p *topology.Pair, f []byte) {
	require.NoError(t, traffic.SendFrames(p.GenNS.Handle, p.Gen.Ifindex, f, frames))
}

func readerCPU() int { c := host.CPUs(); return c[len(c)-1] }

// The tc build at tc ingress, as tcx and as cls_bpf on clsact: every
// frame counted as dropped, the attach read back, nothing left after.
func TestIntegrationTC(t *testing.T) {
	p, f := pair(t)
	for _, clsact := range []bool{false, true} {
		prog := load(t, p, "drop", xdpmode.TC)
		tc, err := hook.AttachTC(hook.TCOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, ForceClsact: clsact})
		require.NoError(t, err, "clsact=%v", clsact)
		want := map[bool]string{false: "tcx", true: "cls_bpf on clsact"}[clsact]
		assert.Equal(t, want, tc.Method)
		assert.Contains(t, tc.ReadBack, "program id")
		send(t, p, f)
		require.Eventually(t, func() bool {
			s, err := bpf.ReadStats(prog.Stats)
			return err == nil && s[catalog.Drop].Packets == frames
		}, 5*time.Second, 10*time.Millisecond, "every frame dropped at tc (clsact=%v)", clsact)
		require.NoError(t, tc.Close())
		require.NoError(t, tc.Close(), "twice")
		l, err := p.DUTNS.Netlink().LinkByName(p.DUT.Name)
		require.NoError(t, err)
		qs, err := p.DUTNS.Netlink().QdiscList(l)
		require.NoError(t, err)
		for _, q := range qs {
			assert.NotEqual(t, "clsact", q.Type(), "the clsact xdplab added is gone")
		}
		require.NoError(t, nsthread.Do(p.DUTNS.Handle, func() error {
			res, err := link.QueryPrograms(link.QueryOptions{Target: p.DUT.Ifindex, Attach: 46 /* BPF_TCX_INGRESS */})
			if err == nil {
				assert.Empty(t, res.Programs, "no tcx program left")
			}
			return nil
		}))
	}
}

// An AF_PACKET reader applies the rule to every frame the interface
// receives; with a socket filter that refuses them, user space reads
// nothing and the filter counts the decisions.
func TestIntegrationPacketReaders(t *testing.T) {
	p, f := pair(t)
	// The test's frames are dropped; anything else (the ARP reply to the
	// DUT stack's ICMP port unreachable) passes.
	drop := func(b []byte) catalog.Action {
		if bytes.Equal(b, f) {
			return catalog.Drop
		}
		return catalog.Pass
	}
	r, err := hook.OpenPacket(hook.PacketOptions{NS: p.DUTNS.Handle, Ifindex: p.DUT.Ifindex, Decide: drop, CPU: readerCPU()})
	require.NoError(t, err)
	send(t, p, f)
	require.Eventually(t, func() bool { return r.Stats()[catalog.Drop].Packets == frames }, 5*time.Second, 10*time.Millisecond, "%+v", r.Stats())
	u, err := r.Usage()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, u.Read, uint64(frames))
	assert.GreaterOrEqual(t, u.Copied, uint64(frames*len(f)), "the ring holds a copy of each frame")
	assert.Zero(t, u.Missed)
	assert.Positive(t, u.Thread.RunNs)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "twice")

	for _, prog := range []string{"drop", "pass"} {
		filter := load(t, p, prog, xdpmode.Socket)
		pass, _ := hook.Rules("pass")
		r, err := hook.OpenPacket(hook.PacketOptions{NS: p.DUTNS.Handle, Ifindex: p.DUT.Ifindex, Filter: filter.Program, Decide: pass, CPU: readerCPU()})
		require.NoError(t, err)
		send(t, p, f)
		want := map[string]catalog.Action{"drop": catalog.Drop, "pass": catalog.Pass}[prog]
		require.Eventually(t, func() bool {
			s, err := bpf.ReadStats(filter.Stats)
			return err == nil && s[want].Packets >= frames
		}, 5*time.Second, 10*time.Millisecond, prog)
		time.Sleep(50 * time.Millisecond) // blocks retire after 10 ms
		u, err := r.Usage()
		require.NoError(t, err)
		if prog == "drop" {
			assert.Zero(t, u.Read, "the filter refused every copy")
		} else {
			assert.GreaterOrEqual(t, u.Read, uint64(frames), "the filter accepted every copy")
		}
		require.NoError(t, r.Close())
	}
}

// The afxdp hook: an XDP program hands every frame to the AF_XDP socket
// of its queue, and user space decides.
func TestIntegrationXSKReader(t *testing.T) {
	p, f := pair(t)
	var prog *bpf.Program
	require.NoError(t, nsthread.Do(p.DUTNS.Handle, func() (err error) {
		prog, err = bpf.LoadXSKRedirect()
		return err
	}))
	defer prog.Close()
	att, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: xdpmode.Native})
	require.NoError(t, err)
	defer att.Close()
	drop, _ := hook.Rules("drop")
	r, err := hook.OpenXSK(hook.XSKOptions{NS: p.DUTNS.Handle, Ifindex: p.DUT.Ifindex, Queues: 1, Decide: drop, CPU: readerCPU(),
		Put: func(q, fd int) error { return prog.XSKs.Put(uint32(q), uint32(fd)) }})
	require.NoError(t, err)
	defer r.Close()
	assert.Contains(t, r.Method, "copy mode", "veth has no zero-copy")
	send(t, p, f)
	require.Eventually(t, func() bool { return r.Stats()[catalog.Drop].Packets == frames }, 5*time.Second, 10*time.Millisecond, "%+v", r.Stats())
	s, err := bpf.ReadStats(prog.Stats)
	require.NoError(t, err)
	assert.Equal(t, uint64(frames), s[catalog.Redirect].Packets, "the kernel side redirected every frame")
	u, err := r.Usage()
	require.NoError(t, err)
	assert.Equal(t, uint64(frames), u.Read)
	assert.Zero(t, u.Missed)
}

// The same rules give the same decision and the same rule hit for every
// frame at XDP (the filter workload's program), at tc (its tc build, run
// with BPF_PROG_TEST_RUN) and in user space (Filter): the frame set the
// equivalence check sends, malformed kinds included, and fragments.
func TestIntegrationFilterTwins(t *testing.T) {
	testenv.RequireRoot(t)
	set, err := stream.FrameSet(stream.FrameSetOptions{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		Src4: netip.MustParseAddr("198.18.0.1"), Dst4: netip.MustParseAddr("198.18.0.2"),
		Src6: netip.MustParseAddr("2001:2::1"), Dst6: netip.MustParseAddr("2001:2::2")})
	require.NoError(t, err)
	for _, text := range []string{
		"drop proto icmp\ndrop proto tcp dport 9",
		"drop src 198.18.0.0/24\ndrop dst 2001:2::2/128",
		"drop src 198.18.0.1/32\ndrop src 198.18.0.0/16\ndrop proto udp dport 9",
		"drop proto icmpv6\ndrop proto udp",
		"drop dst 198.19.0.0/16", // matches nothing sent
	} {
		rs, err := catalog.ParseFilterRules(strings.NewReader(text), "test")
		require.NoError(t, err)
		xp, err := bpf.LoadDUT(bpf.DUTOptions{Program: "filter", Settings: rs})
		require.NoError(t, err)
		tp, err := bpf.LoadDUT(bpf.DUTOptions{Program: "filter", Settings: rs, Hook: xdpmode.TC})
		require.NoError(t, err)
		uf, err := hook.NewFilter(rs)
		require.NoError(t, err)
		tcRan := 0
		for _, nf := range set {
			want, err := xp.Program.Run(&ebpf.RunOptions{Data: nf.Frame})
			require.NoError(t, err, nf.Name)
			got := uf.Decide(nf.Frame)
			assert.Equal(t, catalog.Action(want), got, "%q with %q: user space against XDP", nf.Name, text)
			tcRet, err := tp.Program.Run(&ebpf.RunOptions{Data: nf.Frame})
			if errors.Is(err, unix.EINVAL) && len(nf.Frame) < 14+40 {
				continue // tc's test run refuses some frames cut short before their IP header ends
			}
			require.NoError(t, err, nf.Name)
			tcRan++
			tcWant := map[catalog.Action]uint32{catalog.Drop: 2 /* TC_ACT_SHOT */, catalog.Pass: 0 /* TC_ACT_OK */}[catalog.Action(want)]
			assert.Equal(t, tcWant, tcRet, "%q with %q: tc against XDP", nf.Name, text)
		}
		assert.GreaterOrEqual(t, tcRan, len(set)-4, "tc judged all but the frames cut short")
		xh, err := xp.RuleHits(len(rs) + 1)
		require.NoError(t, err)
		uh, err := uf.RuleHits(len(rs) + 1)
		require.NoError(t, err)
		for i := range xh {
			assert.Equal(t, xh[i].Packets, uh[i].Packets, "%q: hits of rule %d", text, i)
		}
		xp.Close()
		tp.Close()
	}
}
