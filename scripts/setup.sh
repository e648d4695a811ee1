#!/usr/bin/env bash
# Install everything secx needs to build, test and benchmark, from Debian's
# archive only.  Idempotent: a second run installs nothing and takes seconds.
#
# The guest kernels are installed through their metapackages so that a
# security upload (new ABI number) is picked up automatically; nothing in the
# project hard-codes a kernel version: scripts/kernels.sh finds them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tooldir=${SECX_TOOLDIR:-$top/.tools}

pkgs=(
	build-essential pkg-config kmod cpio gzip xz-utils zstd perl file
	qemu-system-x86 busybox-static iproute2
	linux-image-cloud-amd64 linux-headers-cloud-amd64
	linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64
	libnl-3-dev libnl-genl-3-dev libssl-dev openssl
	sparse
	bc flex bison libelf-dev	# scripts/debug-kernel.sh builds the debug guest kernel
	gnuplot-nox curl	# scripts/bench: plots; qemu-plugin.h from the qemu source package
	python3-docutils	# scripts/lint.sh: Documentation/*.rst must parse cleanly
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kselftest_harness.h and checkpatch.pl ship only inside Debian's kernel source
# tarball.  Take the few files we need from linux-source-6.12 (its harness has
# -r/-l filtering) without installing the 150 MB package.
if [ ! -f "$tooldir/linux/tools/testing/selftests/kselftest_harness.h" ] ||
   [ ! -f "$tooldir/linux/scripts/checkpatch.pl" ]; then
	echo "setup: extracting kselftest harness and checkpatch from linux-source-6.12"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -qq linux-source-6.12 >/dev/null 2>&1) || {
		apt-get update -qq
		(cd "$tmp" && apt-get download -qq linux-source-6.12)
	}
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.12_*.deb |
		tar -x -C "$tmp" --wildcards './usr/src/linux-source-6.12.tar.xz'
	mkdir -p "$tooldir/linux"
	tar -I 'xz -T0' -x -C "$tooldir/linux" --strip-components=1 \
		-f "$tmp"/usr/src/linux-source-6.12.tar.xz --wildcards \
		'linux-source-6.12/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.12/scripts/checkpatch.pl' \
		'linux-source-6.12/scripts/spelling.txt' \
		'linux-source-6.12/scripts/const_structs.checkpatch'
	rm -rf "$tmp"
	trap - EXIT
fi

"$here/kernels.sh" >/dev/null
echo "setup: done (kernels: $("$here/kernels.sh" | tr '\n' ' '))"
