#!/usr/bin/env bash
# Kernel code quality gates, each printed as one TAP line:
#   checkpatch --strict on every kmod/ source, W=1 builds with no warning,
#   and sparse (C=2) with no report, on every guest kernel.
# Exit status: number of failed gates (0 = clean).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp=$top/.tools/linux/scripts/checkpatch.pl
fails=0 n=0
log=$top/build/lint
mkdir -p "$log"

result() { # name, status, logfile
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n lint: $1"
	else
		echo "not ok $n lint: $1"
		sed 's/^/#   /' "$3" | head -n 40
		fails=$((fails + 1))
	fi
}

# ulp.c builds writable copies of TCP's proto_ops on purpose: CONST_STRUCT
# is a false positive there and only there.
checkpatch() {
	(cd "$top" && perl "$cp" --no-tree --strict --terse --show-types "$@")
}
{
	checkpatch -f $(cd "$top" && ls kmod/*.c kmod/*.h kmod/common/*.h | grep -v '^kmod/ulp.c$') &&
	checkpatch --ignore CONST_STRUCT -f kmod/ulp.c
} >"$log/checkpatch" 2>&1
result "checkpatch --strict kmod/" $? "$log/checkpatch"

for k in $("$top/scripts/kernels.sh"); do
	b=$top/build/lint-kmod-$k
	rm -rf "$b"
	make -C "$top/kmod" KDIR="/lib/modules/$k/build" BUILD="$b" W=1 >"$log/w1-$k" 2>&1
	st=$?
	grep -E 'warning:|error:' "$log/w1-$k" >/dev/null && st=1
	result "W=1 build, no warnings ($k)" $st "$log/w1-$k"

	rm -rf "$b"
	make -C "$top/kmod" KDIR="/lib/modules/$k/build" BUILD="$b" C=2 >"$log/sparse-$k" 2>&1
	st=$?
	grep -E '\.[ch]:[0-9]+:[0-9]+: (warning|error)' "$log/sparse-$k" >/dev/null && st=1
	result "sparse clean ($k)" $st "$log/sparse-$k"
	rm -rf "$b"
done
exit "$fails"
