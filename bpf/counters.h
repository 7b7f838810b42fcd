/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one counter helper every xdplab program uses: an entry of a per-CPU
 * array map, counting frames and bytes (struct datarec) or only events
 * (__u64). The entries' meanings are named slots in limits.h, shared with
 * Go from bpf/catalog/limits.go.
 */
#ifndef XDPLAB_COUNTERS_H
#define XDPLAB_COUNTERS_H

#include "limits.h"

struct datarec {
	__u64 packets;
	__u64 bytes;
};

// bump_frame counts the frame in entry key of a per-CPU map of datarec.
static __always_inline void bump_frame(void *map, __u32 key, struct xdp_md *ctx)
{
	struct datarec *r = bpf_map_lookup_elem(map, &key);

	if (r) {
		r->packets++;
		r->bytes += ctx->data_end - ctx->data;
	}
}

// bump_len counts a frame of len bytes in entry key of a per-CPU map of
// datarec.
static __always_inline void bump_len(void *map, __u32 key, __u64 len)
{
	struct datarec *r = bpf_map_lookup_elem(map, &key);

	if (r) {
		r->packets++;
		r->bytes += len;
	}
}

// bump counts one event in entry key of a per-CPU map of __u64.
static __always_inline void bump(void *map, __u32 key)
{
	__u64 *n = bpf_map_lookup_elem(map, &key);

	if (n)
		(*n)++;
}

#endif
