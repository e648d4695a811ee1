#!/usr/bin/env bash
# Kernel memory per connection pair: plain TCP, kTLS (TLS_TX + TLS_RX on
# both ends) and secx (SECX_TX + SECX_RX on both ends), AES-128-GCM, one
# guest boot per kernel.  See Documentation/benchmarks.rst, "Memory per
# connection".
#
#   scripts/bench/memory.sh [--kernel 6.1|6.12|both] [--pairs N] [--reps R]
#                           [--xfer-pairs K] [--xfer-mib M] [--idle S]
#                           [--quick] [--no-build] [--kmod REV] [--out DIR]
#
#   --pairs N       idle pairs, keyed both ways (default 1000)
#   --xfer-pairs K  pairs that then move M MiB each, sendfile -> recv
#                   (default 2; --xfer-mib default 64)
#   --idle S        idle seconds after the transfer before measuring (10)
#   --reps R        interleaved repetitions (tcp ktls secx ...); medians (3)
#   --quick         20 pairs, 1 transfer pair of 4 MiB, 2 s idle, 1 rep
#   --kmod REV      measure secx.ko built from git revision REV
#
# Results: build/bench/memory.txt (the table), memory-<kernel>.log.
set -euo pipefail

cmdline="scripts/bench/memory.sh $*"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kernels="6.1 6.12" pairs=1000 reps=3 xpairs=2 xmib=64 idle=10 build=1 kmod_rev=
out=$top/build/bench
bin=$top/build/bench
while [ $# -gt 0 ]; do
	case "$1" in
	-k|--kernel) kernels=$2; [ "$kernels" = both ] && kernels="6.1 6.12"; shift 2 ;;
	--pairs) pairs=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--xfer-pairs) xpairs=$2; shift 2 ;;
	--xfer-mib) xmib=$2; shift 2 ;;
	--idle) idle=$2; shift 2 ;;
	--quick) pairs=20 reps=1 xpairs=1 xmib=4 idle=2; shift ;;
	--no-build) build=0; shift ;;
	--kmod) kmod_rev=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '2,19p' "$0"; exit 0 ;;
	*) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for v in "$pairs" "$reps" "$xpairs" "$xmib" "$idle"; do
	[[ "$v" =~ ^[0-9]+$ ]] || { echo "memory.sh: not a number: '$v'" >&2; exit 2; }
done
if [ "${#pairs}" -gt 6 ] || [ "$pairs" -lt 1 ] || [ "$pairs" -gt 20000 ] ||
   [ "${#reps}" -gt 3 ] || [ "$reps" -lt 1 ] || [ "${#xmib}" -gt 4 ] || [ "$xmib" -lt 1 ] ||
   [ "$xmib" -gt 1024 ] || [ "${#xpairs}" -gt 6 ] || [ "$xpairs" -gt "$pairs" ] ||
   [ "${#idle}" -gt 4 ] || [ "$idle" -gt 3600 ]; then
	echo "memory.sh: need 1 <= pairs <= 20000, 1 <= reps <= 999, 1 <= xfer-mib <= 1024," \
		"xfer-pairs <= pairs, idle <= 3600" >&2
	exit 2
fi

mkdir -p "$out"
[ "$build" = 1 ] && [ -z "$kmod_rev" ] && make -s -C "$top" kmod >/dev/null
[ "$build" = 1 ] && make -s -C "$here"
rc=0 logs=()
for series in $kernels; do
	kver=$("$top/scripts/kernels.sh" "$series")
	ko=()
	if [ -n "$kmod_rev" ]; then
		rev=$(git -C "$top" rev-parse --short "$kmod_rev")
		src=$bin/src-$rev
		if [ ! -f "$src/kmod/build/$kver/secx.ko" ]; then
			rm -rf "$src" && mkdir -p "$src"
			git -C "$top" archive "$rev" kmod uapi userspace/lib | tar -x -C "$src"
			make -s -C "$src/kmod" KDIR="/lib/modules/$kver/build" >/dev/null
		fi
		ko=(--ko "$src/kmod/build/$kver/secx.ko")
	fi
	log=$out/memory-$series.log
	logs+=("$log")
	# memory: N pairs of secx at ~120 KB plus the transfer file and rings
	mem=$((1024 + pairs * 2 / 5 + 3 * xmib))
	echo "memory: $kver, $pairs pairs x $reps reps, $xpairs x $xmib MiB transfers, ${idle} s idle"
	SECX_ACCEL=tcg,thread=multi SECX_VM_LOG=$out/vm-memory-$series.log \
		"$top/scripts/vm/run.sh" -k "$series" -s 2 -m "$mem" -t 3000 "${ko[@]}" \
		-f "$bin/secx-bench:/secx/bin/secx-bench" \
		-f "$here/guest-memory.sh:/secx/bench/guest-memory.sh" -- \
		sh /secx/bench/guest-memory.sh "$pairs" "$xpairs" $((xmib * 1048576)) "$idle" "$reps" \
		>"$log" 2>&1 || rc=1
	grep -E 'SECX-BENCH-ERROR|secx-bench:' "$log" || true
done
{
	echo "command: $cmdline"
	echo "secx tree: $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)${kmod_rev:+, secx.ko from $kmod_rev ($rev)}"
	/usr/bin/python3 "$here/memreport.py" "${logs[@]}"
} >"$out/memory.txt" || rc=1
cat "$out/memory.txt"
exit "$rc"
