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
# is a false positive there and only there.  compat.h is the one place that
# compares kernel versions (an out-of-tree module must: it guards the feature
# probes), which LINUX_VERSION_CODE and its macro-induced
# CONSTANT_COMPARISON warn about.
checkpatch() {
	(cd "$top" && perl "$cp" --no-tree --strict --terse --show-types "$@")
}
{
	checkpatch -f $(cd "$top" && ls kmod/*.c kmod/*.h kmod/common/*.h |
		grep -v -e '^kmod/ulp.c$' -e '^kmod/compat.h$') &&
	checkpatch --ignore CONST_STRUCT -f kmod/ulp.c &&
	checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h
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

	# The build fails closed when a feature probe misses what the kernel
	# has (a missed ->sendpage would send plaintext): drop one probe
	# result and the build must stop with compat.h's error.
	# (->sendpage on kernels that have it, else ->splice_eof)
	for drop in SENDPAGE SPLICE_EOF; do
		rm -rf "$b"
		make -C "$top/kmod" KDIR="/lib/modules/$k/build" BUILD="$b" \
			SECX_PROBE_DROP=$drop >"$log/probe-$k" 2>&1 && continue
		break
	done
	if grep -q 'probe.sh is wrong' "$log/probe-$k"; then st=0; else st=1; fi
	result "build refuses a missed $drop probe ($k)" $st "$log/probe-$k"
	rm -rf "$b"
done

# A header the probes cannot read is an error, not an absent feature.
empty=$(mktemp -d)
out=$("$top/kmod/probe.sh" "$empty" 2>"$log/probe-empty")
rmdir "$empty"
case "$out" in *SECX_PROBE_FAILED*) st=0 ;; *) st=1; echo "output: $out" >>"$log/probe-empty" ;; esac
result "probe.sh fails closed on a tree without headers" $st "$log/probe-empty"
# The specs are normative: a malformed table or a broken reference in
# Documentation/*.rst loses text silently when rendered.  Debian's python3
# (python3-docutils, scripts/setup.sh), not whatever python3 PATH finds.
: >"$log/rst"
for f in "$top"/Documentation/*.rst; do
	/usr/bin/python3 - "$f" >>"$log/rst" 2>&1 <<'PY' || echo "$f: docutils failed" >>"$log/rst"
import io, sys, docutils.core
err = io.StringIO()
docutils.core.publish_doctree(open(sys.argv[1]).read(), source_path=sys.argv[1],
                              settings_overrides={"warning_stream": err, "report_level": 2})
sys.stdout.write(err.getvalue())
PY
done
if [ -s "$log/rst" ]; then st=1; else st=0; fi
result "Documentation/*.rst parse without a docutils warning" $st "$log/rst"
exit "$fails"
