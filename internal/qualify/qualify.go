package qualify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/nsthread"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/probe"
	"github.com/xdplab/xdplab/internal/remote"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/internal/xdpmode"
	"github.com/xdplab/xdplab/offload"
	"github.com/xdplab/xdplab/results"
	"github.com/xdplab/xdplab/topology"
)

// Suite names the suite and its version: reports of one version compare.
// Version 2 adds the functional check "same verdict in every mode".
const Suite = "xdplab-qualify/2"

// Options configures a qualification.
type Options struct {
	// Iface and Peer name two interfaces of this host cabled back to back
	// (the DUT and the generator's); neither: a veth pair xdplab makes.
	Iface, Peer string
	// Remote is the generator's host (ssh://...): Peer is its port
	// there, cabled to Iface here (see spec.Run's fields of that name).
	Remote           string
	RemoteXdplab     string
	RemoteSSHOptions []string
	Force            bool
	Frames           int           // frames per functional check (default 200)
	Trial            time.Duration // performance trial length (default 3s)
	Trials           int           // performance trials (default 3)
	Soak             time.Duration // the soak trial (default 10m)
	// SearchTrials bounds each NDR/PDR search (default 16).
	SearchTrials int
	// Only runs these sections (capabilities, functional, performance,
	// stability); empty: all. A report of some sections says so.
	Only []string
	// BadAction, when set, makes the action programs return this action
	// code instead of the one each check expects: a broken program, for
	// testing the suite itself.
	BadAction uint32
	RunID     string
	Version   string
	Command   []string
	Progress  io.Writer // one line per check; nil for none
}

func (o *Options) defaults() {
	if o.Frames == 0 {
		o.Frames = 200
	}
	if o.Trial == 0 {
		o.Trial = 3 * time.Second
	}
	if o.Trials == 0 {
		o.Trials = 3
	}
	if o.Soak == 0 {
		o.Soak = 10 * time.Minute
	}
	if o.SearchTrials == 0 {
		o.SearchTrials = 16
	}
}

// Validate checks the options before anything runs.
func (o *Options) Validate() error {
	o.defaults()
	switch {
	case (o.Iface == "") != (o.Peer == ""):
		return errors.New("--iface and --peer go together: the generator sends on --peer, cabled back to back to --iface")
	case o.Remote != "" && o.Iface == "":
		return errors.New("--remote names the generator's host of two: give --iface (the DUT's port here) and --peer (the generator's port there)")
	case o.Frames < 1 || o.Frames > 100000:
		return fmt.Errorf("--frames %d out of range: use 1 to 100000", o.Frames)
	case o.Trial < spec.MinDuration || o.Trial > spec.MaxDuration:
		return fmt.Errorf("--trial %s out of range: use %s to %s", o.Trial, spec.MinDuration, spec.MaxDuration)
	case o.Trials < 1 || o.Trials > 100:
		return fmt.Errorf("--trials %d out of range: use 1 to 100", o.Trials)
	case o.Soak < spec.MinDuration || o.Soak > 24*time.Hour:
		return fmt.Errorf("--soak %s out of range: use %s to 24h", o.Soak, spec.MinDuration)
	case o.SearchTrials < 2 || o.SearchTrials > 64:
		return fmt.Errorf("--search-trials %d out of range: use 2 to 64", o.SearchTrials)
	}
	for _, s := range o.Only {
		if !slices.Contains(sections, s) {
			return fmt.Errorf("--only %q: the sections are %s", s, strings.Join(sections, ", "))
		}
	}
	return nil
}

// sections are the suite's sections, in the order they run.
var sections = []string{"capabilities", "functional", "performance", "stability"}

func (o *Options) runs(section string) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, section)
}

// Sections returns a copy of sections, which no importer can change.
func Sections() []string { return slices.Clone(sections) }

type qualification struct {
	o    Options
	q    *results.Qualification
	pair *topology.Pair
	// end is the generator's end of the functional checks: the pair's Gen,
	// or the agent's port on the --remote host.
	end peer.End
	sup *offload.Support
	rep *probe.Report
}

func (r *qualification) check(section, name, mode string, verdict results.Verdict, format string, args ...any) {
	c := results.QualifyCheck{Section: section, Name: name, Mode: mode, Verdict: verdict, Detail: fmt.Sprintf(format, args...)}
	r.q.Checks = append(r.q.Checks, c)
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "%-12s %-34s %-8s %-20s %s\n", c.Section, c.Name, c.Mode, c.Verdict, c.Detail)
	}
}

// Run qualifies the interface (or a veth pair) and returns the report.
// On error nothing is left behind and no report is returned.
func Run(ctx context.Context, o Options) (*results.Qualification, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := host.CheckPrivileges(); err != nil {
		return nil, err
	}
	r := &qualification{o: o, q: &results.Qualification{Schema: results.QualificationSchema, SchemaVersion: results.QualificationSchemaVersion,
		Suite: Suite, Tool: results.ThisTool(o.Version), Host: host.Info(), Created: time.Now().UTC(),
		Settings: map[string]string{"frames_per_check": fmt.Sprint(o.Frames), "trial": o.Trial.String(), "trials": fmt.Sprint(o.Trials),
			"soak": o.Soak.String(), "search_trials": fmt.Sprint(o.SearchTrials)}}}
	r.q.Reproduce = []string{strings.Join(o.Command, " ")}
	before, _ := kernelLog()
	if len(o.Only) > 0 {
		r.q.Settings["only"] = strings.Join(o.Only, ",")
		r.q.Notes = append(r.q.Notes, "only these sections ran: "+strings.Join(o.Only, ", ")+"; the report is not a full qualification")
	}
	// The probe's table also tells the functional checks what is advertised.
	if err := r.capabilities(ctx, o.runs("capabilities")); err != nil {
		return nil, err
	}
	if err := r.functional(ctx, o.runs("functional")); err != nil {
		return nil, err
	}
	if o.runs("functional") {
		if err := r.equivalence(ctx); err != nil {
			return nil, err
		}
	}
	var pdr float64
	var err error
	if o.runs("performance") {
		if pdr, err = r.performance(ctx); err != nil {
			return nil, err
		}
	}
	if o.runs("stability") {
		if err := r.stability(ctx, pdr, before); err != nil {
			return nil, err
		}
	}
	r.q.Finish()
	return r.q, nil
}

// capabilities runs the probe and turns its advertised-against-detected
// table into verdicts.
func (r *qualification) capabilities(ctx context.Context, report bool) error {
	po := probe.Options{Attach: true, Force: r.o.Force, RunID: r.o.RunID, Version: r.o.Version}
	if r.o.Iface != "" {
		po.Ifaces = []string{r.o.Iface, r.o.Peer}
	}
	if r.o.Remote != "" {
		po.Ifaces = po.Ifaces[:1] // the peer is probed on its own host
	}
	rep, err := probe.Run(ctx, po)
	if err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	if r.o.Remote != "" {
		if err := r.probeRemotePeer(ctx, rep); err != nil {
			return fmt.Errorf("capabilities: %w", err)
		}
	}
	r.rep = rep
	if r.q.Capabilities, err = json.Marshal(rep); err != nil {
		return err
	}
	for i, ic := range rep.Interfaces {
		q := results.Qualified{Name: ic.Name, Driver: ic.Driver.Driver, Version: ic.Driver.Version, Firmware: ic.Driver.Firmware, Bus: ic.Driver.BusInfo}
		if i == 0 {
			r.q.DUT = q
		} else if i == 1 {
			r.q.Peer = q
		}
	}
	if len(rep.Interfaces) == 0 {
		return errors.New("capabilities: the probe saw no interface")
	}
	dut := rep.Interfaces[0]
	if !report {
		return nil
	}
	for _, row := range dut.Comparison {
		v, detail := capabilityVerdict(row, r.o.runs("functional"))
		r.check("capabilities", row.Capability, "", v, "%s", detail)
	}
	return nil
}

// frame builds the test frame of a functional check: UDP from the
// generator to the DUT, its payload naming the check.
func (r *qualification) frame(check string, size int) ([]byte, error) {
	p := r.pair
	s := stream.FrameSpec{Size: size, SrcMAC: p.Gen.MAC, DstMAC: p.DUT.MAC, Src: p.Gen.IPv4.Addr(), Dst: p.DUT.IPv4.Addr(), SrcPort: 10000, DstPort: 9}
	if size > stream.MaxFrameSize {
		// A jumbo frame: built here, gopacket fixing lengths and sums.
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: s.Src.AsSlice(), DstIP: s.Dst.AsSlice()}
		u := &layers.UDP{SrcPort: 10000, DstPort: 9}
		if err := u.SetNetworkLayerForChecksum(ip); err != nil {
			return nil, err
		}
		pl := make([]byte, size-stream.FCSLen-14-20-8)
		copy(pl, "xdplab "+check)
		buf := gopacket.NewSerializeBuffer()
		err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			&layers.Ethernet{SrcMAC: s.SrcMAC, DstMAC: s.DstMAC, EthernetType: layers.EthernetTypeIPv4}, ip, u, gopacket.Payload(pl))
		return buf.Bytes(), err
	}
	b, err := stream.Build(s)
	if err != nil {
		return nil, err
	}
	copy(b[14+20+8:], "xdplab "+check)
	return b, nil
}

// functional sends frames through a program in each mode and verifies them
// where they come out.
func (r *qualification) functional(ctx context.Context, checks bool) (err error) {
	var client *remote.Client
	if r.o.Remote != "" {
		if client, err = remote.Dial(ctx, r.remoteOptions()); err != nil {
			return fmt.Errorf("functional checks: %w", err)
		}
		defer func() { err = errors.Join(err, client.Close()) }()
		r.pair, err = topology.NewNICPair(topology.NICPairOptions{RunID: r.o.RunID, DUT: r.o.Iface, Split: true, Force: r.o.Force})
	} else if r.o.Iface != "" {
		r.pair, err = topology.NewNICPair(topology.NICPairOptions{RunID: r.o.RunID, DUT: r.o.Iface, Peer: r.o.Peer, Force: r.o.Force})
	} else {
		r.pair, err = topology.NewPair(topology.PairOptions{RunID: r.o.RunID, Sink: true})
	}
	if err != nil {
		return fmt.Errorf("functional checks: %w", err)
	}
	defer func() { err = errors.Join(err, r.pair.Close()) }()
	p := r.pair
	r.end = peer.NewLocal(&p.Gen)
	if client != nil {
		s, err := client.SetUp(remote.SetupOptions{Peer: r.o.Peer, Force: r.o.Force})
		if err != nil {
			return fmt.Errorf("functional checks: %w", err)
		}
		in := s.Info
		p.Gen = topology.Endpoint{Name: in.Name, Ifindex: in.Ifindex, MAC: in.MAC, IPv4: in.IPv4, IPv6: in.IPv6}
		r.end = client
		r.recordGenerator(client)
		if err := client.QuietIPv6(); err != nil {
			return err
		}
	}
	driver, _ := p.DUT.Driver()
	if r.sup, err = offload.ProbeModes(p.DUTNS.Handle, p.DUT.Name, p.DUT.Ifindex, driver); err != nil {
		return err
	}
	if !checks {
		return nil
	}
	// The checks count exactly their own frames: no interface may send
	// IPv6 frames of its own (router solicitations, MLD reports) meanwhile.
	for _, e := range p.Endpoints() {
		if err := topology.QuietIPv6(e.NS.Handle, e.Name); err != nil {
			return err
		}
	}
	for _, m := range []xdpmode.Mode{xdpmode.Generic, xdpmode.Native, xdpmode.Offload} {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := r.sup.Check(m); err != nil {
			r.check("functional", "attach", m.String(), results.VerdictNotSupported, "%v", err)
			continue
		}
		if m == xdpmode.Offload {
			r.offloadControlPlane(driver)
			continue
		}
		if driver == "netdevsim" {
			r.check("functional", "data path", m.String(), results.VerdictNotApplicable,
				"netdevsim attaches %s programs but passes no frames between its ports here: the frame checks cannot run", m)
			continue
		}
		if err := r.modeChecks(m); err != nil {
			return err
		}
	}
	return nil
}

// offloadControlPlane loads, binds and attaches drop in offload mode: what
// a device that runs no program on packets (netdevsim) can prove.
func (r *qualification) offloadControlPlane(driver string) {
	p := r.pair
	var prog *bpf.Program
	err := nsthread.Do(p.DUTNS.Handle, func() error {
		var err error
		prog, err = bpf.LoadDUT(bpf.DUTOptions{Program: "drop", Ifindex: uint32(p.DUT.Ifindex)})
		return err
	})
	if err != nil {
		r.check("functional", "offload control plane", "offload", results.VerdictFail, "load bound to %s: %v", p.DUT.Name, err)
		return
	}
	defer prog.Close()
	att, err := xdp.Attach(xdp.AttachOptions{NS: p.DUTNS.Handle, Iface: p.DUT.Name, Program: prog.Program, Mode: xdpmode.Offload})
	if err != nil {
		r.check("functional", "offload control plane", "offload", results.VerdictFail, "attach: %v", err)
		return
	}
	defer att.Close()
	if _, err := bpf.ReadStats(prog.Stats); err != nil {
		r.check("functional", "offload control plane", "offload", results.VerdictFail, "read the device's map: %v", err)
		return
	}
	r.check("functional", "offload control plane", "offload", results.VerdictPass,
		"loaded and verified bound to %s (%s), attached with %s, mode read back %s, its map read on the device", p.DUT.Name, driver, att.Method, att.Mode)
	if driver == "netdevsim" {
		r.check("functional", "offload data path", "offload", results.VerdictNotApplicable, "netdevsim runs no offloaded program on packets")
	}
}

func (r *qualification) remoteOptions() remote.Options {
	return remote.Options{Target: r.o.Remote, SSHOptions: r.o.RemoteSSHOptions, RemoteXdplab: r.o.RemoteXdplab, Version: r.o.Version}
}

// probeRemotePeer probes the generator's port on its own host, read-only
// (nothing attaches there but the functional checks' own programs), and
// adds it to rep as the second interface, as a local peer would be.
func (r *qualification) probeRemotePeer(ctx context.Context, rep *probe.Report) error {
	args := []string{"probe", "--json", "--never-ssh", "--iface", r.o.Peer}
	if r.o.Force {
		args = append(args, "--force")
	}
	var out, errs bytes.Buffer
	if err := remote.Exec(ctx, r.remoteOptions(), args, &out, &errs); err != nil {
		return fmt.Errorf("probe %s on %s: %w: %s", r.o.Peer, r.o.Remote, err, strings.TrimSpace(errs.String()))
	}
	var peer probe.Report
	if err := json.Unmarshal(out.Bytes(), &peer); err != nil {
		return fmt.Errorf("the probe report from %s: %w", r.o.Remote, err)
	}
	if len(peer.Interfaces) != 1 {
		return fmt.Errorf("the probe on %s reported %d interfaces, not %s", r.o.Remote, len(peer.Interfaces), r.o.Peer)
	}
	rep.Interfaces = append(rep.Interfaces, peer.Interfaces[0])
	rep.Notes = append(rep.Notes, fmt.Sprintf("%s was probed on the generator's host %s (%s, kernel %s), read-only", r.o.Peer, r.o.Remote, peer.Tool, peer.Kernel.Release))
	r.q.Generator = &results.GeneratorHost{Target: r.o.Remote}
	return nil
}

// recordGenerator names the generator's host in the report, as its agent
// described it.
func (r *qualification) recordGenerator(c *remote.Client) {
	h := c.Hello()
	r.q.Generator = &results.GeneratorHost{Target: c.Target().String(), Host: &h.Host, Version: h.Version, Agent: c.How(),
		SameMachine: c.SameMachine()}
}
