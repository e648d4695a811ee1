#!/usr/bin/env bash
# Host side of the fuzz lane: libFuzzer + ASan/UBSan builds of the userspace
# parsers, each run for a fixed time; one summary line per target.
#
#   scripts/fuzz-host.sh [-t SECONDS] [TARGET...]    targets: record hs (default both)
#
# Installs clang and libclang-rt-14-dev (Debian 12) if they are missing.
# Builds into build/fuzz-host/, keeps each corpus in build/fuzz-host/corpus-T
# (so later runs start where the last one stopped) and crash inputs in
# build/fuzz-host/crash-T-*.  Exit status: 0 no crash, 1 a target crashed or
# failed to build, 2 usage.  Documentation/fuzzing.rst has the figures.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
secs=300
while [ $# -gt 0 ]; do
	case "$1" in
	-t) secs=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
	-*) echo "fuzz-host.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
case "$secs" in ''|*[!0-9]*) echo "fuzz-host.sh: bad seconds '$secs'" >&2; exit 2 ;; esac
targets=${*:-record hs}

if ! command -v clang >/dev/null ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libclang-rt-14-dev >/dev/null
fi

out=$top/build/fuzz-host
mkdir -p "$out"
us=$top/userspace
san=(-g -O1 -std=gnu11 -D_GNU_SOURCE "-fsanitize=fuzzer,address,undefined"
     -fno-sanitize-recover=undefined -I"$top/uapi" -I"$top/kmod/common" -I"$us/lib")
nl_cflags=$(pkg-config --cflags libnl-genl-3.0 2>/dev/null || true)
nl_libs=$(pkg-config --libs libnl-genl-3.0 2>/dev/null || true)

build() {
	case "$1" in
	record)
		clang "${san[@]}" -DSECX_LIBFUZZER -o "$out/fuzz_record" \
			"$us/fuzz/fuzz_record.c" "$us/lib/record.c" "$us/lib/kdf.c" -lcrypto
		# valid records of every suite as the starting corpus
		make -s -C "$us" build/fuzz/fuzz_record >/dev/null
		mkdir -p "$out/corpus-record"
		"$us/build/fuzz/fuzz_record" --corpus "$out/corpus-record" >/dev/null ;;
	hs)
		# shellcheck disable=SC2086 # pkg-config output is words
		clang "${san[@]}" $nl_cflags -o "$out/fuzz_hs" "$us/fuzz/fuzz_hs.c" \
			"$us"/lib/*.c -lcrypto $nl_libs
		mkdir -p "$out/corpus-hs" ;;
	*) echo "fuzz-host.sh: unknown target $1" >&2; return 2 ;;
	esac
}

status=0
for t in $targets; do
	if ! build "$t" >"$out/build-$t.log" 2>&1; then
		echo "fuzz_$t: build failed:"; tail -n 20 "$out/build-$t.log"
		status=1
		continue
	fi
	log=$out/run-$t.log
	rc=0
	(cd "$out" && nice -n 10 "./fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/crash-$t-" "corpus-$t") >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	crashes=$(find "$out" -maxdepth 1 -name "crash-$t-*" | wc -l)
	echo "fuzz_$t: ${execs:-0} execs in ${secs} s ($(( ${execs:-0} / (secs ? secs : 1) ))/s)," \
	     "coverage ${cov:-?} edges, corpus $(find "$out/corpus-$t" -type f | wc -l) inputs," \
	     "exit $rc, crash files $crashes"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$log" || true
		status=1
	fi
done
exit "$status"
