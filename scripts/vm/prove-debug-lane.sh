#!/usr/bin/env bash
# Prove that the debug-kernel lane catches each defect class: build one
# deliberately broken module per class (scripts/vm/proofs/), boot the debug
# kernel with it, and require that the run FAILS and that check-log.sh quotes
# the class's own report.  A clean run (`true`) must pass first, or a
# failure could be boot noise.
#
#   scripts/vm/prove-debug-lane.sh [clean|uaf|lockinv|atomic_sleep|oob|leak|hung]...
#
# One debug-kernel boot per class (about 1-2 minutes each under TCG), so this
# is not part of every CI run: run it after changing the debug config,
# init.sh or check-log.sh.  Prints "N passed, N failed"; exit 0 only if all
# passed.  Logs: build/vm/proof-<class>.{log,out}.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

classes=("$@")
[ "${#classes[@]}" -gt 0 ] || classes=(clean uaf lockinv atomic_sleep oob leak hung)

# The report each class must produce, as check-log.sh quotes it (ERE).
expect() {
	case "$1" in
	uaf)          echo 'BUG: (KASAN: slab-use-after-free|KFENCE: use-after-free read) in proof_uaf_init' ;;
	lockinv)      echo 'WARNING: possible circular locking dependency detected' ;;
	atomic_sleep) echo 'BUG: sleeping function called from invalid context at' ;;
	oob)          echo 'UBSAN: array-index-out-of-bounds in .*proof_oob\.c' ;;
	leak)         echo 'unreferenced object 0x[0-9a-f]+ \(size [0-9]+\)' ;;
	hung)         echo 'INFO: task insmod:[0-9]+ blocked for more than 20 seconds' ;;
	*)            return 1 ;;
	esac
}

kver=$(scripts/kernels.sh debug) || {
	echo "prove-debug-lane: build the debug kernel first: scripts/debug-kernel.sh" >&2
	exit 2
}
kdir=$(scripts/kernels.sh --kdir "$kver")
b=$top/build/proofs/$kver
mkdir -p "$b"
ln -sf "$top"/scripts/vm/proofs/*.c "$top/scripts/vm/proofs/Kbuild" "$b/"
if ! make -s -C "$kdir" M="$b" modules >"$b/make.log" 2>&1; then
	cat "$b/make.log" >&2
	echo "prove-debug-lane: the proof modules do not build" >&2
	exit 2
fi
[ -f "kmod/build/$kver/secx.ko" ] || make -s kmod >/dev/null || exit 2

pass=0 fail=0
for c in "${classes[@]}"; do
	log=$top/build/vm/proof-$c.log out=$top/build/vm/proof-$c.out
	mkdir -p "$top/build/vm"
	if [ "$c" = clean ]; then
		args=(-- true)
	else
		pat=$(expect "$c") || { echo "not ok - $c: unknown class" >&2; fail=$((fail + 1)); continue; }
		args=(-f "$b/proof_$c.ko:/proofs/proof_$c.ko" -- insmod "/proofs/proof_$c.ko")
	fi
	start=$(date +%s)
	SECX_VM_LOG=$log scripts/vm/run.sh -k debug -t 900 "${args[@]}" >"$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ "$c" = clean ]; then
		if [ "$rc" = 0 ]; then
			echo "ok - clean: a run without a defect passes (${secs}s)"
			pass=$((pass + 1))
		else
			grep '^vm: FAIL' "$out"
			echo "not ok - clean: the debug kernel fails a run with no defect; see $out"
			fail=$((fail + 1))
		fi
		continue
	fi
	# What check-log.sh says about this log is what CI would say.
	verdict=$(scripts/vm/check-log.sh "$log" 2>&1)
	quote=$(grep -E "$pat" <<<"$verdict" | head -n 1)
	if [ "$rc" != 0 ] && grep -q '^vm: FAIL: kernel reported a problem' <<<"$verdict" &&
	   [ -n "$quote" ]; then
		echo "ok - $c: the run fails quoting: ${quote#*:} (${secs}s)"
		pass=$((pass + 1))
	else
		echo "$verdict" | head -n 20
		echo "not ok - $c: expected the run to fail quoting /$pat/ (exit $rc); see $out"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
