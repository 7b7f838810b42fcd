//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// Capability probes for `xdplab probe`: programs that call the XDP rx
// metadata kfuncs. Loaded bound to a device (BPF_F_XDP_DEV_BOUND_ONLY), the
// verifier replaces each kfunc with the driver's implementation, or keeps
// the default one, which returns -EOPNOTSUPP. So loading only proves the
// kernel has the kfunc; what the driver does shows on a real frame: each
// program stores the kfunc's return value in meta_result and passes the
// frame on.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// The kernel's enum; only its name matters for the kfunc's BTF signature.
enum xdp_rss_hash_type {
	XDP_RSS_TYPE_NONE = 0,
};

extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;

struct meta_result {
	__s64 ret;  // the kfunc's last return value
	__u64 runs; // frames seen
};

// Key 0: rx hash, key 1: rx timestamp.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct meta_result);
} meta_result SEC(".maps");

static __always_inline void record(__u32 key, int ret)
{
	struct meta_result *r = bpf_map_lookup_elem(&meta_result, &key);

	if (!r)
		return;
	r->ret = ret;
	__sync_fetch_and_add(&r->runs, 1);
}

SEC("xdp")
int xdp_meta_hash(struct xdp_md *ctx)
{
	enum xdp_rss_hash_type type;
	__u32 hash;

	record(0, bpf_xdp_metadata_rx_hash(ctx, &hash, &type));
	return XDP_PASS;
}

SEC("xdp")
int xdp_meta_timestamp(struct xdp_md *ctx)
{
	__u64 ts;

	record(1, bpf_xdp_metadata_rx_timestamp(ctx, &ts));
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
