#!/usr/bin/env bash
# Boot a Debian kernel under QEMU/TCG with secx.ko, the selftests and the
# userspace tools, run one command, and return its exit status.
#
#   scripts/vm/run.sh [-k 6.1|6.12|debug] [-t TIMEOUT] [-m MEM] [-s SMP] [-f SRC:DEST]...
#                     [--plugin SO LOGFILE] [--ko SECX_KO] -- CMD...
#   scripts/vm/run.sh [-k 6.1|6.12|debug] --shell
#
# -k debug boots the KASAN/lockdep/UBSAN/kmemleak kernel of
# scripts/debug-kernel.sh (build it first; then `make` builds secx.ko for it);
# there the default memory is 2048 MB and the default timeout three times longer.
#
# The run FAILS (exit 1) when the command fails, the guest does not finish
# within TIMEOUT seconds, secx.ko cannot be unloaded afterwards, or the guest
# kernel log shows a BUG, WARNING, Oops, leak report or an unexpected taint.
# Guest output is printed as it comes; the full serial log is kept in
# $SECX_VM_LOG (default build/vm/run-<kernel>-<pid>.log, linked from
# build/vm/last-<kernel>.log).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

series=6.1 timeout= mem= smp=2 shell=0 accel=${SECX_ACCEL:-tcg,thread=multi}
extra_files=() plugin=() ko=
while [ $# -gt 0 ]; do
	case "$1" in
	-k|--kernel) series=$2; shift 2 ;;
	-t|--timeout) timeout=$2; shift 2 ;;
	-m|--mem) mem=$2; shift 2 ;;
	-s|--smp) smp=$2; shift 2 ;;
	-f|--file) extra_files+=("$2"); shift 2 ;;
	--plugin) plugin=(-plugin "$2" -d plugin -D "$3"); shift 3 ;;
	--ko) ko=$2; shift 2 ;;		# another build of secx.ko
	--shell) shell=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
if [ "$shell" = 0 ] && [ $# -eq 0 ]; then
	echo "run.sh: no command (use --shell for an interactive guest)" >&2
	exit 2
fi

kver=$("$top/scripts/kernels.sh" "$series")
image=$("$top/scripts/kernels.sh" --image "$kver")
if [ "$series" = debug ]; then
	# KASAN shadow (1/8 of RAM), lockdep and kmemleak need room; TCG runs an
	# instrumented kernel several times slower.
	timeout=${timeout:-1800} mem=${mem:-2048}
else
	timeout=${timeout:-600} mem=${mem:-1024}
fi
ko=${ko:-$top/kmod/build/$kver/secx.ko}
[ -f "$ko" ] || { echo "run.sh: $ko missing: run 'make' first" >&2; exit 2; }

work=$top/build/vm
mkdir -p "$work"
# One log per run (runs may overlap); last-<kernel>.log points at the newest.
log=${SECX_VM_LOG:-$work/run-$series-$$.log}
[ -n "${SECX_VM_LOG:-}" ] || ln -sfn "$(basename "$log")" "$work/last-$series.log"
run=$(mktemp -d "$work/run.XXXXXX")
trap 'rm -rf "$run"' EXIT

files=()
for f in "$top"/selftests/build/*; do
	[ -f "$f" ] && [ -x "$f" ] && files+=("$f:/secx/selftests/$(basename "$f")")
done
for f in "$top"/selftests/*.sh; do
	[ -f "$f" ] && files+=("$f:/secx/selftests/$(basename "$f")")
done
for f in "$top"/userspace/build/secx-* "$top"/userspace/build/secxctl "$top"/scripts/guest/*; do
	[ -f "$f" ] && [ -x "$f" ] && files+=("$f:/secx/bin/$(basename "$f")")
done
if [ "$shell" = 1 ]; then
	: >"$run/shell"
	files+=("$run/shell:/secx/shell")
else
	printf '%s\n' "$*" >"$run/cmd.sh"
	files+=("$run/cmd.sh:/secx/cmd.sh")
fi
"$here/mkinitramfs.sh" "$kver" "$run/initrd.gz" "$ko" "$here/init.sh" \
	"${files[@]}" "${extra_files[@]}"

qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -m "$mem" -smp "$smp"
      -no-reboot -nic none -kernel "$image" -initrd "$run/initrd.gz"
      "${plugin[@]}")
# slub_debug on the TCP caches: red zones and poisoning catch misuse of
# socket memory, user tracking lets init.sh count leaked sockets exactly.
append="console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init slub_debug=FZPU,TCP,TCPv6"
# The debug kernel reports and goes on (check-log.sh fails the run); every
# KASAN report is printed, not only the first.
[ "$series" = debug ] && append="$append kasan_multi_shot"

if [ "$shell" = 1 ]; then
	exec "${qemu[@]}" -nographic -append "$append"
fi

boot() {
	echo "vm: booting $kver (timeout ${timeout}s)"
	status=0
	timeout --kill-after=10 "$timeout" "${qemu[@]}" -display none -monitor none \
		-serial stdio -append "$append" </dev/null 2>&1 | tr -d '\r' | tee "$log" |
		sed -n '/^SECX-DMESG-BEGIN$/,/^SECX-DMESG-END$/!p' || status=$?
}
boot
# QEMU's multi-threaded TCG can let one vCPU execute kernel text another
# vCPU is live-patching (static keys): the guest dies of "Oops: int3" at
# the patch site, anywhere in the kernel, with or without secx.  No kernel
# code of ours uses int3 (BUG() is ud2), so that signature is the emulator:
# boot once more, and say so.  Any other failure stands.
if grep -q 'Oops: int3' "$log" && ! grep -q '^SECX-EXIT=' "$log"; then
	grep -m1 -A3 'Oops: int3' "$log" >&2
	mv "$log" "$log.int3"
	echo "vm: guest died of TCG's live-patching race (Oops: int3, log kept as $log.int3); booting again" >&2
	boot
fi

"$here/check-log.sh" "$log" || status=1
exit "$status"
