//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// The traffic generator program. xdplab runs it with BPF_PROG_RUN and
// BPF_F_TEST_XDP_LIVE_FRAMES: the kernel hands it the template frame again
// and again and the program shapes each frame before redirecting it to the
// generator's interface:
//   - the next flow: the low 16 bits of the source address and the source
//     port (UDP, TCP) or echo identifier (ICMP, ICMPv6);
//   - the next frame size of a mix (IMIX), by cutting the tail of the
//     template (the largest size) and setting every length field;
//   - the send time in the payload, for latency (see latency.c);
//   - now and then a malformed frame (a truncated L4 or IP header, or an IP
//     length that claims more than the frame holds).
// The kernel does not restore a recycled frame's bytes, only its length,
// so every field is written whole and every checksum is computed from the
// template's (passed in by Go), never from what the frame holds now.
// It counts every frame it redirects in the shared stats layout (key
// XDP_REDIRECT), which is the generator's own count.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "stats.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

volatile const __u32 target_ifindex = 0;
volatile const __u32 l3_off = 14;    // 18 with a VLAN tag
volatile const __u32 ipv6 = 0;       // 1: IPv6, else IPv4
volatile const __u32 proto = IPPROTO_UDP; // UDP, TCP, ICMP or ICMPv6
volatile const __u32 nflows = 1;     // number of flows to cycle through
volatile const __u32 nports = 1;     // flows per source address (<= 65535)
volatile const __u16 sport_base = 0; // host order: port or echo id of flow 0
volatile const __u16 saddr_lo_base = 0; // host order: low 16 bits of the source address
// Pacing: frames per second per generator CPU; 0 sends as fast as it can.
// A frame that would go out ahead of the rate is held back: the program
// returns XDP_DROP (the kernel recycles the frame) and counts it under
// XDP_DROP, which is "held back", not "sent".
volatile const __u64 rate_pps = 0;
// Shaping; with none of these set a frame goes out as the template is.
volatile const __u32 tmpl_len = 0;     // bytes of the template (no FCS)
volatile const __u32 nsizes = 0;       // >0: cycle through sizes[0..nsizes)
volatile const __u32 malformed_ppm = 0; // malformed frames per million
volatile const __u32 stamp = 0;        // 1: send time at payload offset 8
// The template's checksums as they sit in the frame; l4_csum says the L4
// checksum is kept (UDP over IPv4 goes without one).
volatile const __u16 tmpl_ip_check = 0;
volatile const __u16 tmpl_l4_check = 0;
volatile const __u32 l4_csum = 0;
// restore_len > 0: write the template's first restore_len bytes back into
// every frame first. A DUT program that writes into the frame (tx swaps
// MACs, l4lb writes an outer header over the Ethernet header) writes into
// the generator's page, which comes back to it as it was left.
volatile const __u32 restore_len = 0;


struct restore_buf {
	__u8 b[RESTORE_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct restore_buf);
} restore SEC(".maps");

#define NSEC_PER_SEC 1000000000ULL
#define PACE_BURST 32 // frames of credit at most
#define MALFORMED_KINDS 3
#define WRONG_LEN 64 // a wrong IP length claims this many bytes more

struct gen_state {
	__u64 last_ns;
	__u64 credit; // in frame-nanoseconds: one frame is NSEC_PER_SEC
	__u32 flow;
	__u32 slot;
	__u32 mal_acc;
	__u32 mal_kind;
	__u64 malformed; // malformed frames sent
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_state);
} gen_state SEC(".maps");

// Frame sizes (bytes without FCS) in the order they go out.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SIZES);
	__type(key, __u32);
	__type(value, __u32);
} sizes SEC(".maps");

// paced tells whether the frame may go now, under rate_pps.
static __always_inline int paced(struct gen_state *p)
{
	__u64 now, elapsed;

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

// csum_replace2 updates a ones'-complement checksum for a 16-bit word that
// changed from old to new (RFC 1624, eqn. 3), all in the frame's byte order.
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old;
	sum += new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline __u32 l4_hdr_len(void)
{
	if (proto == IPPROTO_TCP)
		return 20;
	return 8; // UDP, ICMP, ICMPv6
}

// shape writes flow, lengths, checksums, the stamp and malformed frames.
static __always_inline int shape(struct xdp_md *ctx, struct gen_state *st)
{
	__u32 iph = ipv6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u32 l4h = l4_hdr_len();
	__u32 size = tmpl_len, flow = 0, l4len, cut = 0;
	__u16 port, addr, port_off, check_off, c;
	void *data, *data_end, *l3, *l4;
	int bad = -1;

	if (nsizes) {
		__u32 slot = st->slot;
		__u32 *sz;

		st->slot = slot + 1 >= nsizes ? 0 : slot + 1;
		sz = bpf_map_lookup_elem(&sizes, &slot);
		if (!sz)
			return -1;
		size = *sz;
		if (size > tmpl_len || size < l3_off + iph + l4h)
			return -1;
		if (size < tmpl_len && bpf_xdp_adjust_tail(ctx, (int)size - (int)tmpl_len))
			return -1;
	}
	if (nflows > 1) {
		flow = st->flow;
		st->flow = flow + 1 >= nflows ? 0 : flow + 1;
	}
	if (malformed_ppm) {
		st->mal_acc += malformed_ppm;
		if (st->mal_acc >= 1000000) {
			st->mal_acc -= 1000000;
			bad = st->mal_kind;
			st->mal_kind = bad + 1 >= MALFORMED_KINDS ? 0 : bad + 1;
			st->malformed++;
		}
	}

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	l3 = data + l3_off;
	l4 = l3 + iph;
	if (l4 + l4h > data_end)
		return -1;
	l4len = size - l3_off - iph;
	port = bpf_htons(sport_base + flow % nports);
	addr = bpf_htons(saddr_lo_base + flow / nports);

	// The network header: source address and length.
	if (ipv6) {
		struct ipv6hdr *ip6 = l3;
		__u16 plen = l4len;

		if (bad == 1)
			plen += WRONG_LEN;
		*(__u16 *)&ip6->saddr.in6_u.u6_addr8[14] = addr;
		ip6->payload_len = bpf_htons(plen);
	} else {
		struct iphdr *ip = l3;
		__u16 tot = size - l3_off;

		if (bad == 1)
			tot += WRONG_LEN;
		c = csum_replace2(tmpl_ip_check, bpf_htons(tmpl_len - l3_off), bpf_htons(tot));
		c = csum_replace2(c, bpf_htons(saddr_lo_base), addr);
		*(__u16 *)((__u8 *)&ip->saddr + 2) = addr;
		ip->tot_len = bpf_htons(tot);
		ip->check = c;
	}

	// The transport header: flow field, length, checksum.
	switch (proto) {
	case IPPROTO_TCP:
		port_off = 0, check_off = 16;
		break;
	case IPPROTO_UDP:
		port_off = 0, check_off = 6;
		break;
	default: // ICMP, ICMPv6: the echo identifier
		port_off = 4, check_off = 2;
	}
	*(__u16 *)(l4 + port_off) = port;
	if (proto == IPPROTO_UDP)
		*(__u16 *)(l4 + 4) = bpf_htons(l4len);
	if (stamp) {
		__u64 now = bpf_ktime_get_ns();
		void *ts = l4 + l4h + 8;

		if (ts + sizeof(now) > data_end)
			return -1;
		__builtin_memcpy(ts, &now, sizeof(now));
	}
	if (l4_csum) {
		__u16 tmpl_l4len = tmpl_len - l3_off - iph;

		c = tmpl_l4_check;
		if (proto != IPPROTO_ICMP) {
			// The pseudo-header: the source address and the L4 length.
			c = csum_replace2(c, bpf_htons(saddr_lo_base), addr);
			c = csum_replace2(c, bpf_htons(tmpl_l4len), bpf_htons(l4len));
		}
		if (proto == IPPROTO_UDP) // and UDP's own length field
			c = csum_replace2(c, bpf_htons(tmpl_l4len), bpf_htons(l4len));
		c = csum_replace2(c, bpf_htons(sport_base), port);
		if (stamp) {
			__u16 *w = l4 + l4h + 8;

			if ((void *)(w + 4) > data_end)
				return -1;
			c = csum_replace2(c, 0, w[0]);
			c = csum_replace2(c, 0, w[1]);
			c = csum_replace2(c, 0, w[2]);
			c = csum_replace2(c, 0, w[3]);
		}
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		*(__u16 *)(l4 + check_off) = c;
	}

	// Malformed frames: 0 cuts the L4 header short, 1 (above) claims a
	// wrong IP length, 2 cuts the IP header short.
	if (bad == 0)
		cut = size - (l3_off + iph + 4);
	else if (bad == 2)
		cut = size - (l3_off + 10);
	if (cut && bpf_xdp_adjust_tail(ctx, -(int)cut))
		return -1;
	return 0;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct gen_state *st = bpf_map_lookup_elem(&gen_state, &key);

	if (!st) {
		count(ctx, XDP_ABORTED);
		return XDP_ABORTED;
	}
	if (rate_pps && !paced(st)) {
		count(ctx, XDP_DROP);
		return XDP_DROP;
	}
	if (restore_len) {
		struct restore_buf *rb = bpf_map_lookup_elem(&restore, &key);

		if (!rb || restore_len > RESTORE_MAX || bpf_xdp_store_bytes(ctx, 0, rb->b, restore_len)) {
			count(ctx, XDP_ABORTED);
			return XDP_ABORTED;
		}
	}
	if ((nflows > 1 || nsizes || malformed_ppm || stamp) && shape(ctx, st) < 0) {
		count(ctx, XDP_ABORTED);
		return XDP_ABORTED;
	}
	count(ctx, XDP_REDIRECT);
	return bpf_redirect(target_ifindex, 0);
}

// Replay: xdp_replay sends the frames of a capture held in replay_frames,
// in order, replay_total frames in all (the capture times the loops), then
// holds every further frame back (XDP_DROP, counted apart) until the run
// is stopped. Each frame is written whole into the live frame (cut to its
// length first), so the run sends many distinct frames, not one template.
// At the capture's timing a frame is held back until its time (start +
// loop x replay_loop_ns + its due_ns); at a rate the token bucket paces it.

volatile const __u32 replay_n = 0;
volatile const __u64 replay_total = 0;
volatile const __u64 replay_loop_ns = 0;
volatile const __u32 replay_timed = 0;

struct replay_frame {
	__u32 len;
	__u32 pad;
	__u64 due_ns; // from the start of its loop, speed applied
	__u8 data[REPLAY_MAX_FRAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, REPLAY_MAX_FRAMES);
	__type(key, __u32);
	__type(value, struct replay_frame);
} replay_frames SEC(".maps");

struct replay_state {
	__u64 sent;
	__u64 start_ns;
	__u32 idx;
	__u32 loop;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct replay_state);
} replay_state SEC(".maps");

SEC("xdp")
int xdp_replay(struct xdp_md *ctx)
{
	__u32 key = 0, idx, len;
	struct gen_state *gs = bpf_map_lookup_elem(&gen_state, &key);
	struct replay_state *st = bpf_map_lookup_elem(&replay_state, &key);
	struct replay_frame *f;

	if (!gs || !st)
		goto abort;
	if (st->sent >= replay_total) {
		count(ctx, XDP_DROP); // done: held back until the run stops
		return XDP_DROP;
	}
	idx = st->idx;
	f = bpf_map_lookup_elem(&replay_frames, &idx);
	if (!f)
		goto abort;
	if (replay_timed || rate_pps) {
		__u64 now = bpf_ktime_get_ns(); // one clock read a frame

		if (st->start_ns == 0) {
			// The first frame starts the clock, and the token bucket
			// with one frame of credit: no burst at the start.
			st->start_ns = now;
			gs->last_ns = now;
			gs->credit = NSEC_PER_SEC;
		}
		if (replay_timed && now < st->start_ns + st->loop * replay_loop_ns + f->due_ns) {
			count(ctx, XDP_DROP); // not its time yet
			return XDP_DROP;
		}
	}
	if (rate_pps && !paced(gs)) {
		count(ctx, XDP_DROP);
		return XDP_DROP;
	}
	len = f->len;
	if (len < 14 || len > REPLAY_MAX_FRAME || len > tmpl_len)
		goto abort;
	if (len < tmpl_len && bpf_xdp_adjust_tail(ctx, (int)len - (int)tmpl_len))
		goto abort;
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len))
		goto abort;
	st->sent++;
	if (idx + 1 >= replay_n) {
		st->idx = 0;
		st->loop++;
	} else {
		st->idx = idx + 1;
	}
	count(ctx, XDP_REDIRECT);
	return bpf_redirect(target_ifindex, 0);
abort:
	count(ctx, XDP_ABORTED);
	return XDP_ABORTED;
}

char _license[] SEC("license") = "Dual BSD/GPL";
