#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secx-send / secx-recv against hostile, lossy and vanishing peers, in the
# guest over the real secx.ko, on a veth pair between two namespaces:
#   - the receiver as a service survives >= 100 hostile connections
#     (garbage, HTTP, half handshakes, oversized headers, resets, idle ones)
#     from another address while real transfers complete;
#   - under netem (loss 5 %, reorder 25 %, duplicate 1 %, delay 10 ms +- 5 ms
#     on both ends) every transfer succeeds: no spurious failure after a
#     verified transfer (NETEM_RUNS runs, default 20);
#   - a receiver killed while the sender is inside sendfile(): the sender
#     exits 1 with one line, not 141 (SIGPIPE at SIG_DFL, not inherited);
#   - the receiver's umask applies to received files (-p: as sent);
#   - a record-aware relay drops the record carrying the SHA-256 trailer:
#     both tools end (the receiver at the next record, which fails
#     authentication, or within --idle-timeout), no file is stored.
#
# POSIX sh for busybox ash.  Prints TAP; exits 1 if any test failed.
#   sh xfer_hostile.sh

IP=/usr/sbin/ip
TC=/usr/sbin/tc
W=/tmp/secx-hostile
HERE=$(cd "$(dirname "$0")" && pwd)
RELAY=$HERE/xfer_relay
RUNS=${NETEM_RUNS:-20}

n=0 nfail=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
diag() { for f; do [ -s "$f" ] && sed "s|^|#   $f: |" "$f" | head -n 20; done; return 0; }

rm -rf "$W"
mkdir -p "$W/src" || exit 1
cd "$W" || exit 1
bgpids=
cleanup() {
	for p in $bgpids; do kill "$p" 2>/dev/null; done
	$IP netns del secxha 2>/dev/null
	$IP netns del secxhb 2>/dev/null
	cd /
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Exit status of background PID; killed (status 143) after SECS seconds.
wait_rc() {
	(sleep "${2:-120}"; kill "$1" 2>/dev/null) &
	_k=$!
	wait "$1"
	_rc=$?
	kill "$_k" 2>/dev/null
	return "$_rc"
}
hash_of() { sha256sum <"$1" | cut -d' ' -f1; }
now() { cut -d' ' -f1 /proc/uptime; }
# Lines of stderr file $1 that are not the listening line.
errlines() { grep -vc 'listening on' "$1"; }
listen_port() {
	_i=0
	while [ $_i -lt 200 ]; do
		_p=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null)
		[ -n "$_p" ] && { echo "$_p"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}
in_r() { $IP netns exec secxhb "$@"; }
in_s() { $IP netns exec secxha "$@"; }

(umask 077; echo "alice $(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')" >psk)
head -c 1048576 /dev/urandom >src/m1
head -c 8388608 /dev/urandom >src/m8
head -c 1000 /dev/urandom >src/small
head -c 67108864 /dev/zero | tr '\0' 'x' >src/m64
cp src/small src/open && chmod 0777 src/open

# secxha: 10.98.0.1 (senders) and 10.98.0.3 (the hostile host) <-> secxhb: 10.98.0.2
ADDR=10.98.0.2
$IP netns add secxha && $IP netns add secxhb &&
$IP link add secxva netns secxha type veth peer name secxvb netns secxhb &&
$IP -n secxha addr add 10.98.0.1/24 dev secxva &&
$IP -n secxha addr add 10.98.0.3/24 dev secxva &&
$IP -n secxhb addr add 10.98.0.2/24 dev secxvb &&
$IP -n secxha link set lo up && $IP -n secxhb link set lo up &&
$IP -n secxha link set secxva up && $IP -n secxhb link set secxvb up
if [ $? = 0 ] && in_s ping -c 1 -W 5 "$ADDR" >/dev/null 2>&1; then
	pass "veth pair between namespaces secxha and secxhb is up"
else
	fail "veth setup"
	echo "Bail out! no veth pair"
	exit 1
fi
[ -x "$RELAY" ] || { echo "Bail out! $RELAY missing"; exit 1; }

# Start secx-recv (args: its options) into a fresh dst/; sets RPID (the
# shell that waits), RPORT, and RREAL: secx-recv's own pid, for signals
# (ip netns exec may fork, so RPID's process need not be secx-recv).
start_recv() {
	rm -rf dst recv.out recv.err recv.pid
	mkdir dst
	in_r sh -c 'echo $$ >recv.pid; exec "$@"' sh \
		secx-recv --dir dst --bind "$ADDR" --psk psk "$@" 0 >recv.out 2>recv.err &
	RPID=$!
	RPORT=$(listen_port recv.err "$RPID") || { RPORT=1; RREAL=; return 1; }
	RREAL=$(cat recv.pid)
}
send() {
	in_s timeout 300 "$RELAY" sigdfl secx-send --psk psk --json "$@" >send.out 2>send.err
}
arrived() { [ -f "dst/$1" ] && [ "$(hash_of "dst/$1")" = "$(hash_of "src/$1")" ]; }

# ---------------------------------------------------------------------------
# The service and 140 hostile connections from 10.98.0.3, while 10.98.0.1
# sends 8 MiB.
start_recv --json
in_s "$RELAY" hostile 10.98.0.3 "$ADDR" "$RPORT" 140 >hostile.out 2>&1 &
hpid=$!
bgpids="$bgpids $hpid $RPID $RREAL"
sleep 0.5
send src/m8 "$ADDR" "$RPORT"
src1=$?
wait_rc "$hpid" 120
sleep 6		# the hostile client closed its idle ones; their children end
alive=0; kill -0 "$RPID" 2>/dev/null && alive=1
send src/m1 "$ADDR" "$RPORT"
src2=$?
kill -TERM "$RREAL"
wait_rc "$RPID" 30
rrc=$?
made=$(sed -n 's/^hostile: \([0-9]*\) connections made.*/\1/p' hostile.out)
logged=$(grep -c '10\.98\.0\.3:' recv.err)
if [ "$src1" = 0 ] && [ "$src2" = 0 ] && [ "$alive" = 1 ] && [ "$rrc" = 0 ] &&
   arrived m8 && arrived m1 && [ "${made:-0}" -ge 100 ] && [ "$logged" -ge 50 ] &&
   ! ls -A dst | grep -q secx-part; then
	pass "service: $made hostile connections ($logged log lines from 10.98.0.3), 8 MiB and 1 MiB transfers complete, SIGTERM exit 0"
else
	fail "service under hostile connections (send $src1/$src2, alive $alive, recv $rrc, made '$made', logged $logged)"
	diag send.err hostile.out recv.err
fi
if [ "$(grep -v '10\.98\.0\.3:' recv.err | grep -vc 'listening on\|stopping on signal\|received 1 file')" = 0 ]; then
	pass "service: every line about a hostile connection names it; no other errors"
else
	fail "service: unexpected log lines"
	grep -v '10\.98\.0\.3:' recv.err | sed 's/^/#   /' | head -n 10
fi
# one line per connection at most: escaped, nothing raw from the peer
if ! grep -q "$(printf '[\001-\010\016-\037]')" recv.err; then
	pass "service: no raw control bytes from peers in the log"
else
	fail "service: raw control bytes in the log"
fi

# ---------------------------------------------------------------------------
# A receiver that dies while the sender is inside sendfile(): once the
# sender's kernel sealed 1 MiB of the body, the receiver is stopped (so
# sendfile() blocks on a full socket), then killed; its kernel resets the
# connection under the blocked sender.
stat_of() {
	$IP netns exec "$1" cat /proc/net/secx_stat | sed -n "s/^$2 *\([0-9][0-9]*\)\$/\1/p"
}
for k in 1 2 3; do
	start_recv --once
	b0=$(stat_of secxha TxBytes-aes-128-gcm)
	(in_s timeout 120 "$RELAY" sigdfl secx-send --psk psk src/m64 "$ADDR" "$RPORT" \
		>send.out 2>send.err; echo $? >send.rc) &
	spid=$!
	_i=0
	while [ $_i -lt 1000 ] &&
	      [ $(($(stat_of secxha TxBytes-aes-128-gcm) - b0)) -lt 1048576 ]; do
		sleep 0.02
		_i=$((_i + 1))
	done
	kill -STOP "$RREAL"
	sleep 1
	kill -9 "$RREAL"
	wait "$spid"
	wait "$RPID" 2>/dev/null
	rc=$(cat send.rc)
	if [ "$rc" = 1 ] && [ "$(wc -l <send.err)" = 1 ] &&
	   grep -q '^secx-send: \(sending src/m64\|receiver stopped src/m64\): ' send.err; then
		pass "receiver killed during sendfile() ($k): sender exit 1, one line: $(cat send.err)"
	else
		fail "receiver killed during sendfile() ($k): sender exit $rc (141 = SIGPIPE)"
		diag send.err
	fi
done

# ---------------------------------------------------------------------------
# The receiver's umask, and -p.
rm -rf dst; mkdir dst
(umask 077; exec $IP netns exec secxhb secx-recv --once --dir dst --bind "$ADDR" --psk psk 0) \
	>recv.out 2>recv.err &
RPID=$!
RPORT=$(listen_port recv.err "$RPID")
bgpids="$bgpids $RPID"
send src/open "$ADDR" "$RPORT"
src1=$?
wait_rc "$RPID" 30
m=$(stat -c %a dst/open 2>/dev/null)
if [ "$src1" = 0 ] && [ "$m" = 700 ]; then
	pass "receiver umask 077, source mode 777: stored as 700"
else
	fail "receiver umask (send $src1, mode '$m')"
	diag send.err recv.err
fi
rm -rf dst; mkdir dst
(umask 077; exec $IP netns exec secxhb secx-recv --once -p --dir dst --bind "$ADDR" --psk psk 0) \
	>recv.out 2>recv.err &
RPID=$!
RPORT=$(listen_port recv.err "$RPID")
bgpids="$bgpids $RPID"
send src/open "$ADDR" "$RPORT"
src1=$?
wait_rc "$RPID" 30
m=$(stat -c %a dst/open 2>/dev/null)
if [ "$src1" = 0 ] && [ "$m" = 777 ]; then
	pass "receiver -p with umask 077: stored as 777, as sent"
else
	fail "receiver -p (send $src1, mode '$m')"
	diag send.err recv.err
fi

# ---------------------------------------------------------------------------
# The record carrying the trailer is dropped.  Protocol 2: records after
# the handshake are 1 entry header + chunk length + body (MSG_MORE keeps the
# record open until sendfile() ends it), 2 end of body + SHA-256 + sig byte
# (37 bytes), 3 'E' (pipelined: sent without waiting for the verdict).
start_recv --once --idle-timeout 3
in_s "$RELAY" relay 7300 "$ADDR" "$RPORT" 2 >relay.out 2>&1 &
lpid=$!
bgpids="$bgpids $lpid"
_i=0
until grep -q 'relay listening' relay.out 2>/dev/null || [ $_i -ge 100 ]; do sleep 0.05; _i=$((_i + 1)); done
t0=$(now)
in_s timeout 60 "$RELAY" sigdfl secx-send --psk psk --idle-timeout 3 src/small 127.0.0.1 7300 \
	>send.out 2>send.err
src1=$?
wait_rc "$RPID" 60
rrc=$?
t1=$(now)
kill "$lpid" 2>/dev/null
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
if [ "$src1" = 1 ] && [ "$rrc" = 1 ] && grep -q 'dropped record 2' relay.out &&
   awk -v s="$secs" 'BEGIN { exit !(s < 12) }' && [ -z "$(ls -A dst)" ] &&
   [ "$(wc -l <send.err)" = 1 ] && grep -Eq 'idle-timeout|failed authentication' recv.err; then
	pass "trailer record dropped: both tools exit 1 after $secs s (--idle-timeout 3), no file: $(cat send.err)"
else
	fail "trailer record dropped (send $src1, recv $rrc, $secs s)"
	diag relay.out send.err recv.err
fi

# ---------------------------------------------------------------------------
# netem on both ends of the veth pair; every transfer must succeed.
if in_s $TC qdisc add dev secxva root netem loss 5% reorder 25% duplicate 1% delay 10ms 5ms &&
   in_r $TC qdisc add dev secxvb root netem loss 5% reorder 25% duplicate 1% delay 10ms 5ms; then
	pass "netem: loss 5%, reorder 25%, duplicate 1%, delay 10ms +- 5ms on both ends"
else
	fail "netem: cannot add the qdisc"
fi
ok=0 bad=0 i=0
t0=$(now)
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	start_recv --once --json
	send src/m1 "$ADDR" "$RPORT"
	src1=$?
	wait_rc "$RPID" 120
	rrc=$?
	if [ "$src1" = 0 ] && [ "$rrc" = 0 ] && arrived m1 && grep -q '"ok":true' send.out &&
	   grep -q '"ok":true' recv.out && [ ! -s send.err ] && [ "$(errlines recv.err)" = 0 ]; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
		echo "# netem run $i: send $src1, recv $rrc"
		diag send.err recv.err
	fi
done
t1=$(now)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
if [ "$bad" = 0 ] && [ "$ok" = "$RUNS" ]; then
	pass "netem: $ok of $RUNS 1 MiB transfers succeeded on both sides, 0 spurious failures ($secs s)"
else
	fail "netem: $bad of $RUNS transfers failed ($secs s)"
fi

echo "1..$n"
echo "# xfer_hostile.sh: $((n - nfail)) of $n passed on $(uname -r)"
[ "$nfail" = 0 ]
