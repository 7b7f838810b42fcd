#!/bin/bash
# xdp-tools-baseline.sh: the C reference tools on a veth pair, interleaved
# with xdplab on the same machine, so that xdplab's figures can be judged
# against them (the machine is noisy: never compare with a figure from
# another minute).
#
#   sudo ci/reference/xdp-tools-baseline.sh [ROUNDS] [SECONDS]
#
# It builds xdp-trafficgen and xdp-bench from Debian sid's xdp-tools and
# libbpf sources (xdp-tools 1.5.6 is the first that loads on kernel 6.18;
# bookworm ships 1.3), fetched with a private apt configuration that never
# touches the host's, into ${XDPLAB_CACHE:-/var/cache/xdplab}/xdp-tools. Then
# per round: xdp-trafficgen (one thread, IPv6 UDP, the only kind it sends)
# into xdp-bench drop in native and in skb (generic, GRO on) mode, and
# `xdplab run --prog drop` with 66-byte IPv6 frames in the same modes.
# Reference figures come from kernel counters: ethtool rx_queue_0_xdp_drops
# (native) and rx_packets (generic); xdp-trafficgen's own count drifts.
# Namespaces are xdplab-ref-gen and xdplab-ref-dut, links xlrefg and xlrefd;
# `xdplab clean` removes them if this script is killed.
set -euo pipefail
ROUNDS=${1:-3}
SECS=${2:-6}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${XDPLAB_CACHE:-/var/cache/xdplab}/xdp-tools
X=$CACHE/xdp-tools-1.6.3

build() {
	[ -x $X/xdp-bench/xdp-bench ] && [ -x $X/xdp-trafficgen/xdp-trafficgen ] && return
	command -v bpftool >/dev/null || apt-get install -y bpftool m4 >/dev/null
	local T=$CACHE/apt
	mkdir -p $T/etc/sources.list.d $T/etc/preferences.d $T/state/lists/partial $T/cache/archives/partial
	cat >$T/etc/sources.list <<-EOS
	deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main
	EOS
	local O="-o Dir::Etc=$T/etc -o Dir::Etc::sourcelist=$T/etc/sources.list -o Dir::Etc::sourceparts=$T/etc/sources.list.d
		-o Dir::Etc::preferencesparts=$T/etc/preferences.d -o Dir::State=$T/state -o Dir::Cache=$T/cache"
	apt-get $O update >/dev/null
	(cd $CACHE && apt-get $O source --download-only xdp-tools=1.6.3-1 libbpf=1.7.0-1 >/dev/null 2>&1)
	tar -C $CACHE -xzf $CACHE/xdp-tools_1.6.3.orig.tar.gz
	tar -C $CACHE -xzf $CACHE/libbpf_1.7.0.orig.tar.gz
	rm -rf $X/lib/libbpf && cp -a $CACHE/libbpf-1.7.0 $X/lib/libbpf
	(cd $X && FORCE_SUBMODULE_LIBBPF=1 ./configure >/dev/null &&
		make -C lib >/dev/null && make -C xdp-bench >/dev/null && make -C xdp-trafficgen >/dev/null)
}

G="ip netns exec xdplab-ref-gen"
U="ip netns exec xdplab-ref-dut"
cleanup() {
	ip netns del xdplab-ref-gen 2>/dev/null || true
	ip netns del xdplab-ref-dut 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# ref MODE: one reference trial, prints Mpps.
ref() {
	local mode=$1 bp tp c0 c1 t0 t1 dmac
	ip netns add xdplab-ref-gen
	ip netns add xdplab-ref-dut
	ip link add xlrefg netns xdplab-ref-gen type veth peer name xlrefd netns xdplab-ref-dut
	$G ip link set xlrefg up
	$U ip link set xlrefd up
	$G ip addr add 2001:2::1/64 dev xlrefg nodad
	$U ip addr add 2001:2::2/64 dev xlrefd nodad
	[ "$mode" = skb ] && $U ethtool -K xlrefd gro on >/dev/null
	dmac=$($U cat /sys/class/net/xlrefd/address)
	$U $X/xdp-bench/xdp-bench drop -m "$mode" xlrefd >/dev/null 2>&1 &
	bp=$!
	sleep 1
	$G taskset -c 0 $X/xdp-trafficgen/xdp-trafficgen udp -m "$dmac" -a 2001:2::2 -A 2001:2::1 xlrefg >/dev/null 2>&1 &
	tp=$!
	sleep 2
	count() {
		if [ "$mode" = skb ]; then $U cat /sys/class/net/xlrefd/statistics/rx_packets
		else $U ethtool -S xlrefd | awk '/rx_queue_0_xdp_drops/ {print $2}'; fi
	}
	c0=$(count); t0=$(date +%s.%N)
	sleep "$SECS"
	c1=$(count); t1=$(date +%s.%N)
	kill -INT $tp; wait $tp || true
	kill -INT $bp; wait $bp || true
	cleanup
	echo "($c1 - $c0) / ($t1 - $t0) / 1000000" | bc -l | xargs printf '%.2f'
}

build
OUTJSON=$(mktemp -d)/run.json
[ -x "$ROOT/xdplab" ] || make -C "$ROOT" build >/dev/null
printf '%-6s %-8s %18s %18s\n' round mode "xdp-tools Mpps" "xdplab Mpps"
for r in $(seq "$ROUNDS"); do
	for mode in native generic; do
		m=$mode; [ $mode = generic ] && m=skb
		a=$(ref $m)
		b=$("$ROOT/xdplab" run --prog drop --modes $mode --ipv6 --size 66 --duration ${SECS}s --warmup 2s \
			--trials 1 --no-calibrate --prog-stats 0 --json -o "$OUTJSON" 2>/dev/null |
			python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["results"][0]["summary"]["throughput_pps"]["median"]/1e6))')
		printf '%-6s %-8s %18s %18s\n' "$r" "$mode" "$a" "$b"
	done
done
