//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// The latency sink: a native XDP program on the interface where frames come
// out of the DUT (the generator's veth for tx, the sink's for redirect). The
// generator program wrote its send time (bpf_ktime_get_ns, CLOCK_MONOTONIC)
// at payload offset 8, after the "xdplab" magic; this program reads the same
// clock on arrival and files the difference in a log-linear histogram: for
// each power of two, 8 equal sub-buckets (12.5% resolution), plus exact
// per-CPU minimum and maximum. It counts every frame in the shared stats
// layout (XDP_DROP) and drops it, like the plain sink.

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "stats.h"

volatile const __u32 l3_off = 14;
volatile const __u32 ipv6 = 0;
volatile const __u32 l4_hdr = 8; // the stream's L4 header length

#define LAT_SUB (1 << LAT_SUB_BITS)
#define LAT_BUCKETS (64 * LAT_SUB)

struct lat_summary {
	__u64 count;
	__u64 sum_ns;
	__u64 unstamped; // frames without the magic, or a time from the future
};

// The extremes live apart so that Go can reset them at a trial's start
// without touching the counts.
struct lat_extremes {
	__u64 min_ns; // 0: none yet
	__u64 max_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LAT_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} lat_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lat_summary);
} lat_summary SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lat_extremes);
} lat_extremes SEC(".maps");

// msb is the index of the highest bit set in v (v > 0).
static __always_inline __u32 msb(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

// bucket: values below 8 have their own bucket; a value with highest bit
// e >= 3 goes to (e-2)*8 + its next three bits. Go's LatencyBucketBounds
// is the inverse.
static __always_inline __u32 bucket(__u64 d)
{
	__u32 e;

	if (d < LAT_SUB)
		return d;
	e = msb(d);
	return (e - LAT_SUB_BITS + 1) * LAT_SUB + ((d >> (e - LAT_SUB_BITS)) & (LAT_SUB - 1));
}

SEC("xdp")
int xdp_latency(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = 0, iph = ipv6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u8 *pl = data + l3_off + iph + l4_hdr;
	struct lat_summary *s;
	struct lat_extremes *x;
	__u64 now = bpf_ktime_get_ns(), ts, d, *n;

	count(ctx, XDP_DROP);
	s = bpf_map_lookup_elem(&lat_summary, &key);
	if (!s)
		return XDP_DROP;
	if ((void *)(pl + 16) > data_end || pl[0] != 'x' || pl[1] != 'd' || pl[2] != 'p' ||
	    pl[3] != 'l' || pl[4] != 'a' || pl[5] != 'b') {
		s->unstamped++;
		return XDP_DROP;
	}
	__builtin_memcpy(&ts, pl + 8, sizeof(ts));
	if (ts == 0 || ts > now) {
		s->unstamped++;
		return XDP_DROP;
	}
	d = now - ts;
	key = bucket(d);
	n = bpf_map_lookup_elem(&lat_hist, &key);
	if (n)
		(*n)++;
	s->count++;
	s->sum_ns += d;
	key = 0;
	x = bpf_map_lookup_elem(&lat_extremes, &key);
	if (x) {
		if (x->min_ns == 0 || d < x->min_ns)
			x->min_ns = d;
		if (d > x->max_ns)
			x->max_ns = d;
	}
	return XDP_DROP;
}

char _license[] SEC("license") = "Dual BSD/GPL";
