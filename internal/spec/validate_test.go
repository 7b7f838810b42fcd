package spec

import (
	"math"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/xdpmode"

	"github.com/stretchr/testify/assert"

	"github.com/xdplab/xdplab/internal/stream"
)

// Every rule of Validate, at and just past its boundaries: the fields
// with a mistake, exactly (none: valid).
func TestValidateRules(t *testing.T) {
	rule := catalog.FilterRule{ID: 1, Text: "drop src 198.18.0.0/24"}
	pcap := func(r *Run) { r.Pcap = "x.pcap" }
	cases := []struct {
		name string
		mod  func(r *Run)
		want []string
	}{
		{"defaults", func(*Run) {}, nil},
		{"object and programs", func(r *Run) { r.Object = "x.o" }, []string{FieldObject}},
		{"object alone", func(r *Run) { r.Object, r.Programs = "x.o", nil }, nil},
		{"object with its program", func(r *Run) { r.Object, r.Programs, r.ObjectProgram = "x.o", nil, "p" }, nil},
		{"no program", func(r *Run) { r.Programs = nil }, []string{FieldPrograms}},
		{"unknown program", func(r *Run) { r.Programs = []string{"drop", "frob"} }, []string{"programs[1]"}},
		{"program twice", func(r *Run) { r.Programs = []string{"drop", "pass", "drop"} }, []string{"programs[2]"}},
		{"program of no object", func(r *Run) { r.ObjectProgram = "p" }, []string{FieldObjectProgram}},
		{"map sizes of no object", func(r *Run) { r.MapEntries = map[string]uint32{"m": 1} }, []string{FieldMapEntries}},
		{"a map of 1", func(r *Run) { r.Object, r.Programs, r.MapEntries = "x.o", nil, map[string]uint32{"m": 1} }, nil},
		{"a map of 0", func(r *Run) { r.Object, r.Programs, r.MapEntries = "x.o", nil, map[string]uint32{"m": 0} }, []string{FieldMapEntries}},
		{"the largest map", func(r *Run) { r.Object, r.Programs, r.MapEntries = "x.o", nil, map[string]uint32{"m": MaxMapEntries} }, nil},
		{"a map too large", func(r *Run) {
			r.Object, r.Programs, r.MapEntries = "x.o", nil, map[string]uint32{"m": MaxMapEntries + 1}
		}, []string{FieldMapEntries}},
		{"mode 0", func(r *Run) { r.Modes = []xdpmode.Mode{0} }, []string{"modes[0]"}},
		{"mode past afxdp", func(r *Run) { r.Modes = []xdpmode.Mode{xdpmode.AFXDP + 1} }, []string{"modes[0]"}},
		{"every hook", func(r *Run) { r.Modes, r.ByHook = xdpmode.Hooks(), true }, nil},
		{"all hooks", func(r *Run) { r.AllHooks, r.ByHook = true, true }, nil},
		{"all hooks with tx: those that cannot say so in the results", func(r *Run) { r.AllHooks, r.ByHook, r.Programs = true, true, []string{"tx"} }, nil},
		{"all hooks and tc again", func(r *Run) { r.Modes, r.AllHooks, r.ByHook = []xdpmode.Mode{xdpmode.TC}, true, true }, []string{FieldHooks}},
		{"tc twice", func(r *Run) { r.Modes, r.ByHook = []xdpmode.Mode{xdpmode.TC, xdpmode.TC}, true }, []string{"hooks[1]"}},
		{"tx at tc", func(r *Run) { r.Modes, r.Programs = []xdpmode.Mode{xdpmode.TC}, []string{"tx"} }, nil},
		{"tx at afpacket", func(r *Run) { r.Modes, r.Programs = []xdpmode.Mode{xdpmode.AFPacket}, []string{"tx"} }, []string{"modes[0]"}},
		{"redirect at socket", func(r *Run) {
			r.Modes, r.Programs, r.ByHook = []xdpmode.Mode{xdpmode.Socket}, []string{"redirect"}, true
		}, []string{"hooks[0]"}},
		{"an object at tc", func(r *Run) { r.Modes, r.Programs, r.Object = []xdpmode.Mode{xdpmode.TC}, nil, "x.o" }, []string{"modes[0]"}},
		{"an object at xdp", func(r *Run) { r.Modes, r.Programs, r.Object = []xdpmode.Mode{xdpmode.Native}, nil, "x.o" }, nil},
		{"work at afxdp", func(r *Run) { r.Modes, r.Work = []xdpmode.Mode{xdpmode.AFXDP}, catalog.ReadData }, []string{"modes[0]"}},
		{"work at xdp", func(r *Run) { r.Modes, r.Work = []xdpmode.Mode{xdpmode.Generic}, catalog.ReadData }, nil},
		{"every mode", func(r *Run) { r.Modes = []xdpmode.Mode{xdpmode.Generic, xdpmode.Native, xdpmode.Offload} }, nil},
		{"mode twice", func(r *Run) { r.Modes = []xdpmode.Mode{xdpmode.Native, xdpmode.Native} }, []string{"modes[1]"}},
		{"swap-macs", func(r *Run) { r.Work = catalog.SwapMACs }, nil},
		{"a VIP in the test range", func(r *Run) { r.Dst, r.DstPort = netip.MustParseAddr("198.19.255.1"), 80 }, nil},
		{"a VIP past the test range", func(r *Run) { r.Dst = netip.MustParseAddr("198.20.0.1") }, []string{FieldDst}},
		{"a VIP on named NICs", func(r *Run) { r.Dst, r.DUTIface, r.PeerIface = netip.MustParseAddr("10.0.0.1"), "a", "b" }, nil},
		{"an IPv6 VIP for IPv4", func(r *Run) { r.Dst = netip.MustParseAddr("2001:2::1") }, []string{FieldDst}},
		{"an IPv6 VIP", func(r *Run) { r.Dst, r.IPv6, r.FrameSize = netip.MustParseAddr("2001:2:0:ffff::1"), true, 78 }, nil},
		{"an IPv6 VIP past the range", func(r *Run) { r.Dst, r.IPv6, r.FrameSize = netip.MustParseAddr("2001:3::1"), true, 78 }, []string{FieldDst}},
		{"a 4in6 VIP", func(r *Run) { r.Dst, r.IPv6, r.FrameSize = netip.MustParseAddr("::ffff:198.18.0.1"), true, 78 }, []string{FieldDst}},
		{"a port for ICMP", func(r *Run) { r.DstPort, r.Proto = 80, stream.ICMP }, []string{FieldDstPort}},
		{"interleave", func(r *Run) { r.Interleave, r.Programs = true, []string{"drop", "tx"} }, nil},
		{"interleave a workload", func(r *Run) { r.Interleave, r.Programs = true, []string{"drop", "flowstats"} }, []string{FieldInterleave}},
		{"interleave a rate share", func(r *Run) { r.Interleave, r.RatePercent = true, 50 }, []string{FieldInterleave}},
		{"work past swap-macs", func(r *Run) { r.Work = catalog.SwapMACs + 1 }, []string{FieldWork}},
		{"latency with tx and redirect", func(r *Run) { r.Latency, r.Programs, r.FrameSize = true, []string{"tx", "redirect"}, 128 }, nil},
		{"latency with drop", func(r *Run) { r.Latency, r.FrameSize = true, 128 }, []string{FieldLatency}},
		{"latency with an object", func(r *Run) { r.Latency, r.Object, r.Programs, r.FrameSize = true, "x.o", nil, 128 }, []string{FieldLatency}},

		{"unknown protocol", func(r *Run) { r.Proto, r.FrameSize = "sctp", 1 }, []string{FieldProtocol}},
		{"vlan 4094", func(r *Run) { r.VLAN = MaxVLAN }, nil},
		{"vlan 4095", func(r *Run) { r.VLAN = MaxVLAN + 1 }, []string{FieldVLAN}},
		{"imix", func(r *Run) { r.Mix = stream.SimpleIMIX }, nil},
		{"imix too small for IPv6", func(r *Run) { r.Mix, r.IPv6 = stream.SimpleIMIX, true }, []string{FieldIMIX}},
		{"size 63", func(r *Run) { r.FrameSize = 63 }, []string{FieldSize}},
		{"size 1518", func(r *Run) { r.FrameSize = 1518 }, nil},
		{"size 1519", func(r *Run) { r.FrameSize = 1519 }, []string{FieldSize}},
		{"malformed 100%", func(r *Run) { r.MalformedPPM = stream.MaxMalformedPPM }, nil},
		{"malformed past 100%", func(r *Run) { r.MalformedPPM = stream.MaxMalformedPPM + 1 }, []string{FieldMalformed}},
		{"no flow", func(r *Run) { r.Flows = 0 }, []string{FieldFlows}},
		{"most flows", func(r *Run) { r.Flows = stream.MaxFlows }, nil},
		{"too many flows", func(r *Run) { r.Flows = stream.MaxFlows + 1 }, []string{FieldFlows}},
		{"negative sources", func(r *Run) { r.Sources = -1 }, []string{FieldSources}},
		{"a source a flow", func(r *Run) { r.Flows, r.Sources = 4, 4 }, nil},
		{"more sources than flows", func(r *Run) { r.Flows, r.Sources = 4, 5 }, []string{FieldSources}},
		{"no thread", func(r *Run) { r.Threads = 0 }, []string{FieldThreads}},
		{"most threads", func(r *Run) { r.Threads = MaxThreads }, nil},
		{"too many threads", func(r *Run) { r.Threads = MaxThreads + 1 }, []string{FieldThreads}},

		{"filter without rules", func(r *Run) { r.Programs = []string{"filter"} }, []string{FieldRules}},
		{"filter with rules", func(r *Run) { r.Programs, r.Rules = []string{"filter"}, []catalog.FilterRule{rule} }, nil},
		{"rules without the filter", func(r *Run) { r.Rules = []catalog.FilterRule{rule} }, []string{FieldRules}},
		{"ratelimit without limit", func(r *Run) { r.Programs = []string{"ratelimit"} }, []string{FieldLimit}},
		{"ratelimit without burst", func(r *Run) { r.Programs, r.Limit = []string{"ratelimit"}, catalog.RateLimit{PPS: 1} }, []string{FieldLimit}},
		{"ratelimit without rate", func(r *Run) { r.Programs, r.Limit = []string{"ratelimit"}, catalog.RateLimit{Burst: 1} }, []string{FieldLimit}},
		{"ratelimit at its limits", func(r *Run) { r.Programs, r.Limit = []string{"ratelimit"}, catalog.RateLimit{PPS: 1e9, Burst: 1e6} }, nil},
		{"ratelimit rate too high", func(r *Run) { r.Programs, r.Limit = []string{"ratelimit"}, catalog.RateLimit{PPS: 1e9 + 1, Burst: 1} }, []string{FieldLimit}},
		{"ratelimit burst too high", func(r *Run) { r.Programs, r.Limit = []string{"ratelimit"}, catalog.RateLimit{PPS: 1, Burst: 1e6 + 1} }, []string{FieldLimit}},
		{"limit without ratelimit", func(r *Run) { r.Limit = catalog.RateLimit{PPS: 1} }, []string{FieldLimit}},
		{"burst without ratelimit", func(r *Run) { r.Limit = catalog.RateLimit{Burst: 1} }, []string{FieldLimit}},
		{"l4lb", func(r *Run) { r.Programs = []string{"l4lb"} }, nil},
		{"l4lb most backends", func(r *Run) { r.Programs, r.Backends = []string{"l4lb"}, MaxBackends }, nil},
		{"l4lb too many backends", func(r *Run) { r.Programs, r.Backends = []string{"l4lb"}, MaxBackends+1 }, []string{FieldBackends}},
		{"l4lb negative backends", func(r *Run) { r.Programs, r.Backends = []string{"l4lb"}, -1 }, []string{FieldBackends}},
		{"l4lb over icmp", func(r *Run) { r.Programs, r.Proto = []string{"l4lb"}, stream.ICMP }, []string{FieldProtocol}},
		{"l4lb largest IPv4 frame", func(r *Run) { r.Programs, r.FrameSize = []string{"l4lb"}, stream.MaxFrameSize-20 }, nil},
		{"l4lb IPv4 frame too large", func(r *Run) { r.Programs, r.FrameSize = []string{"l4lb"}, stream.MaxFrameSize-19 }, []string{FieldSize}},
		{"l4lb largest IPv6 frame", func(r *Run) { r.Programs, r.FrameSize, r.IPv6 = []string{"l4lb"}, stream.MaxFrameSize-40, true }, nil},
		{"l4lb IPv6 frame too large", func(r *Run) { r.Programs, r.FrameSize, r.IPv6 = []string{"l4lb"}, stream.MaxFrameSize-39, true }, []string{FieldSize}},
		{"l4lb imix too large", func(r *Run) { r.Programs, r.Mix = []string{"l4lb"}, stream.SimpleIMIX }, []string{FieldSize}},
		{"backends without l4lb", func(r *Run) { r.Backends = 4 }, []string{FieldBackends}},

		{"shortest trial", func(r *Run) { r.Duration = MinDuration }, nil},
		{"trial too short", func(r *Run) { r.Duration = MinDuration - 1 }, []string{FieldDuration}},
		{"longest trial", func(r *Run) { r.Duration = MaxDuration }, nil},
		{"trial too long", func(r *Run) { r.Duration = MaxDuration + 1 }, []string{FieldDuration}},
		{"no warm-up", func(r *Run) { r.Warmup = 0 }, nil},
		{"negative warm-up", func(r *Run) { r.Warmup = -1 }, []string{FieldWarmup}},
		{"longest warm-up", func(r *Run) { r.Warmup = MaxDuration }, nil},
		{"warm-up too long", func(r *Run) { r.Warmup = MaxDuration + 1 }, []string{FieldWarmup}},
		{"no trial", func(r *Run) { r.Trials = 0 }, []string{FieldTrials}},
		{"one trial", func(r *Run) { r.Trials = 1 }, nil},
		{"most trials", func(r *Run) { r.Trials = MaxTrials }, nil},
		{"too many trials", func(r *Run) { r.Trials = MaxTrials + 1 }, []string{FieldTrials}},
		{"no program statistics", func(r *Run) { r.ProgStats = 0 }, nil},
		{"negative program statistics", func(r *Run) { r.ProgStats = -1 }, []string{FieldProgStats}},
		{"longest program statistics", func(r *Run) { r.ProgStats = MaxDuration }, nil},
		{"program statistics too long", func(r *Run) { r.ProgStats = MaxDuration + time.Nanosecond }, []string{FieldProgStats}},

		{"run id of 8", func(r *Run) { r.RunID = "abcdefgh" }, nil},
		{"run id of 9", func(r *Run) { r.RunID = "abcdefghi" }, []string{FieldRunID}},
		{"nic pair", func(r *Run) { r.DUTIface, r.PeerIface = "eth1", "eth2" }, nil},
		{"dut without peer", func(r *Run) { r.DUTIface = "eth1" }, []string{FieldDUT}},
		{"peer without dut", func(r *Run) { r.PeerIface = "eth2" }, []string{FieldDUT}},
		{"redirect on a nic pair", func(r *Run) { r.DUTIface, r.PeerIface, r.Programs = "eth1", "eth2", []string{"redirect"} }, []string{FieldPrograms}},
		{"two hosts", func(r *Run) { r.DUTIface, r.PeerIface, r.Remote = "eth1", "eth2", "ssh://gen" }, nil},
		{"remote without ports", func(r *Run) { r.Remote = "ssh://gen" }, []string{FieldRemote}},
		{"remote xdplab without remote", func(r *Run) { r.RemoteXdplab = "/usr/bin/xdplab" }, []string{FieldRemoteXdplab}},
		{"ssh options without remote", func(r *Run) { r.RemoteSSHOptions = []string{"Port=22"} }, []string{FieldRemoteXdplab}},
		{"an object's redirect on a nic pair", func(r *Run) { r.DUTIface, r.PeerIface, r.Programs, r.Object = "eth1", "eth2", nil, "x.o" }, nil},

		{"replay", pcap, nil},
		{"replay speed NaN", func(r *Run) { r.ReplaySpeed = math.NaN() }, []string{FieldReplaySpeed}},
		{"replay speed negative", func(r *Run) { r.ReplaySpeed = -1 }, []string{FieldReplaySpeed}},
		{"replay speed at most", func(r *Run) { pcap(r); r.ReplayTiming, r.ReplaySpeed = "capture", MaxSpeed }, nil},
		{"replay speed too high", func(r *Run) { r.ReplaySpeed = MaxSpeed * 2 }, []string{FieldReplaySpeed}},
		{"replay rewrite on a veth", func(r *Run) { pcap(r); r.PcapRewriteIPs = true }, nil},
		{"replay rewrite on a nic pair", func(r *Run) { pcap(r); r.PcapRewriteIPs, r.DUTIface, r.PeerIface = true, "a", "b" }, []string{FieldRewriteIPs}},
		{"replay threads", func(r *Run) { pcap(r); r.Threads = 2 }, []string{FieldPcap}},
		{"replay search", func(r *Run) { pcap(r); r.Search = new(DefaultSearch()) }, []string{FieldPcap}},
		{"replay flows", func(r *Run) { pcap(r); r.Flows = 2 }, []string{FieldPcap}},
		{"replay rate share", func(r *Run) { pcap(r); r.RatePercent = 50 }, []string{FieldPcap}},
		{"replay tcp", func(r *Run) { pcap(r); r.Proto = stream.TCPSYN }, []string{FieldPcap}},
		{"replay no protocol", func(r *Run) { pcap(r); r.Proto = "" }, nil},
		{"replay vlan", func(r *Run) { pcap(r); r.VLAN = 7 }, []string{FieldPcap}},
		{"replay imix", func(r *Run) { pcap(r); r.Mix = stream.SimpleIMIX }, []string{FieldPcap}},
		{"replay malformed", func(r *Run) { pcap(r); r.MalformedPPM = 1 }, []string{FieldPcap}},
		{"replay latency", func(r *Run) { pcap(r); r.Latency, r.Programs, r.FrameSize = true, []string{"tx"}, 128 }, []string{FieldPcap}},
		{"replay at top speed with a rate", func(r *Run) { pcap(r); r.RatePPS = 10 }, []string{FieldRate}},
		{"replay, no timing, with a rate", func(r *Run) { pcap(r); r.ReplayTiming, r.RatePPS = "", 10 }, []string{FieldRate}},
		{"replay capture timing", func(r *Run) { pcap(r); r.ReplayTiming = "capture" }, nil},
		{"replay capture timing at speed 0", func(r *Run) { pcap(r); r.ReplayTiming, r.ReplaySpeed = "capture", 0 }, []string{FieldReplaySpeed}},
		{"replay capture timing with a rate", func(r *Run) { pcap(r); r.ReplayTiming, r.RatePPS = "capture", 10 }, []string{FieldRate}},
		{"replay at a rate", func(r *Run) { pcap(r); r.ReplayTiming, r.RatePPS = "rate", 10 }, nil},
		{"replay at a rate through af-packet", func(r *Run) { pcap(r); r.ReplayTiming, r.RatePPS, r.Generator = "rate", 10, stream.AFPacket }, nil},
		{"replay at no rate", func(r *Run) { pcap(r); r.ReplayTiming = "rate" }, []string{FieldReplayTiming}},
		{"replay timing unknown", func(r *Run) { pcap(r); r.ReplayTiming = "slow" }, []string{FieldReplayTiming}},
		{"replay no loop", func(r *Run) { pcap(r); r.Loops = 0 }, []string{FieldLoops}},
		{"replay most loops", func(r *Run) { pcap(r); r.Loops = MaxLoops }, nil},
		{"replay too many loops", func(r *Run) { pcap(r); r.Loops = MaxLoops + 1 }, []string{FieldLoops}},
		{"loops without a replay are not judged", func(r *Run) { r.Loops = 0 }, nil},

		{"rate share 100%", func(r *Run) { r.RatePercent = 100 }, nil},
		{"rate share past 100%", func(r *Run) { r.RatePercent = 100.5 }, []string{FieldRate}},
		{"rate share negative", func(r *Run) { r.RatePercent = -1 }, []string{FieldRate}},
		{"rate share NaN", func(r *Run) { r.RatePercent = math.NaN() }, []string{FieldRate}},
		{"rate share and a rate", func(r *Run) { r.RatePercent, r.RatePPS = 50, 10 }, []string{FieldRate}},
		{"rate share and search", func(r *Run) { r.RatePercent, r.Search = 50, new(DefaultSearch()) }, []string{FieldRate}},
		{"rate share through af-packet", func(r *Run) { r.RatePercent, r.Generator = 50, stream.AFPacket }, nil},
		{"search", func(r *Run) { r.Search = new(DefaultSearch()) }, nil},
		{"search and a rate", func(r *Run) { r.Search, r.RatePPS = new(DefaultSearch()), 10 }, []string{FieldSearch}},
		{"search through af-packet", func(r *Run) { r.Search, r.Generator = new(DefaultSearch()), stream.AFPacket }, nil},
		{"rate through af-packet", func(r *Run) { r.RatePPS, r.Generator = 10, stream.AFPacket }, nil},
		{"rate through live frames", func(r *Run) { r.RatePPS, r.Generator = 10, stream.LiveFrames }, nil},
		{"highest rate", func(r *Run) { r.RatePPS = MaxRatePPS }, nil},
		{"rate too high", func(r *Run) { r.RatePPS = MaxRatePPS + 1 }, []string{FieldRate}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Defaults()
			c.mod(&r)
			var got []string
			for _, e := range FieldErrors(r.Validate()) {
				got = append(got, e.Field)
				assert.NotEmpty(t, e.Message(Path), e.Field)
			}
			slices.Sort(got)
			got = slices.Compact(got)
			assert.Equal(t, c.want, got)
		})
	}
}
