// Package traffic sends test streams (what internal/stream describes and
// builds: frames, flows, mixes, captures) from the generator's network
// namespace, and watches where single frames come out.
//
// Two generators exist. LiveFrames runs xdplab's generator program with
// BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES (kernel 5.18+): the kernel
// builds each frame from the template, the program stamps the flow into it
// and redirects it to the generator's veth. AFPacket writes frames to a raw
// AF_PACKET socket with qdisc bypass, for kernels without live frames. Both
// run one OS thread per generator thread, locked into the generator namespace
// and pinned to a CPU, and both count what they really sent: LiveFrames in
// the generator program's per-CPU counter, AFPacket per successful write.
//
// Frames use only the benchmarking ranges 198.18.0.0/15 and 2001:2::/48.
// Sending needs CAP_BPF and CAP_NET_ADMIN (LiveFrames) or CAP_NET_RAW
// (AFPacket), and CAP_SYS_ADMIN to enter the namespace.
package traffic
