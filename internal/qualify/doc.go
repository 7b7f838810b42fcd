// Package qualify runs `xdplab qualify`: a fixed, versioned suite that says
// what XDP support an interface's driver really has and how each mode
// performs. Capabilities come from the probe (advertised against
// detected), functional checks send frames through a program in each mode
// and verify them where they come out (contents and counts), performance
// and the throughput search come from the runner, and a soak trial at the
// partial drop rate watches loss, counters and the kernel log. Every check
// gets a verdict (pass, fail, not-supported, works-not-advertised,
// advertised-fails, not-applicable, not-run) and the report names the
// driver, firmware and kernel and the commands to run it again.
//
// Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYSLOG for the kernel log). It
// attaches only to the interfaces the user names (or a veth pair it
// makes), refuses the default-route interface without Force, and restores
// every setting it changes.
package qualify
