#!/usr/bin/env bash
# Judge a guest serial log written by run.sh: exit 0 only if the guest ran to
# the end, the command succeeded, and the kernel reported nothing bad.
set -uo pipefail
log=$1
fail() { echo "vm: FAIL: $*" >&2; exit 1; }

grep -q '^SECX-EXIT=' "$log" || fail "guest did not finish (hang, panic or timeout); log: $log"

# Kernel problems anywhere in the log (console or the final dmesg dump).
bad='BUG:|WARNING:|Oops|general protection|refcount_t:|list_add corruption|list_del corruption|UBSAN|KASAN|kmemleak|Kernel panic|unreferenced object|secx: leak'
if grep -Eq "$bad" "$log"; then
	grep -En "$bad" "$log" | head -n 20 >&2
	fail "kernel reported a problem (see above); log: $log"
fi

# A stack dump names the taint flags; anything but G/O/E is unexpected.
if grep -E 'Tainted: ' "$log" | grep -Evq 'Tainted: [GOE ]+( [0-9]|$| )'; then
	grep -En 'Tainted: ' "$log" | head -n 5 >&2
	fail "kernel taint flags beyond out-of-tree/unsigned; log: $log"
fi

# Taint: only out-of-tree (O, bit 12) and unsigned (E, bit 13) are expected.
taint=$(sed -n 's/^SECX-TAINTED=//p' "$log" | tail -n 1)
allowed=$(( (1 << 12) | (1 << 13) ))
if [ -n "$taint" ] && [ $(( taint & ~allowed )) -ne 0 ]; then
	fail "kernel tainted ($taint) beyond out-of-tree/unsigned module flags; log: $log"
fi

rc=$(sed -n 's/^SECX-EXIT=//p' "$log" | tail -n 1)
[ "$rc" = 0 ] || fail "guest command exited with status $rc; log: $log"
exit 0
