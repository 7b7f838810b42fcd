//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// filter: a DDoS filter in the manner of those run at the driver (built
// for tc ingress too: object filtertc, program tc_filter; see ctx.h). It drops a
// frame whose source or destination address falls in a listed prefix (LPM
// tries, IPv4 and IPv6) or whose protocol and destination port (or protocol
// alone) are listed, and passes the rest. Every rule counts its hits; rule 0
// counts malformed frames, which are dropped too (a header cut short or a
// length that lies cannot be judged). Non-IP frames pass. Rules live in maps
// and change while traffic runs.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "ctx.h"
#include "stats.h"
#include "parse.h"


struct lpm4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

// A port rule: the protocol and a destination port in network order; port 0
// matches every port of the protocol (and protocols without ports).
struct port_key {
	__u8 proto;
	__u8 pad;
	__u16 port;
};

#define LPM_MAP(name, key_t)                             \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);     \
		__uint(max_entries, MAX_PREFIXES);       \
		__uint(map_flags, BPF_F_NO_PREALLOC);    \
		__type(key, key_t);                      \
		__type(value, __u32);                    \
	} name SEC(".maps")

LPM_MAP(src4, struct lpm4_key);
LPM_MAP(dst4, struct lpm4_key);
LPM_MAP(src6, struct lpm6_key);
LPM_MAP(dst6, struct lpm6_key);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_RULES);
	__type(key, struct port_key);
	__type(value, __u32);
} ports SEC(".maps");

// Hits per rule: frames and bytes; entry 0 is malformed frames.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_RULES);
	__type(key, __u32);
	__type(value, struct datarec);
} rule_hits SEC(".maps");

static __always_inline int hit(CTX *ctx, __u32 rule)
{
	bump_len(&rule_hits, rule, CTX_LEN(ctx));
	count_len(XDP_DROP, CTX_LEN(ctx));
	return hook_ret(ctx, XDP_DROP);
}

static __always_inline __u32 *match_addr(struct pkt *p, int src)
{
	struct addr16 *a = src ? &p->saddr : &p->daddr;

	if (p->v6) {
		struct lpm6_key k = {.prefixlen = 128};

		__builtin_memcpy(k.addr, a, 16);
		return bpf_map_lookup_elem(src ? (void *)&src6 : (void *)&dst6, &k);
	}
	struct lpm4_key k4 = {.prefixlen = 32, .addr = a->w[3]};

	return bpf_map_lookup_elem(src ? (void *)&src4 : (void *)&dst4, &k4);
}

PROG(filter)
{
	struct port_key pk = {};
	struct pkt p;
	__u32 *rule;
	int r;

	if (linearize(ctx))
		return hit(ctx, 0); // the skb cannot be read: as a malformed frame
	r = parse(ctx, &p);
	if (r == PARSE_NOT_IP) {
		count_len(XDP_PASS, CTX_LEN(ctx));
		return hook_ret(ctx, XDP_PASS);
	}
	if (r != PARSE_OK)
		return hit(ctx, 0);
	if ((rule = match_addr(&p, 1)) || (rule = match_addr(&p, 0)))
		return hit(ctx, *rule);
	pk.proto = p.proto;
	pk.port = p.dport;
	if (pk.port && (rule = bpf_map_lookup_elem(&ports, &pk)))
		return hit(ctx, *rule);
	pk.port = 0;
	if ((rule = bpf_map_lookup_elem(&ports, &pk)))
		return hit(ctx, *rule);
	count_len(XDP_PASS, CTX_LEN(ctx));
	return hook_ret(ctx, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
