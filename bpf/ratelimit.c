//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// ratelimit: a per-source token bucket in an LRU hash, the kind of
// pre-check that sits in front of an API gateway. Each source address may
// send rate_pps frames a second with bursts of up to burst frames; frames
// above that are dropped, the rest pass. The bucket is kept as the generic
// cell rate algorithm's theoretical arrival time (GCRA, the token bucket's
// equivalent in one word), advanced with compare-and-swap so that several
// CPUs may serve one source (an LRU hash takes no spin lock); a frame that
// loses the race three times is dropped and counted apart. Malformed frames
// are dropped and counted apart; non-IP frames pass.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "stats.h"
#include "parse.h"

volatile const __u64 rate_pps = 1000; // per source
volatile const __u64 burst = 64;      // frames

#define NSEC_PER_SEC 1000000000ULL

struct bucket {
	__u64 tat; // theoretical arrival time of the next conforming frame, ns
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct addr16);
	__type(value, struct bucket);
} buckets SEC(".maps");

// Frames by verdict: RL_PASSED, RL_OVER (the limit), RL_MALFORMED and
// RL_CONTENDED (lost the compare-and-swap race three times).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RL_VERDICTS);
	__type(key, __u32);
	__type(value, struct datarec);
} verdicts SEC(".maps");

static __always_inline int verdict(struct xdp_md *ctx, __u32 v, int action)
{
	bump_frame(&verdicts, v, ctx);
	count(ctx, action);
	return action;
}

// conform advances the bucket by one frame if the frame conforms: 1 yes,
// 0 no, -1 the race was lost.
static __always_inline int conform(struct bucket *b, __u64 now)
{
	__u64 interval = NSEC_PER_SEC / rate_pps;
	__u64 tau = (burst - 1) * interval; // how far ahead TAT may run
	int i;

#pragma unroll
	for (i = 0; i < 3; i++) {
		__u64 tat = b->tat, next;

		if (tat > now + tau)
			return 0;
		next = (tat > now ? tat : now) + interval;
		if (__sync_val_compare_and_swap(&b->tat, tat, next) == tat)
			return 1;
	}
	return -1;
}

SEC("xdp")
int xdp_ratelimit(struct xdp_md *ctx)
{
	struct pkt p;
	struct bucket *b;
	__u64 now;
	int r = parse(ctx, &p);

	if (r == PARSE_NOT_IP) {
		count(ctx, XDP_PASS);
		return XDP_PASS;
	}
	if (r != PARSE_OK)
		return verdict(ctx, RL_MALFORMED, XDP_DROP);
	now = bpf_ktime_get_ns();
	b = bpf_map_lookup_elem(&buckets, &p.saddr);
	if (!b) {
		struct bucket fresh = {.tat = now};

		bpf_map_update_elem(&buckets, &p.saddr, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&buckets, &p.saddr);
		if (!b)
			return verdict(ctx, RL_CONTENDED, XDP_DROP);
	}
	switch (conform(b, now)) {
	case 1:
		return verdict(ctx, RL_PASSED, XDP_PASS);
	case 0:
		return verdict(ctx, RL_OVER, XDP_DROP);
	}
	return verdict(ctx, RL_CONTENDED, XDP_DROP);
}

char _license[] SEC("license") = "Dual BSD/GPL";
