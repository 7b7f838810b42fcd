//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// An IDS's XDP filter in the older style: maps in a legacy "maps" section
// (struct bpf_map_def, no BTF for keys and values) and programs in
// sections named as loaders before libbpf 1.0 took them (any name that
// starts with "xdp"), as objects built for such loaders still ship. A
// frame from an address in the blocklist hash is dropped and counted; a
// second program passes everything. The fixture of --map-init for maps
// without BTF, and of the old section names.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") blocklist = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32), // IPv4 source address, network order
	.value_size = sizeof(__u64), // frames dropped for it
	.max_entries = 1024,
};

struct bpf_map_def SEC("maps") flow_keys = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 12, // a 5-tuple's addresses and ports, packed
	.value_size = 4,
	.max_entries = 64,
}; // configuration the loader fills; the datapath does not read it

SEC("xdp_filter")
int xdp_legacy_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 src;
	__u64 *n;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	src = ip->saddr;
	n = bpf_map_lookup_elem(&blocklist, &src);
	if (!n)
		return XDP_PASS;
	__sync_fetch_and_add(n, 1);
	return XDP_DROP;
}

SEC("xdp_pass")
int xdp_legacy_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
