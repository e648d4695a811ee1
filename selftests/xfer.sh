#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End to end, in the guest, over the real secx.ko: secx-handshake,
# secx-send and secx-recv on loopback and over a veth pair between two
# network namespaces.  Transfers of 0 B .. 100 MiB with SHA-256 compared on
# both ends, every auth method, every suite, the refusals users see, the
# connect/listen/--fd modes, /proc/net/secx_stat proving the kernel moved
# the records, and a relay capture proving the wire carries no plaintext.
#
# POSIX sh for busybox ash.  Prints TAP; exits 1 if any test failed.
#   sh xfer.sh [quick]     quick: skip the 100 MiB transfers
#   sh xfer.sh tree        only the protocol-2 tests (trees, streams, 10 000
#                          files, symlink escape); with /secx/old/secx-send and
#                          secx-recv present, also time the protocol-1 tools

IP=/usr/sbin/ip
W=/tmp/secx-xfer
# SECX_BIG_DIV=N (the debug-kernel lane: 8) divides the big file's size
case "${SECX_BIG_DIV:-1}" in ''|*[!0-9]*|0) div=1 ;; *) div=${SECX_BIG_DIV:-1} ;; esac
BIG=$((100 * 1024 * 1024 / div))
[ "$1" = quick ] || [ "$1" = tree ] && BIG=

n=0 nfail=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
diag() { for f; do [ -s "$f" ] && sed "s|^|#   $f: |" "$f" | head -n 20; done; return 0; }

rm -rf "$W"
mkdir -p "$W/src" || exit 1
cd "$W" || exit 1
bgpids=
cleanup() {
	for p in $bgpids; do kill "$p" 2>/dev/null; done
	$IP netns del secxa 2>/dev/null
	$IP netns del secxb 2>/dev/null
	cd /
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Exit status of background PID; killed (status 124) after SECS seconds.
wait_rc() {
	(sleep "${2:-120}"; kill "$1" 2>/dev/null) &
	_k=$!
	wait "$1"
	_rc=$?
	kill "$_k" 2>/dev/null
	return "$_rc"
}

# The value of counter NAME in /proc/net/secx_stat of the namespace $1
# ("" = this one).  Matches the name exactly even if it runs into the value.
stat_of() {
	if [ -n "$1" ]; then
		$IP netns exec "$1" cat /proc/net/secx_stat
	else
		cat /proc/net/secx_stat
	fi | sed -n "s/^$2 *\([0-9][0-9]*\)\$/\1/p"
}

hash_of() { sha256sum <"$1" | cut -d' ' -f1; }
hexof() { od -An -v -tx1 | tr -d ' \n'; }
fp_of() { secx-handshake pubkey "$1" 2>&1 >/dev/null; }
# A byte with value $1 (0..255) as a printf escape.
oct() { printf '\\%03o' "$1"; }

# ---------------------------------------------------------------------------
# Identities and secrets: alice sends, bob receives, carol is an impostor.
for who in alice bob carol; do
	secx-handshake genkey "$who.key" >"$who.pub" 2>/dev/null
done
if [ -s alice.pub ] && [ -s bob.pub ] && [ -s carol.pub ] &&
   ! secx-handshake genkey alice.key >/dev/null 2>&1 &&
   [ "$(stat -c %a alice.key)" = 600 ]; then
	pass "genkey: three Ed25519 identities, mode 0600, never overwrites"
else
	fail "genkey"
fi
echo "alice $(cat alice.pub)" >recv.known
echo "bob $(cat bob.pub)" >send.known
echo "bob $(cat carol.pub)" >send.changed
echo "carol $(cat carol.pub)" >send.unknown
(umask 077
 echo "alice $(head -c 32 /dev/urandom | hexof)" >psk
 echo "alice $(head -c 32 /dev/urandom | hexof)" >psk.wrong)
ED_R="--key bob.key --known-peers recv.known --name bob"
ED_S="--key alice.key --known-peers send.known --name alice --peer-name bob"

# Source files.  The big one repeats a random block of an odd size, so no
# two records carry the same plaintext at the same offset.
for s in 0 1 16383 16384 16385 100000; do
	head -c "$s" /dev/urandom >"src/f$s"
done
chmod 640 src/f16384
if [ -n "$BIG" ]; then
	head -c 1048589 /dev/urandom >blk
	i=0
	while [ $i -lt 101 ]; do cat blk; i=$((i + 1)); done | head -c "$BIG" >src/big
	rm -f blk
fi
yes SECX-PLAINTEXT-MARKER | head -c 204800 >src/marker

# Transports.  NS_R/NS_S: namespace of the receiver/sender ("" = this one).
use_loopback() { T=loopback; ADDR=127.0.0.1; NS_R= NS_S=; }
use_veth() { T=veth; ADDR=10.99.0.2; NS_R=secxb NS_S=secxa; }
in_r() { if [ -n "$NS_R" ]; then $IP netns exec "$NS_R" "$@"; else "$@"; fi; }
in_s() { if [ -n "$NS_S" ]; then $IP netns exec "$NS_S" "$@"; else "$@"; fi; }

# Wait until the log $1 of background process $2 says "listening on";
# prints the port.
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

# Wait until something listens on TCP port $2 in namespace $1 ("" = this one).
wait_tcp_listen() {
	_i=0
	while [ $_i -lt 200 ]; do
		if [ -n "$1" ]; then $IP netns exec "$1" netstat -ltn; else netstat -ltn; fi 2>/dev/null |
			grep -q ":$2 " && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# Start secx-recv --once (args: its options) into a fresh dst/; sets RPID,
# RPORT.  --once: these tests check the exit status of each connection.
start_recv() {
	rm -rf dst recv.out recv.err	# a stale log would give a stale port
	mkdir dst
	in_r secx-recv --once --dir dst --bind "$ADDR" "$@" 0 >recv.out 2>recv.err &
	RPID=$!
	RPORT=$(listen_port recv.err "$RPID") || { RPORT=1; return 1; }
}
# Run secx-send (args: its options and files) against it; sets SRC, RRC.
run_send() {
	in_s timeout 300 secx-send "$@" "$ADDR" "$RPORT" >send.out 2>send.err
	SRC=$?
	wait_rc "$RPID" 60
	RRC=$?
}
# Both succeeded and every named file arrived intact, with the hash in
# both sides' JSON summary, the permission bits kept, no temporary file.
arrived() {
	[ "$SRC" = 0 ] && [ "$RRC" = 0 ] || return 1
	for f; do
		[ -f "dst/$f" ] || return 1
		_h=$(hash_of "src/$f")
		[ "$(hash_of "dst/$f")" = "$_h" ] || return 1
		grep -q "\"sha256\":\"$_h\"" send.out || return 1
		grep -q "\"sha256\":\"$_h\"" recv.out || return 1
		[ "$(stat -c %a "src/$f")" = "$(stat -c %a "dst/$f")" ] || return 1
	done
	! ls -A dst | grep -q secx-part
}
# One transfer of FILES with Ed25519 pins, checked.  $1: test name.
xfer() {
	_name=$1
	shift
	_files=
	for f; do _files="$_files src/$f"; done
	start_recv --json $ED_R
	# shellcheck disable=SC2086
	run_send --json $ED_S $_files
	if arrived "$@"; then
		pass "$T: $_name"
	else
		fail "$T: $_name (send $SRC, recv $RRC)"
		diag send.err recv.err send.out recv.out
	fi
}

# A failure case: SRC and RRC must be 1, the sender's stderr exactly one
# line matching the pattern $2, nothing left in dst/.  $1: test name.
refused() {
	_name=$1 _pat=$2
	if [ "$SRC" = 1 ] && [ "$RRC" = 1 ] && [ "$(wc -l <send.err)" = 1 ] &&
	   grep -q "$_pat" send.err && [ -s recv.err ] && [ -z "$(ls -A dst)" ]; then
		pass "$T: $_name: $(cat send.err)"
	else
		fail "$T: $_name (send $SRC, recv $RRC, dst: $(ls -A dst | tr '\n' ' '))"
		diag send.err recv.err
	fi
}

# ---------------------------------------------------------------------------
# Without the module, the tools refuse before sending anything.
if grep -q '^secx ' /proc/modules && rmmod secx 2>/dev/null; then
	oldmp=$(cat /proc/sys/kernel/modprobe)
	echo /bin/false >/proc/sys/kernel/modprobe	# no autoload of the ULP
	nc -l -p 7999 >nomod.got 2>/dev/null &
	ncpid=$!
	wait_tcp_listen "" 7999
	timeout 30 secx-send --psk psk src/f1 127.0.0.1 7999 >/dev/null 2>nomod.err
	rc=$?
	kill "$ncpid" 2>/dev/null
	wait "$ncpid" 2>/dev/null
	echo "$oldmp" >/proc/sys/kernel/modprobe
	if [ "$rc" = 1 ] && [ "$(wc -l <nomod.err)" = 1 ] &&
	   grep -q "secx kernel module not loaded: run 'modprobe secx' as root" nomod.err &&
	   [ ! -s nomod.got ]; then
		pass "module not loaded: $(cat nomod.err)"
	else
		fail "module not loaded (exit $rc)"
		diag nomod.err
	fi
	modprobe secx || { echo "Bail out! modprobe secx failed"; exit 1; }
else
	skip "module not loaded: secx.ko is in use or built in, cannot unload it"
fi

# ---------------------------------------------------------------------------
# The network namespaces, 10.99.0.1 (secxa, sender) <-> 10.99.0.2 (secxb).
$IP netns add secxa && $IP netns add secxb &&
$IP link add secxva netns secxa type veth peer name secxvb netns secxb &&
$IP -n secxa addr add 10.99.0.1/24 dev secxva &&
$IP -n secxb addr add 10.99.0.2/24 dev secxvb &&
$IP -n secxa link set lo up && $IP -n secxb link set lo up &&
$IP -n secxa link set secxva up && $IP -n secxb link set secxvb up
if [ $? = 0 ] && $IP netns exec secxa ping -c 1 -W 5 10.99.0.2 >/dev/null 2>&1; then
	pass "veth pair between namespaces secxa and secxb is up"
else
	fail "veth setup"
	echo "Bail out! no veth pair"
	exit 1
fi

# ---------------------------------------------------------------------------
# Protocol 2 over the veth pair: a 3-level tree with modes, mtimes and
# symlinks; stdin -> stdout; a symlink sent earlier cannot lead a later file
# out of DIR; 10 000 files of 4 KiB pipelined (timed, and against the
# protocol-1 tools when /secx/old has them).
now() { cut -d' ' -f1 /proc/uptime; }
# One line per entry under $1: type, mode, mtime, size, name / link target.
listing() {
	(cd "$1" && find . | sort | while read -r p; do
		if [ -L "$p" ]; then
			stat -c '%F %Y %N' "$p"
		elif [ -d "$p" ]; then
			stat -c '%F %a %Y %n' "$p"
		else
			stat -c '%F %a %Y %s %n' "$p"
		fi
	done)
}
v2_tests() {
	use_veth
	rm -rf tsrc
	mkdir -p tsrc/top/a/b/c
	head -c 5000 /dev/urandom >tsrc/top/f0
	head -c 70000 /dev/urandom >'tsrc/top/a/#hash'
	head -c 1 /dev/urandom >'tsrc/top/a/b/with space'
	head -c 1048600 /dev/urandom >tsrc/top/a/b/c/deep
	: >tsrc/top/a/b/c/empty
	ln -s ../f0 tsrc/top/a/rel
	ln -s /etc/passwd tsrc/top/a/b/abs
	ln -s nowhere tsrc/top/a/b/c/dangling
	chmod 0600 tsrc/top/f0
	chmod 0750 'tsrc/top/a/#hash'
	chmod 0711 tsrc/top/a/b
	chmod 0700 tsrc/top/a/b/c
	touch -h -d '2001-02-03 04:05:06' tsrc/top/a/rel
	touch -d '2002-03-04 05:06:07' tsrc/top/a/b/c/deep tsrc/top/a/b/c tsrc/top/a/b \
		tsrc/top/a tsrc/top
	start_recv -p --json $ED_R
	# shellcheck disable=SC2086
	run_send --json $ED_S -r tsrc/top
	listing tsrc/top >tree.want
	listing dst/top >tree.got 2>&1
	if [ "$SRC" = 0 ] && [ "$RRC" = 0 ] && cmp -s tree.want tree.got &&
	   [ "$(hash_of tsrc/top/a/b/c/deep)" = "$(hash_of dst/top/a/b/c/deep)" ] &&
	   [ "$(hash_of 'tsrc/top/a/#hash')" = "$(hash_of 'dst/top/a/#hash')" ] &&
	   [ "$(wc -l <tree.want)" = 12 ]; then
		pass "$T: -r: 3-level tree round-trips (12 entries: modes, mtimes, symlinks as links, '#' and space names)"
	else
		fail "$T: -r tree (send $SRC, recv $RRC, $(wc -l <tree.want) entries sent)"
		diff tree.want tree.got | sed 's/^/#   /' | head -n 20
		diag send.err recv.err
	fi

	head -c 3000017 /dev/urandom >src/stream
	rm -f stream.out recv.err
	# shellcheck disable=SC2086
	in_r secx-recv --stdout --bind "$ADDR" $ED_R 0 >stream.out 2>recv.err &
	RPID=$!
	RPORT=$(listen_port recv.err "$RPID") || RPORT=1
	# shellcheck disable=SC2086
	cat src/stream | in_s timeout 120 secx-send $ED_S --stdin-name s.bin - "$ADDR" "$RPORT" \
		>send.out 2>send.err
	SRC=$?
	wait_rc "$RPID" 60
	RRC=$?
	if [ "$SRC" = 0 ] && [ "$RRC" = 0 ] && [ "$(hash_of src/stream)" = "$(hash_of stream.out)" ]; then
		pass "$T: cat FILE | secx-send - | secx-recv --stdout: identical (3000017 bytes, splice from a pipe)"
	else
		fail "$T: stdin -> stdout (send $SRC, recv $RRC)"
		diag send.err recv.err
	fi

	# --resume: the sender SIGKILLed at 3 points, then resumed each time.
	head -c $((64 * 1024 * 1024)) /dev/urandom >src/rbig
	rm -rf dst
	mkdir dst
	rok=1 rmsg=
	for pct in 50 20 80; do
		# shellcheck disable=SC2086
		in_r secx-recv --once --resume --dir dst --bind "$ADDR" $ED_R 0 >recv.out 2>recv.err &
		RPID=$!
		RPORT=$(listen_port recv.err "$RPID") || RPORT=1
		# not through in_s: $! must be secx-send itself (ip netns exec execs it)
		# shellcheck disable=SC2086
		$IP netns exec "$NS_S" secx-send $ED_S --resume src/rbig "$ADDR" "$RPORT" \
			>send.out 2>send.err &
		spid=$!
		want=$((64 * 1024 * 1024 * pct / 100)) _i=0 sz=0
		while [ "$sz" -lt "$want" ] && [ $_i -lt 3000 ]; do
			sz=$(stat -c %s dst/.secx-part.r* 2>/dev/null || echo 0)
			_i=$((_i + 1))
		done
		kill -9 "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		wait_rc "$RPID" 60
		kept=$(stat -c %s dst/.secx-part.r* 2>/dev/null || echo 0)
		[ -e dst/rbig ] && rok=0
		[ "$kept" -gt 0 ] || rok=0
		rmsg="$rmsg $pct%:$kept"
		# shellcheck disable=SC2086
		in_r secx-recv --once --resume --dir dst --bind "$ADDR" $ED_R 0 >recv.out 2>recv.err &
		RPID=$!
		RPORT=$(listen_port recv.err "$RPID") || RPORT=1
		# shellcheck disable=SC2086
		run_send $ED_S --resume src/rbig
		{ [ "$SRC" = 0 ] && [ "$RRC" = 0 ] && grep -q resuming send.err &&
		  [ "$(hash_of src/rbig)" = "$(hash_of dst/rbig)" ]; } || rok=0
		rm -f dst/rbig
	done
	if [ "$rok" = 1 ] && [ -z "$(ls -A dst)" ]; then
		pass "$T: --resume after SIGKILL of the sender at 3 points (kept bytes:$rmsg): identical, nothing under the name before"
	else
		fail "$T: --resume ($rmsg, send $SRC, recv $RRC)"
		diag send.err recv.err
	fi

	# A symlink stored by one transfer, then a tree that goes through it.
	rm -rf e1 e2 outside
	mkdir -p e1/top e2/top/esc outside
	ln -s "$W/outside" e1/top/esc
	echo pwned >e2/top/esc/pwned
	start_recv --force $ED_R
	# shellcheck disable=SC2086
	run_send $ED_S -r e1/top
	s1=$SRC r1=$RRC
	rm -f recv.err
	# shellcheck disable=SC2086
	in_r secx-recv --once --force --dir dst --bind "$ADDR" $ED_R 0 >recv.out 2>recv.err &
	RPID=$!
	RPORT=$(listen_port recv.err "$RPID") || RPORT=1
	# shellcheck disable=SC2086
	run_send $ED_S -r e2/top
	if [ "$s1" = 0 ] && [ "$r1" = 0 ] && [ -L dst/top/esc ] && [ "$SRC" = 1 ] &&
	   [ "$RRC" = 1 ] && [ -z "$(ls -A outside)" ] && grep -q 'not a directory' send.err &&
	   ! ls -A dst/top | grep -q secx-part; then
		pass "$T: symlink escape: a later 'top/esc/pwned' through the stored link 'top/esc' is refused, nothing outside DIR: $(cat send.err)"
	else
		fail "$T: symlink escape (first $s1/$r1, then send $SRC, recv $RRC, outside: $(ls -A outside))"
		diag send.err recv.err
	fi

	# 10 000 files of 4 KiB (/ SECX_BIG_DIV: the debug lane sends 1250),
	# written in one awk process (no fork per file).
	nmany=$((10000 / div))
	rm -rf many
	mkdir many
	awk -v n="$nmany" 'BEGIN { srand(7); b = ""; for (i = 0; i < 4090; i++) b = b sprintf("%c", 97 + int(rand() * 26));
		for (i = 0; i < n; i++) { f = sprintf("many/f%05d", i); printf "%06d%s", i, b > f; close(f) } }'
	want=$(cat many/* | sha256sum | cut -d' ' -f1)
	start_recv $ED_R
	t0=$(now)
	# shellcheck disable=SC2086
	run_send $ED_S -r many
	t1=$(now)
	got=$(cat dst/many/* 2>/dev/null | sha256sum | cut -d' ' -f1)
	new=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	if [ "$SRC" = 0 ] && [ "$RRC" = 0 ] && [ "$(ls dst/many | wc -l)" = "$nmany" ] &&
	   [ "$want" = "$got" ]; then
		pass "$T: $nmany files x 4 KiB in one connection, pipelined: $new s"
	else
		fail "$T: $nmany files (send $SRC, recv $RRC, $(ls dst/many | wc -l) arrived)"
		diag send.err recv.err
	fi
	if [ "$nmany" = 10000 ] && [ -x /secx/old/secx-send ] && [ -x /secx/old/secx-recv ]; then
		# protocol 1 opens every file before connecting (1024 descriptors)
		# and takes at most 4096 per connection: ten connections of 1000
		rm -rf dst
		mkdir -p dst
		t0=$(now)
		ok=1
		for part in 0 1 2 3 4 5 6 7 8 9; do
			# shellcheck disable=SC2086
			in_r /secx/old/secx-recv --once --dir dst --bind "$ADDR" $ED_R 0 >recv.out 2>recv.err &
			RPID=$!
			RPORT=$(listen_port recv.err "$RPID") || RPORT=1
			# shellcheck disable=SC2086
			in_s /secx/old/secx-send $ED_S many/f0$part* "$ADDR" "$RPORT" >send.out 2>send.err ||
				{ ok=0; kill "$RPID" 2>/dev/null; }
			wait_rc "$RPID" 300 || ok=0
			kill "$RPID" 2>/dev/null
		done
		t1=$(now)
		old=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		if [ "$ok" = 1 ] && [ "$(ls dst | wc -l)" = 10000 ]; then
			pass "$T: the same 10 000 files with the protocol-1 tools (stop-and-wait, 10 connections): $old s (protocol 2: $new s)"
		else
			fail "$T: protocol-1 tools on 10 000 files"
			diag send.err recv.err
		fi
	fi
	rm -rf many dst e1 e2 tsrc outside
	mkdir dst
}
if [ "$1" = tree ]; then
	v2_tests
	echo "1..$n"
	echo "# xfer.sh tree: $((n - nfail)) of $n passed on $(uname -r)"
	[ "$nfail" = 0 ]
	exit
fi

# ---------------------------------------------------------------------------
transfers() {
	tx0=$(stat_of "$NS_S" TxRecords-aes-128-gcm)
	txb0=$(stat_of "$NS_S" TxBytes-aes-128-gcm)
	for s in 0 1 16383 16384 16385; do
		xfer "$s B file" "f$s"
	done
	xfer "6 files in one connection" f0 f1 f16383 f16384 f16385 f100000
	if [ -n "$BIG" ]; then
		b0=$(stat_of "$NS_S" TxBytes-aes-128-gcm)
		xfer "$((BIG >> 20)) MiB file" big
		b1=$(stat_of "$NS_S" TxBytes-aes-128-gcm)
		if [ $((b1 - b0)) -ge "$BIG" ]; then
			pass "$T: secx_stat: TxBytes-aes-128-gcm grew by $((b1 - b0)) for the $((BIG >> 20)) MiB"
		else
			fail "$T: secx_stat: TxBytes-aes-128-gcm grew by $((b1 - b0)) < $BIG"
		fi
		rm -rf dst
	else
		skip "$T: 100 MiB transfer (quick mode)"
	fi
	tx1=$(stat_of "$NS_S" TxRecords-aes-128-gcm)
	txb1=$(stat_of "$NS_S" TxBytes-aes-128-gcm)
	if [ -n "$tx0" ] && [ "$tx1" -gt "$tx0" ] && [ "$txb1" -gt "$txb0" ]; then
		pass "$T: secx_stat: TxRecords-aes-128-gcm $tx0 -> $tx1 (the kernel sealed the records)"
	else
		fail "$T: secx_stat: TxRecords-aes-128-gcm '$tx0' -> '$tx1'"
	fi

	# PSK, with a suite of the receiver's choosing.
	c0=$(stat_of "$NS_S" TxRecords-chacha20-poly1305)
	start_recv --json --psk psk --suites chacha20-poly1305,aes-128-gcm
	run_send --json --psk psk --psk-identity alice src/f100000
	c1=$(stat_of "$NS_S" TxRecords-chacha20-poly1305)
	if arrived f100000 && grep -q '"suite":"chacha20-poly1305"' send.out &&
	   [ "$c1" -gt "$c0" ]; then
		pass "$T: PSK transfer, chacha20-poly1305 (TxRecords $c0 -> $c1)"
	else
		fail "$T: PSK transfer (send $SRC, recv $RRC, TxRecords '$c0' -> '$c1')"
		diag send.err recv.err send.out recv.out
	fi

	# X.509 both ways (the server asks for a client certificate).
	if [ -n "$X509" ]; then
		start_recv --json --cert x509/bob.pem --key x509/bob.key --ca x509/ca.pem \
			--peer-name alice
		run_send --json --cert x509/alice.pem --key x509/alice.key --ca x509/ca.pem \
			--peer-name bob src/f16385
		if arrived f16385 && grep -q '"peer":"[^"]*bob' send.out; then
			pass "$T: X.509 transfer, mutual certificates"
		else
			fail "$T: X.509 transfer (send $SRC, recv $RRC)"
			diag send.err recv.err send.out recv.out
		fi
	else
		fail "$T: X.509 transfer: no certificates ($X509_WHY)"
	fi
}

# X.509: a CA and two leaves, made here with the openssl CLI (no config
# file in the guest: bring a minimal one).
X509= X509_WHY="openssl CLI missing in the guest"
if command -v openssl >/dev/null 2>&1; then
	mkdir x509
	printf '[req]\ndistinguished_name = dn\n[dn]\n' >x509/openssl.cnf
	export OPENSSL_CONF="$W/x509/openssl.cnf"
	(cd x509 &&
	 openssl req -x509 -newkey ed25519 -nodes -keyout ca.key -out ca.pem \
		-days 2 -subj /CN=secx-test-ca -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign &&
	 for who in alice bob; do
		openssl genpkey -algorithm ed25519 -out $who.key &&
		openssl req -new -key $who.key -subj /CN=$who -out $who.csr &&
		printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n' $who >$who.ext &&
		openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile $who.ext -out $who.pem || exit 1
	 done && chmod 600 ./*.key) >x509/log 2>&1 && X509=1 || { X509_WHY="openssl failed"; diag x509/log; }
fi

for t in use_loopback use_veth; do
	$t
	transfers
done

# Every suite, each proven by its own kernel counter.
use_loopback
for s in aes-128-gcm aes-256-gcm chacha20-poly1305 aes-128-cbc-hmac-sha256 \
	 aes-256-cbc-hmac-sha512; do
	c0=$(stat_of "" "TxRecords-$s")
	start_recv --json $ED_R --suites "$s"
	run_send --json $ED_S --suites "$s" src/f100000
	c1=$(stat_of "" "TxRecords-$s")
	if arrived f100000 && grep -q "\"suite\":\"$s\"" recv.out && [ "$c1" -gt "$c0" ]; then
		pass "$T: suite $s (TxRecords-$s $c0 -> $c1)"
	else
		fail "$T: suite $s (send $SRC, recv $RRC, TxRecords-$s '$c0' -> '$c1')"
		diag send.err recv.err
	fi
done

v2_tests

# ---------------------------------------------------------------------------
# Refusals, over the veth pair: one line, exit 1 on both sides, no file.
use_veth

start_recv --psk psk
run_send --psk psk.wrong src/f1
refused "wrong PSK" "wrong PSK"

start_recv $ED_R
run_send --key alice.key --known-peers send.unknown --name alice --peer-name bob src/f1
refused "unknown peer key" "unknown server key for 'bob': $(fp_of bob.key)"

start_recv $ED_R
run_send --key alice.key --known-peers send.changed --name alice --peer-name bob src/f1
refused "changed peer key" \
	"key for 'bob' has CHANGED: pinned $(fp_of carol.key), presented $(fp_of bob.key)"

start_recv --key bob.key --known-peers send.unknown --name bob
run_send $ED_S src/f1
if [ "$SRC" = 1 ] && [ "$RRC" = 1 ] && grep -q "unknown client key for 'alice'" recv.err &&
   [ "$(wc -l <recv.err)" = 2 ] && [ -z "$(ls -A dst)" ]; then
	pass "$T: unknown client key, refused by the receiver: $(tail -n 1 recv.err)"
else
	fail "$T: unknown client key (send $SRC, recv $RRC)"
	diag send.err recv.err
fi

start_recv $ED_R --suites chacha20-poly1305
run_send $ED_S --suites aes-128-gcm src/f1
refused "no common suite" \
	"no cipher suite in common: client offered aes-128-gcm, server allows chacha20-poly1305"

# A non-secx client, then a non-secx server.
start_recv $ED_R
echo garbage | in_s nc "$ADDR" "$RPORT" >/dev/null 2>&1
wait_rc "$RPID" 30
RRC=$?
if [ "$RRC" = 1 ] && grep -q 'not speaking secx' recv.err && [ -z "$(ls -A dst)" ]; then
	pass "$T: garbage client: $(tail -n 1 recv.err)"
else
	fail "$T: garbage client (recv $RRC)"
	diag recv.err
fi
echo SSH-2.0-OpenSSH_9.2p1 >banner
in_r nc -l -p 7998 <banner >/dev/null 2>&1 &
ncpid=$!
bgpids="$bgpids $ncpid"
wait_tcp_listen "$NS_R" 7998
in_s timeout 30 secx-send $ED_S src/f1 "$ADDR" 7998 >send.out 2>send.err
SRC=$?
kill "$ncpid" 2>/dev/null
if [ "$SRC" = 1 ] && [ "$(wc -l <send.err)" = 1 ] && grep -q 'not speaking secx' send.err; then
	pass "$T: garbage server: $(cat send.err)"
else
	fail "$T: garbage server (send $SRC)"
	diag send.err
fi

# Paths a hostile sender may announce; the receiver refuses each before
# any data moves (status 1 at once), drops the body and goes on.  The
# sender is secx-handshake connect writing protocol 2 by hand: the entry,
# a 5-byte chunk, the end, a zero SHA-256, no signature, 'E'; it never
# closes, so the receiver ends at its --idle-timeout.
z8='\000\000\000\000\000\000\000\000'
for name in ../escape "/tmp/secx-xfer/abs" .. . "a//b" "a/../../b" "$(printf 'bad\001name')"; do
	len=$(printf %s "$name" | wc -c)
	start_recv --psk psk --idle-timeout 2
	in_s timeout 30 secx-handshake connect "$ADDR" "$RPORT" --psk psk -- \
		sh -c "printf 'Nf\\000$(oct "$len")%s\\000\\000\\001\\244$z8\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\005\\000\\000\\000\\000\\000\\005hello\\000\\000\\000\\000$z8$z8$z8$z8\\000E' '$name'; cat >$W/reply" \
		>send.out 2>send.err
	SRC=$?
	wait_rc "$RPID" 30
	RRC=$?
	st=$(head -c 1 reply 2>/dev/null | hexof)
	if [ "$RRC" = 1 ] && [ "$st" = 01 ] && grep -q refusing reply &&
	   [ -z "$(ls -A dst)" ] && [ ! -e escape ] && [ ! -e abs ]; then
		pass "$T: refuses path '$name': $(tail -c +4 reply | tr -d '\001')"
	else
		fail "$T: name '$name' (recv $RRC, reply status '$st')"
		diag send.err recv.err
	fi
	rm -f reply
done

# ---------------------------------------------------------------------------
# secx-handshake: listen/connect, data both ways through the secured socket.
for t in use_loopback use_veth; do
	$t
	r0=$(stat_of "$NS_R" RxRecords-aes-256-gcm)
	rm -f listen.err
	in_r secx-handshake listen "$ADDR" 7201 $ED_R --once --suites aes-256-gcm -- \
		sh -c 'echo "$SECX_PEER $SECX_SUITE"; cat src/f100000; cat >hs.got' \
		2>listen.err &
	lpid=$!
	listen_port listen.err "$lpid" >/dev/null
	in_s timeout 60 secx-handshake connect "$ADDR" 7201 $ED_S --suites aes-256-gcm,aes-128-gcm -- \
		sh -c 'read -r l; echo "$l" >hs.hello; head -c 100000 >hs.back; cat src/f16385' \
		2>connect.err
	crc=$?
	wait_rc "$lpid" 30
	lrc=$?
	r1=$(stat_of "$NS_R" RxRecords-aes-256-gcm)
	if [ "$crc" = 0 ] && [ "$lrc" = 0 ] && [ "$(cat hs.hello)" = "alice aes-256-gcm" ] &&
	   [ "$(hash_of hs.got)" = "$(hash_of src/f16385)" ] &&
	   [ "$(hash_of hs.back)" = "$(hash_of src/f100000)" ] && [ "$r1" -gt "$r0" ]; then
		pass "$T: secx-handshake listen/connect -- CMD, both directions, $(cat hs.hello) (RxRecords $r0 -> $r1)"
	else
		fail "$T: secx-handshake listen/connect (connect $crc, listen $lrc, hello '$(cat hs.hello 2>/dev/null)')"
		diag connect.err listen.err
	fi
	rm -f hs.got hs.back hs.hello

	# --fd: plain nc connects and execs a shell that secures its fd 0.
	r0=$(stat_of "$NS_R" RxRecords-aes-128-gcm)
	in_r nc -l -p 7202 -e sh -c "secx-handshake --fd 0 --server --psk psk 2>$W/fds.err && cat >$W/fd.got" &
	lpid=$!
	wait_tcp_listen "$NS_R" 7202
	in_s timeout 60 nc "$ADDR" 7202 -e sh -c "secx-handshake --fd 0 --psk psk 2>$W/fdc.err && cat src/f100000"
	crc=$?
	wait_rc "$lpid" 30
	lrc=$?
	r1=$(stat_of "$NS_R" RxRecords-aes-128-gcm)
	if [ "$crc" = 0 ] && [ "$lrc" = 0 ] && [ "$(hash_of fd.got)" = "$(hash_of src/f100000)" ] &&
	   [ "$r1" -gt "$r0" ]; then
		pass "$T: secx-handshake --fd 0 on both ends of a plain nc connection (RxRecords $r0 -> $r1)"
	else
		fail "$T: secx-handshake --fd (client $crc, server $lrc)"
		diag fdc.err fds.err
	fi
	rm -f fd.got
done

# ---------------------------------------------------------------------------
# The wire: a plain TCP relay records what passes.  With the module the
# marker never appears, also with SECX_NO_KERNEL=1 in the environment (the
# shipped tools have no test mode); the same relay carrying the file over
# plain TCP sees it (so the capture works).
use_loopback
wire() {
	rm -f wire.c2s wire.s2c
	start_recv --json $ED_R
	nc -l -p 7203 -e sh -c "tee $W/wire.c2s | nc 127.0.0.1 $RPORT | tee $W/wire.s2c" &
	relay=$!
	wait_tcp_listen "" 7203
	timeout 60 secx-send --json $ED_S src/marker 127.0.0.1 7203 >send.out 2>send.err
	SRC=$?
	wait_rc "$RPID" 30
	RRC=$?
	wait_rc "$relay" 10
}
wire
sz=$(stat -c %s wire.c2s 2>/dev/null)
if arrived marker && [ "${sz:-0}" -gt 204800 ] && ! grep -q SECX-PLAINTEXT-MARKER wire.c2s; then
	pass "wire: $sz bytes relayed, no plaintext marker in them"
else
	fail "wire: marker seen or transfer failed (send $SRC, recv $RRC, $sz bytes)"
	diag send.err recv.err
fi
# Handshake v2 hides identities: neither direction of the capture holds the
# client's name or either Ed25519 public key (compared as hex, so binary
# bytes need no quoting).
hexof() { od -An -tx1 -v | tr -d ' \n'; }
cat wire.c2s wire.s2c 2>/dev/null | hexof >wire.hex
ahex=$(base64 -d <alice.pub 2>/dev/null | hexof)
bhex=$(base64 -d <bob.pub 2>/dev/null | hexof)
if [ -s wire.s2c ] && [ ${#ahex} = 64 ] && [ ${#bhex} = 64 ] &&
   ! grep -a -q alice wire.c2s wire.s2c && ! grep -q -e "$ahex" -e "$bhex" wire.hex; then
	pass "wire: handshake v2: no peer name and no Ed25519 public key in the capture (both directions)"
else
	fail "wire: an identity is visible in the capture (s2c $(stat -c %s wire.s2c 2>/dev/null) bytes, key hex ${#ahex})"
fi
export SECX_NO_KERNEL=1
wire
unset SECX_NO_KERNEL
sz=$(stat -c %s wire.c2s 2>/dev/null)
if arrived marker && [ "${sz:-0}" -gt 204800 ] && ! grep -q SECX-PLAINTEXT-MARKER wire.c2s; then
	pass "wire: SECX_NO_KERNEL=1 changes nothing in the shipped tools ($sz bytes, no marker)"
else
	fail "wire: with SECX_NO_KERNEL=1 the marker was seen or the transfer failed (send $SRC)"
	diag send.err recv.err
fi
rm -f wire.c2s
sleep 15 | nc -l -p 7205 >/dev/null &	# stdin held open: nc closes on its EOF
plain=$!
wait_tcp_listen "" 7205
nc -l -p 7204 -e sh -c "tee $W/wire.c2s | nc 127.0.0.1 7205" &
relay=$!
wait_tcp_listen "" 7204
{ cat src/marker; sleep 1; } | timeout 10 nc 127.0.0.1 7204
kill "$relay" "$plain" 2>/dev/null
wait "$relay" "$plain" 2>/dev/null
if grep -q SECX-PLAINTEXT-MARKER wire.c2s; then
	pass "wire: control: the file over plain TCP through the relay shows the marker"
else
	fail "wire: control run did not show the marker"
fi

echo "1..$n"
echo "# xfer.sh: $((n - nfail)) of $n passed on $(uname -r)"
[ "$nfail" = 0 ]
