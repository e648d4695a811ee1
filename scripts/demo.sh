#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job, end to end, in a VM (make demo):
#   install what is missing (scripts/setup.sh), build, boot the guest kernel
#   with secx.ko, make a 256 MiB file in tmpfs, give sender and receiver
#   each an Ed25519 identity pinned by the other, and move the file with
#   secx-send -> secx-recv (bodies via sendfile(), encrypted by the kernel)
#   over a veth pair between two network namespaces.  Then compare SHA-256
#   on both ends and print one result line with the throughput and suite.
#
#   scripts/demo.sh [-k 6.1|6.12] [-s SIZE_MIB] [--suite SUITE]
#
# Exit status 0 only if the file arrived intact through the kernel path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

series=6.1 mib=256 suite=aes-128-gcm
while [ $# -gt 0 ]; do
	case "$1" in
	-k) series=$2; shift 2 ;;
	-s) mib=$2; shift 2 ;;
	--suite) suite=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "usage: $0 [-k 6.1|6.12] [-s SIZE_MIB] [--suite SUITE]" >&2; exit 2 ;;
	esac
done
case "$mib" in ''|*[!0-9]*) echo "demo: -s needs a size in MiB" >&2; exit 2 ;; esac

say() { echo "demo: $*"; }
t0=$(date +%s)
say "setup (installs only what is missing)"
scripts/setup.sh | sed 's/^/  /'
say "build"
make -s all

work=$top/build/demo
mkdir -p "$work"
guest=$work/guest.sh
log=$work/demo-$series.out

# The guest side: everything in /tmp (tmpfs).  Prints "demo: ..." progress
# lines and ends with "SECX-DEMO-RESULT: <line>" or "SECX-DEMO-FAIL: why".
cat >"$guest" <<'GUEST'
IP=/usr/sbin/ip
MIB=$1 SUITE=$2
fail() { echo "SECX-DEMO-FAIL: $*"; for f in /tmp/d/*.err; do [ -s "$f" ] && sed "s|^|  $f: |" "$f"; done; exit 1; }
stat_of() { $IP netns exec "$1" cat /proc/net/secx_stat | sed -n "s/^$2 *\([0-9][0-9]*\)\$/\1/p"; }
json() { sed -n "s/.*\"$2\":\"*\([^\",}]*\).*/\1/p" "$1"; }
mkdir -p /tmp/d/src /tmp/d/in && cd /tmp/d || exit 1

echo "demo: guest $(uname -r), secx.ko loaded; network namespaces sender (10.99.0.1) <-veth-> receiver (10.99.0.2)"
$IP netns add sender && $IP netns add receiver &&
$IP link add vs netns sender type veth peer name vr netns receiver &&
$IP -n sender addr add 10.99.0.1/24 dev vs && $IP -n receiver addr add 10.99.0.2/24 dev vr &&
$IP -n sender link set lo up && $IP -n receiver link set lo up &&
$IP -n sender link set vs up && $IP -n receiver link set vr up || fail "cannot set up the veth pair"

echo "demo: two Ed25519 identities, each pinned by the other"
secx-handshake genkey laptop.key >laptop.pub 2>laptop.fp &&
secx-handshake genkey server.key >server.pub 2>server.fp || fail "genkey failed"
echo "laptop $(cat laptop.pub)" >server.known	# the receiver pins the sender
echo "server $(cat server.pub)" >laptop.known	# the sender pins the receiver
echo "demo:   laptop (sender)   $(cat laptop.fp)"
echo "demo:   server (receiver) $(cat server.fp)"

echo "demo: making a $MIB MiB file in tmpfs"
head -c 1048589 /dev/urandom >blk
i=0
while [ $i -le "$MIB" ]; do cat blk; i=$((i + 1)); done | head -c $((MIB * 1048576)) >src/big.bin
rm -f blk
size=$(stat -c %s src/big.bin)
[ "$size" = $((MIB * 1048576)) ] || fail "could not make the file ($size bytes)"

recs0=$(stat_of sender "TxRecords-$SUITE")
$IP netns exec receiver secx-recv --once --dir in --key server.key --known-peers server.known \
	--name server --suites "$SUITE" --json --bind 10.99.0.2 7000 >recv.json 2>recv.err &
rpid=$!
i=0
until grep -q 'listening on' recv.err; do
	i=$((i + 1)); [ $i -lt 100 ] && kill -0 $rpid 2>/dev/null || fail "secx-recv did not start"
	sleep 0.1
done
echo "demo: secx-recv listening in 'receiver'; secx-send in 'sender' sends the file (sendfile())"
$IP netns exec sender secx-send --key laptop.key --known-peers laptop.known --name laptop \
	--peer-name server --suites "$SUITE" --json src/big.bin 10.99.0.2 7000 >send.json 2>send.err &
spid=$!
wait $spid || fail "secx-send failed: $(cat send.err)"
wait $rpid || fail "secx-recv failed: $(cat recv.err)"
recs1=$(stat_of sender "TxRecords-$SUITE")
grep -q '"ok":true' send.json && grep -q '"ok":true' recv.json || fail "a tool reported failure"

echo "demo: comparing SHA-256 of the source and the received file"
h_src=$(sha256sum <src/big.bin | cut -d' ' -f1)
h_dst=$(sha256sum <in/big.bin | cut -d' ' -f1)
h_send=$(json send.json sha256) h_recv=$(json recv.json sha256)
echo "demo:   sender   file $h_src, secx-send reported $h_send"
echo "demo:   receiver file $h_dst, secx-recv reported $h_recv"
[ "$h_src" = "$h_dst" ] && [ "$h_send" = "$h_src" ] && [ "$h_recv" = "$h_src" ] ||
	fail "SHA-256 mismatch"
got=$(json send.json suite)
[ "$got" = "$SUITE" ] || fail "negotiated suite '$got', wanted '$SUITE'"
recs=$((recs1 - recs0))
[ "$recs" -ge $((size / 16384)) ] ||
	fail "the kernel sealed only $recs $SUITE records: not the secx path"
echo "demo: /proc/net/secx_stat (sender): TxRecords-$SUITE +$recs"
secs=$(json send.json seconds)
echo "SECX-DEMO-RESULT: $(awk -v b="$size" -v s="$secs" -v su="$SUITE" -v k="$(uname -r)" 'BEGIN {
	printf "secx: %d MiB sent with %s over sendfile() in %.1f s = %.1f MiB/s (SHA-256 verified; Ed25519-pinned, veth between two netns, Linux %s under QEMU TCG)",
	       b / 1048576, su, s, b / 1048576 / s, k }')"
GUEST

mem=$((mib * 2 + 1024))
[ "$mem" -lt 2048 ] && mem=2048
say "booting Linux $series under QEMU (TCG: no KVM, so expect tens of MiB/s)"
status=0
SECX_VM_LOG=$work/demo-$series.log scripts/vm/run.sh -k "$series" -m "$mem" -t 900 \
	-f "$guest:/secx/demo.sh" -- sh /secx/demo.sh "$mib" "$suite" >"$log" 2>&1 || status=$?
grep -E '^(demo:|  )' "$log" | sed 's/^demo: /demo: [guest] /' || true
result=$(sed -n 's/^SECX-DEMO-RESULT: //p' "$log")
if [ "$status" -ne 0 ] || [ -z "$result" ]; then
	grep -E 'SECX-DEMO-FAIL|^vm: FAIL|SECX-ERROR' "$log" >&2 || tail -n 30 "$log" >&2
	echo "demo: FAILED (full guest log: $log)" >&2
	exit 1
fi
say "done in $(($(date +%s) - t0)) s (guest log: $log)"
echo "$result"
