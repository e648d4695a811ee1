#!/usr/bin/env bash
# Judge a guest serial log written by run.sh: exit 0 only if the guest ran to
# the end, the command succeeded, and the kernel reported nothing bad.
set -uo pipefail
log=$1
fail() { echo "vm: FAIL: $*" >&2; exit 1; }

grep -q '^SECX-EXIT=' "$log" || fail "guest did not finish (hang, panic or timeout); log: $log"

# Kernel problems anywhere in the log (console or the final dmesg dump).
# The debug kernel's report headers (scripts/debug-kernel.sh), as printed by
# 6.12 and proved by scripts/vm/prove-debug-lane.sh:
#   KASAN/KFENCE  "BUG: KASAN: slab-use-after-free in f+0x.../0x..."
#                 "BUG: KFENCE: use-after-free read in f+0x..."
#   UBSAN         "UBSAN: array-index-out-of-bounds in file.c:12:34"
#   lockdep       "WARNING: possible circular locking dependency detected"
#                 "WARNING: possible recursive locking detected"
#                 "WARNING: inconsistent lock state"
#                 "WARNING: suspicious RCU usage"
#   atomic sleep  "BUG: sleeping function called from invalid context at f.c:1"
#   hung task     "INFO: task insmod:123 blocked for more than 20 seconds."
#   lockups       "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"
#                 "Watchdog detected hard LOCKUP on cpu 1"
#   RCU stall     "rcu: INFO: rcu_sched self-detected stall on CPU"
#   debugobjects  "ODEBUG: free active (active state 0) object: ..."
#   kmemleak      "unreferenced object 0xffff888004d8e000 (size 128):" (the
#                 scan in init.sh), "kmemleak: 1 new suspected memory leaks";
#                 any other "kmemleak: " line (it disabled itself, its pool
#                 ran dry, it met an unknown object) but its two banners
# The other detectors' boot banners ("kasan: KernelAddressSanitizer
# initialized") do not match.
bad='BUG:|WARNING:|Oops|general protection|refcount_t:|list_add corruption|list_del corruption|UBSAN:|KASAN:|KFENCE:|ODEBUG:|INFO: task .* blocked for more than|hard LOCKUP|self-detected stall on CPU|detected stalls on CPUs|kmemleak: |Kernel panic|unreferenced object|secx: leak'
benign='kmemleak: (Kernel memory leak detector initialized|Automatic memory scanning thread (started|ended))'
if grep -E "$bad" "$log" | grep -Evq "$benign"; then
	grep -En "$bad" "$log" | grep -Ev "$benign" | head -n 20 >&2
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
