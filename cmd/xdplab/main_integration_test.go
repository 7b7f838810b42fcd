//go:build integration

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/testenv"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

func TestIntegrationRunBuiltins(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--prog", "drop,pass,tx,redirect", "--modes", "generic,native")
	require.Len(t, r.Results, 8)
	assert.Equal(t, results.SchemaName, r.Schema)
	gk := testenv.Generator(t)
	assert.Equal(t, string(gk), r.Config.Generator)
	for _, res := range r.Results {
		t.Run(res.Program.Name+"/"+res.Mode, func(t *testing.T) {
			assert.Equal(t, res.Mode, res.AttachedMode, "mode read back")
			require.Len(t, res.Trials, 1)
			tr := res.Trials[0]
			gen := tr.Raw.Generator.Packets
			require.NotZero(t, gen, "the generator sent")
			seen := uint64(0)
			for _, c := range tr.Raw.Program {
				seen += c.Packets
			}
			assert.InEpsilon(t, gen, seen, 0.01, "generator and DUT program agree within 1%")
			// The generator's own count against the kernel's: frames the
			// generator's veth took in ndo_xdp_xmit (live frames), or sent
			// (AF_PACKET writes).
			if gk == stream.LiveFrames {
				g := tr.Raw.Interfaces["gen"].Ethtool
				assert.InEpsilon(t, gen, g["tx_queue_0_xdp_xmit"]+g["tx_queue_0_xdp_xmit_errors"], 0.01, "generator and its veth agree")
			} else {
				assert.InEpsilon(t, gen, tr.Raw.Interfaces["gen"].TxPackets, 0.01, "generator and its veth agree")
			}
			// Against the DUT veth's XDP receive count, or, where frames
			// reach generic XDP without passing veth's own XDP path
			// (AF_PACKET), its netlink rx_packets.
			d := tr.Raw.Interfaces["dut"]
			dutRx := d.Ethtool["rx_queue_0_xdp_packets"]
			if gk == stream.AFPacket && res.Mode == "generic" {
				dutRx = d.RxPackets
			}
			assert.InEpsilon(t, seen, dutRx, 0.01, "DUT program and DUT veth agree")
			noFlag(t, res, results.FlagCountersDisagree, results.FlagDUTSawNothing, results.FlagUnexpectedAction)

			switch res.Program.Name {
			case "drop":
				assert.GreaterOrEqual(t, float64(tr.Raw.Program["drop"].Packets), 0.99*float64(gen), "drops >= 99%% of offered")
			case "pass":
				require.NotNil(t, tr.Raw.StackDelivered)
				assert.GreaterOrEqual(t, float64(*tr.Raw.StackDelivered), 0.99*float64(tr.Raw.Program["pass"].Packets), "the stack received what passed")
			case "tx":
				require.NotNil(t, tr.Raw.Sink)
				assert.InEpsilon(t, tr.Raw.Program["tx"].Packets, tr.Raw.Sink.Packets, 0.01, "frames came back to the generator's side")
			case "redirect":
				require.NotNil(t, tr.Raw.Sink)
				assert.InEpsilon(t, tr.Raw.Program["redirect"].Packets, tr.Raw.Sink.Packets, 0.01, "frames arrived at the sink")
			}
		})
	}
}

func TestIntegrationRunIPv6FlowsTwoThreadsCalibrated(t *testing.T) {
	testenv.RequireRoot(t)
	if len(usable()) < 2 {
		t.Skip("needs two CPUs")
	}
	out := filepath.Join(t.TempDir(), "r.json")
	args := quick(out)
	args = append(args[:len(args)-4], "--prog-stats", "500ms", "-q", "--output", out, "--json",
		"--prog", "drop", "--modes", "native", "--ipv6", "--size", "128", "--flows", "1000", "--threads", "2")
	// quick has --no-calibrate: drop it, calibrate here.
	var kept []string
	for _, a := range args {
		if a != "--no-calibrate" {
			kept = append(kept, a)
		}
	}
	stdout, stderr, err := xdplab(t, context.Background(), kept...)
	require.NoError(t, err, stderr)
	var r results.Run
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	require.NotNil(t, r.Calibration)
	assert.Greater(t, r.Calibration.GeneratorNsPerPkt.Value, 0.0)
	require.Len(t, r.Results, 1)
	res := r.Results[0]
	require.NotNil(t, res.ProgNsPerPkt, "program ns/pkt from the separate pass")
	assert.GreaterOrEqual(t, res.ProgNsPerPkt.Value, 0.0)
	require.NotNil(t, res.ProgStatsOverhead, "the stats' own cost, measured in the same pass")
	assert.Greater(t, res.ProgStatsOverhead.Value, 0.0)
	assert.Contains(t, res.ProgNsPerPkt.Source, "gross")
	tr := res.Trials[0]
	d := tr.Raw.Interfaces["dut"].Ethtool
	assert.NotZero(t, d["rx_queue_0_xdp_packets"], "queue 0 used")
	assert.NotZero(t, d["rx_queue_1_xdp_packets"], "queue 1 used")
	assert.Equal(t, 6, r.Config.IPVersion)
	assert.Equal(t, uint64(124), tr.Raw.Generator.Bytes/tr.Raw.Generator.Packets, "128-byte frames without FCS")
	noFlag(t, res, results.FlagCountersDisagree, results.FlagDUTSawNothing)
}

func TestIntegrationRunAFPacketGenerator(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--prog", "drop", "--modes", "native,generic", "--generator", "af-packet", "--flows", "16")
	assert.Equal(t, "af-packet", r.Config.Generator)
	for _, res := range r.Results {
		tr := res.Trials[0]
		require.NotZero(t, tr.Raw.Generator.Packets)
		assert.InEpsilon(t, tr.Raw.Generator.Packets, tr.Raw.Program["drop"].Packets, 0.01, res.Mode)
		assert.InEpsilon(t, tr.Raw.Generator.Packets, tr.Raw.Interfaces["gen"].TxPackets, 0.01, "writes and veth tx agree")
		noFlag(t, res, results.FlagCountersDisagree, results.FlagDUTSawNothing)
	}
}

func TestIntegrationRunUserObject(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--object", "../../bpf/dut_bpfel.o", "--program", "xdp_drop", "--modes", "native")
	require.Len(t, r.Results, 1)
	res := r.Results[0]
	assert.False(t, res.Program.Counted)
	assert.Contains(t, res.Summary.ThroughputPPS.Source, "rx_queue_*_xdp_packets")
	tr := res.Trials[0]
	assert.Nil(t, tr.Raw.Program)
	assert.InEpsilon(t, tr.Raw.Generator.Packets, tr.Raw.Interfaces["dut"].Ethtool["rx_queue_0_xdp_drops"], 0.01, "the interface counted the drops")
	assert.Greater(t, tr.Figures.ThroughputPPS, 0.0)
}

// A user's object whose map its own loader sizes (max_entries 0) runs
// with the size given, recorded in the results; the object still passes
// every frame, whatever size its map has.
// A benchmark tool's object with seven maps its loader sizes runs with
// one --map-size argument; every size and what gave it is in the
// fingerprint.
func TestIntegrationRunUserObjectMapConventions(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--object", "../../bpf/testdata/bench7_bpfel.o", "--map-size", "*=cpus", "--modes", "native")
	require.Len(t, r.Results, 1)
	assert.Equal(t, []string{"*"}, r.Config.MapCPUs)
	assert.Equal(t, "*:cpus", results.Lookup(results.Describe(r.Config, &r.Results[0]), "map-size"))
	fp := r.Results[0].Fingerprint
	require.NotNil(t, fp)
	cpus, err := ebpf.PossibleCPU()
	require.NoError(t, err)
	sized := 0
	for _, m := range fp.Maps {
		switch m.Name {
		case "events":
			assert.Equal(t, uint32(cpus), m.MaxEntries, "the perf event array: the possible CPUs")
			assert.Contains(t, m.SizedBy, "as libbpf does")
			sized++
		case "rx_cnt", "rxq_cnt", "redir_err_cnt", "cpumap_kthread_" /* the kernel keeps 15 bytes */, "exception_cnt", "devmap_xmit_cnt":
			assert.Equal(t, uint32(cpus), m.MaxEntries, m.Name)
			assert.Equal(t, fmt.Sprintf("--map-size '*=cpus': the %d possible CPUs", cpus), m.SizedBy, m.Name)
			sized++
		}
	}
	assert.Equal(t, 7, sized, "seven maps sized, each with its source")
	assert.Greater(t, r.Results[0].Trials[0].Figures.ThroughputPPS, 0.0)
}

// A .rodata struct's members set by name decide what the program does:
// cfg.drop=1 drops every frame, the ELF's default passes them.
func TestIntegrationRunUserObjectStructSettings(t *testing.T) {
	testenv.RequireRoot(t)
	const obj = "../../bpf/testdata/structcfg_bpfel.o"
	r := runJSON(t, "--object", obj, "--set", "cfg.drop=1,cfg.mode=MODE_ENFORCE,cfg.limit.pps=250000", "--modes", "native")
	require.Len(t, r.Results, 1)
	assert.Equal(t, map[string]string{"cfg.drop": "1", "cfg.mode": "MODE_ENFORCE", "cfg.limit.pps": "250000"}, r.Config.Variables)
	tr := r.Results[0].Trials[0]
	gen := tr.Raw.Generator.Packets
	require.Positive(t, gen)
	drops, ok := tr.Raw.Interfaces["dut"].Ethtool["rx_queue_0_xdp_drops"]
	require.True(t, ok, "the DUT veth counts its XDP drops")
	assert.InEpsilon(t, gen, drops, 0.01, "cfg.drop=1: the program dropped what was sent")
	_, stderr, err := xdplab(t, context.Background(), "run", "--object", obj, "--set", "cfg.limit.nosuch=1")
	require.Error(t, err)
	assert.Contains(t, stderr+err.Error(), "no member nosuch: the members are pps, burst")
}

// lbInit configures ipiplb.c: VIP 198.18.100.1:8080/udp, its ring (a map
// in a hash of maps) over four backends, and the outer source.
const lbInit = `
maps:
  vips:
    - key: {addr: 198.18.100.1, port: 8080, proto: 17}
      value: {ring: 1, ring_size: 4}
  rings:
    - key: 1
      value: [{key: 0, value: 10}, {key: 1, value: 11}, {key: 2, value: 12}, {key: 3, value: 13}]
  backends:
    - {key: 10, value: {addr: 198.19.0.10}}
    - {key: 11, value: {addr: 198.19.0.11}}
    - {key: 12, value: {addr: 198.19.0.12}}
    - {key: 13, value: {addr: 198.19.0.13, weight: 2}}
  config:
    - {key: 0, value: {source: 198.18.100.1, ttl: 64}}
`

// A load balancer as other projects ship them, which does nothing until
// its maps hold its configuration, configured through --map-init alone:
// in generic and native mode every frame sent to its VIP comes back
// encapsulated (IPIP) towards one of the configured backends, the return
// sink sees each one, and the DUT's own counters agree with it. A wrong
// key type or an unknown field is refused by name before any traffic.
func TestIntegrationRunUserLoadBalancer(t *testing.T) {
	testenv.RequireRoot(t)
	const obj = "../../bpf/testdata/ipiplb_bpfel.o"
	dir := t.TempDir()
	init := filepath.Join(dir, "lb.yaml")
	require.NoError(t, os.WriteFile(init, []byte(lbInit), 0o600))
	r := runJSON(t, "--object", obj, "--map-init", init, "--dst", "198.18.100.1", "--dport", "8080", "--flows", "64", "--modes", "generic,native")
	require.Len(t, r.Results, 2)
	assert.Equal(t, init, r.Config.MapInit)
	sum := sha256.Sum256([]byte(lbInit))
	assert.Equal(t, hex.EncodeToString(sum[:]), r.Config.MapInitSHA256, "what every load read")
	backends := []string{"198.19.0.10", "198.19.0.11", "198.19.0.12", "198.19.0.13"}
	for _, res := range r.Results {
		noFlag(t, res, results.FlagCountersDisagree, results.FlagDUTSawNothing)
		rt := res.Returned
		require.NotNil(t, rt, res.Mode)
		assert.Zero(t, rt.InnerBad, res.Mode)
		assert.LessOrEqual(t, rt.NotEncapsulated, rt.Frames/10000, "%s: at most a few frames of the DUT's stack", res.Mode)
		assert.Zero(t, rt.OtherDestinations, res.Mode)
		var named uint64
		for _, b := range rt.ByDestination {
			assert.Contains(t, backends, b.Addr, "%s: only configured backends", res.Mode)
			named += b.Packets
		}
		assert.Len(t, rt.ByDestination, 4, "%s: 64 flows reach every backend of the ring", res.Mode)
		assert.Equal(t, rt.Encapsulated, named, res.Mode)
		for _, tr := range res.Trials {
			gen := tr.Raw.Generator.Packets
			require.Positive(t, gen)
			require.NotNil(t, tr.Raw.Sink, "%s: the return sink counted the trial", res.Mode)
			got := tr.Raw.Sink.Packets
			assert.InEpsilon(t, gen, got, results.Agreement, "%s: every frame sent came back", res.Mode)
			dut := tr.Raw.Interfaces["dut"]
			if res.Mode == "native" {
				c := topology.Counters{Ethtool: dut.Ethtool}
				seen, _ := c.SumQueues("rx", "xdp_packets")
				sent, _ := c.SumQueues("rx", "xdp_tx")
				assert.Equal(t, seen, sent, "native: every frame the program saw, it sent back with XDP_TX")
				assert.InEpsilon(t, sent, got, results.Agreement, "native: the DUT's XDP_TX count against the sink's")
			} else {
				assert.InEpsilon(t, dut.RxPackets, got, results.Agreement, "generic: what the DUT received against the sink's")
			}
		}
	}

	for text, want := range map[string]string{
		strings.Replace(lbInit, "port: 8080", "port: http", 1):        "map vips entry 1: key.port: an unsigned 16-bit integer: not a number",
		strings.Replace(lbInit, "ring_size: 4", "size: 4", 1):         "map vips entry 1: value: no field size: its fields are ring, ring_size",
		strings.Replace(lbInit, "{key: 3, value: 13}", "{key: 3}", 1): "map rings entry 1: value[3]: an inner map's entry",
	} {
		bad := filepath.Join(dir, "bad.yaml")
		require.NoError(t, os.WriteFile(bad, []byte(text), 0o600))
		out := filepath.Join(dir, "bad.json")
		_, stderr, err := xdplab(t, context.Background(), "run", "--object", obj, "--map-init", bad, "--dst", "198.18.100.1", "--dport", "8080",
			"--modes", "native", "--duration", "1s", "--output", out)
		require.Error(t, err, want)
		assert.Contains(t, stderr+err.Error(), want)
		assert.Contains(t, stderr+err.Error(), "bad.yaml")
		assert.NotContains(t, stderr, "offered", "refused before any traffic")
		assert.NoFileExists(t, out)
	}
}

// An IDS's filter built for loaders before libbpf 1.0: its program in a
// section named xdp_filter, its blocklist in a legacy "maps" section
// without BTF, filled from --map-init as raw bytes (the generator's
// source address, network order). The notes say how the section was
// read, and in native mode the program drops every frame from the
// blocked source.
func TestIntegrationRunUserObjectLegacy(t *testing.T) {
	testenv.RequireRoot(t)
	init := filepath.Join(t.TempDir(), "block.yaml")
	require.NoError(t, os.WriteFile(init, []byte("maps:\n  blocklist:\n    - {key: \"0xc6120001\", value: 0}   # 198.18.0.1\n"), 0o600))
	r := runJSON(t, "--object", "../../bpf/testdata/legacy_bpfel.o", "--program", "xdp_legacy_filter", "--map-init", init, "--modes", "generic,native")
	require.Len(t, r.Results, 2)
	assert.Contains(t, strings.Join(r.Notes, "\n"), `program xdp_legacy_filter in section "xdp_filter": read as XDP by the section prefix libbpf matched before 1.0`)
	for _, res := range r.Results {
		noFlag(t, res, results.FlagCountersDisagree, results.FlagDUTSawNothing)
		if res.Mode != "native" {
			continue
		}
		tr := res.Trials[0]
		drops, _ := topology.Counters{Ethtool: tr.Raw.Interfaces["dut"].Ethtool}.SumQueues("rx", "xdp_drops")
		assert.InEpsilon(t, tr.Raw.Generator.Packets, drops, results.Agreement, "every frame from the blocked source dropped")
	}
}

func TestIntegrationRunUserObjectUnsizedMap(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--object", "../../bpf/testdata/unsized_bpfel.o", "--map-size", "per_ifindex=16", "--modes", "native")
	require.Len(t, r.Results, 1)
	assert.Equal(t, map[string]uint32{"per_ifindex": 16}, r.Config.MapEntries)
	assert.Equal(t, "16", results.Lookup(results.Describe(r.Config, &r.Results[0]), "map-size")[len("per_ifindex:"):])
	assert.Greater(t, r.Results[0].Trials[0].Figures.ThroughputPPS, 0.0)
}

// A user's object as libbpf loaders ship them: a map sized at load time
// and its behaviour set in .rodata. It runs in generic and native mode
// with --map-size and --set, and does what it was set to: in native mode
// the DUT veth's XDP counters show it dropping every frame (left alone,
// it passes them).
func TestIntegrationRunUserObjectConfigured(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--object", "../../bpf/testdata/configured_bpfel.o", "--map-size", "rxq_cnt=4",
		"--set", "verdict=VERDICT_DROP", "--set", "queue_mask=3", "--modes", "generic,native")
	require.Len(t, r.Results, 2)
	assert.Equal(t, map[string]string{"verdict": "VERDICT_DROP", "queue_mask": "3"}, r.Config.Variables)
	for _, res := range r.Results {
		assert.Greater(t, res.Trials[0].Figures.ThroughputPPS, 0.0, res.Mode)
		require.NotNil(t, res.Fingerprint, res.Mode)
		assert.Equal(t, uint32(4), res.Fingerprint.Maps[slices.IndexFunc(res.Fingerprint.Maps, func(m results.FingerprintMap) bool { return m.Name == "rxq_cnt" })].MaxEntries)
		if res.Mode == "native" {
			tr := res.Trials[0]
			assert.InEpsilon(t, tr.Raw.Generator.Packets, tr.Raw.Interfaces["dut"].Ethtool["rx_queue_0_xdp_drops"], 0.01, "set to drop, it dropped")
		}
	}
	_, _, err := xdplab(t, context.Background(), append(quick(filepath.Join(t.TempDir(), "x.json")), "--object", "../../bpf/testdata/configured_bpfel.o",
		"--map-size", "rxq_cnt=4", "--set", "verdict=VERDICT_MAYBE")...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--set: verdict=VERDICT_MAYBE: enum verdict: give one of VERDICT_ABORTED, VERDICT_DROP, VERDICT_PASS, VERDICT_TX, or a number")
}

// An object of several programs chained by tail calls, with a map pinned
// by name: it runs in generic and native mode with a slot filled by
// --tail-call and its map pinned in a scratch bpffs that the host never
// sees and that is gone with the run.
func TestIntegrationRunUserObjectTailCallsPinned(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--object", "../../bpf/testdata/tailcall_bpfel.o", "--program", "xdp_entry", "--tail-call", "stages:1=xdp_stage_other",
		"--pin", "scratch", "--modes", "generic,native")
	require.Len(t, r.Results, 2)
	assert.Equal(t, []string{"stages:1=xdp_stage_other"}, r.Config.TailCalls)
	assert.Equal(t, "scratch", r.Config.Pin)
	assert.Contains(t, r.Notes, "map(s) stage_hits pinned by name in a scratch bpffs, gone with the run")
	for _, res := range r.Results {
		assert.Greater(t, res.Trials[0].Figures.ThroughputPPS, 0.0, res.Mode)
	}
	if ents, err := os.ReadDir("/sys/fs/bpf"); err == nil {
		for _, e := range ents {
			assert.NotEqual(t, "stage_hits", e.Name(), "the host's bpffs holds no pin of the run")
		}
	}
}

func TestIntegrationRunTable(t *testing.T) {
	testenv.RequireRoot(t)
	out := filepath.Join(t.TempDir(), "r.json")
	stdout, _, err := xdplab(t, context.Background(), append(quick(out), "--prog", "drop", "--modes", "native")...)
	require.NoError(t, err)
	assert.Contains(t, stdout, "program")
	assert.Contains(t, stdout, "Mpps")
	assert.Regexp(t, `drop\s+native\s+\d+\.\d\d`, stdout)
	assert.FileExists(t, out)
}

// Negative tests: a clear error, no results file, nothing left behind
// (TestMain checks the last).
// Offload on a veth is refused by the probe, after the privilege check.
func TestIntegrationRunRejectsOffloadOnVeth(t *testing.T) {
	testenv.RequireRoot(t)
	out := filepath.Join(t.TempDir(), "r.json")
	_, _, err := xdplab(t, context.Background(), append(quick(out), "--modes", "offload")...)
	require.Error(t, err)
	assert.ErrorContains(t, err, "veth has no hardware offload; modes available here: generic, native")
	var ue *usageError
	assert.False(t, errorsAs(err, &ue), "not a usage error: %v", err)
	assert.NoFileExists(t, out)
}

func TestIntegrationRunWithoutPrivileges(t *testing.T) {
	testenv.RequireRoot(t)
	bin := selfBinary(t)
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o777))
	out := filepath.Join(dir, "r.json")
	cmd := exec.Command(bin, quick(out)...)
	cmd.Env = append(os.Environ(), "XDPLAB_TEST_AS_MAIN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, string(b))
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, string(b), "needs root")
	assert.Contains(t, string(b), "CAP_BPF")
	assert.NoFileExists(t, out)
}

func TestIntegrationRunInterrupted(t *testing.T) {
	testenv.RequireRoot(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			bin := selfBinary(t)
			out := filepath.Join(t.TempDir(), "r.json")
			cmd := exec.Command(bin, "run", "--duration", "30s", "--trials", "3", "--output", out, "--prog", "tx")
			cmd.Env = append(os.Environ(), "XDPLAB_TEST_AS_MAIN=1")
			run := startWatched(t, cmd)
			run.waitStarted(t)
			require.NoError(t, cmd.Process.Signal(sig))
			err := run.wait()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, run.text())
			assert.Equal(t, 1, ee.ExitCode())
			assert.Contains(t, run.text(), "interrupted")
			assert.NoFileExists(t, out)
			leaks, err := testenv.SettledLeaks()
			require.NoError(t, err)
			assert.Empty(t, leaks, "nothing left after %s", sig)
		})
	}
}

// A paced run offers what was asked within 2%; a rate beyond the
// generator's reach is flagged rate-short. AF_PACKET, where the kernel
// has no live frames, is paced at a third of the rate: its whole reach
// here is about 0.4 Mpps.
func TestIntegrationRunRate(t *testing.T) {
	testenv.RequireRoot(t)
	rate := uint64(300000)
	if testenv.Generator(t) == stream.AFPacket {
		rate = 100000
	}
	r := runJSON(t, "--prog", "drop", "--modes", "native", "--rate", strconv.FormatUint(rate, 10))
	require.Len(t, r.Results, 1)
	assert.Equal(t, rate, r.Config.RatePPS)
	tr := r.Results[0].Trials[0]
	assert.InEpsilon(t, float64(rate), tr.Figures.OfferedPPS, 0.02, "offered within 2%% of the rate")
	assert.InEpsilon(t, tr.Figures.OfferedPPS, tr.Figures.ThroughputPPS, 0.01)
	noFlag(t, r.Results[0], results.FlagRateShort, results.FlagGeneratorShort)

	r = runJSON(t, "--prog", "drop", "--modes", "native", "--rate", "1G")
	var codes []string
	for _, f := range r.Results[0].Trials[0].Flags {
		codes = append(codes, f.Code)
	}
	assert.Contains(t, codes, results.FlagRateShort)
}

// The throughput search finds NDR and PDR in a bounded number of trials,
// confirms them, and records the count; PDR (loss allowed) is never below
// NDR.
func TestIntegrationRunSearch(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--prog", "drop", "--modes", "native", "--search")
	require.Len(t, r.Results, 1)
	res := r.Results[0]
	require.NotNil(t, res.NDR)
	require.NotNil(t, res.PDR)
	for _, tp := range []*results.Throughput{res.NDR, res.PDR} {
		assert.GreaterOrEqual(t, tp.Trials, 2, "a search trial and a confirming one at least")
		assert.LessOrEqual(t, tp.Trials, spec.DefaultSearch().MaxTrials, "bounded")
		assert.Len(t, tp.Steps, tp.Trials, "every trial listed")
		if !tp.Confirmed {
			// A noisy machine's sporadic loss can keep any rate from
			// being confirmed without loss: then no rate is reported.
			assert.Zero(t, tp.RatePPS, "%s: nothing reported that no trial confirmed", tp.Goal)
			assert.Contains(t, tp.Note, "not found")
			continue
		}
		assert.Positive(t, tp.RatePPS)
		assert.LessOrEqual(t, tp.Loss, tp.MaxLoss)
		last := tp.Steps[len(tp.Steps)-1]
		if tp.Goal == "pdr" && res.NDR.Confirmed && tp.RatePPS == res.NDR.RatePPS {
			// The NDR's confirming trial, with no loss, confirms the PDR.
			last = res.NDR.Steps[len(res.NDR.Steps)-1]
		}
		assert.True(t, last.Confirm && last.Within, "%s: confirmed by a confirming trial", tp.Goal)
		assert.LessOrEqual(t, tp.RatePPS, last.OfferedPPS+1, "never more than the confirming trial offered")
	}
	if res.NDR.Confirmed {
		assert.True(t, res.PDR.Confirmed, "a confirmed NDR is a confirmed PDR")
		assert.GreaterOrEqual(t, res.PDR.RatePPS, res.NDR.RatePPS)
	}

	_, _, err := xdplab(t, context.Background(), append(quick(filepath.Join(t.TempDir(), "r.json")), "--search", "--rate", "1M")...)
	assert.ErrorContains(t, err, "--search: the search paces the generator itself: leave out --rate")
}

// A replay delivers exactly the capture's frames times the loops to the
// DUT, in every trial.
func TestIntegrationRunPcapReplay(t *testing.T) {
	testenv.RequireRoot(t)
	gk := testenv.Generator(t)
	gens := []string{"af-packet"}
	if gk == stream.LiveFrames {
		gens = append([]string{"live-frames"}, gens...)
	}
	for _, gen := range gens {
		r := runJSONWith(t, replayQuick, "--pcap", "../../scenarios/library/pcap/udp-100.pcap", "--loops", "3", "--prog", "drop",
			"--modes", "generic,native", "--trials", "2", "--generator", gen, "--pcap-rewrite-ips")
		assert.Equal(t, gen, r.Config.Generator)
		assert.Equal(t, 3, r.Config.Loops)
		assert.True(t, r.Config.ReplayRewriteIPs)
		assert.Equal(t, 128, r.Config.FrameSize, "the capture's mean frame size")
		for _, res := range r.Results {
			for _, tr := range res.Trials {
				assert.Equal(t, uint64(300), tr.Raw.Generator.Packets, "%s %s trial %d sent", gen, res.Mode, tr.Index)
				assert.Equal(t, uint64(300), tr.Raw.Program["drop"].Packets, "%s %s trial %d: the DUT got exactly 100 x 3", gen, res.Mode, tr.Index)
				assert.Equal(t, uint64(300*124), tr.Raw.Program["drop"].Bytes, "%s: the capture's frames, not a template", gen)
			}
		}
	}
	// Distinct frames, not one template: flowstats finds every flow of
	// the capture.
	c, err := stream.ReadCapture("../../scenarios/library/pcap/udp-100.pcap", 1514)
	require.NoError(t, err)
	tuples := map[string]bool{}
	for _, f := range c.Frames {
		p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		tuples[p.NetworkLayer().NetworkFlow().String()+p.TransportLayer().TransportFlow().String()] = true
	}
	require.Greater(t, len(tuples), 1)
	r := runJSONWith(t, replayQuick, "--pcap", "../../scenarios/library/pcap/udp-100.pcap", "--prog", "flowstats", "--modes", "native")
	assert.Equal(t, string(gk), r.Config.Generator)
	assert.Equal(t, len(tuples), r.Results[0].Workload.Flows.Count, "the capture's distinct flows")
	out := filepath.Join(t.TempDir(), "r.json")
	_, _, err = xdplab(t, context.Background(), append(replayQuick(out), "--pcap", "../../scenarios/library/quick.yaml")...)
	assert.ErrorContains(t, err, "not a pcap or pcapng capture")
	_, _, err = xdplab(t, context.Background(), append(quick(out), "--loops", "3")...)
	assert.ErrorContains(t, err, "give --pcap too")
	_, _, err = xdplab(t, context.Background(), append(quick(out), "--pcap", "../../scenarios/library/pcap/udp-100.pcap")...)
	assert.ErrorContains(t, err, "--warmup: a replay", "quick() sets --warmup, which a replay refuses")
	assert.NoFileExists(t, out)
}

// A replay at the capture's own timing sends each frame at its time, sped
// up by --replay-speed; at a fixed rate, one frame each 1/rate. A 1 s trial
// of a capture spanning 2 s sends about half of it; four times faster, all.
func TestIntegrationRunPcapTiming(t *testing.T) {
	testenv.RequireRoot(t)
	c, err := stream.ReadCapture("../../scenarios/library/pcap/udp-100.pcap", 1514)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "slow.pcap")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, stream.WriteCaptureTimed(f, c.Frames, 20*time.Millisecond))
	require.NoError(t, f.Close())

	sent := func(r *results.Run) uint64 { return r.Results[0].Trials[0].Raw.Generator.Packets }
	r := runJSONWith(t, replayQuick, "--pcap", path, "--replay-timing", "capture", "--prog", "drop", "--modes", "native")
	assert.Equal(t, "capture", r.Config.ReplayTiming)
	assert.Equal(t, 1.0, r.Config.ReplaySpeed)
	assert.GreaterOrEqual(t, sent(r), uint64(40), "about the first second of the capture")
	assert.LessOrEqual(t, sent(r), uint64(75), "not sent ahead of the capture's timing")

	r = runJSONWith(t, replayQuick, "--pcap", path, "--replay-timing", "capture", "--replay-speed", "4", "--prog", "drop", "--modes", "native")
	assert.Equal(t, uint64(100), sent(r), "four times faster: all of it within the second")
	assert.Equal(t, uint64(100), r.Results[0].Trials[0].Raw.Program["drop"].Packets)

	r = runJSONWith(t, replayQuick, "--pcap", path, "--replay-timing", "rate", "--rate", "50", "--prog", "drop", "--modes", "native")
	assert.Equal(t, "rate", r.Config.ReplayTiming)
	assert.GreaterOrEqual(t, sent(r), uint64(40))
	assert.LessOrEqual(t, sent(r), uint64(75), "50 frames/s for a second")

	out := filepath.Join(t.TempDir(), "r.json")
	_, _, err = xdplab(t, context.Background(), append(replayQuick(out), "--pcap", path, "--replay-timing", "rate")...)
	assert.ErrorContains(t, err, "--replay-timing: rate needs --rate (frames per second)")
	_, _, err = xdplab(t, context.Background(), append(replayQuick(out), "--replay-timing", "capture")...)
	assert.ErrorContains(t, err, "give --pcap too")
	assert.NoFileExists(t, out)
}

// Streams: TCP SYN and ICMP, IPv4 and IPv6, a VLAN tag, an IMIX and
// malformed frames reach the DUT as sent, and the results say so.
func TestIntegrationRunStreams(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--prog", "drop", "--modes", "native", "--proto", "tcp-syn", "--imix", "imix", "--vlan", "7", "--malformed", "1%", "--flows", "64")
	assert.Equal(t, "tcp-syn", r.Config.Protocol)
	assert.Equal(t, 7, r.Config.VLAN)
	assert.Equal(t, "64:7,570:4,1518:1", r.Config.IMIX)
	assert.Equal(t, 354, r.Config.FrameSize, "the mix's mean, rounded")
	tr := r.Results[0].Trials[0]
	gen := tr.Raw.Generator
	require.NotZero(t, gen.Packets)
	assert.InEpsilon(t, 0.01, float64(tr.Raw.Malformed)/float64(gen.Packets), 0.01, "1% malformed")
	mean := float64(gen.Bytes) / float64(gen.Packets)
	assert.InDelta(t, 353.83-4, mean, 6, "bytes per frame follow the mix (without FCS; malformed frames are shorter)")
	assert.InEpsilon(t, gen.Packets, tr.Raw.Program["drop"].Packets, 0.01)

	r = runJSON(t, "--prog", "drop", "--modes", "generic", "--proto", "icmp", "--ipv6", "--size", "128")
	assert.Equal(t, "icmp", r.Config.Protocol)
	assert.Equal(t, 6, r.Config.IPVersion)
	tr = r.Results[0].Trials[0]
	assert.InEpsilon(t, tr.Raw.Generator.Packets, tr.Raw.Program["drop"].Packets, 0.01)
	assert.InDelta(t, 124, float64(tr.Raw.Program["drop"].Bytes)/float64(tr.Raw.Program["drop"].Packets), 0.5,
		"124 bytes a frame (the kernel's own IPv6 frames from the generator's veth are shorter)")

	out := filepath.Join(t.TempDir(), "r.json")
	for args, want := range map[string]string{
		"--proto sctp":                         `--proto: "sctp": use udp, tcp-syn or icmp`,
		"--vlan 5000":                          "--vlan: 5000 out of range",
		"--imix 64:0":                          "weight 0",
		"--imix imix --size 128":               "--imix: an IMIX and --size exclude each other",
		"--malformed 200%":                     "--malformed: share",
		"--latency --prog drop":                "--latency: measures frames that come back out of the DUT: drop keeps them",
		"--rate 50% --search":                  "--rate: a rate as a share paces the generator: leave out --search",
		"--rate 0%":                            "above 0% and at most 100%",
		"--ipv6 --latency --prog tx --size 66": "UDP over IPv6 with a latency stamp needs 82",
	} {
		_, _, err := xdplab(t, context.Background(), append(quick(out), strings.Fields(args)...)...)
		var ue *usageError
		assert.ErrorAs(t, err, &ue, args)
		assert.ErrorContains(t, err, want, args)
	}
	assert.NoFileExists(t, out)
}

// Latency at a share of the maximum: tx's frames come back stamped, the
// sink files them all, and the percentiles are ordered.
func TestIntegrationRunLatency(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--prog", "tx", "--modes", "native", "--latency", "--rate", "50%")
	assert.True(t, r.Config.Latency)
	assert.Equal(t, 50.0, r.Config.RatePercent)
	res := r.Results[0]
	require.NotNil(t, res.RateTarget)
	assert.InEpsilon(t, res.RateTarget.MaxPPS/2, float64(res.RateTarget.RatePPS), 0.001)
	tr := res.Trials[0]
	assert.InEpsilon(t, float64(res.RateTarget.RatePPS), tr.Figures.OfferedPPS, 0.05, "paced to half the maximum")
	l := tr.Latency
	require.NotNil(t, l)
	require.NotNil(t, tr.Raw.Sink)
	// The sink's counters and its histogram are read a moment apart while
	// traffic flows at the window's start.
	assert.InEpsilon(t, tr.Raw.Sink.Packets, l.Count+l.Unstamped, 0.01, "the sink filed every frame it counted")
	assert.LessOrEqual(t, l.Unstamped, l.Count/1000, "nearly all stamped")
	assert.Positive(t, l.MinNs)
	assert.LessOrEqual(t, l.MinNs, l.P50Ns)
	assert.LessOrEqual(t, l.P50Ns, l.P90Ns)
	assert.LessOrEqual(t, l.P90Ns, l.P99Ns)
	assert.LessOrEqual(t, l.P99Ns, l.MaxNs)
	var n uint64
	for _, b := range l.Buckets {
		n += b.Count
	}
	assert.Equal(t, l.Count, n)
	require.NotNil(t, res.Summary.LatencyP99Ns)
	noFlag(t, res, results.FlagLatencyUnstamped)
}

// The reference workloads refuse missing or misplaced settings by name,
// before anything is made.
func TestIntegrationRunWorkloadRejects(t *testing.T) {
	testenv.RequireRoot(t)
	out := filepath.Join(t.TempDir(), "r.json")
	rules := filepath.Join(t.TempDir(), "bad.rules")
	require.NoError(t, os.WriteFile(rules, []byte("drop src 198.18.0.0/24\ndrop everything\n"), 0o644))
	for args, want := range map[string]string{
		"--prog filter":                        "--rules: the filter drops by rules: give their file",
		"--prog filter --rules " + rules:       "bad.rules:2: rule \"drop everything\"",
		"--prog drop --rules " + rules:         "bad.rules:2",
		"--prog ratelimit --limit 100k":        "--limit: the ratelimit workload needs --limit (frames/s a source may send, such as 100k) and --burst",
		"--prog drop --limit 100k --burst 8":   "--limit: the limit and the burst are the ratelimit workload's: add ratelimit to --prog",
		"--prog drop --backends 4":             "--backends: backends are the l4lb workload's: add l4lb to --prog",
		"--prog l4lb --proto icmp":             "--proto: l4lb balances UDP and TCP flows",
		"--prog l4lb --size 1518":              "--size: l4lb adds a 20-byte outer header",
		"--prog filter --rules /nonexistent/r": "--rules: rules: open /nonexistent/r",
		"--prog flowstats --work parse-ip":     "a workload does its own work",
		"--prog drop --flows 10 --sources 20":  "--sources: 20 out of range",
	} {
		_, _, err := xdplab(t, context.Background(), append(quick(out), strings.Fields(args)...)...)
		assert.ErrorContains(t, err, want, args)
	}
	assert.NoFileExists(t, out)
}

// Each workload runs in generic and native mode and reports what it
// counted; the filter's rule hits add up to the drops.
func TestIntegrationRunWorkloads(t *testing.T) {
	testenv.RequireRoot(t)
	r := runJSON(t, "--prog", "filter,flowstats", "--modes", "generic,native", "--rules", "../../scenarios/library/rules/attack-sources.rules",
		"--flows", "256", "--sources", "256")
	require.Len(t, r.Results, 4)
	for _, res := range r.Results {
		require.NotNil(t, res.Workload, res.Program.Name)
		tr := res.Trials[0]
		switch res.Program.Name {
		case "filter":
			var hits uint64
			for _, h := range res.Workload.Rules {
				hits += h.Packets
			}
			assert.Equal(t, "drop src 198.18.0.128/25", res.Workload.Rules[1].Rule)
			assert.InEpsilon(t, 0.5, float64(tr.Raw.Program["drop"].Packets)/float64(tr.Raw.Program["drop"].Packets+tr.Raw.Program["pass"].Packets), 0.002)
			assert.GreaterOrEqual(t, hits, tr.Raw.Program["drop"].Packets, "the rules' hits cover the trial's drops (and the warm-up's)")
			require.NotNil(t, res.Workload.RuleUpdates)
			assert.Positive(t, res.Workload.RuleUpdates.Updates)
		case "flowstats":
			assert.Equal(t, 256, res.Workload.Flows.Count)
			assert.InEpsilon(t, tr.Raw.Generator.Packets, tr.Raw.Program["pass"].Packets, 0.01, "telemetry passes every frame")
		}
	}
}

// The description alone accepts any thread count up to its limit; the
// machine's CPUs are checked where the run starts (in the kernel matrix,
// inside the VM), and the refusal names the flag or the file's key.
func TestIntegrationRunThreadsBeyondCPUs(t *testing.T) {
	testenv.RequireRoot(t)
	n := len(host.CPUs()) + 1
	out := filepath.Join(t.TempDir(), "r.json")
	_, _, err := xdplab(t, context.Background(), append(quick(out), "--threads", strconv.Itoa(n))...)
	var ue *usageError
	require.ErrorAs(t, err, &ue)
	assert.ErrorContains(t, err, fmt.Sprintf("--threads: %d out of range: this machine lets xdplab use %d CPUs", n, n-1))
	assert.NoFileExists(t, out)

	sc := filepath.Join(t.TempDir(), "threads.yaml")
	require.NoError(t, os.WriteFile(sc, []byte(fmt.Sprintf("format: 1\nname: threads\nprograms: [drop]\ntraffic:\n  threads: %d\n", n)), 0o644))
	_, _, err = xdplab(t, context.Background(), "scenario", "validate", sc)
	require.NoError(t, err, "the file alone is valid: it does not know the machine it will run on")
	_, _, err = xdplab(t, context.Background(), "run", "--scenario", sc, "-q", "-o", t.TempDir())
	require.ErrorAs(t, err, &ue)
	assert.ErrorContains(t, err, fmt.Sprintf("%s: traffic.threads: %d out of range: this machine lets xdplab use %d CPUs", sc, n, n-1))
}
