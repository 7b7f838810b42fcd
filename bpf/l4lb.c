//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// l4lb: an L4 load balancer in the manner of Katran. A frame to a VIP
// (address, port, protocol) is sent to a backend: first the connection
// table (an LRU hash of the 5-tuple), else the VIP's Maglev ring indexed by
// the 5-tuple's jhash, and the choice is remembered so that a flow keeps its
// backend when the backend set changes. The frame is encapsulated in an
// outer IP header towards the backend (IPIP, or IPv6 in IPv4, IPv4 or IPv6
// in IPv6, after the backend's family) and sent back out with XDP_TX to the
// next hop's MAC. Frames to no VIP pass; malformed frames and tagged frames
// do not reach a VIP. xdp_lb_sink, where the encapsulated frames arrive,
// checks every frame and counts it by backend.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "stats.h"
#include "parse.h"

#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41

volatile const __u32 lb_src4 = 0;         // outer source, IPv4 (network order)
volatile const __u32 lb_src6[4] = {};     // outer source, IPv6
volatile const __u8 next_hop[ETH_ALEN] = {}; // destination MAC of encapsulated frames

struct vip_key {
	struct addr16 addr;
	__u16 port; // network order
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 num; // its ring is ring[num * RING_SIZE ...]
};

struct backend {
	struct addr16 addr;
	__u32 v6;
};

struct flow_key {
	struct addr16 src;
	struct addr16 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_VIPS * RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct flow_key);
	__type(value, __u32);
} conns SEC(".maps");

// Events by LB_NEW (a new flow, from the ring), LB_KNOWN (from the
// connection table), LB_NO_VIP (passed), LB_MALFORMED and LB_NO_BACKEND
// (no backend or no room; both dropped).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_STATS);
	__type(key, __u32);
	__type(value, __u64);
} lb_stats SEC(".maps");

static __always_inline void stat(__u32 k)
{
	bump(&lb_stats, k);
}

// jhash2 over n 32-bit words (the kernel's include/linux/jhash.h).
#define rol32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))
#define jhash_mix(a, b, c)                      \
	{                                       \
		a -= c; a ^= rol32(c, 4); c += b;  \
		b -= a; b ^= rol32(a, 6); a += c;  \
		c -= b; c ^= rol32(b, 8); b += a;  \
		a -= c; a ^= rol32(c, 16); c += b; \
		b -= a; b ^= rol32(a, 19); a += c; \
		c -= b; c ^= rol32(b, 4); b += a;  \
	}
#define jhash_final(a, b, c)               \
	{                                  \
		c ^= b; c -= rol32(b, 14); \
		a ^= c; a -= rol32(c, 11); \
		b ^= a; b -= rol32(a, 25); \
		c ^= b; c -= rol32(b, 16); \
		a ^= c; a -= rol32(c, 4);  \
		b ^= a; b -= rol32(a, 14); \
		c ^= b; c -= rol32(b, 24); \
	}
#define JHASH_INITVAL 0xdeadbeef

static __always_inline __u32 flow_hash(const struct flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 a, b, c;

	// 10 words: 3 + 3 + 3 mixed, 1 final.
	a = b = c = JHASH_INITVAL + (10 << 2);
	a += w[0]; b += w[1]; c += w[2];
	jhash_mix(a, b, c);
	a += w[3]; b += w[4]; c += w[5];
	jhash_mix(a, b, c);
	a += w[6]; b += w[7]; c += w[8];
	jhash_mix(a, b, c);
	a += w[9];
	jhash_final(a, b, c);
	return c;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int xdp_l4lb(struct xdp_md *ctx)
{
	struct vip_key vk = {};
	struct flow_key fk = {};
	struct vip_meta *vip;
	struct backend *be;
	struct ethhdr *eth, *old;
	struct pkt p;
	__u32 *idx, bi, slot, outer, inner_len;
	__u8 mac[ETH_ALEN];
	void *data, *data_end;
	int r = parse(ctx, &p);

	if (r == PARSE_NOT_IP || (r == PARSE_OK && p.vlan)) {
		stat(LB_NO_VIP);
		count(ctx, XDP_PASS);
		return XDP_PASS;
	}
	if (r != PARSE_OK) {
		stat(LB_MALFORMED);
		count(ctx, XDP_DROP);
		return XDP_DROP;
	}
	vk.addr = p.daddr;
	vk.port = p.dport;
	vk.proto = p.proto;
	vip = bpf_map_lookup_elem(&vips, &vk);
	if (!vip) {
		stat(LB_NO_VIP);
		count(ctx, XDP_PASS);
		return XDP_PASS;
	}
	fk.src = p.saddr;
	fk.dst = p.daddr;
	fk.sport = p.sport;
	fk.dport = p.dport;
	fk.proto = p.proto;
	idx = bpf_map_lookup_elem(&conns, &fk);
	if (idx) {
		bi = *idx;
		stat(LB_KNOWN);
	} else {
		if (vip->num >= MAX_VIPS)
			goto nobackend;
		slot = vip->num * RING_SIZE + flow_hash(&fk) % RING_SIZE;
		idx = bpf_map_lookup_elem(&ring, &slot);
		if (!idx)
			goto nobackend;
		bi = *idx;
		bpf_map_update_elem(&conns, &fk, &bi, BPF_ANY);
		stat(LB_NEW);
	}
	be = bpf_map_lookup_elem(&backends, &bi);
	if (!be || (!be->addr.w[0] && !be->addr.w[1] && !be->addr.w[2] && !be->addr.w[3]))
		goto nobackend;

	// Encapsulate: room for the outer header in front of the old
	// Ethernet header, then a new Ethernet header in front of it all.
	inner_len = p.l3_len;
	outer = be->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__builtin_memcpy(mac, ((struct ethhdr *)p.data)->h_dest, ETH_ALEN);
	if (bpf_xdp_adjust_head(ctx, -(int)outer))
		goto nobackend;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	old = data + outer;
	if ((void *)(old + 1) > data_end)
		goto nobackend;
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	eth->h_dest[0] = next_hop[0];
	eth->h_dest[1] = next_hop[1];
	eth->h_dest[2] = next_hop[2];
	eth->h_dest[3] = next_hop[3];
	eth->h_dest[4] = next_hop[4];
	eth->h_dest[5] = next_hop[5];
	if (be->v6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			goto nobackend;
		eth->h_proto = bpf_htons(ETH_P_IPV6);
		__builtin_memset(ip6, 0, sizeof(*ip6));
		ip6->version = 6;
		ip6->payload_len = bpf_htons(inner_len);
		ip6->nexthdr = p.v6 ? IPPROTO_IPV6_ : IPPROTO_IPIP_;
		ip6->hop_limit = 64;
		// Word by word: a memcpy from the const would be folded to its
		// initial zeros.
		ip6->saddr.in6_u.u6_addr32[0] = lb_src6[0];
		ip6->saddr.in6_u.u6_addr32[1] = lb_src6[1];
		ip6->saddr.in6_u.u6_addr32[2] = lb_src6[2];
		ip6->saddr.in6_u.u6_addr32[3] = lb_src6[3];
		__builtin_memcpy(&ip6->daddr, &be->addr, 16);
	} else {
		struct iphdr *ip = (void *)(eth + 1);
		__u16 *w = (void *)ip;
		__u32 sum = 0;
		int i;

		if ((void *)(ip + 1) > data_end)
			goto nobackend;
		eth->h_proto = bpf_htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->tot_len = bpf_htons(inner_len + sizeof(*ip));
		ip->id = 0;
		ip->frag_off = 0;
		ip->ttl = 64;
		ip->protocol = p.v6 ? IPPROTO_IPV6_ : IPPROTO_IPIP_;
		ip->check = 0;
		ip->saddr = lb_src4;
		ip->daddr = be->addr.w[3];
#pragma unroll
		for (i = 0; i < 10; i++)
			sum += w[i];
		ip->check = csum_fold(sum);
	}
	count(ctx, XDP_TX);
	return XDP_TX;
nobackend:
	stat(LB_NO_BACKEND);
	count(ctx, XDP_DROP);
	return XDP_DROP;
}

// The sink's counts: frames by backend (outer destination), and
// 0: encapsulated as the balancer does, 1: not encapsulated, 2: the inner
// packet does not check out.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, struct addr16);
	__type(value, __u64);
} sink_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SINK_CHECKS);
	__type(key, __u32);
	__type(value, __u64);
} sink_checks SEC(".maps");

static __always_inline int sink_done(struct xdp_md *ctx, __u32 k)
{
	bump(&sink_checks, k);
	count(ctx, XDP_DROP);
	return XDP_DROP;
}

SEC("xdp")
int xdp_lb_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct addr16 dst = {};
	__u8 inner_proto;
	__u32 inner_len;
	void *inner;
	__u64 *n, zero = 0;

	if ((void *)(eth + 1) > data_end)
		return sink_done(ctx, SINK_NOT_ENCAPSULATED);
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end || ip->ihl != 5)
			return sink_done(ctx, SINK_NOT_ENCAPSULATED);
		if (ip->protocol != IPPROTO_IPIP_ && ip->protocol != IPPROTO_IPV6_)
			return sink_done(ctx, SINK_NOT_ENCAPSULATED);
		addr4(&dst, ip->daddr);
		inner_proto = ip->protocol;
		inner = ip + 1;
		inner_len = bpf_ntohs(ip->tot_len) - sizeof(*ip);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return sink_done(ctx, SINK_NOT_ENCAPSULATED);
		if (ip6->nexthdr != IPPROTO_IPIP_ && ip6->nexthdr != IPPROTO_IPV6_)
			return sink_done(ctx, SINK_NOT_ENCAPSULATED);
		__builtin_memcpy(&dst, &ip6->daddr, 16);
		inner_proto = ip6->nexthdr;
		inner = ip6 + 1;
		inner_len = bpf_ntohs(ip6->payload_len);
	} else {
		return sink_done(ctx, SINK_NOT_ENCAPSULATED);
	}
	// The inner packet: the family the outer header names, and the length
	// both headers agree on.
	if (inner_proto == IPPROTO_IPIP_) {
		struct iphdr *in = inner;

		if ((void *)(in + 1) > data_end || in->version != 4 || bpf_ntohs(in->tot_len) != inner_len)
			return sink_done(ctx, SINK_INNER_BAD);
	} else {
		struct ipv6hdr *in6 = inner;

		if ((void *)(in6 + 1) > data_end || in6->version != 6 || bpf_ntohs(in6->payload_len) + sizeof(*in6) != inner_len)
			return sink_done(ctx, SINK_INNER_BAD);
	}
	// A destination seen first: insert it, or find it inserted by another
	// CPU meanwhile; a full map counts it with the checks alone.
	n = bpf_map_lookup_elem(&sink_backends, &dst);
	if (!n) {
		bpf_map_update_elem(&sink_backends, &dst, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&sink_backends, &dst);
	}
	if (n)
		(*n)++;
	return sink_done(ctx, SINK_ENCAPSULATED);
}

char _license[] SEC("license") = "Dual BSD/GPL";
