//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A benchmark tool's object as its own loader expects it: seven maps left
// at max_entries 0, which the loader sizes at load time (most of them to
// the number of CPUs; the perf event array, as libbpf does, to the
// possible CPUs). It counts frames per CPU and per rx queue and passes
// them. The fixture of `--map-size '*=cpus'`.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define UNSIZED(name, kind, key_t, value_t)        \
	struct {                                    \
		__uint(type, kind);                 \
		__uint(max_entries, 0);             \
		__type(key, key_t);                 \
		__type(value, value_t);             \
	} name SEC(".maps")

UNSIZED(rx_cnt, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64);
UNSIZED(rxq_cnt, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64);
UNSIZED(redir_err_cnt, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64);
UNSIZED(cpumap_kthread_cnt, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64);
UNSIZED(exception_cnt, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64);
UNSIZED(devmap_xmit_cnt, BPF_MAP_TYPE_ARRAY, __u32, __u64);

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 0);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static __always_inline void bump(void *map, __u32 k)
{
	__u64 *n = bpf_map_lookup_elem(map, &k);

	if (n)
		(*n)++;
}

SEC("xdp")
int xdp_bench_pass(struct xdp_md *ctx)
{
	__u32 q = ctx->rx_queue_index;

	bump(&rx_cnt, 0);
	bump(&rxq_cnt, q);
	// The error paths of a real benchmark, which a plain pass never takes.
	if (q == 0xffff) {
		bump(&redir_err_cnt, 0);
		bump(&cpumap_kthread_cnt, 0);
		bump(&exception_cnt, 0);
		bump(&devmap_xmit_cnt, 0);
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &q, sizeof(q));
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
