//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// flowstats: per-flow telemetry. It parses VLAN, IPv4/IPv6 and TCP/UDP,
// keeps packets and bytes and the first and last time seen per flow (the
// VLAN, addresses, ports and protocol) in an LRU hash, and passes every
// frame. Malformed frames pass too (telemetry must not drop), counted apart.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "stats.h"
#include "parse.h"

struct flow_key {
	struct addr16 src;
	struct addr16 dst;
	__u16 sport; // network order
	__u16 dport;
	__u16 vlan;
	__u8 proto;
	__u8 pad;
};

struct flow_val {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

// Frames by SEEN_FLOW (filed under a flow), SEEN_MALFORMED, SEEN_NON_IP.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEEN_SLOTS);
	__type(key, __u32);
	__type(value, struct datarec);
} seen SEC(".maps");

static __always_inline int done(struct xdp_md *ctx, __u32 k)
{
	bump_frame(&seen, k, ctx);
	count(ctx, XDP_PASS);
	return XDP_PASS;
}

SEC("xdp")
int xdp_flowstats(struct xdp_md *ctx)
{
	struct flow_key k = {};
	struct flow_val *v;
	struct pkt p;
	__u64 len = ctx->data_end - ctx->data, now;
	int r = parse(ctx, &p);

	if (r == PARSE_NOT_IP)
		return done(ctx, SEEN_NON_IP);
	if (r != PARSE_OK)
		return done(ctx, SEEN_MALFORMED);
	k.src = p.saddr;
	k.dst = p.daddr;
	k.sport = p.sport;
	k.dport = p.dport;
	k.vlan = p.vlan;
	k.proto = p.proto;
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&flows, &k);
	if (v) {
		// Another CPU may serve the same flow: add atomically.
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, len);
		v->last_ns = now;
	} else {
		struct flow_val fresh = {.packets = 1, .bytes = len, .first_ns = now, .last_ns = now};

		if (bpf_map_update_elem(&flows, &k, &fresh, BPF_NOEXIST)) {
			// Another CPU filed it first.
			v = bpf_map_lookup_elem(&flows, &k);
			if (v) {
				__sync_fetch_and_add(&v->packets, 1);
				__sync_fetch_and_add(&v->bytes, len);
			}
		}
	}
	return done(ctx, SEEN_FLOW);
}

char _license[] SEC("license") = "Dual BSD/GPL";
