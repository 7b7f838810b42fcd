//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A user's object as libbpf-based loaders write them: its settings are
// `const volatile` globals in .rodata that the loader sets before loading,
// with a counter in .bss, and its map's size is left to the loader
// (max_entries 0). It returns the action it is set to, for frames whose
// first byte is tag[0] when match_tag is on. Not an xdplab program: the
// fixture of bpf.SetVariables and `xdplab run --object --set --map-size`.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum verdict { VERDICT_ABORTED, VERDICT_DROP, VERDICT_PASS, VERDICT_TX };

const volatile enum verdict verdict = VERDICT_PASS;
const volatile __u32 queue_mask = 0;
const volatile __s16 offset = 0;
const volatile _Bool match_tag = 0;
const volatile __u8 tag[4] = {0};
__u64 seen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 0); // the loader's to set: one per rx queue
	__type(key, __u32);
	__type(value, __u64);
} rxq_cnt SEC(".maps");

SEC("xdp")
int xdp_configured(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 q = ctx->rx_queue_index & queue_mask;
	__u64 *n = bpf_map_lookup_elem(&rxq_cnt, &q);

	if (n)
		__sync_fetch_and_add(n, 1);
	__sync_fetch_and_add(&seen, 1);
	if (match_tag) {
		if (data + 1 > end)
			return XDP_ABORTED;
		if (*(__u8 *)data != tag[0])
			return XDP_PASS;
	}
	return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
