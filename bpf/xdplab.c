//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// The device-under-test programs of xdplab. Every program counts each frame
// in the shared per-CPU stats map (keyed by the XDP action it decides), does
// the amount of per-packet work the `work` knob asks for, and returns its
// action. The same object is loaded in every mode, so a mode comparison
// compares the mode, not the program.
//
// The same source is built for the hooks beside XDP, so that a hook
// comparison compares the hook, not the program:
//   XDPLAB_TC      (object duttc): tc ingress on the skb, programs tc_*;
//                  drop is TC_ACT_SHOT, pass TC_ACT_OK, tx a bpf_redirect
//                  out of the interface it came in on.
//   XDPLAB_SOCKET  (object dutsk): a socket filter on an AF_PACKET
//                  socket, programs sk_*; drop refuses the socket's copy
//                  (returns 0), pass accepts it whole. It reads no packet
//                  data (a socket filter has no direct packet access), so
//                  it runs the no-touch work only.
// Both count by the XDP action they stand for, in the same stats map.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ctx.h"
#include "stats.h"
#include "parse.h"

// Per-packet work, like xdp-bench's --packet-operation (WORK_* in limits.h):
// no-touch reads nothing, read-data the Ethernet header, parse-ip also the
// IPv4/IPv6 header's protocol, swap-macs then swaps the MACs. It reads one
// header level on purpose, not parse.h's whole path: the levels are costs
// to measure.

#ifdef XDPLAB_OFFLOAD
// The hardware-offload build (object duthw): offloaded programs cannot read
// global data (device maps have no direct value access), so the work is
// fixed and there is no redirect (devmaps stay on the host).
#define work WORK_NO_TOUCH
#else
volatile const __u32 work = WORK_NO_TOUCH;
#endif

// Sink for reads the compiler must not drop.
volatile __u32 parsed_sink;

#if !defined(XDPLAB_OFFLOAD) && !defined(XDPLAB_SKB)
// tx_port holds the egress interface for xdp_redirect at key 0.
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");
#endif

// do_work performs the configured per-packet work. force_swap makes it swap
// MACs whatever the knob says (XDP_TX needs that to send the frame back).
// It returns XDP_ABORTED when the frame is too short for the work asked.
static __always_inline int do_work(CTX *ctx, int force_swap)
{
#ifdef XDPLAB_SOCKET
	return XDP_PASS;
#else
	__u32 w = work;

	if (force_swap && w < WORK_SWAP_MACS)
		w = WORK_SWAP_MACS;
	if (w == WORK_NO_TOUCH)
		return XDP_PASS;
#ifdef XDPLAB_TC
	// The skb's head may be shared or short: make the headers linear and
	// writable before reading them directly.
	if (bpf_skb_pull_data(ctx, sizeof(struct ethhdr) + sizeof(struct ipv6hdr)) &&
	    bpf_skb_pull_data(ctx, sizeof(struct ethhdr)))
		return XDP_ABORTED;
#endif
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (w == WORK_READ_DATA) {
		parsed_sink = eth->h_proto;
		return XDP_PASS;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return XDP_ABORTED;
		parsed_sink = ip->protocol;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_ABORTED;
		parsed_sink = ip6->nexthdr;
	}
	if (w >= WORK_SWAP_MACS)
		swap_macs(eth);
	return XDP_PASS;
#endif
}

// finish counts the frame under the XDP action it stands for and returns
// what the hook returns for it.
static __always_inline int finish(CTX *ctx, int action)
{
	count_len(action, CTX_LEN(ctx));
	return hook_ret(ctx, action);
}

PROG(drop)
{
	if (do_work(ctx, 0) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	return finish(ctx, XDP_DROP);
}

PROG(pass)
{
	if (do_work(ctx, 0) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	return finish(ctx, XDP_PASS);
}

#ifndef XDPLAB_SOCKET
PROG(tx)
{
	if (do_work(ctx, 1) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	return finish(ctx, XDP_TX);
}
#endif

#if !defined(XDPLAB_OFFLOAD) && !defined(XDPLAB_SKB)
PROG(redirect)
{
	int action;

	if (do_work(ctx, 0) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	// The fallback action XDP_ABORTED makes an empty devmap visible.
	action = bpf_redirect_map(&tx_port, 0, XDP_ABORTED);
	return finish(ctx, action);
}
#endif

#if !defined(XDPLAB_OFFLOAD) && !defined(XDPLAB_SKB)
// xsks holds the afxdp hook's AF_XDP sockets, by rx queue.
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MAX_XSK_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

// xdp_xsk is the afxdp hook's program: every frame to the AF_XDP socket
// of its rx queue, where user space applies the rules. A queue with no
// socket gives XDP_ABORTED, so that a frame user space never saw is
// counted (and traced).
SEC("xdp")
int xdp_xsk(struct xdp_md *ctx)
{
	return finish(ctx, bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_ABORTED));
}
#endif

char _license[] SEC("license") = "Dual BSD/GPL";
