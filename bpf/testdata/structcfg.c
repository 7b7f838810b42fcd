//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A user's object whose settings are one `const volatile` struct in
// .rodata, a common style (static volatile const struct config cfg): the
// fixture of `--set cfg.member=VALUE`, nested members and enums included.
// It drops frames while cfg.drop is set and passes them otherwise.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum mode { MODE_OFF, MODE_COUNT, MODE_ENFORCE };

struct limits {
	__u32 pps;
	__u16 burst;
};

struct config {
	__u8 drop;
	enum mode mode;
	struct limits limit;
	char tag[8];
	__u32 flags : 4;
	__u32 more : 28;
};

volatile const struct config cfg = {
	.mode = MODE_COUNT,
	.limit = {.pps = 1000, .burst = 8},
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int xdp_cfg(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &k);

	if (n && cfg.mode != MODE_OFF)
		(*n) += cfg.limit.burst;
	return cfg.drop ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
