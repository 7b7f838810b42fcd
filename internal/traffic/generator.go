package traffic

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xdplab/xdplab/bpf/catalog"
	"github.com/xdplab/xdplab/internal/stream"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/liverun"
	"github.com/xdplab/xdplab/internal/nsthread"
)

// Options configures a generator.
type Options struct {
	Kind    stream.Kind
	NS      netns.NsHandle   // the generator's namespace; never the host's
	Ifindex int              // the interface to send on, in NS
	Frame   stream.FrameSpec // the stream's frame: protocol, VLAN, stamp
	Flows   int
	Sources int // source addresses the flows spread over (0: as few as the ports allow)
	// Mix sends the sizes of an IMIX in turn (Frame.Size is ignored).
	Mix stream.Mix
	// MalformedPPM makes this share (per million) of the frames malformed.
	MalformedPPM uint32
	// Restore: the DUT program may write into frames, and its writes come
	// back in the live-frames generator's pages: restore each frame's
	// headers from the template first.
	Restore bool
	// CPUs pins thread i to CPUs[i]; one thread per entry.
	CPUs []int
	// BatchSize is the live-frames batch (default 64).
	BatchSize uint32
	// Replay, when set, sends these frames in order, Loops times, then
	// stops sending: AF_PACKET and one thread, so every frame is sent
	// exactly once a loop (a full socket buffer is waited out, not skipped).
	Replay *stream.Capture
	Loops  int
	// ReplayTiming paces a replay: "" or "top-speed" as fast as the socket
	// takes frames, "capture" at the capture's own timestamps divided by
	// ReplaySpeed, "rate" at RatePPS.
	ReplayTiming string
	ReplaySpeed  float64
	// RatePPS is the offered rate over all threads; 0: as fast as it can.
	// With live frames the generator program paces each CPU to its share;
	// with AF_PACKET each thread paces its own writes by the clock.
	RatePPS uint64
}

// Generator sends frames until stopped.
type Generator struct {
	opts    Options
	frame   []byte
	shapers []*stream.Shaper // one per thread (AF_PACKET)
	prog    *bpf.Generator

	mu      sync.Mutex
	stop    atomic.Bool
	running []<-chan error
	live    []*liverun.Runner
	sent    []atomic.Uint64 // AFPacket: frames per thread
	bytes   []atomic.Uint64
	tries   []atomic.Uint64
}

// New checks the options, builds the frame and, for live frames, loads the
// generator program. Close releases it.
func New(o Options) (*Generator, error) {
	if o.Kind != stream.LiveFrames && o.Kind != stream.AFPacket {
		return nil, fmt.Errorf("generator: unknown kind %q", o.Kind)
	}
	if !o.NS.IsOpen() {
		return nil, errors.New("generator: no namespace: xdplab only sends from a namespace it made")
	}
	if o.Ifindex <= 0 {
		return nil, errors.New("generator: no interface")
	}
	if len(o.CPUs) == 0 {
		return nil, errors.New("generator: no threads")
	}
	if o.BatchSize == 0 {
		o.BatchSize = 64
	}
	if o.Replay != nil && len(o.CPUs) != 1 {
		return nil, errors.New("generator: a capture replays from one thread, in order")
	}
	if o.Replay != nil && o.Loops < 1 {
		o.Loops = 1
	}
	if o.Replay != nil && o.ReplayTiming == "capture" && o.ReplaySpeed == 0 {
		o.ReplaySpeed = 1
	}
	g := &Generator{opts: o,
		sent: make([]atomic.Uint64, len(o.CPUs)), bytes: make([]atomic.Uint64, len(o.CPUs)),
		tries: make([]atomic.Uint64, len(o.CPUs))}
	if o.Replay != nil {
		if o.Kind == stream.LiveFrames {
			ro := bpf.ReplayOptions{TargetIfindex: uint32(o.Ifindex), Frames: o.Replay.Frames, Loops: o.Loops}
			switch o.ReplayTiming {
			case "capture":
				ro.Due = make([]time.Duration, len(o.Replay.Frames))
				for k := range ro.Due {
					ro.Due[k], _ = g.due(0, k)
				}
				one, _ := g.due(1, 0)
				ro.LoopTime = one
			case "rate":
				ro.RatePPS = o.RatePPS
			}
			var err error
			if g.prog, err = bpf.LoadReplay(ro); err != nil {
				return nil, err
			}
			g.frame = g.prog.Template()
		}
		return g, nil
	}
	so := stream.ShapeOptions{Frame: o.Frame, Mix: o.Mix, Flows: o.Flows, Sources: o.Sources, MalformedPPM: o.MalformedPPM}
	for i := range o.CPUs {
		sh, err := stream.NewShaper(so)
		if err != nil {
			return nil, err
		}
		// Threads share the flows: thread i of T sends flows i, i+T, ...
		sh.Share(uint32(i), uint32(len(o.CPUs)))
		g.shapers = append(g.shapers, sh)
	}
	g.frame = g.shapers[0].Template()
	if o.Kind == stream.LiveFrames {
		var err error
		if g.prog, err = bpf.LoadGenerator(GenOptions(g.shapers[0], uint32(o.Ifindex), o.RatePPS/uint64(len(o.CPUs)), o.Restore)); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Flows is the flow layout the generator sends.
func (g *Generator) Flows() stream.Flows {
	if len(g.shapers) == 0 {
		return stream.Flows{N: 1, PortsPerAddr: 1}
	}
	return g.shapers[0].Flows()
}

// Kind names the generator.
func (g *Generator) Kind() stream.Kind { return g.opts.Kind }

// Start starts one thread per CPU. It returns once every thread runs or one
// failed to start.
func (g *Generator) Start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running != nil {
		return errors.New("generator: already running")
	}
	g.stop.Store(false)
	if g.opts.Replay != nil && g.prog != nil {
		// Every trial replays the capture from its first frame.
		if err := g.prog.ResetReplay(); err != nil {
			return err
		}
	}
	started := make(chan error, len(g.opts.CPUs))
	g.live = make([]*liverun.Runner, len(g.opts.CPUs))
	for i := range g.live {
		g.live[i] = liverun.New()
	}
	for i, cpu := range g.opts.CPUs {
		g.running = append(g.running, nsthread.Go(g.opts.NS, func() error {
			var set unix.CPUSet
			set.Set(cpu)
			if err := unix.SchedSetaffinity(0, &set); err != nil {
				err = fmt.Errorf("generator thread %d: pin to cpu %d: %w", i, cpu, err)
				started <- err
				if g.opts.Kind == stream.LiveFrames {
					g.live[i].Abandon() // so that Stop does not wait for it
				}
				return err
			}
			if g.opts.Kind == stream.LiveFrames {
				return g.runLive(i, started)
			}
			return g.runAFPacket(i, started)
		}))
	}
	var errs []error
	for range g.opts.CPUs {
		if err := <-started; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		_ = g.stopLocked()
		return errors.Join(errs...)
	}
	return nil
}

// Stop stops all threads and waits for them; it returns the first error a
// thread hit while running.
func (g *Generator) Stop() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopLocked()
}

func (g *Generator) stopLocked() error {
	g.stop.Store(true)
	var errs []error
	if g.opts.Kind == stream.LiveFrames && g.running != nil {
		for _, l := range g.live {
			errs = append(errs, l.Stop())
		}
	}
	for _, c := range g.running {
		if err := <-c; err != nil {
			errs = append(errs, err)
		}
	}
	g.running = nil
	return errors.Join(errs...)
}

// Close stops the generator and unloads its program.
func (g *Generator) Close() error {
	err := g.Stop()
	return errors.Join(err, g.prog.Close())
}

// Sent returns what the generator has sent so far, summed over threads:
// for LiveFrames the frames its program redirected to the interface, for
// AFPacket the frames the socket accepted.
func (g *Generator) Sent() (bpf.Counter, error) {
	if g.prog != nil {
		s, err := bpf.ReadStats(g.prog.Stats)
		if err != nil {
			return bpf.Counter{}, fmt.Errorf("generator: %w", err)
		}
		return s[catalog.Redirect], nil
	}
	var c bpf.Counter
	for i := range g.sent {
		c.Packets += g.sent[i].Load()
		c.Bytes += g.bytes[i].Load()
	}
	return c, nil
}

// Malformed counts the malformed frames made so far (for AF_PACKET, also
// those the socket refused).
func (g *Generator) Malformed() (uint64, error) {
	if g.prog != nil {
		return g.prog.Malformed()
	}
	var n uint64
	for _, s := range g.shapers {
		n += s.Malformed()
	}
	return n, nil
}

// Attempted returns how many frames the generator tried to send: for
// LiveFrames the frames its program sent or aborted (not those pacing held
// back), for AFPacket the writes tried, including those the socket refused
// (ENOBUFS).
func (g *Generator) Attempted() (uint64, error) {
	if g.prog != nil {
		s, err := bpf.ReadStats(g.prog.Stats)
		if err != nil {
			return 0, fmt.Errorf("generator: %w", err)
		}
		return s[catalog.Redirect].Packets + s[catalog.Aborted].Packets, nil
	}
	var n uint64
	for i := range g.tries {
		n += g.tries[i].Load()
	}
	return n, nil
}

func (g *Generator) runLive(i int, started chan<- error) error {
	// A first single run shows at once whether live frames work here.
	_, err := g.prog.Program.Run(&ebpf.RunOptions{
		Data: g.frame, Repeat: 1, Flags: unix.BPF_F_TEST_XDP_LIVE_FRAMES, BatchSize: g.opts.BatchSize,
	})
	if err != nil {
		err = fmt.Errorf("generator thread %d: live frames: %w", i, err)
		started <- err
		g.live[i].Abandon()
		return err
	}
	err = g.live[i].Run(g.prog.Program.FD(), g.frame, g.opts.BatchSize, func() { started <- nil })
	if err != nil {
		return fmt.Errorf("generator thread %d: %w", i, err)
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (g *Generator) runAFPacket(i int, started chan<- error) error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		err = fmt.Errorf("generator thread %d: af_packet socket: %w", i, err)
		started <- err
		return err
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1); err != nil {
		err = fmt.Errorf("generator thread %d: af_packet qdisc bypass: %w", i, err)
		started <- err
		return err
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: g.opts.Ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		err = fmt.Errorf("generator thread %d: af_packet bind ifindex %d: %w", i, g.opts.Ifindex, err)
		started <- err
		return err
	}
	started <- nil
	if g.opts.Replay != nil {
		return g.replay(i, fd)
	}
	sh := g.shapers[i]
	// Counts go on across Starts, like the live-frames program's: readers
	// take deltas.
	sent, tries, bytes := g.sent[i].Load(), g.tries[i].Load(), g.bytes[i].Load()
	// Paced, a thread sends its share of RatePPS by the clock: at each
	// moment since its start it has written the frames due by then,
	// sleeping (then spinning) to the next one's time, and after a
	// hold-up (a full socket buffer, a descheduled thread) it catches up
	// in bursts of at most 256.
	share := float64(g.opts.RatePPS) / float64(len(g.opts.CPUs))
	start := time.Now()
	var k uint64 // frames written since start
	for !g.stop.Load() {
		burst := uint64(256)
		if share > 0 {
			due := uint64(time.Since(start).Seconds() * share)
			if k >= due {
				g.waitUntil(start.Add(time.Duration(float64(k+1) / share * float64(time.Second))))
				continue
			}
			burst = min(burst, due-k)
		}
		for range burst {
			tries++
			frame := sh.Next()
			if _, err := unix.Write(fd, frame); err != nil {
				if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) {
					continue // not sent, not counted
				}
				return fmt.Errorf("generator thread %d: af_packet send: %w", i, err)
			}
			sent++
			k++
			bytes += uint64(len(frame))
		}
		g.tries[i].Store(tries)
		g.sent[i].Store(sent)
		g.bytes[i].Store(bytes)
	}
	return nil
}

// due says when frame k of loop goes out, from the replay's start; ok is
// false at top speed.
func (g *Generator) due(loop, k int) (time.Duration, bool) {
	c := g.opts.Replay
	n := len(c.Frames)
	switch g.opts.ReplayTiming {
	case "capture":
		// A loop lasts the capture's span plus one mean gap, so that the
		// next loop's first frame does not land on this loop's last.
		span := c.Span()
		if n > 1 {
			span += span / time.Duration(n-1)
		}
		at := time.Duration(loop)*span + c.Times[k]
		return time.Duration(float64(at) / g.opts.ReplaySpeed), true
	case "rate":
		idx := float64(loop*n + k)
		return time.Duration(idx / float64(g.opts.RatePPS) * float64(time.Second)), true
	}
	return 0, false
}

// waitUntil sleeps, then spins, until t (or Stop).
func (g *Generator) waitUntil(t time.Time) {
	for {
		left := time.Until(t)
		if left <= 0 || g.stop.Load() {
			return
		}
		if left > 200*time.Microsecond {
			time.Sleep(left - 100*time.Microsecond)
		}
	}
}

// replay sends the capture's frames in order, Loops times, paced as asked,
// waiting out a full socket buffer rather than skipping a frame, then
// idles until Stop.
func (g *Generator) replay(i, fd int) error {
	sent, bytes := g.sent[i].Load(), g.bytes[i].Load()
	start := time.Now()
	for loop := 0; loop < g.opts.Loops && !g.stop.Load(); loop++ {
		for k, f := range g.opts.Replay.Frames {
			if at, ok := g.due(loop, k); ok {
				g.waitUntil(start.Add(at))
				if g.stop.Load() {
					break
				}
			}
			for {
				_, err := unix.Write(fd, f)
				if err == nil {
					break
				}
				if !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, unix.EAGAIN) {
					return fmt.Errorf("generator thread %d: replay: %w", i, err)
				}
				if g.stop.Load() {
					return nil
				}
				runtime.Gosched()
			}
			sent++
			bytes += uint64(len(f))
			if sent%256 == 0 {
				g.sent[i].Store(sent)
				g.bytes[i].Store(bytes)
				g.tries[i].Store(sent)
			}
		}
	}
	g.sent[i].Store(sent)
	g.bytes[i].Store(bytes)
	g.tries[i].Store(sent)
	for !g.stop.Load() {
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
