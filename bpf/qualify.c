//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// Programs of `xdplab qualify`'s functional checks. xdp_q_action returns the
// action it was loaded with (q_action): TX swaps MACs first, REDIRECT goes
// through the devmap q_port; it counts every frame by the action it returned
// (entry 5: an action that is none of the five). xdp_q_adjust moves the
// head and the tail: it puts a new Ethernet header (MACs swapped, ethertype
// 0x88b5) in front of the frame, cuts 4 bytes off its end, and sends it
// back. xdp_q_frags is xdp.frags-aware: it counts frames and keeps the
// largest length it saw (bpf_xdp_get_buff_len), then drops. tp_exception
// counts the xdp_exception tracepoint by action (a raw tracepoint).

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "counters.h"
#include "parse.h"

volatile const __u32 q_action = XDP_PASS;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, Q_OTHER + 1);
	__type(key, __u32);
	__type(value, __u64);
} q_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} q_port SEC(".maps");

static __always_inline int counted(__u32 act)
{
	bump(&q_counts, act > Q_OTHER ? Q_OTHER : act);
	return act;
}

SEC("xdp")
int xdp_q_action(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 act = q_action;

	if (act == XDP_TX) {
		if ((void *)(eth + 1) > data_end)
			return counted(XDP_ABORTED);
		swap_macs(eth);
	}
	if (act == XDP_REDIRECT)
		return counted(bpf_redirect_map(&q_port, 0, XDP_ABORTED));
	return counted(act);
}

SEC("xdp")
int xdp_q_adjust(struct xdp_md *ctx)
{
	struct ethhdr *eth, *old;
	void *data, *data_end;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct ethhdr)))
		return counted(XDP_ABORTED);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	old = (void *)(eth + 1);
	if ((void *)(old + 1) > data_end)
		return counted(XDP_ABORTED);
	__builtin_memcpy(eth->h_dest, old->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old->h_dest, ETH_ALEN);
	eth->h_proto = __builtin_bswap16(0x88b5);
	if (bpf_xdp_adjust_tail(ctx, -4))
		return counted(XDP_ABORTED);
	return counted(XDP_TX);
}

// AF_XDP: every frame to the socket of its rx queue, else to the stack.
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} q_xsks SEC(".maps");

SEC("xdp")
int xdp_q_xsk(struct xdp_md *ctx)
{
	return counted(bpf_redirect_map(&q_xsks, ctx->rx_queue_index, XDP_PASS));
}

struct frags_seen {
	__u64 frames;
	__u64 max_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frags_seen);
} q_frags SEC(".maps");

SEC("xdp.frags")
int xdp_q_frags(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 len = bpf_xdp_get_buff_len(ctx);
	struct frags_seen *s = bpf_map_lookup_elem(&q_frags, &k);

	if (s) {
		__sync_fetch_and_add(&s->frames, 1);
		if (len > s->max_len)
			s->max_len = len;
	}
	return counted(XDP_DROP);
}

// A raw tracepoint (no tracefs needed): xdp_exception's arguments are
// (const struct net_device *dev, const struct bpf_prog *xdp, u32 act).
struct bpf_raw_tracepoint_args;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, Q_OTHER + 1);
	__type(key, __u32);
	__type(value, __u64);
} q_exceptions SEC(".maps");

SEC("raw_tracepoint/xdp_exception")
int tp_exception(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 act = (__u32)ctx->args[2];
	__u32 k = act > Q_OTHER ? Q_OTHER : act;
	__u64 *n = bpf_map_lookup_elem(&q_exceptions, &k);

	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char _license[] SEC("license") = "Dual BSD/GPL";
