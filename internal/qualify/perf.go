package qualify

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/xdplab/xdplab/internal/xdpmode"

	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/internal/runner"
	"github.com/xdplab/xdplab/internal/spec"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/results"
)

// dataModes are the modes that run programs on packets here.
func (r *qualification) dataModes() []xdpmode.Mode {
	var out []xdpmode.Mode
	for _, m := range []xdpmode.Mode{xdpmode.Generic, xdpmode.Native} {
		if r.sup.Supports(m) {
			out = append(out, m)
		}
	}
	return out
}

func (r *qualification) baseConfig() runner.Config {
	c := runner.Config{Run: spec.Defaults()}
	c.Programs, c.Modes = []string{"drop"}, r.dataModes()
	c.Duration, c.Trials = r.o.Trial, r.o.Trials
	c.DUTIface, c.PeerIface, c.Force = r.o.Iface, r.o.Peer, r.o.Force
	c.Remote, c.RemoteXdplab, c.RemoteSSHOptions = r.o.Remote, r.o.RemoteXdplab, r.o.RemoteSSHOptions
	c.Command, c.Version = r.o.Command, r.o.Version
	return c
}

// performance measures drop at 64, 512 and 1518 bytes and an IMIX, and
// searches NDR and PDR at 64 bytes, per mode; it returns the PDR for the
// soak (native where there is native).
func (r *qualification) performance(ctx context.Context) (pdr float64, err error) {
	if len(r.dataModes()) == 0 {
		r.check("performance", "throughput", "", results.VerdictNotApplicable, "no mode runs programs on packets here")
		return 0, nil
	}
	type job struct {
		name string
		set  func(*runner.Config)
	}
	jobs := []job{
		{"throughput 64 B", func(c *runner.Config) { c.FrameSize = 64 }},
		{"throughput 512 B", func(c *runner.Config) { c.FrameSize = 512 }},
		{"throughput 1518 B", func(c *runner.Config) { c.FrameSize = 1518 }},
		{"throughput IMIX", func(c *runner.Config) { c.Mix = stream.SimpleIMIX; c.Resolve() }},
		{"NDR/PDR 64 B", func(c *runner.Config) {
			c.FrameSize, c.Trials, c.ProgStats = 64, 1, 0
			s := spec.DefaultSearch()
			s.MaxTrials = r.o.SearchTrials
			c.Search = &s
		}},
	}
	for i, j := range jobs {
		c := r.baseConfig()
		c.Calibrate = i == 0
		j.set(&c)
		run, err := runner.Run(ctx, c)
		if err != nil {
			return 0, fmt.Errorf("performance %s: %w", j.name, err)
		}
		r.q.Performance = append(r.q.Performance, run)
		for _, res := range run.Results {
			s := res.Summary
			if c.Search != nil {
				v, detail := searchVerdict(&res)
				if rate, ok := res.PDR.Found(); ok && (pdr == 0 || res.Mode == xdpmode.Native.String()) {
					pdr = rate
				}
				r.check("performance", j.name, res.Mode, v, "%s", detail)
				continue
			}
			v, flags := throughputVerdict(&res)
			detail := fmt.Sprintf("%.3f Mpps, loss %.3f%%, CPU %.1f ns/pkt (medians of %d trials)", s.ThroughputPPS.Median/1e6, 100*s.Loss.Median, s.CPUNsPerPkt.Median, s.ThroughputPPS.N)
			if d := s.DUTString(len(res.Trials)); d != "-" {
				detail += ", DUT " + d + " ns/pkt"
			}
			if len(flags) > 0 {
				detail += "; flagged: " + strings.Join(flags, ", ")
			}
			r.check("performance", j.name, res.Mode, v, "%s", detail)
		}
	}
	return pdr, nil
}

// stability runs the soak trial at the PDR and watches loss, the counters
// and the kernel log.
func (r *qualification) stability(ctx context.Context, pdr float64, before []string) error {
	modes := r.dataModes()
	if len(modes) == 0 {
		r.check("stability", "soak", "", results.VerdictNotApplicable, "no mode runs programs on packets here")
		return nil
	}
	c := r.baseConfig()
	c.Modes = modes[len(modes)-1:] // native where there is native
	c.FrameSize, c.Duration, c.Trials, c.ProgStats, c.Calibrate = 64, r.o.Soak, 1, 0, false
	c.RatePPS = uint64(pdr)
	run, err := runner.Run(ctx, c)
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	r.q.Performance = append(r.q.Performance, run)
	res := run.Results[0]
	t := res.Trials[0]
	at := "unpaced (no confirmed PDR)"
	if pdr > 0 {
		at = fmt.Sprintf("at the PDR, %.3f Mpps", pdr/1e6)
	}
	// Loss, first quarter of the samples against the last; growth beyond
	// the PDR's own allowance (0.5%) is a finding.
	n := len(t.Samples)
	v, first, last := soakVerdict(t.Samples, spec.DefaultSearch().PDRLoss)
	r.check("stability", "soak: loss does not grow", res.Mode, v, "%s for %s: loss %.4f%% in the first quarter, %.4f%% in the last, %.4f%% over the trial",
		at, r.o.Soak, 100*first, 100*last, 100*t.Figures.Loss)
	// Counters: every per-second sample within reason.
	v, bad := countersVerdict(t.Samples, t.Flags)
	var flags []string
	for _, f := range t.Flags {
		flags = append(flags, f.Code)
	}
	flagged := "none"
	if len(flags) > 0 {
		flagged = strings.Join(flags, ", ")
	}
	r.check("stability", "soak: counters consistent, no wrap", res.Mode, v, "%d per-second samples, %d out of line; flags: %s", n, bad, flagged)
	after, err := kernelLog()
	if err != nil {
		r.check("stability", "kernel log: no new warnings", "", results.VerdictNotRun, "read the kernel log: %v", err)
		return nil
	}
	warn := newWarnings(before, after)
	v = results.VerdictPass
	detail := "no WARNING, BUG, Oops or call trace appeared in the kernel log during the suite"
	if len(warn) > 0 {
		v = results.VerdictFail
		detail = fmt.Sprintf("%d new warning line(s), the first: %s", len(warn), warn[0])
	}
	r.check("stability", "kernel log: no new warnings", "", v, "%s", detail)
	return nil
}

// kernelLog reads the kernel's log buffer (dmesg), one line each.
func kernelLog() ([]string, error) {
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	m, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range bytes.Split(buf[:m], []byte("\n")) {
		if len(l) > 0 {
			out = append(out, string(l))
		}
	}
	return out, nil
}
