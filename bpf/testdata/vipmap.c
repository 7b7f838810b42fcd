//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A user's load balancer's configuration maps, as such objects hold them:
// VIPs keyed by address, port and protocol, backends with addresses and
// MACs, and a state enum. The program counts the frames addressed to a
// configured VIP (per backend index) and passes them. The fixture of
// --map-init: a program that does nothing useful until its maps hold its
// configuration.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum backend_state { BACKEND_DOWN, BACKEND_UP, BACKEND_DRAINING };

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 backend;
	__u32 flags;
};

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 weight;
	enum backend_state state;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} vip_hits SEC(".maps");

// Configuration the datapath does not read, in the shapes other
// balancers keep: an IPv6 address and an IPv4 one as byte arrays, a list
// of ports, a tag.
struct backend6 {
	__u8 addr6[16];
	__u8 addr4[4];
	__u16 ports[4];
	__u8 tag[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct backend6);
} backends6 SEC(".maps");

SEC("xdp")
int xdp_vip_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct vip_key k = {};
	struct vip_meta *meta;
	struct backend *be;
	__u64 *n;

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	k.addr = ip->daddr;
	k.port = udp->dest;
	k.proto = ip->protocol;
	meta = bpf_map_lookup_elem(&vips, &k);
	if (!meta)
		return XDP_PASS;
	be = bpf_map_lookup_elem(&backends, &meta->backend);
	if (!be || be->state != BACKEND_UP)
		return XDP_PASS;
	n = bpf_map_lookup_elem(&vip_hits, &meta->backend);
	if (n)
		(*n)++;
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
