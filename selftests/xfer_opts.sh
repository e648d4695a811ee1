#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secx-send/secx-recv options over the real secx.ko (issue 12 item 6):
# --rekey-bytes / --rekey-records / --rekey-seconds set the connection's
# key update budgets; --json's "key_updates" counts them in both
# directions and matches the kernel's own count (TxRekeys/RxRekeys of
# /proc/net/secx_stat); the file arrives intact however many times the key
# changed.  A config file gives the same budgets.  Signed files (item 5):
# Ed25519 over the real module, --keep-signatures stores NAME.secxsig,
# secx-verify accepts it and rejects the file once modified.
#
# POSIX sh for busybox ash.  Prints TAP; exits 1 if any test failed.
#   scripts/vm/run.sh -k 6.12 -- sh /secx/selftests/xfer_opts.sh

W=/tmp/secx-xfer-opts
n=0 nfail=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
diag() { for f; do [ -s "$f" ] && sed "s|^|#   $f: |" "$f" | head -n 20; done; return 0; }

rm -rf "$W"
mkdir -p "$W/src" || exit 1
cd "$W" || exit 1
RPID=
cleanup() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null
	cd /
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# no user or system config from the guest image: only what a test gives
export XDG_CONFIG_HOME="$W/xdg"

wait_rc() {
	(sleep "${2:-120}"; kill "$1" 2>/dev/null) &
	_k=$!
	wait "$1"
	_rc=$?
	kill "$_k" 2>/dev/null
	return "$_rc"
}
stat_of() { sed -n "s/^$1 *\([0-9][0-9]*\)\$/\1/p" /proc/net/secx_stat; }
hash_of() { sha256sum <"$1" | cut -d' ' -f1; }
hexof() { od -An -v -tx1 | tr -d ' \n'; }
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
# "key_updates":{"tx":N,"rx":N} of a JSON summary: prints "TX RX"
updates_of() {
	sed -n 's/.*"key_updates":{"tx":\([0-9]*\),"rx":\([0-9]*\)}.*/\1 \2/p' "$1"
}

(umask 077; echo "alice $(head -c 32 /dev/urandom | hexof)" >psk)
head -c $((4 * 1024 * 1024 + 4097)) /dev/urandom >src/big
head -c 300000 /dev/urandom >src/small

# One transfer on loopback.  $1: name, $2: receiver options, $3: sender
# options, $4: file.  Sets ST/SR ("TX RX" of each side) and the kernel's
# deltas KTX/KRX (both sides are in this namespace: sums of both).
transfer() {
	rm -rf dst recv.out recv.err send.out send.err
	mkdir dst
	tx0=$(stat_of TxRekeys) rx0=$(stat_of RxRekeys)
	# shellcheck disable=SC2086
	secx-recv --once --json --dir dst --bind 127.0.0.1 --psk psk $2 0 \
		>recv.out 2>recv.err &
	RPID=$!
	port=$(listen_port recv.err "$RPID") || port=1
	# shellcheck disable=SC2086
	timeout 300 secx-send --json --psk psk $3 "src/$4" 127.0.0.1 "$port" \
		>send.out 2>send.err
	SRC=$?
	wait_rc "$RPID" 120
	RRC=$?
	RPID=
	KTX=$(($(stat_of TxRekeys) - tx0)) KRX=$(($(stat_of RxRekeys) - rx0))
	ST=$(updates_of send.out) SR=$(updates_of recv.out)
	OK=0
	[ "$SRC" = 0 ] && [ "$RRC" = 0 ] && [ -f "dst/$4" ] &&
		[ "$(hash_of "dst/$4")" = "$(hash_of "src/$4")" ] && OK=1
	[ "$OK" = 1 ] || diag send.err recv.err
}
# "TX RX" words
tx_of() { echo "$1" | cut -d' ' -f1; }
rx_of() { echo "$1" | cut -d' ' -f2; }

# ---- a byte budget small enough to change keys many times ----
transfer "rekey-bytes" "--rekey-bytes 65536" "--rekey-bytes 65536" big
stx=$(tx_of "$ST") srx=$(rx_of "$ST") rtx=$(tx_of "$SR") rrx=$(rx_of "$SR")
if [ "$OK" = 1 ]; then
	pass "--rekey-bytes 65536: 4 MiB arrive intact"
else
	fail "--rekey-bytes 65536: transfer (send $SRC, recv $RRC)"
fi
# 4 MiB in 64 KiB budgets: at least 63 updates of the sender's key
if [ -n "$stx" ] && [ "$stx" -ge 63 ]; then
	pass "sender's --json counts its key updates ($stx >= 63)"
else
	fail "sender's key updates: '$ST' (expected tx >= 63)"; diag send.out
fi
if [ -n "$rrx" ] && [ "$rrx" = "$stx" ] && [ "$srx" = "$rtx" ]; then
	pass "receiver's rx ($rrx) = sender's tx, sender's rx ($srx) = receiver's tx"
else
	fail "directions disagree: send '$ST', recv '$SR'"; diag recv.out
fi
if [ -n "$stx" ] && [ "$KTX" = $((stx + rtx)) ] && [ "$KRX" = $((srx + rrx)) ]; then
	pass "the JSON counts match the kernel's TxRekeys (+$KTX) and RxRekeys (+$KRX)"
else
	fail "kernel counted TxRekeys +$KTX RxRekeys +$KRX, JSON send '$ST' recv '$SR'"
fi

# ---- no budget given: the namespace default (64 GiB) means no update ----
transfer "default" "" "" small
if [ "$OK" = 1 ] && [ "$ST" = "0 0" ] && [ "$SR" = "0 0" ] && [ "$KTX" = 0 ]; then
	pass "no --rekey option: key_updates 0 both ways (send '$ST', recv '$SR')"
else
	fail "no --rekey option: send '$ST', recv '$SR', kernel +$KTX (ok $OK)"
fi

# ---- a record budget; the receiver's budget comes from a config file ----
mkdir -p "$XDG_CONFIG_HOME/secx"
printf 'rekey-records 4\n' >"$XDG_CONFIG_HOME/secx/config"
chmod 600 "$XDG_CONFIG_HOME/secx/config"
transfer "rekey-records" "" "--rekey-records 4 --no-config" small
stx=$(tx_of "$ST") rrx=$(rx_of "$SR")
# 300000 bytes: at least 19 data records, so at least 4 updates
if [ "$OK" = 1 ] && [ -n "$stx" ] && [ "$stx" -ge 4 ] && [ "$rrx" = "$stx" ] &&
   [ "$KTX" = $((stx + $(tx_of "$SR"))) ]; then
	pass "--rekey-records 4: intact, $stx updates, counts agree with the kernel"
else
	fail "--rekey-records 4: send '$ST', recv '$SR', kernel +$KTX (ok $OK)"
fi
rm -f "$XDG_CONFIG_HOME/secx/config"

# ---- the kernel's bounds: refused before connecting, exit 2, one line ----
secx-send --psk psk --rekey-bytes 1000 src/small 127.0.0.1 1 >send.out 2>send.err
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <send.err)" = 1 ] && grep -q -- --rekey-bytes send.err; then
	pass "--rekey-bytes 1000 (below the kernel's 1024): exit 2 naming the option"
else
	fail "--rekey-bytes 1000: rc $rc"; diag send.err
fi
secx-recv --psk psk --rekey-records 1 0 >recv.out 2>recv.err
rc=$?
if [ "$rc" = 2 ] && grep -q -- --rekey-records recv.err; then
	pass "secx-recv --rekey-records 1: exit 2 naming the option"
else
	fail "secx-recv --rekey-records 1: rc $rc"; diag recv.err
fi

# ---- signed files: Ed25519 identities, --keep-signatures, secx-verify ----
secx-handshake genkey alice.key >alice.pub 2>/dev/null
secx-handshake genkey bob.key >bob.pub 2>/dev/null
echo "bob $(cat bob.pub)" >alice.kp
echo "alice $(cat alice.pub)" >bob.kp
rm -rf dst && mkdir dst
secx-recv --once --dir dst --bind 127.0.0.1 --key bob.key --known-peers bob.kp --name bob \
	--keep-signatures 0 >recv.out 2>recv.err &
RPID=$!
port=$(listen_port recv.err "$RPID") || port=1
timeout 300 secx-send --key alice.key --known-peers alice.kp --name alice --peer-name bob \
	src/big 127.0.0.1 "$port" >send.out 2>send.err
SRC=$?
wait_rc "$RPID" 120
RRC=$?
RPID=
if [ "$SRC" = 0 ] && [ "$RRC" = 0 ] && [ -s dst/big.secxsig ] &&
   [ "$(hash_of dst/big)" = "$(hash_of src/big)" ] &&
   secx-verify dst/big --known-peers bob.kp >verify.out 2>&1; then
	pass "signed file over secx.ko: big + big.secxsig stored, secx-verify: $(cat verify.out)"
else
	fail "signed file: send $SRC, recv $RRC"; diag send.err recv.err verify.out
fi
printf 'X' | dd of=dst/big bs=1 seek=1000 conv=notrunc 2>/dev/null
if secx-verify dst/big --known-peers bob.kp >verify.out 2>&1; then
	fail "secx-verify accepted a modified file: $(cat verify.out)"
else
	pass "secx-verify rejects the file after one byte changed: $(cat verify.out)"
fi

echo "1..$n"
[ "$nfail" = 0 ]
