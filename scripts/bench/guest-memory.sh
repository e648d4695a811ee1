#!/bin/sh
# Guest side of scripts/bench/memory.sh (and of run.sh --quick): memory per
# connection pair for plain TCP, kTLS and secx (AES-128-GCM), interleaved
# (tcp ktls secx tcp ktls secx ...) for each repetition, in one boot.
#
#   guest-memory.sh PAIRS XFER_PAIRS XFER_BYTES IDLE_S REPS
#
# Each run: PAIRS idle pairs keyed both ways (secx-mem phase=idle), then
# XFER_BYTES moved through XFER_PAIRS of them and IDLE_S seconds idle
# (phase=xfer).  Exit status non-zero if any run failed.
pairs=$1 xfer=$2 bytes=$3 idle=$4 reps=$5
bench=/secx/bin/secx-bench
rc=0

# The first use of tls.ko and of gcm(aes) loads modules and instantiates
# crypto templates: do that once outside the measurement.
modprobe tls 2>/dev/null
$bench --mkfile /tmp/mem.dat "$bytes" || exit 1
$bench --mkfile /tmp/warm.dat 262144 || exit 1
for p in tcp ktls secx; do
	$bench --mem-pairs 2 --mem-xfer 1 --mem-idle 0 --file /tmp/warm.dat --proto $p \
		--name warmup >/dev/null || { echo "SECX-BENCH-ERROR: memory warm-up $p"; rc=1; }
done
echo "secx-mem-env kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)" \
	"mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)" \
	"slabinfo=$([ -r /proc/slabinfo ] && echo yes || echo no)" \
	"pairs=$pairs xfer_pairs=$xfer xfer_bytes=$bytes idle_s=$idle reps=$reps"
rep=1
while [ "$rep" -le "$reps" ]; do
	for p in tcp ktls secx; do
		sync
		echo 3 >/proc/sys/vm/drop_caches
		$bench --mem-pairs "$pairs" --mem-xfer "$xfer" --mem-idle "$idle" \
			--file /tmp/mem.dat --proto $p --suite aes128gcm --name "$p-r$rep" ||
			{ echo "SECX-BENCH-ERROR: memory run $p rep $rep failed"; rc=1; }
	done
	rep=$((rep + 1))
done
rm -f /tmp/mem.dat /tmp/warm.dat
echo "secx-mem-all-done rc=$rc"
exit $rc
