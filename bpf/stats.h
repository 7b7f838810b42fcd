/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one stats layout every xdplab program shares: a per-CPU array keyed by
 * XDP action (XDP_ABORTED=0 .. XDP_REDIRECT=4), each entry counting frames and
 * bytes. Go reads it through bpf.ReadStats.
 */
#ifndef XDPLAB_STATS_H
#define XDPLAB_STATS_H

#include "counters.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPLAB_ACTIONS);
	__type(key, __u32);
	__type(value, struct datarec);
} xdp_stats SEC(".maps");

static __always_inline void count(struct xdp_md *ctx, __u32 action)
{
	if (action < XDPLAB_ACTIONS)
		bump_frame(&xdp_stats, action, ctx);
}

// count_len counts a frame of len bytes: what a program on another
// context than XDP's (tc, a socket filter) counts with.
static __always_inline void count_len(__u32 action, __u64 len)
{
	if (action < XDPLAB_ACTIONS)
		bump_len(&xdp_stats, action, len);
}

#endif
