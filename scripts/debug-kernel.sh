#!/usr/bin/env bash
# Build the debug guest kernel (KASAN, lockdep, UBSAN, kmemleak, hung-task,
# lockup detectors, KFENCE, ...) from Debian's linux-source-6.12, the same
# upstream version as the 6.12 cloud kernel, and cache it outside the checkout.
#
#   scripts/debug-kernel.sh            build if not cached; print the cache dir
#   scripts/debug-kernel.sh --find     print the cache dir of the newest finished
#                                      build of today's fragment (no apt, no
#                                      build); exit 1 if there is none
#
# Config: allnoconfig + scripts/debug-kernel/secx-debug.config; after
# olddefconfig every line of the fragment must be in .config verbatim (the
# build fails otherwise, so a dropped dependency cannot silently turn a
# detector off).  Everything is built in: the guest needs no modules but secx.
#
# Cache: $SECX_DEBUG_KERNEL_CACHE (default /var/cache/secx/debug-kernel)/
#   <source version>-<key>/   key = hash of the fragment and the recipe below
#     src/  build/            the source and the O= build tree (out-of-tree
#                             modules build against lib/modules/<rel>/build)
#     bzImage  lib/modules/<rel>/{build,modules.builtin,...}
#     stamp                   written last: release, versions, build seconds
# An interrupted build resumes where it stopped.  scripts/kernels.sh debug
# finds the newest finished build for the current fragment without apt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug-kernel/secx-debug.config
root=${SECX_DEBUG_KERNEL_CACHE:-/var/cache/secx/debug-kernel}
# Bump when the build steps below change in a way that changes the result.
recipe=1

key=$({ echo "recipe=$recipe"; cat "$frag"; } | sha256sum | cut -c1-12)

if [ "${1:-}" = --find ]; then
	found=$(ls -d "$root"/*-"$key" 2>/dev/null | sort -V |
		while read -r d; do [ -f "$d/stamp" ] && echo "$d"; done | tail -n 1) || true
	[ -n "$found" ] || exit 1
	echo "$found"
	exit 0
fi

# Build dependencies (scripts/setup.sh installs them too; this keeps the
# script usable on its own on a fresh Debian 12).
deps=(build-essential bc flex bison libelf-dev libssl-dev cpio xz-utils kmod)
missing=()
for p in "${deps[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "debug-kernel: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

srcver=$(apt-cache show --no-all-versions linux-source-6.12 2>/dev/null |
	 sed -n 's/^Version: //p' | head -n 1)
if [ -z "$srcver" ]; then
	apt-get update -qq
	srcver=$(apt-cache show --no-all-versions linux-source-6.12 |
		 sed -n 's/^Version: //p' | head -n 1)
fi
[ -n "$srcver" ] || { echo "debug-kernel: linux-source-6.12 not in the apt archive" >&2; exit 1; }
dir=$root/${srcver//[^A-Za-z0-9.+-]/_}-$key

if [ -f "$dir/stamp" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$root"
# One builder per cache entry; a second caller waits and then finds the stamp.
exec 9>"$dir.lock"
flock 9
if [ -f "$dir/stamp" ]; then
	echo "$dir"
	exit 0
fi
mkdir -p "$dir"
log=$dir/build.log
start=$(date +%s)
echo "debug-kernel: building linux-source-6.12 $srcver with $frag into $dir" >&2
echo "debug-kernel: (first run on this machine only; log: $log)" >&2

if [ ! -f "$dir/src/Makefile" ]; then
	tmp=$(mktemp -d "$root/dl.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root \
		"linux-source-6.12=$srcver" >/dev/null)
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.12_*.deb |
		tar -x -C "$tmp" ./usr/src/linux-source-6.12.tar.xz
	rm -rf "$dir/src.part"
	mkdir -p "$dir/src.part"
	tar -I 'xz -T2' -x -C "$dir/src.part" --strip-components=1 \
		-f "$tmp/usr/src/linux-source-6.12.tar.xz"
	mv "$dir/src.part" "$dir/src"
	rm -rf "$tmp"
	trap - EXIT
fi

# LOCALVERSION carries the key so two configs never share a release name
# (and so never share kmod/build/<release>/).
mk=(make -C "$dir/src" O="$dir/build" LOCALVERSION="-$key")
mkdir -p "$dir/build"
if [ ! -f "$dir/build/.config.verified" ]; then
	"${mk[@]}" KCONFIG_ALLCONFIG="$frag" allnoconfig >>"$log" 2>&1
	"${mk[@]}" olddefconfig >>"$log" 2>&1
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF -- "$line" "$dir/build/.config" && continue ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$dir/build/.config" && continue ;;
		*) continue ;;
		esac
		sym=${line#\# }; sym=${sym%%[= ]*}
		echo "debug-kernel: wanted '$line', got '$(grep -E "^(# )?$sym[= ]" \
			"$dir/build/.config" || echo "$sym absent")'" >&2
		bad=1
	done <"$frag"
	if [ "$bad" = 1 ]; then
		echo "debug-kernel: the config fragment does not hold after olddefconfig (a missing dependency?)" >&2
		exit 1
	fi
	touch "$dir/build/.config.verified"
fi

if ! nice -n 10 "${mk[@]}" -j2 all >>"$log" 2>&1; then
	grep -E 'error|Error' "$log" | tail -n 20 >&2
	echo "debug-kernel: build failed; log: $log" >&2
	exit 1
fi

rel=$("${mk[@]}" -s kernelrelease)
cp "$dir/build/arch/x86/boot/bzImage" "$dir/bzImage"
mdir=$dir/lib/modules/$rel
mkdir -p "$mdir"
cp "$dir/build/modules.builtin" "$dir/build/modules.builtin.modinfo" \
	"$dir/build/modules.order" "$mdir/"
ln -sfn "$dir/build" "$mdir/build"
secs=$(( $(date +%s) - start ))
{
	echo "release=$rel"
	echo "source=linux-source-6.12 $srcver"
	echo "key=$key"
	echo "build_seconds=$secs"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$dir/stamp.part"
mv "$dir/stamp.part" "$dir/stamp"
echo "debug-kernel: built $rel in ${secs}s" >&2
echo "$dir"
