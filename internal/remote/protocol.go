package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/cilium/ebpf"

	"github.com/xdplab/xdplab/internal/peer"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/results"
)

// Protocol names the agent's protocol and its version. A controller and an
// agent of different protocols refuse each other at hello.
const Protocol = "xdplab-agent/1"

// MaxLine bounds one message (a capture to replay is the largest): the
// agent and the controller refuse a longer line rather than buffer it.
const MaxLine = 64 << 20

// Watchdog is how long the agent waits for the next message before it
// takes the controller for gone and tears down. The controller pings well
// within it.
const Watchdog = 30 * time.Second

// pingEvery is the controller's heartbeat.
const pingEvery = 5 * time.Second

// callTimeout bounds a request's answer (the longest, a receive, waits at
// most its own quiet time, bounded below it).
const callTimeout = 60 * time.Second

// The operations.
const (
	opHello      = "hello"
	opSetup      = "setup"
	opPing       = "ping"
	opInfo       = "info"
	opCounters   = "counters"
	opQueues     = "queues"
	opMTU        = "mtu"
	opQuiet      = "quiet-ipv6"
	opCarrier    = "wait-carrier"
	opSinkAttach = "sink-attach"
	opSinkCount  = "sink-count"
	opSinkLat    = "sink-latency"
	opSinkReset  = "sink-reset"
	opGenNew     = "generator-new"
	opGenStart   = "generator-start"
	opGenStop    = "generator-stop"
	opSnapshot   = "snapshot"
	opSend       = "send"
	opListen     = "listen"
	opCollect    = "collect"
	opClose      = "close" // a sink, generator or receiver by handle
	opTeardown   = "teardown"
)

// request is one line from the controller.
type request struct {
	ID   uint64          `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
}

// response is the agent's answer to request ID. A failed operation's
// error crosses as its text and, where it had them, its errno and
// whether it was cilium/ebpf's "not supported", so that the controller
// decides by errors.Is as it would for the same error here.
type response struct {
	ID           uint64          `json:"id"`
	Result       json.RawMessage `json:"result,omitempty"`
	Error        string          `json:"error,omitempty"`
	Errno        uint32          `json:"errno,omitempty"`
	NotSupported bool            `json:"not_supported,omitempty"`
}

// OpError is an operation that failed on the remote host, as the agent
// reported it: errors.Is finds its errno (unix.EOPNOTSUPP, ...) and
// ebpf.ErrNotSupported where the agent's error held them.
type OpError struct {
	Op, Host     string
	Msg          string // the agent's error, in its words
	Errno        syscall.Errno
	NotSupported bool
}

func (e *OpError) Error() string { return fmt.Sprintf("%s (on %s): %s", e.Op, e.Host, e.Msg) }

// Unwrap gives errors.Is the errno and "not supported" that crossed.
func (e *OpError) Unwrap() []error {
	var out []error
	if e.Errno != 0 {
		out = append(out, e.Errno)
	}
	if e.NotSupported {
		out = append(out, ebpf.ErrNotSupported)
	}
	return out
}

// errorResponse fills resp with err: its text, errno and kind.
func errorResponse(resp *response, err error) {
	resp.Error = err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		resp.Errno = uint32(errno)
	}
	resp.NotSupported = errors.Is(err, ebpf.ErrNotSupported)
}

// Hello is what the agent says of itself and its host.
type Hello struct {
	Protocol string `json:"protocol"`
	Version  string `json:"version"` // xdplab's
	// Executable is the SHA-256 of the agent's binary: a shipped binary
	// must be the controller's own.
	Executable string       `json:"executable_sha256"`
	Host       results.Host `json:"host"`
	// BootID is the kernel's boot id: equal to this host's, the "remote"
	// is this machine (a test, or a namespace posing as a host).
	BootID string `json:"boot_id"`
	// LiveFrames is "" where BPF_PROG_RUN live frames work there, or why
	// not.
	LiveFrames string `json:"live_frames,omitempty"`
	// CPUs is how many CPUs the generator may use there.
	CPUs int `json:"cpus"`
	// RunDir is where the agent's journal lives there.
	RunDir string `json:"run_dir"`
}

type helloArgs struct {
	Protocol string `json:"protocol"`
}

// SetupOptions name the generator's port on the remote host.
type SetupOptions struct {
	Peer  string `json:"peer"`
	Force bool   `json:"force"`
}

// Setup is what the agent made.
type Setup struct {
	RunID string    `json:"run_id"` // the agent's own (its namespaces, its journal)
	Info  peer.Info `json:"info"`
}

type handleArgs struct {
	Handle uint64 `json:"handle"`
}

type queuesResult struct {
	RX int `json:"rx"`
	TX int `json:"tx"`
}

type mtuArgs struct {
	MTU int `json:"mtu"`
}

type carrierArgs struct {
	Timeout time.Duration `json:"timeout_ns"`
}

type carrierResult struct {
	Waited time.Duration `json:"waited_ns"`
}

type generatorResult struct {
	Handle uint64       `json:"handle"`
	Flows  stream.Flows `json:"flows"`
}

type snapshotArgs struct {
	Handle uint64 `json:"handle"`
	Full   bool   `json:"full"`
}

type sendArgs struct {
	Frame []byte `json:"frame"`
	N     int    `json:"n"`
}

type collectArgs struct {
	Handle uint64        `json:"handle"`
	Max    int           `json:"max"`
	Quiet  time.Duration `json:"quiet_ns"`
	Want   []byte        `json:"want,omitempty"`
}
