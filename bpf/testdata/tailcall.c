//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A user's object as larger XDP projects ship them: several XDP programs
// chained by tail calls through a program array (one slot filled in the
// ELF, as libbpf's .values allow, one left to the loader), a map pinned by
// name (LIBBPF_PIN_BY_NAME), and a companion program of another type (a
// tc classifier) that an XDP run leaves unloaded. The entry program tail
// calls slot 0 (set in the ELF) for IPv4 and slot 1 (the loader's) for
// the rest; each stage counts in the pinned map and passes. Not an xdplab
// program: the fixture of `xdplab run --object --tail-call --pin`.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stage_hits SEC(".maps");

static __always_inline int hit(__u32 k)
{
	__u64 *n = bpf_map_lookup_elem(&stage_hits, &k);

	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_PASS;
}

SEC("xdp")
int xdp_stage_v4(struct xdp_md *ctx) { return hit(1); }

SEC("xdp")
int xdp_stage_other(struct xdp_md *ctx) { return hit(2); }

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int (void *));
} stages SEC(".maps") = {
	.values = { [0] = (void *)&xdp_stage_v4 },
};

SEC("xdp")
int xdp_entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	hit(0);
	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	bpf_tail_call(ctx, &stages, eth->h_proto == bpf_htons(ETH_P_IP) ? 0 : 1);
	return hit(3); // an empty slot: the tail call fell through
}

SEC("tc")
int tc_companion(struct __sk_buff *skb) { return TC_ACT_OK; }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
