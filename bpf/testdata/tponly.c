//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A user's object with no XDP program: a latency monitor's tracepoints, as
// users hand xdplab by mistake. The fixture of the refusal that says what
// an object holds ("2 tracepoint program(s): xdplab loads XDP programs").

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline int bump(__u32 k)
{
	__u64 *n = bpf_map_lookup_elem(&seen, &k);

	if (n)
		(*n)++;
	return 0;
}

SEC("tracepoint/net/netif_receive_skb")
int tp_rx(void *ctx)
{
	return bump(0);
}

SEC("tracepoint/net/net_dev_xmit")
int tp_tx(void *ctx)
{
	return bump(1);
}

char _license[] SEC("license") = "Dual BSD/GPL";
