package remote

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xdplab/xdplab/internal/host"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/internal/xdp"
	"github.com/xdplab/xdplab/topology"
)

// AgentOptions configure Serve.
type AgentOptions struct {
	In  io.Reader // the controller's requests (the SSH session's stdin)
	Out io.Writer // the responses (its stdout)
	Log io.Writer // what the agent says of itself (its stderr)
	// Version is this xdplab's.
	Version string
	// Watchdog overrides the package's Watchdog (tests).
	Watchdog time.Duration
}

// agent is the state one session set up.
type agent struct {
	o       AgentOptions
	pair    *topology.Pair
	end     *peer.Local
	next    uint64
	handles map[uint64]io.Closer
	order   []uint64 // handles in the order made: closed backwards
}

// Serve answers requests until the controller sends teardown, its stdin
// closes, ctx ends (a signal), or it is silent for Watchdog; then it tears
// down everything it made. It returns why it stopped, nil for a teardown
// or a closed stdin after which nothing was left.
func Serve(ctx context.Context, o AgentOptions) (err error) {
	if o.Watchdog == 0 {
		o.Watchdog = Watchdog
	}
	a := &agent{o: o, handles: map[uint64]io.Closer{}}
	defer func() {
		if terr := a.teardown(); terr != nil {
			err = errors.Join(err, fmt.Errorf("agent teardown: %w", terr))
		}
	}()
	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(o.In)
		sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
		for sc.Scan() {
			select {
			case lines <- append([]byte(nil), sc.Bytes()...):
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	enc := json.NewEncoder(o.Out)
	watch := time.NewTimer(o.Watchdog)
	defer watch.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("agent: %w", context.Cause(ctx))
		case err := <-readErr:
			if err != nil {
				return fmt.Errorf("agent: reading the controller: %w", err)
			}
			return nil // stdin closed: the controller is gone
		case <-watch.C:
			return fmt.Errorf("agent: the controller said nothing for %s: taken for gone", o.Watchdog)
		case line := <-lines:
			watch.Reset(o.Watchdog)
			var req request
			if err := json.Unmarshal(line, &req); err != nil {
				return fmt.Errorf("agent: a request that is no JSON (%.60q): %w", line, err)
			}
			res, herr := a.handle(req)
			resp := response{ID: req.ID}
			if herr != nil {
				errorResponse(&resp, herr)
			} else if res != nil {
				b, err := json.Marshal(res)
				if err != nil {
					return fmt.Errorf("agent: encode %s: %w", req.Op, err)
				}
				resp.Result = b
			}
			if err := enc.Encode(resp); err != nil {
				return fmt.Errorf("agent: answering the controller: %w", err)
			}
			if req.Op == opTeardown && herr == nil {
				return nil
			}
		}
	}
}

// RemoveShipped removes the directory the controller shipped this binary
// into, as soon as the agent runs: only a directory of the form it makes,
// holding this binary.
func RemoveShipped(dir string) error {
	base := filepath.Base(dir)
	if !filepath.IsAbs(dir) || !strings.HasPrefix(base, shipDirPrefix) {
		return fmt.Errorf("agent: --remove-dir %s is no directory the controller ships into", dir)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if filepath.Dir(exe) != filepath.Clean(dir) {
		return fmt.Errorf("agent: --remove-dir %s does not hold this binary (%s)", dir, exe)
	}
	if err := os.Remove(exe); err != nil {
		return fmt.Errorf("agent: remove the shipped binary: %w", err)
	}
	return os.Remove(dir)
}

func decode[T any](raw json.RawMessage) (T, error) {
	var v T
	if len(raw) == 0 {
		return v, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("arguments: %w", err)
	}
	return v, nil
}

func (a *agent) add(c io.Closer) uint64 {
	a.next++
	a.handles[a.next] = c
	a.order = append(a.order, a.next)
	return a.next
}

func handleOf[T any](a *agent, h uint64) (T, error) {
	v, ok := a.handles[h].(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("no such handle %d", h)
	}
	return v, nil
}

func (a *agent) handle(req request) (any, error) {
	switch req.Op {
	case opHello, opPing, opSetup, opTeardown:
		return a.handleSession(req)
	}
	if a.end == nil {
		return nil, fmt.Errorf("%s before setup", req.Op)
	}
	switch req.Op {
	case opInfo:
		return a.end.Info(), nil
	case opCounters:
		return a.end.Counters()
	case opQueues:
		rx, tx, err := a.end.Queues()
		return queuesResult{RX: rx, TX: tx}, err
	case opMTU:
		args, err := decode[mtuArgs](req.Args)
		if err != nil {
			return nil, err
		}
		return nil, a.end.SetMTU(args.MTU)
	case opQuiet:
		return nil, a.end.QuietIPv6()
	case opCarrier:
		args, err := decode[carrierArgs](req.Args)
		if err != nil {
			return nil, err
		}
		// Within the controller's patience for one call.
		w, err := a.end.WaitCarrier(min(args.Timeout, callTimeout/2))
		return carrierResult{Waited: w}, err
	case opSinkAttach:
		o, err := decode[peer.SinkOptions](req.Args)
		if err != nil {
			return nil, err
		}
		s, err := a.end.AttachSink(o)
		if err != nil {
			return nil, err
		}
		return handleArgs{Handle: a.add(s)}, nil
	case opGenNew:
		return a.newGenerator(req)
	case opSend:
		args, err := decode[sendArgs](req.Args)
		if err != nil {
			return nil, err
		}
		return nil, a.end.Send(args.Frame, args.N)
	case opListen:
		r, err := a.end.Listen()
		if err != nil {
			return nil, err
		}
		return handleArgs{Handle: a.add(r)}, nil
	}
	return a.handleOn(req)
}

// handleSession answers the operations that need no port: hello, ping,
// setup and teardown.
func (a *agent) handleSession(req request) (any, error) {
	switch req.Op {
	case opHello:
		args, err := decode[helloArgs](req.Args)
		if err != nil {
			return nil, err
		}
		if args.Protocol != Protocol {
			return nil, fmt.Errorf("the controller speaks %s, this agent %s: run the same xdplab on both hosts", args.Protocol, Protocol)
		}
		return a.hello(), nil
	case opPing:
		return nil, nil
	case opSetup:
		o, err := decode[SetupOptions](req.Args)
		if err != nil {
			return nil, err
		}
		return a.setup(o)
	}
	return nil, a.teardown() // opTeardown
}

// newGenerator makes a generator on the port, its threads on this
// host's CPUs.
func (a *agent) newGenerator(req request) (any, error) {
	o, err := decode[traffic.Options](req.Args)
	if err != nil {
		return nil, err
	}
	cpus := host.CPUs()
	if len(o.CPUs) > len(cpus) {
		return nil, fmt.Errorf("%d generator threads, but this host lets xdplab use %d CPUs", len(o.CPUs), len(cpus))
	}
	o.CPUs = cpus[:len(o.CPUs)]
	g, err := a.end.NewGenerator(o)
	if err != nil {
		return nil, err
	}
	return generatorResult{Handle: a.add(g), Flows: g.Flows()}, nil
}

// handled is the arguments of an operation on a handle.
type handled interface{ handle() uint64 }

func (h handleArgs) handle() uint64   { return h.Handle }
func (s snapshotArgs) handle() uint64 { return s.Handle }
func (c collectArgs) handle() uint64  { return c.Handle }

// on decodes an operation's arguments and finds its handle, of kind T.
func on[A handled, T any](a *agent, raw json.RawMessage) (A, T, error) {
	var zero T
	args, err := decode[A](raw)
	if err != nil {
		return args, zero, err
	}
	v, err := handleOf[T](a, args.handle())
	return args, v, err
}

// handleOn answers the operations on a handle.
func (a *agent) handleOn(req request) (any, error) {
	switch req.Op {
	case opSinkCount, opSinkLat, opSinkReset:
		_, s, err := on[handleArgs, peer.Sink](a, req.Args)
		if err != nil {
			return nil, err
		}
		if req.Op == opSinkCount {
			return s.Count()
		}
		if req.Op == opSinkLat {
			return s.Latency()
		}
		return nil, s.ResetExtremes()
	case opGenStart, opGenStop:
		_, g, err := on[handleArgs, peer.Generator](a, req.Args)
		if err != nil {
			return nil, err
		}
		if req.Op == opGenStart {
			return nil, g.Start()
		}
		return nil, g.Stop()
	case opSnapshot:
		args, g, err := on[snapshotArgs, peer.Generator](a, req.Args)
		if err != nil {
			return nil, err
		}
		return a.end.Snapshot(g, args.Full)
	case opCollect:
		args, r, err := on[collectArgs, peer.Receiver](a, req.Args)
		if err != nil {
			return nil, err
		}
		if args.Quiet <= 0 || args.Quiet > callTimeout/4 || args.Max < 0 || args.Max > 1<<20 {
			return nil, fmt.Errorf("collect: max %d, quiet %s: out of range", args.Max, args.Quiet)
		}
		return r.Collect(args.Max, args.Quiet, args.Want)
	case opClose:
		args, err := decode[handleArgs](req.Args)
		if err != nil {
			return nil, err
		}
		c, ok := a.handles[args.Handle]
		if !ok {
			return nil, fmt.Errorf("no such handle %d", args.Handle)
		}
		delete(a.handles, args.Handle)
		return nil, c.Close()
	}
	return nil, fmt.Errorf("unknown operation %q", req.Op)
}

func (a *agent) hello() Hello {
	h := Hello{Protocol: Protocol, Version: a.o.Version, Host: host.Info(), CPUs: len(host.CPUs()), RunDir: topology.RunDir()}
	if f, err := os.Open("/proc/self/exe"); err == nil {
		sum := sha256.New()
		if _, err := io.Copy(sum, f); err == nil {
			h.Executable = hex.EncodeToString(sum.Sum(nil))
		}
		f.Close()
	}
	h.BootID = BootID()
	if err := xdp.HaveLiveFrames(); err != nil {
		h.LiveFrames = err.Error()
	}
	return h
}

// BootID is this kernel's boot id.
func BootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

func (a *agent) setup(o SetupOptions) (*Setup, error) {
	if a.pair != nil {
		return nil, errors.New("setup twice")
	}
	p, err := topology.NewNICPair(topology.NICPairOptions{Split: true, Peer: o.Peer, Force: o.Force, NeverSSH: true})
	if err != nil {
		return nil, err
	}
	a.pair = p
	hn, _ := os.Hostname()
	a.end = &peer.Local{E: &p.Gen, Host: hn}
	return &Setup{RunID: p.RunID, Info: a.end.Info()}, nil
}

// teardown closes every handle, newest first, then gives the port back.
func (a *agent) teardown() error {
	var errs []error
	for i := len(a.order) - 1; i >= 0; i-- {
		if c, ok := a.handles[a.order[i]]; ok {
			errs = append(errs, c.Close()) // a generator's Close stops it
			delete(a.handles, a.order[i])
		}
	}
	a.order = nil
	if a.pair != nil {
		errs = append(errs, a.pair.Close())
		a.pair, a.end = nil, nil
	}
	return errors.Join(errs...)
}
