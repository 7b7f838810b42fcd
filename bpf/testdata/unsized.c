//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A user's object as libbpf-based loaders write them: its map's size is
// left to the loader (max_entries 0 in the ELF, set before loading). It
// counts frames per ingress ifindex and passes them. Not an xdplab program:
// the fixture of bpf.SizeMaps and `xdplab run --object --map-entries`.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 0); // the loader's to set
	__type(key, __u32);
	__type(value, __u64);
} per_ifindex SEC(".maps");

SEC("xdp")
int xdp_count_pass(struct xdp_md *ctx)
{
	__u32 k = ctx->ingress_ifindex;
	__u64 one = 1, *n = bpf_map_lookup_elem(&per_ifindex, &k);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&per_ifindex, &k, &one, BPF_NOEXIST);
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
