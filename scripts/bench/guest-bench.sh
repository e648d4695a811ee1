#!/bin/sh
# Guest side of scripts/bench/run.sh: set up the veth pair between netns a
# and b, create the data files on tmpfs, check every case once on a small
# file (--verify: byte count and content), then run the cases interleaved
# (A B C ... A B C ...) for each repetition and size.
#
#   guest-bench.sh CASES VERIFY_BYTES REPS SIZE_BYTES...
#
# CASES has one case a line: "name|secx-bench arguments".  Each measured
# run gets a marker tag (see insncount.c); results are secx-result lines.
cases=$1 vbytes=$2 reps=$3
shift 3
PATH=$PATH:/usr/sbin
bench=/secx/bin/secx-bench
ip=/usr/sbin/ip
rc=0

$ip netns add a && $ip netns add b &&
$ip link add va netns a type veth peer name vb netns b &&
$ip -n a addr add 10.99.0.1/24 dev va && $ip -n b addr add 10.99.0.2/24 dev vb &&
$ip -n a link set lo up && $ip -n b link set lo up &&
$ip -n a link set va up && $ip -n b link set vb up || { echo "SECX-BENCH-ERROR: veth set-up"; exit 1; }

# What udev does on a real machine from the CPU's modalias: load the
# SIMD cipher drivers.  Without them "gcm(aes)" is built from aes-generic
# and costs about 15 times more instructions.
for m in aesni_intel ghash_clmulni_intel sha256_ssse3 sha512_ssse3 \
	chacha_x86_64 poly1305_x86_64 crc32c_intel; do
	modprobe "$m" 2>/dev/null
done

# Where the kernel's copy and clear functions are: the plugin counts the
# bytes they store without REP (6.12's memcpy/memset on this CPU model).
echo 0 >/proc/sys/kernel/kptr_restrict
$bench --plugin-ranges || { echo "SECX-BENCH-ERROR: --plugin-ranges"; rc=1; }
# Known REP MOVS/STOS work between markers: checks the plugin's counting.
$bench --plugin-check

echo "secx-bench-env kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
[ "$vbytes" = 0 ] || $bench --mkfile /tmp/verify.dat "$vbytes" || exit 1
for s in "$@"; do
	$bench --mkfile "/tmp/data.$s" "$s" || exit 1
done

# Correctness pass (also loads tls.ko and the crypto modules once).  With
# VERIFY_BYTES 0 (quick mode) the measured runs check their data instead.
check=
[ "$vbytes" = 0 ] && check=--verify
[ "$vbytes" = 0 ] || while IFS='|' read -r name args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	$bench $args --file /tmp/verify.dat --verify --name "$name" \
		--timeout $((60 + vbytes / 131072)) </dev/null || rc=1
done <"$cases"
echo "secx-bench-verify-done rc=$rc"

tag=1
rep=1
while [ "$rep" -le "$reps" ]; do
	while IFS='|' read -r name args; do
		[ -n "$name" ] || continue
		for s in "$@"; do
			echo "secx-run rep=$rep tag=$tag size=$s name=$name"
			# shellcheck disable=SC2086
			$bench $args $check --file "/tmp/data.$s" --name "$name" --tag "$tag" \
				--timeout $((${check:+-30} + 60 + s / 131072)) </dev/null || rc=1
			tag=$((tag + 1))
		done
	done <"$cases"
	rep=$((rep + 1))
done
# The drivers the crypto API picked for the algorithms the cases used.
awk '/^name/ { n = $3 } /^driver/ { d = $3 } /^priority/ { p = $3 }
     /^$/ { if (n ~ /^(gcm\(aes\)|rfc7539\(chacha20,poly1305\)|authenc\(.*\)|aes|ghash|chacha20|poly1305)$/)
		print "secx-bench-driver", n, d, p; n = d = p = "" }' /proc/crypto | sort -u
echo "secx-bench-done rc=$rc"
exit $rc
