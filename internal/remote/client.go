package remote

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/sshtarget"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/topology"
)

// Options say how to reach the generator host.
type Options struct {
	Target string // ssh://[user@]host[:port]
	// SSHOptions are passed to ssh as -o, before xdplab's own.
	SSHOptions []string
	// RemoteXdplab is xdplab's path on the remote host; "": xdplab on its
	// PATH when it is this version (a release), else this binary, shipped.
	RemoteXdplab string
	// Binary is the local binary to ship ("": this process's).
	Binary string
	// Version is this xdplab's version ("dev" matches no other binary).
	Version string
	// Stderr gets what the remote side writes to its stderr, each line
	// prefixed with the host.
	Stderr io.Writer
}

// Client is the generator's end on a remote host, through the agent: a
// peer.End.
type Client struct {
	t       sshtarget.Target
	o       Options
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	resps   chan response
	exited  chan struct{} // closed when ssh has exited
	waitErr error

	mu     sync.Mutex // one request at a time
	id     uint64
	broken error // the session is gone: every call fails with it

	tailMu sync.Mutex
	tail   []string // ssh's and the agent's last stderr lines

	hello   Hello
	setup   Setup
	how     string // how the agent was started
	rttMu   sync.Mutex
	rtts    []time.Duration
	stopPin chan struct{}
	closed  bool
}

var _ peer.End = (*Client)(nil)

// Dial reaches the host over SSH and starts the agent there: xdplab given
// by RemoteXdplab, or on the remote's PATH when it is this release, or
// this binary shipped.
func Dial(ctx context.Context, o Options) (_ *Client, err error) {
	t, err := sshtarget.Parse(o.Target)
	if err != nil {
		return nil, err
	}
	if err := sshtarget.CheckOptions(o.SSHOptions); err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		return nil, fmt.Errorf("remote %s: no ssh client here: install openssh-client", t)
	}
	c := &Client{t: t, o: o, resps: make(chan response, 1), exited: make(chan struct{}), stopPin: make(chan struct{})}
	inv, err := resolve(ctx, t, o)
	if err != nil {
		return nil, err
	}
	c.how = inv.how
	if err := c.start(inv.command("agent", true)); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Close())
		}
	}()
	if inv.payload != nil {
		if _, err := c.stdin.Write(inv.payload); err != nil {
			return nil, c.sessionError(fmt.Errorf("ship xdplab: %w", err))
		}
	}
	if err := c.call(opHello, helloArgs{Protocol: Protocol}, &c.hello); err != nil {
		return nil, err
	}
	if c.hello.Protocol != Protocol {
		return nil, fmt.Errorf("remote %s: the agent speaks %s, this xdplab %s", t, c.hello.Protocol, Protocol)
	}
	if inv.sum != "" && c.hello.Executable != inv.sum {
		return nil, fmt.Errorf("remote %s: the shipped binary arrived changed (sha256 %.12s, sent %.12s)", t, c.hello.Executable, inv.sum)
	}
	go c.pinger()
	return c, nil
}

// invocation is how xdplab runs on the remote host: the program to name,
// or the binary to ship first on stdin (with its SHA-256).
type invocation struct {
	program string // a remote path or "xdplab"; "" when shipping
	payload []byte
	sum     string
	how     string
}

// command is the remote command that runs xdplab with args; with exec
// (the agent) the shell gives way to it, and a shipped agent removes its
// own directory, else the shell removes it when xdplab exits.
func (v invocation) command(args string, exec bool) string {
	if v.payload == nil {
		return v.program + " " + args
	}
	return shipCommand(len(v.payload), args, exec)
}

// resolve decides how xdplab runs there: RemoteXdplab, xdplab on the
// remote's PATH when it is this release, or this binary shipped.
func resolve(ctx context.Context, t sshtarget.Target, o Options) (invocation, error) {
	if o.RemoteXdplab != "" {
		return invocation{program: shellQuote(o.RemoteXdplab), how: "xdplab at " + o.RemoteXdplab + " on the remote host"}, nil
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(pctx, "ssh", t.Args(o.SSHOptions, `uname -m; command -v xdplab >/dev/null 2>&1 && xdplab version`)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 0 || lines[0] == "" {
		return invocation{}, sshError(t, err, stderr.String())
	}
	machine := strings.TrimSpace(lines[0])
	if len(lines) > 1 && o.Version != "dev" && strings.HasPrefix(lines[1], "xdplab "+o.Version+" ") {
		return invocation{program: "xdplab", how: "xdplab " + o.Version + " on the remote host's PATH"}, nil
	}
	bin := o.Binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return invocation{}, fmt.Errorf("ship xdplab to %s: %w", t, err)
		}
	}
	payload, sum, err := shippable(bin, machine, t.Host)
	if err != nil {
		return invocation{}, err
	}
	return invocation{payload: payload, sum: sum,
		how: fmt.Sprintf("this xdplab (%s), shipped for the run into a private temporary directory there and removed", o.Version)}, nil
}

// SSHErrorKind is why ssh failed, as far as its own words tell.
type SSHErrorKind int

// The kinds of SSHError.
const (
	SSHOther   SSHErrorKind = iota // ssh said something else
	SSHHostKey                     // the host's key is unknown or changed
	SSHRefused                     // authentication was refused
	SSHSilent                      // ssh said nothing
)

// SSHError is a failed ssh, sorted by what ssh said, with the advice that
// goes with it.
type SSHError struct {
	Target sshtarget.Target
	Kind   SSHErrorKind
	Said   string // ssh's last line
	Err    error  // the process's exit, where it said nothing
}

func (e *SSHError) Error() string {
	switch e.Kind {
	case SSHHostKey:
		return fmt.Sprintf("remote %s: ssh does not know or does not accept the host's key (%s): check its fingerprint and add it to known_hosts "+
			"(one interactive ssh, or ssh-keyscan), or accept it unseen with --remote-ssh-option StrictHostKeyChecking=accept-new", e.Target, e.Said)
	case SSHRefused:
		return fmt.Sprintf("remote %s: ssh was refused (%s): the agent needs a key for root there, in ssh-agent or your ssh config (no password is asked for)", e.Target, e.Said)
	case SSHOther:
		return fmt.Sprintf("remote %s: ssh: %s", e.Target, e.Said)
	}
	if e.Err != nil {
		return fmt.Sprintf("remote %s: ssh: %v", e.Target, e.Err)
	}
	return fmt.Sprintf("remote %s: ssh printed nothing", e.Target)
}

func (e *SSHError) Unwrap() error { return e.Err }

// sshError sorts a failed ssh by what it said on stderr.
func sshError(t sshtarget.Target, err error, stderr string) *SSHError {
	msg := strings.TrimSpace(stderr)
	e := &SSHError{Target: t, Kind: SSHOther, Err: err}
	if msg != "" {
		e.Said = lastLine(msg)
	}
	switch {
	case strings.Contains(msg, "Host key verification failed"), strings.Contains(msg, "No ED25519 host key is known"),
		strings.Contains(msg, "host key for") && strings.Contains(msg, "has changed"):
		e.Kind = SSHHostKey
	case strings.Contains(msg, "Permission denied"):
		e.Kind = SSHRefused
	case msg == "":
		e.Kind = SSHSilent
	}
	return e
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(l[len(l)-1])
}

// start runs ssh with the agent's command, in a process group of its own
// (a terminal's ^C reaches xdplab, which then tears down in order).
func (c *Client) start(command string) error {
	cmd := exec.Command("ssh", c.t.Args(c.o.SSHOptions, command)...)
	// No Pdeathsig: it follows the OS thread that started ssh, not this
	// process. When xdplab dies, ssh's stdin closes, the agent reads the
	// end of it and tears down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("remote %s: start ssh: %w", c.t, err)
	}
	c.cmd, c.stdin = cmd, stdin
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			c.tailMu.Lock()
			c.tail = append(c.tail, line)
			if len(c.tail) > 20 {
				c.tail = c.tail[1:]
			}
			c.tailMu.Unlock()
			if c.o.Stderr != nil {
				fmt.Fprintf(c.o.Stderr, "%s: %s\n", c.t.Host, line)
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer close(c.resps)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
		for sc.Scan() {
			var r response
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				c.tailMu.Lock()
				c.tail = append(c.tail, fmt.Sprintf("not the agent's protocol: %.80q", sc.Text()))
				c.tailMu.Unlock()
				return
			}
			c.resps <- r
		}
	}()
	go func() {
		wg.Wait()
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return nil
}

// sessionError is err with what ssh and the agent said last.
func (c *Client) sessionError(err error) error {
	c.tailMu.Lock()
	tail := strings.Join(c.tail, "\n")
	c.tailMu.Unlock()
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
	}
	if tail == "" {
		return fmt.Errorf("remote %s: the SSH session ended: %w", c.t, err)
	}
	if e := sshError(c.t, nil, tail); e.Kind == SSHHostKey || e.Kind == SSHRefused {
		return e
	}
	return fmt.Errorf("remote %s: the SSH session ended (%w): %s", c.t, err, lastLine(tail))
}

// call sends one request and decodes its answer into out (nil: none).
func (c *Client) call(op string, args, out any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	c.id++
	req := request{ID: c.id, Op: op}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("remote %s: %s: %w", c.t, op, err)
		}
		req.Args = b
	}
	line, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if len(line) >= MaxLine {
		return fmt.Errorf("remote %s: %s: %d bytes is more than the agent takes in one message (%d)", c.t, op, len(line), MaxLine)
	}
	start := time.Now()
	if _, err := c.stdin.Write(append(line, '\n')); err != nil {
		c.broken = c.sessionError(err)
		return c.broken
	}
	timer := time.NewTimer(callTimeout)
	defer timer.Stop()
	select {
	case r, ok := <-c.resps:
		if !ok {
			c.broken = c.sessionError(errors.New("the agent stopped answering"))
			return c.broken
		}
		if r.ID != req.ID {
			c.broken = fmt.Errorf("remote %s: answer %d to request %d: the agent is out of step", c.t, r.ID, req.ID)
			return c.broken
		}
		if op == opSnapshot {
			c.rttMu.Lock()
			c.rtts = append(c.rtts, time.Since(start))
			c.rttMu.Unlock()
		}
		if r.Error != "" {
			return &OpError{Op: op, Host: c.t.Host, Msg: r.Error, Errno: syscall.Errno(r.Errno), NotSupported: r.NotSupported}
		}
		if out != nil && len(r.Result) > 0 {
			if err := json.Unmarshal(r.Result, out); err != nil {
				return fmt.Errorf("remote %s: %s: %w", c.t, op, err)
			}
		}
		return nil
	case <-timer.C:
		c.broken = fmt.Errorf("remote %s: %s: no answer within %s", c.t, op, callTimeout)
		return c.broken
	}
}

// pinger keeps the agent's watchdog fed while the controller works here.
func (c *Client) pinger() {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stopPin:
			return
		case <-t.C:
			if c.call(opPing, nil, nil) != nil {
				return
			}
		}
	}
}

// SetUp moves the generator's port on the remote host into an xdplab
// namespace there (journaled there) and returns what it is.
func (c *Client) SetUp(o SetupOptions) (Setup, error) {
	err := c.call(opSetup, o, &c.setup)
	return c.setup, err
}

// Setup is what the agent set up.
func (c *Client) Setup() Setup { return c.setup }

// Hello is what the agent said of itself.
func (c *Client) Hello() Hello { return c.hello }

// SameMachine tells whether the remote host shares this kernel (equal boot
// ids): a namespace posing as a host, as in the tests.
func (c *Client) SameMachine() bool { return c.hello.BootID != "" && c.hello.BootID == BootID() }

// Target is the host's address.
func (c *Client) Target() sshtarget.Target { return c.t }

// How says how the agent was started.
func (c *Client) How() string { return c.how }

// ControlDelay is the one-way delay of the control channel: half the
// median and the largest round trip of the snapshots.
func (c *Client) ControlDelay() (median, largest time.Duration, n int) {
	c.rttMu.Lock()
	r := slices.Clone(c.rtts)
	c.rttMu.Unlock()
	if len(r) == 0 {
		return 0, 0, 0
	}
	slices.Sort(r)
	return r[len(r)/2] / 2, r[len(r)-1] / 2, len(r)
}

// Info reads the port's info there; where that fails, it is what setup
// said, with the failure as its features' error (a check that needs them
// stops on it).
func (c *Client) Info() peer.Info {
	var in peer.Info
	if err := c.call(opInfo, nil, &in); err != nil {
		in = c.setup.Info
		in.FeaturesKnown, in.FeaturesError = false, err.Error()
	}
	return in
}

func (c *Client) Counters() (topology.Counters, error) {
	var k topology.Counters
	err := c.call(opCounters, nil, &k)
	return k, err
}

func (c *Client) Queues() (rx, tx int, err error) {
	var q queuesResult
	err = c.call(opQueues, nil, &q)
	return q.RX, q.TX, err
}

func (c *Client) SetMTU(mtu int) error { return c.call(opMTU, mtuArgs{MTU: mtu}, nil) }

func (c *Client) QuietIPv6() error { return c.call(opQuiet, nil, nil) }

func (c *Client) WaitCarrier(timeout time.Duration) (time.Duration, error) {
	var r carrierResult
	err := c.call(opCarrier, carrierArgs{Timeout: timeout}, &r)
	return r.Waited, err
}

func (c *Client) AttachSink(o peer.SinkOptions) (peer.Sink, error) {
	var h handleArgs
	if err := c.call(opSinkAttach, o, &h); err != nil {
		return nil, err
	}
	return &remoteSink{c: c, h: h}, nil
}

func (c *Client) NewGenerator(o traffic.Options) (peer.Generator, error) {
	var r generatorResult
	if err := c.call(opGenNew, o, &r); err != nil {
		return nil, err
	}
	return &remoteGen{c: c, h: handleArgs{Handle: r.Handle}, flows: r.Flows}, nil
}

func (c *Client) Snapshot(g peer.Generator, full bool) (peer.Snapshot, error) {
	var s peer.Snapshot
	rg, ok := g.(*remoteGen)
	if !ok {
		return s, errors.New("snapshot: a generator of another end")
	}
	err := c.call(opSnapshot, snapshotArgs{Handle: rg.h.Handle, Full: full}, &s)
	return s, err
}

func (c *Client) Send(frame []byte, n int) error {
	return c.call(opSend, sendArgs{Frame: frame, N: n}, nil)
}

func (c *Client) Listen() (peer.Receiver, error) {
	var h handleArgs
	if err := c.call(opListen, nil, &h); err != nil {
		return nil, err
	}
	return &remoteReceiver{c: c, h: h}, nil
}

// Close tears the remote side down (the agent gives the port back), ends
// the session and waits for ssh. It is safe to call twice.
func (c *Client) Close() error {
	if c == nil || c.cmd == nil || c.closed {
		return nil
	}
	c.closed = true
	close(c.stopPin)
	var errs []error
	if err := c.call(opTeardown, nil, nil); err != nil && !errors.Is(err, c.broken) {
		errs = append(errs, fmt.Errorf("remote %s: teardown: %w", c.t, err))
	} else if err != nil {
		// The session is gone: the agent tears down by itself when its
		// stdin closes; `xdplab clean --remote` removes what a killed
		// agent left.
		errs = append(errs, fmt.Errorf("remote %s: the session ended before teardown: the agent tears down when it sees that; check with `xdplab clean --remote %s --dry-run`", c.t, c.t))
	}
	c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	return errors.Join(errs...)
}

type remoteSink struct {
	c *Client
	h handleArgs
}

func (s *remoteSink) Count() (bpf.Counter, error) {
	var k bpf.Counter
	err := s.c.call(opSinkCount, s.h, &k)
	return k, err
}

func (s *remoteSink) Latency() (bpf.LatencySnapshot, error) {
	var l bpf.LatencySnapshot
	err := s.c.call(opSinkLat, s.h, &l)
	return l, err
}

func (s *remoteSink) ResetExtremes() error { return s.c.call(opSinkReset, s.h, nil) }

func (s *remoteSink) Close() error { return s.c.call(opClose, s.h, nil) }

type remoteGen struct {
	c     *Client
	h     handleArgs
	flows stream.Flows
}

func (g *remoteGen) Start() error { return g.c.call(opGenStart, g.h, nil) }
func (g *remoteGen) Stop() error  { return g.c.call(opGenStop, g.h, nil) }
func (g *remoteGen) Close() error { return g.c.call(opClose, g.h, nil) }

func (g *remoteGen) Flows() stream.Flows { return g.flows }

func (g *remoteGen) snap() (peer.Snapshot, error) {
	var s peer.Snapshot
	err := g.c.call(opSnapshot, snapshotArgs{Handle: g.h.Handle, Full: true}, &s)
	return s, err
}

func (g *remoteGen) Sent() (bpf.Counter, error) {
	s, err := g.snap()
	return s.Sent, err
}

func (g *remoteGen) Attempted() (uint64, error) {
	s, err := g.snap()
	return s.Tries, err
}

func (g *remoteGen) Malformed() (uint64, error) {
	s, err := g.snap()
	return s.Malformed, err
}

type remoteReceiver struct {
	c *Client
	h handleArgs
}

func (r *remoteReceiver) Collect(max int, quiet time.Duration, want []byte) ([][]byte, error) {
	var out [][]byte
	err := r.c.call(opCollect, collectArgs{Handle: r.h.Handle, Max: max, Quiet: quiet, Want: want}, &out)
	return out, err
}

func (r *remoteReceiver) Close() error { return r.c.call(opClose, r.h, nil) }
