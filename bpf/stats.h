/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one stats layout every xdplab program shares: a per-CPU array keyed by
 * XDP action (XDP_ABORTED=0 .. XDP_REDIRECT=4), each entry counting frames and
 * bytes. Go reads it through bpf.ReadStats.
 */
#ifndef XDPLAB_STATS_H
#define XDPLAB_STATS_H

#define XDPLAB_ACTIONS 5

struct datarec {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPLAB_ACTIONS);
	__type(key, __u32);
	__type(value, struct datarec);
} xdp_stats SEC(".maps");

static __always_inline void count(struct xdp_md *ctx, __u32 action)
{
	struct datarec *rec;
	__u32 key = action;

	if (key >= XDPLAB_ACTIONS)
		return;
	rec = bpf_map_lookup_elem(&xdp_stats, &key);
	if (!rec)
		return;
	rec->packets++;
	rec->bytes += ctx->data_end - ctx->data;
}

#endif
