//go:build ignore

// SPDX-License-Identifier: GPL-2.0-only
//
// The exception tap: raw tracepoint programs on xdp:xdp_exception and
// xdp:xdp_redirect_err that count, by action, the frames one XDP program
// (target_id) aborted or failed to transmit or redirect. The equivalence check reads it per
// frame: a frame that came out nowhere was dropped, aborted, or lost in a
// failed XDP_TX or XDP_REDIRECT, and this tells which.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

// The kernel's structures, as much as the tap reads: CO-RE relocates the
// offsets against the running kernel's BTF.
struct bpf_prog_aux {
	__u32 id;
} __attribute__((preserve_access_index));

struct bpf_prog {
	struct bpf_prog_aux *aux;
} __attribute__((preserve_access_index));

const volatile __u32 target_id = 0;

// exceptions[act]: the XDP actions 0 to 4, then 5 for any other.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 6);
	__type(key, __u32);
	__type(value, __u64);
} exceptions SEC(".maps");

static __always_inline int count(struct bpf_prog *prog, __u32 act)
{
	__u32 id = BPF_CORE_READ(prog, aux, id);
	__u64 *n;

	if (id != target_id)
		return 0;
	if (act > 4)
		act = 5;
	n = bpf_map_lookup_elem(&exceptions, &act);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

// xdp_exception(const struct net_device *dev, const struct bpf_prog *xdp, u32 act)
SEC("raw_tracepoint/xdp_exception")
int xdp_exception_tap(struct bpf_raw_tracepoint_args *ctx)
{
	return count((struct bpf_prog *)ctx->args[1], (__u32)ctx->args[2]);
}

// xdp_redirect_err(const struct net_device *dev, const struct bpf_prog *xdp,
// const void *tgt, int err, enum bpf_map_type map_type, u32 map_id, u32 index):
// a redirect that failed (a target without ndo_xdp_xmit, an empty map slot)
// raises no xdp_exception in every driver.
SEC("raw_tracepoint/xdp_redirect_err")
int xdp_redirect_err_tap(struct bpf_raw_tracepoint_args *ctx)
{
	return count((struct bpf_prog *)ctx->args[1], XDP_REDIRECT);
}

char LICENSE[] SEC("license") = "GPL";
