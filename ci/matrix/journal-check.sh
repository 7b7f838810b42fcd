#!/bin/busybox sh
# journal-check.sh KIND A B: a lent NIC pair's journal, proven on a real
# driver inside a matrix VM. Each port's MTU, rings (ethtool -G), channels
# (ethtool -L) and GRO are moved off their defaults; `ip -d link` and
# `ethtool -g/-l/-k` record them. xdplab run then takes both ports (moves
# them into its namespaces, attaches in generic mode, which turns GRO on)
# and, while it holds them, MTU, rings and channels change again inside its
# namespaces (as a driver's reset or a check could). The run ends with
# SIGKILL, `xdplab clean` replays its journal, and the record must be what
# it was. It writes /out/journal-KIND.txt (what changed, and a last line
# "verdict: KIND[: why]", KIND one of restored, differs, stuck, failed (the
# run did not hold the pair), not-run and skipped: ci/matrix reads the
# word), -before.txt, -after.txt,
# .diff where they differ, -run.txt and -clean.txt. The host's ethtool and
# ip are at /sbin (the matrix copies them with their libraries).
KIND=$1 A=$2 B=$3
# Where the VM has them; a test on the host points them elsewhere.
XDPLAB=${XDPLAB:-/xdplab} OUT=${OUT:-/out} ETHTOOL=${ETHTOOL:-/sbin/ethtool} IP=${IP:-/sbin/ip}
F=$OUT/journal-$KIND.txt
# say records a line, and shows it on the console as the check goes.
say() {
	echo "$*" >> "$F"
	echo "journal: $*"
}

# guard CMD...: CMD's output and status; where it does not return within
# GUARD_S seconds (30; a driver stuck in the kernel, holding the RTNL
# lock), the check ends here and says so, with the kernel's log beside it.
guard() {
	_gf=$(mktemp /tmp/journal-guard.XXXXXX)
	"$@" > "$_gf" 2>&1 &
	_gp=$!
	# Polled each tenth of a second: most commands return at once. Its
	# variables start with _g: a shell's variables are global, and its
	# callers loop over n and p.
	_gn=0
	while kill -0 $_gp 2> /dev/null; do
		if [ $_gn -ge $((${GUARD_S:-30} * 10)) ]; then
			rm -f "$_gf"
			dmesg > "$OUT/journal-$KIND-dmesg.txt"
			# The checks after this one in the VM would meet the same
			# lock: they skip, saying why.
			echo "$KIND" > "$OUT/.journal-stuck"
			say "stuck: '$*' did not return within ${GUARD_S:-30} s: the kernel holds it (journal-$KIND-dmesg.txt)"
			say "verdict: stuck: '$*' did not return within ${GUARD_S:-30} s"
			exit 3
		fi
		sleep 0.1
		_gn=$((_gn + 1))
	done
	wait $_gp
	_gs=$?
	cat "$_gf"
	rm -f "$_gf"
	return $_gs
}

# leave_if_stuck ends the check where a guarded command got stuck (the
# guard ran in a subshell: its exit ends only that).
leave_if_stuck() {
	if grep -q "^verdict: stuck" "$F" 2> /dev/null; then
		grep "^stuck:" "$F" | sed 's/^/journal: /'
		[ -n "$pid" ] && kill -9 $pid 2> /dev/null
		exit 3
	fi
}

# state PORT...: what must come back, less the link's index (the only
# field a move between namespaces may renumber).
state() {
	for p in "$@"; do
		echo "== $p"
		guard $IP -d link show dev "$p" | sed -e 's/^[0-9]*: //'
		guard $ETHTOOL -g "$p"
		guard $ETHTOOL -l "$p"
		guard $ETHTOOL -k "$p"
	done
}

# val PORT -g|-l max|cur FIELD: one figure of ethtool -g or -l.
val() {
	guard $ETHTOOL "$2" "$1" | awk -v s="$3" -v f="$4:" '/^Pre-set/ {c = "max"} /^Current/ {c = "cur"} c == s && $1 == f {print $2; exit}'
}

# other CUR MAX: a ring size the driver takes that is not CUR.
other() {
	if [ "$2" -ge $(($1 * 2)) ] 2>/dev/null; then echo $(($1 * 2)); else echo $(($1 / 2)); fi
}

# ns PORT: the run's namespace that holds PORT.
ns() {
	for n in /run/netns/xdplab-*; do
		[ -e "$n" ] && guard nsenter --net="$n" $IP link show dev "$1" > /dev/null && { echo "$n"; return; }
	done
}

# change WHERE PORT: MTU, rings and channels off what they are, here (in
# the namespace this shell is in); WHERE names it in the record.
change() {
	p=$2
	mtu=$(guard $IP -o link show dev "$p" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	leave_if_stuck
	nmtu=1400
	[ "$mtu" = 1400 ] && nmtu=1300
	out=$(guard $IP link set dev "$p" mtu $nmtu)
	st=$?
	leave_if_stuck
	if [ $st = 0 ]; then say "$1: $p mtu $mtu -> $nmtu"; else say "$1: $p mtu not changed: $out"; fi
	# Each val runs its guard in a subshell: a stuck one ends only that,
	# so the check leaves after each.
	rx=$(val "$p" -g cur RX)
	leave_if_stuck
	tx=$(val "$p" -g cur TX)
	leave_if_stuck
	if [ -n "$rx" ] && [ -n "$tx" ]; then
		nrx=$(other "$rx" "$(val "$p" -g max RX)")
		leave_if_stuck
		ntx=$(other "$tx" "$(val "$p" -g max TX)")
		leave_if_stuck
		out=$(guard $ETHTOOL -G "$p" rx "$nrx" tx "$ntx")
		st=$?
		leave_if_stuck
		if [ $st = 0 ]; then
			say "$1: $p rings rx $rx tx $tx -> rx $nrx tx $ntx"
		else
			say "$1: $p rings not changeable: ethtool -G: $(echo $out)"
		fi
	else
		say "$1: $p rings not changeable: ethtool -g reports none"
	fi
	c=$(val "$p" -l cur Combined)
	leave_if_stuck
	cm=$(val "$p" -l max Combined)
	leave_if_stuck
	if [ "${cm:-0}" -ge 2 ] 2> /dev/null; then
		nc=1
		[ "$c" = 1 ] && nc=2
		out=$(guard $ETHTOOL -L "$p" combined $nc)
		st=$?
		leave_if_stuck
		if [ $st = 0 ]; then say "$1: $p channels combined $c -> $nc"; else say "$1: $p channels not changeable: ethtool -L: $(echo $out)"; fi
	else
		say "$1: $p channels not changeable: one queue pair (combined max ${cm:-n/a})"
	fi
}

# Called again inside a run's namespace: change WHERE PORT there.
if [ "$KIND" = --change ]; then
	F=$4
	KIND=${F##*/journal-}
	KIND=${KIND%.txt}
	change "$A" "$B"
	exit 0
fi

: > "$F"
pid=""
if [ -s "$OUT/.journal-stuck" ]; then
	say "verdict: skipped: journal-$(cat "$OUT/.journal-stuck") left a command stuck in the kernel (its lock held): this check would meet it"
	exit 0
fi
if [ ! -x $ETHTOOL ] || [ ! -x $IP ]; then
	say "verdict: not-run: the VM has no ethtool or ip (the host has none to copy: apt-get install ethtool iproute2)"
	exit 0
fi

for p in "$A" "$B"; do
	change before "$p"
	out=$(guard $ETHTOOL -K "$p" gro off)
	st=$?
	leave_if_stuck
	if [ $st = 0 ]; then say "before: $p gro -> off"; else say "before: $p gro not changed: $(echo $out)"; fi
done
state "$A" "$B" > $OUT/journal-$KIND-before.txt

"$XDPLAB" run --iface "$A" --peer "$B" --prog drop --modes generic --trials 60 --duration 2s --warmup 1s --prog-stats 0 --no-calibrate -q \
	-o /tmp/journal-$KIND.json > $OUT/journal-$KIND-run.txt 2>&1 &
pid=$!
held=""
i=0
while [ $i -lt 120 ]; do
	na=$(ns "$A")
	nb=$(ns "$B")
	leave_if_stuck
	if [ -n "$na" ] && [ -n "$nb" ] && guard nsenter --net="$na" $IP link show dev "$A" | grep -q xdpgeneric; then
		held=1
		break
	fi
	leave_if_stuck
	kill -0 $pid 2> /dev/null || break
	sleep 1
	i=$((i + 1))
done
if [ -n "$held" ]; then
	say "lent: after ${i}s $A was in $na with the run's program attached in generic mode, $B in $nb"
	sleep 2
	nsenter --net="$na" /bin/sh "$0" --change "$na" "$A" "$F"
	leave_if_stuck
	nsenter --net="$nb" /bin/sh "$0" --change "$nb" "$B" "$F"
	leave_if_stuck
	kill -9 $pid
	wait $pid 2> /dev/null
	say "xdplab run: killed (SIGKILL)"
else
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
fi
guard "$XDPLAB" clean > $OUT/journal-$KIND-clean.txt
say "xdplab clean: exit $?"
state "$A" "$B" > $OUT/journal-$KIND-after.txt
if [ -z "$held" ]; then
	say "verdict: failed: the run did not hold both ports with its program attached within ${i}s (journal-$KIND-run.txt)"
elif cmp -s $OUT/journal-$KIND-before.txt $OUT/journal-$KIND-after.txt; then
	say "verdict: restored"
else
	diff $OUT/journal-$KIND-before.txt $OUT/journal-$KIND-after.txt > $OUT/journal-$KIND.diff
	say "verdict: differs: $(grep -c '^[-+][^-+]' $OUT/journal-$KIND.diff) line(s), journal-$KIND.diff"
fi
