package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/remote"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// Ports of the test frames.
const (
	srcPort = 10000
	dstPort = 9 // discard: nothing listens in the DUT namespace
)

// runner holds a run's state.
type runner struct {
	cfg  Config
	kind stream.Kind
	cpus []int
	pair *topology.Pair
	// end is the generator's end: the pair's Gen here, or the remote
	// agent's port on the generator host (then remote is set too).
	end     peer.End
	remote  *remote.Client
	support *offload.Support
	calNs   *float64
	// calNoise is the calibration's spread: a DUT share below it is
	// not resolved.
	calNoise float64
	run      *results.Run
	capture  *stream.Capture // --pcap
}

// Run measures what cfg asks for. On error (cancellation included) nothing
// is left behind and no results are returned.
func Run(ctx context.Context, cfg Config) (_ *results.Run, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.checkHost(); err != nil {
		return nil, err
	}
	if err := host.CheckPrivileges(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, cpus: host.CPUs()[:cfg.Threads]}
	if err := r.readCapture(); err != nil {
		return nil, err
	}
	defer func() {
		// Teardown runs on return, error and panic alike.
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v\n%s", p, debug.Stack())
		}
		if cerr := r.remote.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("teardown: %w", cerr))
		}
		if r.pair != nil {
			if cerr := r.pair.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("teardown: %w", cerr))
			}
		}
	}()
	if err := r.dial(ctx); err != nil {
		return nil, err
	}
	if err := r.pickGenerator(); err != nil {
		return nil, err
	}
	r.run = r.newRun()
	if err := r.build(); err != nil {
		return nil, err
	}
	r.describeTopology()
	if err := r.quietStream(); err != nil {
		return nil, err
	}
	modes, err := r.modes()
	if err != nil {
		return nil, err
	}
	if cfg.Calibrate && r.remote != nil {
		r.run.Notes = append(r.run.Notes, "no calibration: it measures the generator's CPU cost on this host, and the generator runs on "+r.remote.Target().Host)
	} else if cfg.Calibrate {
		if err := r.calibrate(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.measureAll(ctx, modes); err != nil {
		return nil, err
	}
	r.run.Finished = time.Now().UTC()
	if r.remote != nil {
		med, most, n := r.remote.ControlDelay()
		r.run.Topology.Remote.ControlDelay = &results.ControlDelay{MedianS: med.Seconds(), MaxS: most.Seconds(), Snapshots: n}
	}
	return r.run, nil
}

// measureAll measures every program in every mode: all trials of one
// before the next, or with --interleave trial 1 of every program and
// mode, then trial 2, each attached anew, so that the machine's drift
// falls on every variant alike.
func (r *runner) measureAll(ctx context.Context, modes []xdpmode.Mode) error {
	type variant struct {
		prog string
		mode xdpmode.Mode
	}
	var vs []variant
	for _, p := range r.programs() {
		for _, m := range modes {
			if err := m.Runs(p); err != nil && p != "" {
				r.run.NotRun = append(r.run.NotRun, results.NotRun{Program: p, Hook: m.HookName(), Why: err.Error()})
				continue
			}
			vs = append(vs, variant{p, m})
		}
	}
	rounds := [][2]int{{1, r.cfg.Trials}}
	if r.cfg.Interleave {
		rounds = nil
		for i := 1; i <= r.cfg.Trials; i++ {
			rounds = append(rounds, [2]int{i, i})
		}
		r.run.Notes = append(r.run.Notes, fmt.Sprintf("trials interleaved: trial i of every program and mode ran before trial i+1 of any, each attached anew (%d rounds)", r.cfg.Trials))
	}
	res := make([]*results.Result, len(vs))
	for _, round := range rounds {
		for i, v := range vs {
			var err error
			if res[i], err = r.measureTrials(ctx, v.prog, v.mode, res[i], round[0], round[1]); err != nil {
				return err
			}
		}
	}
	for _, x := range res {
		r.run.Results = append(r.run.Results, *x)
	}
	return nil
}

// readCapture reads a replay's capture: frames up to the veth's MTU
// (1500) plus the Ethernet header. What the description derives from it
// (frame size, no warm-up, the generator) spec.Build resolved.
func (r *runner) readCapture() error {
	if r.cfg.Pcap == "" {
		return nil
	}
	c, err := stream.ReadCapture(r.cfg.Pcap, spec.MaxCaptureFrame)
	r.capture = c
	return err
}

// dial reaches the generator's host first, where there is one: a host
// that cannot be reached fails the run before any interface here is
// touched.
func (r *runner) dial(ctx context.Context) error {
	if r.cfg.Remote == "" {
		return nil
	}
	var err error
	if r.remote, err = remote.Dial(ctx, remote.Options{Target: r.cfg.Remote, SSHOptions: r.cfg.RemoteSSHOptions,
		RemoteXdplab: r.cfg.RemoteXdplab, Version: r.cfg.Version, Stderr: r.cfg.Stderr}); err != nil {
		return err
	}
	if n := r.remote.Hello().CPUs; r.cfg.Threads > n {
		return &spec.FieldError{Field: spec.FieldThreads, Parts: []any{fmt.Sprintf(
			"%d out of range: the generator's host %s lets xdplab use %d CPUs", r.cfg.Threads, r.remote.Target().Host, n)}}
	}
	// CPU time is this host's, the DUT's: every CPU of it counts.
	r.cpus = host.CPUs()
	return nil
}

// build makes the topology and the generator's end of it, and falls back
// to AF_PACKET where live frames cannot leave the generator's port.
func (r *runner) build() error {
	var err error
	// Only redirect needs the sink namespace; tx's sink is the generator's veth.
	needSink := slices.Contains(r.programs(), "redirect")
	if r.cfg.Remote != "" {
		r.pair, err = topology.NewNICPair(topology.NICPairOptions{RunID: r.cfg.RunID, DUT: r.cfg.DUTIface, Split: true, Force: r.cfg.Force})
	} else if r.cfg.DUTIface != "" {
		r.pair, err = topology.NewNICPair(topology.NICPairOptions{RunID: r.cfg.RunID, DUT: r.cfg.DUTIface, Peer: r.cfg.PeerIface, Force: r.cfg.Force})
	} else {
		r.pair, err = topology.NewPair(topology.PairOptions{RunID: r.cfg.RunID, Queues: r.cfg.Threads, Sink: needSink})
	}
	if err != nil {
		return err
	}
	if r.remote != nil {
		if err := r.setUpRemote(); err != nil {
			return err
		}
	} else {
		r.end = peer.NewLocal(&r.pair.Gen)
	}
	if why := r.liveFramesOut(); why != "" {
		r.kind = stream.AFPacket
		r.run = r.newRun()
		r.run.Notes = append(r.run.Notes, why)
	}
	return nil
}

// quietStream makes the generator's port send only the stream: the
// capture's frames (rewritten to this pair), or an IPv4 stream without
// the port's own IPv6 chatter.
func (r *runner) quietStream() error {
	if r.capture != nil {
		r.capture.Rewrite(r.pair.Gen.MAC, r.pair.DUT.MAC)
		if r.cfg.PcapRewriteIPs {
			n := r.capture.RewriteIPs(r.pair.Gen.IPv4.Addr(), r.pair.DUT.IPv4.Addr(), r.pair.Gen.IPv6.Addr(), r.pair.DUT.IPv6.Addr())
			r.run.Notes = append(r.run.Notes, fmt.Sprintf("replay: the IP addresses of %d of %d frames set to the generator's and the DUT's, checksums updated", n, len(r.capture.Frames)))
		}
		// A replay delivers exactly the capture's frames: the generator's
		// side must add none of its own (IPv6 sends MLD reports and router
		// solicitations on its own; the replay needs no addresses).
		if err := r.end.QuietIPv6(); err != nil {
			return err
		}
	} else if !r.cfg.IPv6 {
		// The DUT counts what arrives (actions, flows, sources, rule
		// hits): the generator's port must not add its own IPv6 frames
		// (MLD reports, router solicitations) to an IPv4 stream, or the
		// DUT counts more frames than the generator sent. A lent NIC
		// gets IPv6 back when it returns to the host's namespace: the
		// kernel makes its IPv6 settings anew there.
		if err := r.end.QuietIPv6(); err != nil {
			return err
		}
	}
	return nil
}

// modes probes the DUT's modes and checks the ones asked for (every
// supported one where none was), recording them.
func (r *runner) modes() ([]xdpmode.Mode, error) {
	modes, err := r.probeModes(false)
	if err != nil {
		return nil, err
	}
	r.run.Config.ModesAuto = len(r.cfg.Modes) == 0
	r.run.Config.Modes = ModeNames(modes)
	return modes, nil
}

// probeModes probes the modes the DUT supports (into r.support) and
// checks the ones asked, all it supports where none were; noOffload
// refuses offload by name, for a check that runs on veth only.
func (r *runner) probeModes(noOffload bool) ([]xdpmode.Mode, error) {
	p := r.pair
	driver, _ := p.DUT.Driver()
	var err error
	if r.support, err = offload.ProbeModes(p.DUTNS.Handle, p.DUT.Name, p.DUT.Ifindex, driver); err != nil {
		return nil, err
	}
	modes := slices.Clone(r.cfg.Modes)
	if len(modes) == 0 {
		modes = slices.Clone(r.support.Modes)
	}
	if r.cfg.AllHooks {
		modes = append(modes, xdpmode.Beside()...)
	}
	for _, m := range modes {
		if noOffload && m == xdpmode.Offload {
			return nil, errors.New("--modes offload: the equivalence check runs on a veth pair, which has no offload; name generic and native")
		}
		if !m.IsXDP() {
			continue // every interface has tc ingress and AF_PACKET; afxdp runs generic at least
		}
		if err := r.support.Check(m); err != nil {
			return nil, err
		}
	}
	return modes, nil
}

func (r *runner) programs() []string {
	if r.cfg.Object != "" {
		return []string{""}
	}
	return r.cfg.Programs
}

func (r *runner) pickGenerator() error {
	var err error
	if r.remote != nil {
		// The generator runs there: what its kernel can do counts.
		if why := r.remote.Hello().LiveFrames; why != "" {
			err = fmt.Errorf("on %s: %s: %w", r.remote.Target().Host, why, ebpf.ErrNotSupported)
		}
	} else {
		err = xdp.HaveLiveFrames()
	}
	switch r.cfg.Generator {
	case stream.LiveFrames:
		if err != nil {
			return fmt.Errorf("generator live-frames: %w: use --generator af-packet", err)
		}
		r.kind = stream.LiveFrames
	case stream.AFPacket:
		r.kind = stream.AFPacket
	default:
		if err == nil {
			r.kind = stream.LiveFrames
		} else if errors.Is(err, ebpf.ErrNotSupported) {
			r.kind = stream.AFPacket
		} else {
			return fmt.Errorf("probe live frames: %w", err)
		}
	}
	return nil
}

// liveFramesOut says why live frames cannot leave the generator's port
// of a NIC pair, where the generator was not asked for by name: live
// frames leave by XDP redirect, which a driver takes only while it has a
// native XDP program (igb: its XDP transmit rings), and one without native
// XDP (e1000e) never. Empty: they can, or the choice was the user's.
func (r *runner) liveFramesOut() string {
	in := r.end.Info()
	if r.kind != stream.LiveFrames || r.cfg.Generator != "" || in.Driver == "veth" {
		return ""
	}
	s, err := r.end.AttachSink(peer.SinkOptions{Kind: peer.SinkPass})
	if err != nil {
		return fmt.Sprintf("generator: AF_PACKET, because the generator's port %s (%s) takes no native XDP program (%v), so live frames cannot leave it", in.Name, in.Driver, err)
	}
	_ = s.Close()
	return ""
}

func (r *runner) newRun() *results.Run {
	c := r.cfg
	run := &results.Run{
		Header: results.Header{Schema: results.SchemaName, SchemaVersion: results.SchemaVersion,
			Tool: results.ThisTool(c.Version), Host: host.Info(), Started: time.Now().UTC()},
		Label:       c.Label,
		Rerun:       results.Rerun(c.Command),
		Environment: host.Environment(),
		Config:      r.runConfig(),
	}
	cpus := results.CPUsOfGenerator
	if r.remote != nil {
		cpus = results.CPUsOfDUTHost(r.remote.Target().Host, r.remote.SameMachine())
	}
	run.Metrics = results.StandardMetrics(generatorSource(r.kind), cpus)
	run.Notes = append(r.streamNotes(), r.methodNotes()...)
	if run.Host.BPFStatsEnabled {
		run.Notes = append(run.Notes, "kernel.bpf_stats_enabled was 1 during the trials: every program run paid for clock reads, throughput is lower than it would be")
	}
	return run
}

// runConfig is the run's configuration as the results file records it:
// the description through its field table (spec.Record), then what only
// the run knows: the command line, the CPUs and the generator that ran.
func (r *runner) runConfig() results.Config {
	rc := spec.Record(&r.cfg.Run)
	rc.Command, rc.CPUs, rc.Generator = r.cfg.Command, r.cpus, string(r.kind)
	return rc
}

// streamNotes say what was sent: a mix, malformed frames, stamps for
// latency, a rate, a capture and how the generator paced it.
func (r *runner) streamNotes() []string {
	c := r.cfg
	var notes []string
	if len(c.Mix) > 0 {
		notes = append(notes, fmt.Sprintf("IMIX %s (size:weight, sizes with FCS), sent in a fixed interleaved order: frame_size is its mean %.2f bytes, rounded; bit rates use the exact mean",
			c.Mix, c.Mix.MeanSize()))
	}
	if c.MalformedPPM > 0 {
		notes = append(notes, fmt.Sprintf("%.4f%% of the frames are malformed on purpose, in turn: %s; raw.malformed counts them (they are in the generator's count)",
			float64(c.MalformedPPM)/1e4, strings.Join(stream.MalformedKinds(), "; ")))
	}
	if c.Latency {
		notes = append(notes, "latency: the generator writes bpf_ktime_get_ns() into each frame's payload as its program sends it; "+
			"a native sink program where frames leave the DUT (the generator's veth for tx, the sink's for redirect) reads the same clock on arrival. "+
			"It includes the generator's redirect batching (up to 64 frames) and both veth hops; percentiles come from a log-linear histogram (buckets at most 12.5% wide)")
	}
	if c.RatePercent > 0 {
		notes = append(notes, fmt.Sprintf("rate: each program and mode was paced to %g%% of the DUT throughput an unpaced trial of %s measured just before (results[].rate_target)",
			c.RatePercent, rateProbe))
	}
	if r.capture != nil {
		notes = append(notes, fmt.Sprintf("replay of %s: %d frames a loop, %d loop(s) a trial, no warm-up; "+
			"%d frame(s) larger than 1514 bytes skipped; frame_size is the capture's mean frame size with FCS",
			c.Pcap, len(r.capture.Frames), c.Loops, r.capture.Skipped))
	}
	if c.RatePPS > 0 && r.capture != nil {
		notes = append(notes, fmt.Sprintf("replay paced to %d frames/s by the AF_PACKET sender (sleep, then spin, to each frame's time)", c.RatePPS))
	} else if c.RatePPS > 0 && r.kind == stream.AFPacket {
		notes = append(notes, fmt.Sprintf("offered rate paced to %d frames/s by the AF_PACKET sender (each thread writes the frames due by the clock, "+
			"sleeping then spinning to the next, catching up in bursts of at most 256): the generator's CPUs spin between frames, so CPU ns/pkt counts that spinning and says nothing about the DUT", c.RatePPS))
	} else if c.RatePPS > 0 {
		notes = append(notes, fmt.Sprintf("offered rate paced to %d frames/s by the generator program (a token bucket per CPU): "+
			"the generator's CPUs spin between frames, so CPU ns/pkt counts that spinning and says nothing about the DUT", c.RatePPS))
	}
	return notes
}

// methodNotes say how this run measured where it is not every run's way
// (every figure's own source is in the run's metrics): two hosts, a
// replay, an AF_PACKET generator; and where the fingerprint comes from.
func (r *runner) methodNotes() []string {
	var notes []string
	if r.remote != nil {
		notes = append(notes, fmt.Sprintf("two hosts: the DUT's port %s here, the generator's %s on %s (xdplab %s there, %s)",
			r.cfg.DUTIface, r.cfg.PeerIface, r.remote.Target(), r.remote.Hello().Version, r.remote.How()))
	}
	notes = append(notes, results.FingerprintSource)
	if r.capture != nil {
		how := "the live-frames replay program: each frame written whole into a live frame from a map of the capture, " +
			"exactly frames x loops, then every further frame held back"
		if r.kind == stream.AFPacket {
			how = "AF_PACKET from one thread, a full socket buffer waited out, never skipped"
		}
		notes = append(notes, "replay through "+how)
	}
	if r.kind == stream.AFPacket && r.capture == nil {
		notes = append(notes, "generator: AF_PACKET (this kernel has no BPF_PROG_RUN live frames, or it was asked for): its ceiling is far below live frames, so the DUT is rarely the bottleneck")
	}
	return notes
}

func generatorSource(k stream.Kind) string {
	if k == stream.LiveFrames {
		return "the live-frames generator program's per-CPU counter of redirected frames"
	}
	return "AF_PACKET writes the socket accepted"
}

func (r *runner) describeTopology() {
	p := r.pair
	t := results.Topology{Kind: "pair", RunID: p.RunID, Borrowed: p.Borrowed()}
	if len(t.Borrowed) > 0 {
		t.Kind = "nic-pair"
	}
	if r.remote != nil {
		t.Kind, t.Remote = "nic-pair-remote", r.remoteRecord()
		in := r.end.Info()
		feat := "not reported"
		if in.FeaturesKnown {
			feat = fmt.Sprintf("%#x (%s)", in.XDPFeatures, offload.XDPFeature(in.XDPFeatures))
		}
		t.Interfaces = append(t.Interfaces, results.Interface{Role: "gen", Host: in.Host, Name: in.Name, Namespace: in.Namespace,
			Driver: in.Driver, Queues: in.RxQueues, XDPFeatures: feat})
		r.run.Environment.NICs = append(r.run.Environment.NICs, results.NICEnvironment{Role: "gen", Name: in.Name, Driver: in.Driver,
			Channels: fmt.Sprintf("rx %d tx %d", in.RxQueues, in.TxQueues)})
	}
	for _, n := range p.Namespaces() {
		t.Namespaces = append(t.Namespaces, n.Name)
	}
	roles := map[*topology.Endpoint]string{&p.Gen: "gen", &p.DUT: "dut", &p.Out: "out", &p.Sink: "sink"}
	for _, e := range p.Endpoints() {
		d, _ := e.Driver()
		rx, _, _ := e.Queues()
		feat := "not reported"
		if f, err := offload.Features(e.NS.Handle, e.Ifindex); err == nil {
			feat = fmt.Sprintf("%#x (%s)", uint64(f.XDP), f.XDP)
		}
		t.Interfaces = append(t.Interfaces, results.Interface{
			Role: roles[e], Name: e.Name, Namespace: e.NS.Name, Driver: d, Queues: rx, XDPFeatures: feat,
		})
		r.run.Environment.NICs = append(r.run.Environment.NICs, e.Environment(roles[e], host.IRQs))
	}
	r.run.Topology = t
}

// frameSpec is the template frame from the generator to the DUT.
func (r *runner) frameSpec() stream.FrameSpec {
	p := r.pair
	src, dst := p.Gen.IPv4.Addr(), p.DUT.IPv4.Addr()
	if r.cfg.IPv6 {
		src, dst = p.Gen.IPv6.Addr(), p.DUT.IPv6.Addr()
	}
	if r.cfg.Dst.IsValid() {
		dst = r.cfg.Dst // a VIP the DUT's program is configured for
	}
	return stream.FrameSpec{
		Size: r.cfg.FrameSize, Proto: r.cfg.Proto, VLAN: r.cfg.VLAN, Stamp: r.cfg.Latency,
		SrcMAC: p.Gen.MAC, DstMAC: p.DUT.MAC, Src: src, Dst: dst, SrcPort: srcPort, DstPort: cmp.Or(r.cfg.DstPort, dstPort),
	}
}

func (r *runner) newGenerator(s *setup) (peer.Generator, error) {
	cpus := r.cpus
	if r.remote != nil {
		cpus = make([]int, r.cfg.Threads) // the agent picks its host's
	}
	return r.end.NewGenerator(traffic.Options{
		Kind:  r.kind,
		Frame: r.frameSpec(), Flows: r.cfg.Flows, Sources: r.cfg.Sources, CPUs: cpus, RatePPS: r.cfg.RatePPS,
		Mix: r.cfg.Mix, MalformedPPM: r.cfg.MalformedPPM, Restore: s.writes,
		Replay: r.capture, Loops: r.cfg.Loops, ReplayTiming: r.cfg.ReplayTiming, ReplaySpeed: r.cfg.ReplaySpeed,
	})
}

// frameBytes is the mean frame size with FCS, exact for an IMIX.
func (r *runner) frameBytes() float64 {
	if len(r.cfg.Mix) > 0 {
		return r.cfg.Mix.MeanSize()
	}
	return float64(r.cfg.FrameSize)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// setUpRemote moves the generator's port on the remote host into the
// agent's namespace there; the pair's Gen then describes it (addresses,
// MAC) with no namespace here.
func (r *runner) setUpRemote() error {
	s, err := r.remote.SetUp(remote.SetupOptions{Peer: r.cfg.PeerIface, Force: r.cfg.Force})
	if err != nil {
		return err
	}
	r.end = r.remote
	in := s.Info
	r.pair.Gen = topology.Endpoint{Name: in.Name, Ifindex: in.Ifindex, MAC: in.MAC, IPv4: in.IPv4, IPv6: in.IPv6}
	return nil
}

// remoteRecord is what the results say of the generator's host.
func (r *runner) remoteRecord() *results.Remote {
	h, s := r.remote.Hello(), r.remote.Setup()
	rec := &results.Remote{Target: r.remote.Target().String(), Host: h.Host, Version: h.Version, Agent: r.remote.How(),
		RunID: s.RunID, Namespaces: []string{s.Info.Namespace}, SameMachine: r.remote.SameMachine(),
		Clocks: "rates: the timed window on this host's clock, between snapshots of both ends taken back to back over the control channel; " +
			"counts: both ends read after the generator stopped and every counter settled; " +
			"latency (tx only): a round trip measured on the generator host's clock, which stamps and reads each frame"}
	return rec
}
