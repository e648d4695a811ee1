#!/usr/bin/env bash
# The guest kernels we test on.
#
#   kernels.sh                  the bookworm 6.1 and the 6.12 cloud kernel
#                               releases, one per line
#   kernels.sh 6.1|6.12|debug   only that one ("debug": the KASAN/lockdep kernel
#                               built by scripts/debug-kernel.sh; fails if it
#                               is not built for today's config fragment)
#   kernels.sh --with-debug     6.1, 6.12, and the debug kernel if it is built
#                               (silently left out if not: `make` still works)
#   kernels.sh --kdir RELEASE   the tree to build out-of-tree modules against
#   kernels.sh --image RELEASE  the bootable kernel image
#   kernels.sh --moddir RELEASE the module directory (modules.builtin, ...)
#
# Versions are discovered, never hard-coded: the ABI number changes with each
# security upload, and the debug kernel's release names its config hash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# The debug kernel's cache dir and release, or nothing.
debug_dir() { "$here/debug-kernel.sh" --find 2>/dev/null; }
debug_release() {
	local d
	d=$(debug_dir) || return 1
	sed -n 's/^release=//p' "$d/stamp"
}

case "${1:-}" in
--kdir|--image|--moddir)
	rel=${2:?"kernels.sh: $1 needs a kernel release"}
	case "$rel" in
	*-secx-debug-*)
		d=$(debug_dir) && [ "$(debug_release)" = "$rel" ] || {
			echo "kernels.sh: debug kernel $rel is not built (run scripts/debug-kernel.sh)" >&2
			exit 1
		}
		case "$1" in
		--kdir) echo "$d/lib/modules/$rel/build" ;;
		--image) echo "$d/bzImage" ;;
		--moddir) echo "$d/lib/modules/$rel" ;;
		esac ;;
	*)
		case "$1" in
		--kdir) echo "/lib/modules/$rel/build" ;;
		--image) echo "/boot/vmlinuz-$rel" ;;
		--moddir) echo "/lib/modules/$rel" ;;
		esac ;;
	esac
	exit 0 ;;
debug)
	debug_release || {
		echo "kernels: the debug kernel is not built for this config (run scripts/debug-kernel.sh)" >&2
		exit 1
	}
	exit 0 ;;
--with-debug)
	"$0"
	debug_release || true
	exit 0 ;;
esac

want=${1:-}
found=0
for series in 6.1 6.12; do
	[ -n "$want" ] && [ "$want" != "$series" ] && continue
	kver=$(ls /lib/modules 2>/dev/null | grep -E "^${series//./\\.}[.-].*cloud-amd64$" |
	       sort -V | tail -n 1 || true)
	if [ -z "$kver" ] || [ ! -f "/boot/vmlinuz-$kver" ] ||
	   [ ! -d "/lib/modules/$kver/build" ]; then
		echo "kernels: no $series cloud kernel with headers installed (run scripts/setup.sh)" >&2
		exit 1
	fi
	echo "$kver"
	found=1
done
[ "$found" = 1 ]
