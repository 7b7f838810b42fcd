//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// The traffic generator program. xdplab runs it with BPF_PROG_RUN and
// BPF_F_TEST_XDP_LIVE_FRAMES: the kernel hands it the template frame again
// and again, the program stamps the next flow into the frame (source address
// and UDP source port, checksums updated incrementally) and redirects it to
// the generator's interface. It counts every frame it redirects in the shared
// stats layout (key XDP_REDIRECT), which is the generator's own count.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "stats.h"

volatile const __u32 target_ifindex = 0;
volatile const __u32 ipv6 = 0;       // 1: the template is IPv6/UDP, else IPv4/UDP
volatile const __u32 nflows = 1;     // number of flows to cycle through
volatile const __u32 nports = 1;     // flows per source address (<= 65535)
volatile const __u16 sport_base = 0; // host order
volatile const __u16 saddr_lo_base = 0; // host order: low 16 bits of the source address
// Pacing: frames per second per generator CPU; 0 sends as fast as it can.
// A frame that would go out ahead of the rate is held back: the program
// returns XDP_DROP (the kernel recycles the frame) and counts it under
// XDP_DROP, which is "held back", not "sent".
volatile const __u64 rate_pps = 0;

#define NSEC_PER_SEC 1000000000ULL
#define PACE_BURST 32 // frames of credit at most

struct pace {
	__u64 last_ns;
	__u64 credit; // in frame-nanoseconds: one frame is NSEC_PER_SEC
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pace);
} pace SEC(".maps");

// paced tells whether the frame may go now, under rate_pps.
static __always_inline int paced(void)
{
	__u32 key = 0;
	struct pace *p = bpf_map_lookup_elem(&pace, &key);
	__u64 now, elapsed;

	if (!p)
		return 1;
	now = bpf_ktime_get_ns();
	elapsed = now - p->last_ns;
	p->last_ns = now;
	if (elapsed > NSEC_PER_SEC)
		elapsed = NSEC_PER_SEC;
	p->credit += elapsed * rate_pps;
	if (p->credit > PACE_BURST * NSEC_PER_SEC)
		p->credit = PACE_BURST * NSEC_PER_SEC;
	if (p->credit < NSEC_PER_SEC)
		return 0;
	p->credit -= NSEC_PER_SEC;
	return 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} flow_cursor SEC(".maps");

static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old;
	sum += new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline int stamp_flow(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	__u16 *saddr_lo, *ip_check = 0;
	__u32 key = 0, *cursor, flow;
	__u16 port, addr;

	cursor = bpf_map_lookup_elem(&flow_cursor, &key);
	if (!cursor)
		return -1;
	flow = *cursor;
	*cursor = flow + 1 >= nflows ? 0 : flow + 1;

	port = bpf_htons(sport_base + flow % nports);
	addr = bpf_htons(saddr_lo_base + flow / nports);

	if (ipv6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		saddr_lo = (__u16 *)&ip6->saddr.in6_u.u6_addr8[14];
		udp = (void *)(ip6 + 1);
	} else {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return -1;
		saddr_lo = (__u16 *)((__u8 *)&ip->saddr + 2);
		ip_check = &ip->check;
		udp = (void *)(ip + 1);
	}
	if ((void *)(udp + 1) > data_end)
		return -1;

	if (ip_check)
		*ip_check = csum_replace2(*ip_check, *saddr_lo, addr);
	// UDP over IPv4 is sent with checksum 0 (none); over IPv6 it is
	// mandatory and covers the pseudo-header, so the address counts too.
	if (udp->check) {
		__u16 c = csum_replace2(udp->check, *saddr_lo, addr);

		c = csum_replace2(c, udp->source, port);
		udp->check = c ? c : 0xffff;
	}
	*saddr_lo = addr;
	udp->source = port;
	return 0;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	if (rate_pps && !paced()) {
		count(ctx, XDP_DROP);
		return XDP_DROP;
	}
	if (nflows > 1 && stamp_flow(ctx) < 0) {
		count(ctx, XDP_ABORTED);
		return XDP_ABORTED;
	}
	count(ctx, XDP_REDIRECT);
	return bpf_redirect(target_ifindex, 0);
}

char _license[] SEC("license") = "Dual BSD/GPL";
