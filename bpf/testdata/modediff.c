//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// Programs that behave otherwise in generic and native mode, as real
// programs do by mistake. xdp_to_lo redirects IPv4 frames to the namespace's
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


// A frags-aware program that looks 5000 bytes into the frame: it passes
// frames whose first buffer holds that much, and drops the others. On a
// kernel whose generic XDP linearises multi-buffer frames (before 6.8) a
// 6000-byte frame passes in generic mode and is dropped in native mode;
// from 6.8 on both modes give it in buffers and drop it.
SEC("xdp.frags")
int xdp_frags_deep(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + 5000 > end)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
