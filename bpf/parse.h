/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Frame parsing shared by the reference workloads: Ethernet with at most one
 * 802.1Q/802.1ad tag, IPv4 (options allowed) or IPv6 (no extension headers
 * walked), and the TCP, UDP or ICMP header. Every length a header claims is
 * checked against the frame, so a truncated or lying frame is "malformed"
 * and never read past its end.
 */
#ifndef XDPLAB_PARSE_H
#define XDPLAB_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP = 1,   // ARP, LLDP, ...: not the workload's business
	PARSE_MALFORMED = -1, // a header cut short or a length that lies
};

// An address as 16 bytes: IPv4 as ::ffff:a.b.c.d, so that one key serves both.
struct addr16 {
	__u32 w[4];
};

struct pkt {
	void *data;
	void *data_end;
	void *l3;
	void *l4;
	__u32 l3_off;
	__u16 vlan;     // VLAN id, 0: untagged
	__u8 v6;
	__u8 proto;     // IPPROTO_*
	__u16 sport;    // network order; 0 without ports
	__u16 dport;
	__u16 l3_len;   // what the IP header says the packet is
	struct addr16 saddr;
	struct addr16 daddr;
};

// swap_macs swaps the frame's source and destination MAC (the caller has
// checked that the Ethernet header is in the frame).
static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline void addr4(struct addr16 *a, __u32 v4)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = bpf_htonl(0xffff);
	a->w[3] = v4;
}

// parse_l4 reads the transport header at l4; end is where the IP header
// says the packet ends (checked against too, for the claim, besides the
// frame's end, for the verifier).
static __always_inline int parse_l4(struct pkt *p, void *l4, void *end)
{
	void *data_end = p->data_end;

	p->l4 = l4;
	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end || (void *)(th + 1) > end || th->doff < 5 || l4 + th->doff * 4 > end)
			return PARSE_MALFORMED;
		p->sport = th->source;
		p->dport = th->dest;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end || (void *)(uh + 1) > end || bpf_ntohs(uh->len) < sizeof(*uh) ||
		    l4 + bpf_ntohs(uh->len) > end)
			return PARSE_MALFORMED;
		p->sport = uh->source;
		p->dport = uh->dest;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4 + 8 > data_end || l4 + 8 > end)
			return PARSE_MALFORMED;
		break;
	}
	return PARSE_OK;
}

// parse reads the frame of an XDP program's or (built for tc, see ctx.h)
// a tc program's context; at tc, linearize first.
#ifdef CTX
static __always_inline int parse(CTX *ctx, struct pkt *p)
#else
static __always_inline int parse(struct xdp_md *ctx, struct pkt *p)
#endif
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u16 proto;
	__u32 off = sizeof(*eth);

	__builtin_memset(p, 0, sizeof(*p));
	p->data = data;
	p->data_end = data_end;
	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q_) || proto == bpf_htons(ETH_P_8021AD_)) {
		__u16 *tag = data + off;

		if ((void *)(tag + 2) > data_end)
			return PARSE_MALFORMED;
		p->vlan = bpf_ntohs(tag[0]) & 0x0fff;
		proto = tag[1];
		off += 4;
	}
	p->l3_off = off;
	p->l3 = data + off;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = p->l3;
		__u32 ihl;
		void *end;

		if ((void *)(ip + 1) > data_end)
			return PARSE_MALFORMED;
		ihl = ip->ihl * 4;
		p->l3_len = bpf_ntohs(ip->tot_len);
		if (ip->version != 4 || ihl < sizeof(*ip) || p->l3_len < ihl)
			return PARSE_MALFORMED;
		if (p->l3 + ihl > data_end || p->l3 + p->l3_len > data_end)
			return PARSE_MALFORMED;
		p->proto = ip->protocol;
		addr4(&p->saddr, ip->saddr);
		addr4(&p->daddr, ip->daddr);
		if (ip->frag_off & bpf_htons(0x1fff)) // a later fragment: no L4 header
			return PARSE_OK;
		end = p->l3 + p->l3_len;
		if (end > data_end)
			return PARSE_MALFORMED;
		return parse_l4(p, p->l3 + ihl, end);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = p->l3;
		void *end;

		if ((void *)(ip6 + 1) > data_end)
			return PARSE_MALFORMED;
		p->v6 = 1;
		p->l3_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		if (ip6->version != 6 || p->l3 + p->l3_len > data_end)
			return PARSE_MALFORMED;
		p->proto = ip6->nexthdr;
		__builtin_memcpy(&p->saddr, &ip6->saddr, 16);
		__builtin_memcpy(&p->daddr, &ip6->daddr, 16);
		end = p->l3 + p->l3_len;
		if (end > data_end)
			return PARSE_MALFORMED;
		return parse_l4(p, (void *)(ip6 + 1), end);
	}
	return PARSE_NOT_IP;
}

#endif
