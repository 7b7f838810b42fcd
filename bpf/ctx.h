/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One program source, built for several hooks: XDP (the default), tc
 * ingress (XDPLAB_TC: struct __sk_buff, programs tc_*) and a socket filter
 * (XDPLAB_SOCKET: programs sk_*). A program names its context CTX, its
 * length CTX_LEN, declares itself with PROG(name), decides an XDP action
 * and returns hook_ret(ctx, action): what the hook returns for it.
 */
#ifndef XDPLAB_CTX_H
#define XDPLAB_CTX_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#if defined(XDPLAB_TC) || defined(XDPLAB_SOCKET)
#define XDPLAB_SKB
#define CTX struct __sk_buff
#define CTX_LEN(ctx) ((ctx)->len)
#else
#define CTX struct xdp_md
#define CTX_LEN(ctx) ((ctx)->data_end - (ctx)->data)
#endif

#if defined(XDPLAB_TC)
#define PROG(name) SEC("tc") int tc_##name(CTX *ctx)
#elif defined(XDPLAB_SOCKET)
#define PROG(name) SEC("socket") int sk_##name(CTX *ctx)
#else
#define PROG(name) SEC("xdp") int xdp_##name(CTX *ctx)
#endif

// hook_ret is what the hook returns for an XDP action: at tc, pass is
// TC_ACT_OK, tx a redirect out of the port the frame came in on, and the
// rest TC_ACT_SHOT; a socket filter accepts the whole copy for pass and
// refuses it otherwise.
static __always_inline int hook_ret(CTX *ctx, int action)
{
#if defined(XDPLAB_TC)
	switch (action) {
	case XDP_PASS:
		return TC_ACT_OK;
	case XDP_TX:
		return bpf_redirect(ctx->ifindex, 0);
	default:
		return TC_ACT_SHOT;
	}
#elif defined(XDPLAB_SOCKET)
	return action == XDP_PASS ? ctx->len : 0;
#else
	return action;
#endif
}

// linearize makes the skb's bytes directly readable (and writable) at
// tc; XDP's frame is so already. It fails only where the kernel cannot.
static __always_inline int linearize(CTX *ctx)
{
#if defined(XDPLAB_TC)
	return bpf_skb_pull_data(ctx, ctx->len);
#else
	return 0;
#endif
}

#endif
