// Package peer is the generator's end of the cable: the interface frames
// are sent from and come back to, what runs on it (the generator, a sink
// that counts what the program under test sends back), and its counters.
//
// End is that end wherever it is. Local is an end in a namespace of this
// host (a veth xdplab made, or a NIC moved into xdplab's namespace); the
// remote package gives the same End on another host, through xdplab's agent
// over SSH, and the agent serves it with a Local there. The runner and the
// qualification talk to an End and do not know which.
//
// A Local needs what its namespace needs (root). Its errors name the
// interface; a remote End's errors name the host too.
package peer

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/xdplab/xdplab/bpf"
	"github.com/xdplab/xdplab/internal/stream"
	"github.com/xdplab/xdplab/internal/traffic"
	"github.com/xdplab/xdplab/topology"
)

// Info is what the end is: its interface and the host it is on.
type Info struct {
	// Host names the host the end is on ("" for this one).
	Host      string           `json:"host,omitempty"`
	Namespace string           `json:"namespace"`
	Name      string           `json:"name"`
	Ifindex   int              `json:"ifindex"` // in Namespace
	MAC       net.HardwareAddr `json:"mac"`
	IPv4      netip.Prefix     `json:"ipv4"`
	IPv6      netip.Prefix     `json:"ipv6"`
	Driver    string           `json:"driver,omitempty"`
	MTU       int              `json:"mtu,omitempty"`
	// RxQueues and TxQueues are the interface's channels.
	RxQueues int `json:"rx_queues"`
	TxQueues int `json:"tx_queues"`
	// XDPFeatures is the netdev family's xdp-features word; FeaturesKnown
	// is false where the kernel does not report it (before 6.3).
	XDPFeatures   uint64 `json:"xdp_features"`
	FeaturesKnown bool   `json:"xdp_features_known"`
	// FeaturesError is why the features could not be read where the
	// kernel does report them.
	FeaturesError string `json:"xdp_features_error,omitempty"`
}

// SinkKind names what a sink on the end does with what arrives.
type SinkKind string

// The sinks.
const (
	// SinkCount counts and drops (a native program).
	SinkCount SinkKind = "count"
	// SinkLatency counts, reads the generator's stamp and drops.
	SinkLatency SinkKind = "latency"
	// SinkPass hands every frame on to the stack (a frags-aware native
	// XDP_PASS program): a veth then takes frames sent back to it.
	SinkPass SinkKind = "pass"
)

// SinkOptions configures a sink.
type SinkOptions struct {
	Kind    SinkKind           `json:"kind"`
	Latency bpf.LatencyOptions `json:"latency"`
}

// ErrNoLatency is a sink's Latency when it does not measure latency.
var ErrNoLatency = errors.New("this sink measures no latency")

// Sink is a program attached on the end, counting what arrives there.
type Sink interface {
	Count() (bpf.Counter, error)
	// Latency reads the latency histogram (SinkLatency only).
	Latency() (bpf.LatencySnapshot, error)
	// ResetExtremes restarts the exact minimum and maximum.
	ResetExtremes() error
	Close() error
}

// Generator sends frames from the end until stopped.
type Generator interface {
	Start() error
	Stop() error
	Sent() (bpf.Counter, error)
	Attempted() (uint64, error)
	Malformed() (uint64, error)
	// Flows is how the flows spread over ports and addresses.
	Flows() stream.Flows
	Close() error
}

// Snapshot is the end's counters at one moment, by its own clock.
type Snapshot struct {
	At        time.Time   `json:"at"`
	Sent      bpf.Counter `json:"sent"`
	Tries     uint64      `json:"tries"`
	Malformed uint64      `json:"malformed"`
	// Iface is the interface's counters (full snapshots only).
	Iface *topology.Counters `json:"iface,omitempty"`
}

// End is the generator's end.
type End interface {
	Info() Info
	Counters() (topology.Counters, error)
	Queues() (rx, tx int, err error)
	SetMTU(mtu int) error
	// QuietIPv6 stops the interface from sending IPv6 frames of its own
	// (router solicitations, MLD reports).
	QuietIPv6() error
	// WaitCarrier waits until the interface has its carrier (a NIC
	// negotiating its link, or resetting for an XDP attach, has none).
	WaitCarrier(timeout time.Duration) (time.Duration, error)
	AttachSink(SinkOptions) (Sink, error)
	// NewGenerator makes a generator that sends on the end's interface
	// (o.NS and o.Ifindex are the end's).
	NewGenerator(o traffic.Options) (Generator, error)
	// Snapshot reads g's counters and, with full, the interface's, in one
	// step.
	Snapshot(g Generator, full bool) (Snapshot, error)
	// Send sends frame n times on the interface.
	Send(frame []byte, n int) error
	// Listen receives what arrives on the interface.
	Listen() (Receiver, error)
	// Close releases what the end holds (not the interface: its topology
	// gives it back).
	Close() error
}

// Receiver collects frames that arrive on the end.
type Receiver interface {
	// Collect returns up to max frames equal to want (every frame when
	// want is nil), waiting until none came for quiet.
	Collect(max int, quiet time.Duration, want []byte) ([][]byte, error)
	Close() error
}
