//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// The device-under-test programs of xdplab. Every program counts each frame
// in the shared per-CPU stats map (keyed by the XDP action it returns), does
// the amount of per-packet work the `work` knob asks for, and returns its
// action. The same object is loaded in every mode, so a mode comparison
// compares the mode, not the program.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

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

#ifndef XDPLAB_OFFLOAD
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
static __always_inline int do_work(struct xdp_md *ctx, int force_swap)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 w = work;

	if (force_swap && w < WORK_SWAP_MACS)
		w = WORK_SWAP_MACS;
	if (w == WORK_NO_TOUCH)
		return XDP_PASS;
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
}

static __always_inline int finish(struct xdp_md *ctx, int action)
{
	count(ctx, action);
	return action;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	if (do_work(ctx, 0) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	return finish(ctx, XDP_DROP);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	if (do_work(ctx, 0) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	return finish(ctx, XDP_PASS);
}

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	if (do_work(ctx, 1) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	return finish(ctx, XDP_TX);
}

#ifndef XDPLAB_OFFLOAD
SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	int action;

	if (do_work(ctx, 0) == XDP_ABORTED)
		return finish(ctx, XDP_ABORTED);
	// The fallback action XDP_ABORTED makes an empty devmap visible.
	action = bpf_redirect_map(&tx_port, 0, XDP_ABORTED);
	return finish(ctx, action);
}
#endif

char _license[] SEC("license") = "Dual BSD/GPL";
