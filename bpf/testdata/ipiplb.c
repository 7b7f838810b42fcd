//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A user's load balancer written for xdplab's tests, in the style of the
// balancers users bring: it does nothing useful until its maps hold its
// configuration. A frame to a VIP (address, port, protocol in the vips
// hash) takes a backend from the VIP's ring, a map in the rings hash of
// maps (one inner array per VIP, created from the ELF's template), indexed
// by a hash of its source address and ports; it is encapsulated in an
// outer IPv4 header (IPIP) from the configured source towards the
// backend's address and sent back out with XDP_TX, its MACs swapped.
// Frames to no VIP pass; a VIP with no usable backend drops. lb_counts
// counts each outcome. The fixture of --map-init with maps of maps.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RING_SLOTS 16

enum lb_count { LB_ENCAPSULATED, LB_NO_VIP, LB_NO_BACKEND, LB_ERROR, LB_COUNTS };

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 ring;      // key of the VIP's ring in rings
	__u32 ring_size; // slots of the ring in use, 1 to RING_SLOTS
};

struct backend {
	__be32 addr;
	__u32 weight; // unused by the datapath: configuration carried along
};

struct lb_config {
	__be32 source; // outer source address
	__u8 ttl;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vips SEC(".maps");

struct ring {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RING_SLOTS);
	__type(key, __u32);
	__type(value, __u32); // a backend's index in backends
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_COUNTS);
	__type(key, __u32);
	__type(value, __u64);
} lb_counts SEC(".maps");

static __always_inline int done(__u32 k, int action)
{
	__u64 *n = bpf_map_lookup_elem(&lb_counts, &k);

	if (n)
		(*n)++;
	return action;
}

static __always_inline __u32 flow_hash(__be32 saddr, __be16 sport, __be16 dport)
{
	__u32 h = saddr ^ ((__u32)sport << 16 | dport);

	h ^= h >> 16;
	h *= 0x45d9f3b;
	h ^= h >> 16;
	return h;
}

static __always_inline __u16 ip_checksum(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_ipip_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, old;
	struct iphdr *ip = (void *)(eth + 1), *outer;
	struct udphdr *l4 = (void *)(ip + 1); // the ports, where UDP and TCP keep them
	struct vip_key k = {};
	struct vip_meta *meta;
	struct backend *be;
	struct lb_config *cfg;
	__u32 zero = 0, slot, *index;
	__u16 inner_len;
	void *ring;

	if ((void *)(l4 + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP))
		return done(LB_NO_VIP, XDP_PASS);
	k.addr = ip->daddr;
	k.port = l4->dest;
	k.proto = ip->protocol;
	meta = bpf_map_lookup_elem(&vips, &k);
	if (!meta)
		return done(LB_NO_VIP, XDP_PASS);
	ring = bpf_map_lookup_elem(&rings, &meta->ring);
	if (!ring || meta->ring_size == 0 || meta->ring_size > RING_SLOTS)
		return done(LB_NO_BACKEND, XDP_DROP);
	slot = flow_hash(ip->saddr, l4->source, l4->dest) % meta->ring_size;
	index = bpf_map_lookup_elem(ring, &slot);
	if (!index)
		return done(LB_NO_BACKEND, XDP_DROP);
	be = bpf_map_lookup_elem(&backends, index);
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!be || !be->addr || !cfg || !cfg->source)
		return done(LB_NO_BACKEND, XDP_DROP);

	inner_len = bpf_ntohs(ip->tot_len);
	__builtin_memcpy(&old, eth, sizeof(old));
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return done(LB_ERROR, XDP_DROP);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return done(LB_ERROR, XDP_DROP);
	__builtin_memcpy(eth->h_dest, old.h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old.h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = cfg->ttl ? cfg->ttl : 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = cfg->source;
	outer->daddr = be->addr;
	outer->check = ip_checksum(outer);
	return done(LB_ENCAPSULATED, XDP_TX);
}

char _license[] SEC("license") = "Dual BSD/GPL";
