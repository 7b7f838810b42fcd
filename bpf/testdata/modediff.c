//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// A program that behaves otherwise in generic and native mode, as real
// programs do by mistake: it redirects IPv4 frames to the namespace's
// loopback device (ifindex 1). Generic XDP sends the frame out of lo as an
// skb; native XDP needs the target's ndo_xdp_xmit, which lo lacks, so the
// redirect fails (xdp:xdp_exception) and the frame is lost. Other frames
// pass. Not an xdplab program: the fixture of the equivalence check.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_to_lo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return bpf_redirect(1, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
