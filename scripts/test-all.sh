#!/usr/bin/env bash
# Run every secx test and end with one line "N passed, N failed":
#   1. install what is missing (scripts/setup.sh), build everything
#   2. lint gates on kmod/ (checkpatch --strict, W=1, sparse; scripts/lint.sh)
#   3. host unit tests (make -C userspace check)
#   4. the selftests and end-to-end scripts inside a VM on every guest kernel
#      (6.1 with ->sendpage, 6.12 without, and the debug kernel: 6.12 with
#      KASAN, lockdep, UBSAN, kmemleak, hung-task and lockup detectors, built
#      by scripts/debug-kernel.sh, cached after the first run on a machine)
#   5. the benchmark still runs end to end (scripts/bench/run.sh --quick:
#      tiny files, every case's bytes checked; counted as one test)
# Each VM run also fails on any kernel BUG/WARNING/Oops/leak/unexpected taint
# and if secx.ko cannot be unloaded afterwards (scripts/vm/check-log.sh).
#
#   6. the install test: Debian packages, DKMS, the installed tools in the VM
#      (scripts/install-test.sh)
# On the debug kernel the lane is secx-selftests-debug: the whole VM suite
# (bulk volumes / 8, harness timeouts x 4), then secx-fuzz for a fixed
# budget.  It is the longest step, and a guest mostly keeps one host CPU
# busy, so right after the build a background chain builds the debug
# kernel if it is not cached, builds secx.ko for it and runs the lane,
# beside lint, the host tests, the cloud-kernel lanes and the install test;
# the benchmark runs alone at the end.  Measured in one clean-clone run:
# the debug lane 54 minutes beside the rest (the bounds: 2400 s per cloud
# lane, 5400 s for the debug lane); one after the other the whole command
# would come close to CI's 90 minutes.
#
#   scripts/test-all.sh [--kernels "6.1 6.12 debug"] [--no-lint] [--no-host] [--no-bench]
#                       [--no-install]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

series="6.1 6.12 debug" lint=1 host=1 bench=1 install=1
while [ $# -gt 0 ]; do
	case "$1" in
	--kernels) series=$2; shift 2 ;;
	--no-lint) lint=0; shift ;;
	--no-host) host=0; shift ;;
	--no-bench) bench=0; shift ;;
	--no-install) install=0; shift ;;
	*) echo "usage: $0 [--kernels LIST] [--no-lint] [--no-host] [--no-bench] [--no-install]" >&2
	   exit 2 ;;
	esac
done

pass=0 fail=0 skip=0
# Add the counts from a "... N passed, N failed[, N skipped]" line.
tally() {
	local line=$1 p f s
	p=$(sed -n 's/.*\b\([0-9]\+\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.*\b\([0-9]\+\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.*\b\([0-9]\+\) skipped.*/\1/p' <<<"$line")
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
}
step() { echo; echo "=== $*"; }

step "setup"
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

step "build"
if ! make -s all; then
	echo "build failed"
	echo "$pass passed, $((fail + 1)) failed"
	exit 1
fi

# One VM lane: run it, keep its log and exit status for report_lane.
vm_lane() {
	local k=$1 t=2400 cmd=secx-selftests-all start rc
	# KASAN+lockdep under TCG is several times slower: the debug lane
	if [ "$k" = debug ]; then
		t=5400 cmd="secx-selftests-debug ${SECX_FUZZ_DURATION:-180}"
	fi
	start=$(date +%s)
	SECX_VM_LOG=$top/build/vm/selftests-$k.log \
		scripts/vm/run.sh -k "$k" -t "$t" -m 2048 -- $cmd >"$top/build/vm/selftests-$k.out" 2>&1
	rc=$?
	echo "$rc $(( $(date +%s) - start ))" >"$top/build/vm/selftests-$k.rc"
}

# Print a finished lane's result and add it to the tally.
report_lane() {
	local k=$1 log=$top/build/vm/selftests-$1.out rc secs last
	read -r rc secs <"$top/build/vm/selftests-$k.rc" 2>/dev/null || { rc=1 secs=?; }
	step "VM selftests on $k"
	echo "# VM run on $k: ${secs}s"
	grep -E '^(not ok|# ----|#.*FAIL|vm:)|SELFTESTS:|E2E:' "$log" | tail -n 80
	last=$(grep -E '^SELFTESTS: ' "$log" | tail -n 1)
	if [ -z "$last" ]; then
		echo "not ok - VM run on $k produced no result (exit $rc); see $log"
		tail -n 30 "$log"
		fail=$((fail + 1))
		return
	fi
	tally "$last"
	if [ "$rc" -ne 0 ] && ! grep -q '[1-9][0-9]* failed' <<<"$last"; then
		# the tests passed but the kernel log or module unload did not
		echo "not ok - $k: guest kernel or module check failed (see above)"
		fail=$((fail + 1))
	fi
}

mkdir -p "$top/build/vm"
rm -f "$top"/build/vm/selftests-*.rc "$top"/build/vm/selftests-*.out "$top/build/debug-kernel.rc"
# The debug lane: build (or find) the debug kernel, build secx.ko for it,
# run the lane.  In the background from here on: on a machine that has not
# built the kernel yet, its 1350 objects compile beside lint, the host tests
# and the cloud-kernel lanes, which mostly keep one CPU busy.
debug_chain() {
	local start=$(date +%s) rel kdir
	if ! scripts/debug-kernel.sh >build/debug-kernel.out 2>&1; then
		echo "1 $(( $(date +%s) - start ))" >build/debug-kernel.rc
		return
	fi
	echo "0 $(( $(date +%s) - start ))" >build/debug-kernel.rc
	rel=$(scripts/kernels.sh debug) && kdir=$(scripts/kernels.sh --kdir "$rel") &&
		make -s -C kmod KDIR="$kdir" >>build/debug-kernel.out 2>&1 || {
		echo "1 0 secx.ko" >build/debug-kernel.rc
		return
	}
	vm_lane debug
}
debug_pid=
case " $series " in
*" debug "*)
	step "debug kernel and its VM lane: started in the background (reported below)"
	debug_chain &
	debug_pid=$!
	# a cached kernel boots at once: let the lane pack its initramfs
	# before anything else touches build outputs
	if scripts/debug-kernel.sh --find >/dev/null 2>&1; then
		for _ in $(seq 180); do
			grep -q '^vm: booting' "$top/build/vm/selftests-debug.out" 2>/dev/null && break
			sleep 1
		done
	fi ;;
esac

if [ "$lint" = 1 ]; then
	step "lint"
	out=$(scripts/lint.sh 2>&1)
	echo "$out"
	tally "$(grep -c '^ok ' <<<"$out") passed, $(grep -c '^not ok ' <<<"$out") failed"
fi

if [ "$host" = 1 ]; then
	step "host unit tests"
	out=$(make -s -C userspace check 2>&1)
	rc=$?
	echo "$out" | grep -v '^ok ' | tail -n 60
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	if [ -z "$last" ]; then
		echo "not ok - host unit tests did not report (exit $rc)"
		fail=$((fail + 1))
	else
		echo "host: $last"
		tally "$last"
		[ "$rc" -ne 0 ] && ! grep -q '[1-9][0-9]* failed' <<<"$last" && fail=$((fail + 1))
	fi
fi

if [ "$host" = 1 ]; then
	step "systemd units (systemd/check.sh: systemd-analyze verify)"
	out=$(systemd/check.sh 2>&1)
	echo "$out"
	tally "$(grep -c '^ok ' <<<"$out") passed, $(grep -c '^not ok ' <<<"$out") failed"
	grep -q '^ok ' <<<"$out" || { echo "not ok - systemd/check.sh verified nothing"; fail=$((fail + 1)); }
fi

for k in $series; do
	[ "$k" = debug ] && continue
	vm_lane "$k"
	report_lane "$k"
done

if [ "$install" = 1 ]; then
	# Documentation/libsecx.rst, README "Install on real machines"
	step "install test (make deb, lintian, dpkg --root, DKMS, installed tools in the VM)"
	out=$(scripts/install-test.sh --kernels "$(echo " $series " | sed 's/ debug / /')" 2>&1)
	echo "$out" | grep -v '^ok ' | tail -n 40
	last=$(grep -E '^install-test: [0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	if [ -z "$last" ]; then
		echo "not ok - install test did not report"
		fail=$((fail + 1))
	else
		echo "$last"
		tally "$last"
	fi
fi

if [ -n "$debug_pid" ]; then
	wait "$debug_pid"
	step "debug kernel (scripts/debug-kernel.sh: cached, or built once)"
	read -r dkrc dksecs dkwhat <build/debug-kernel.rc 2>/dev/null || dkrc=1
	if [ "$dkrc" = 0 ]; then
		echo "ok - debug kernel $(scripts/kernels.sh debug) ready, every option of" \
		     "scripts/debug-kernel/secx-debug.config set (${dksecs}s)"
		pass=$((pass + 1))
		report_lane debug
	else
		tail -n 30 build/debug-kernel.out
		echo "not ok - debug kernel ${dkwhat:-build} failed; see build/debug-kernel.out"
		fail=$((fail + 1))
	fi
fi

if [ "$bench" = 1 ]; then
	step "benchmark smoke test (scripts/bench/run.sh --quick)"
	if scripts/bench/run.sh --quick >build/bench-quick.out 2>&1; then
		echo "ok - benchmark runs (every case transferred and checked)"
		pass=$((pass + 1))
	else
		tail -n 30 build/bench-quick.out
		echo "not ok - benchmark quick run failed; see build/bench-quick.out"
		fail=$((fail + 1))
	fi
fi

echo
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
