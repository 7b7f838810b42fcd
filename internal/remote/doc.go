// Package remote puts the generator's end of a two-host pair on another
// machine: the device under test stays on this host, and xdplab's agent on
// the generator host serves a peer.End there over an SSH session.
//
// The transport is the system ssh client, so that users' ~/.ssh/config,
// agents, ProxyJump and known_hosts work as they expect. Host keys are
// checked (StrictHostKeyChecking=yes unless the user says otherwise with
// an option of their own), and no password is asked for (BatchMode).
//
// The protocol is JSON lines on the session's stdin and stdout, one request
// and one response at a time, versioned by Protocol: hello (versions, the
// host, what its kernel can do), setup (move the generator's port into an
// xdplab namespace there, journaled there), the End's operations
// (generators, sinks, snapshots, sending and receiving), and teardown. The
// agent tears everything down when its stdin closes, when it is signalled,
// and when the controller has been silent for Watchdog: a dropped session
// leaves nothing on the generator host, and `xdplab clean` there removes
// what a killed agent left.
//
// When the remote host has no xdplab of this version, the controller ships
// its own (static, same architecture) into a private temporary directory,
// which the agent removes as soon as it runs.
//
// Errors name the host. The agent needs root on the generator host; the
// controller needs only the ssh client.
package remote
