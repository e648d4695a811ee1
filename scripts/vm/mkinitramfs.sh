#!/usr/bin/env bash
# Build a guest initramfs for kernel KVER: static busybox, the kernel modules
# the tests need (crypto, tls, veth, netem), secx.ko, and the given host files
# with their shared libraries (found by ldd).
#
#   mkinitramfs.sh KVER OUT.cpio.gz SECX_KO INIT [SRC:DEST ...]
#
# An initramfs (rather than virtiofs) keeps the guest self-contained: no host
# daemon to start and reap per boot, the same path on 6.1 (virtiofs is a
# module there) and 6.12, and it builds in about a second.
set -euo pipefail

kver=$1 out=$2 secx_ko=$3 init=$4
shift 4

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,mnt,root}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# The kernel's request_module() runs /sbin/modprobe (ULP and crypto autoload).
ln -sf ../bin/busybox "$root/sbin/modprobe"
install -m 0755 "$init" "$root/init"

# Copy a host file and, for ELF binaries, the shared libraries it needs.
copy_with_libs() {
	local src=$1 dest=$2
	mkdir -p "$root/$(dirname "$dest")"
	cp -L "$src" "$root/$dest"
	if file -L "$src" | grep -q 'dynamically linked'; then
		ldd "$src" | grep -o '/[^ ]*' | while read -r lib; do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	fi
}

# Tools from iproute2; run by full path in scripts (busybox ash prefers its
# own applets of the same name).
for tool in /usr/sbin/ip /usr/sbin/tc /usr/bin/ss; do
	[ -x "$tool" ] && copy_with_libs "$tool" "/usr/sbin/$(basename "$tool")"
done
# The openssl CLI, for end-to-end tests that make X.509 certificates in the
# guest (selftests/xfer.sh brings its own minimal config via OPENSSL_CONF).
if [ -x /usr/bin/openssl ]; then
	copy_with_libs /usr/bin/openssl /usr/bin/openssl
fi

# Kernel modules: everything under crypto/ (the AEAD templates and their
# SIMD drivers are loaded on demand), plus the networking pieces.  The debug
# kernel (scripts/debug-kernel.sh) has all of them built in: nothing to copy.
moddir=$("$(dirname "$0")/../kernels.sh" --moddir "$kver")
gmod=$root/lib/modules/$kver
mkdir -p "$gmod/extra"
{ (cd "$moddir" && find kernel/crypto kernel/arch/x86/crypto kernel/lib/crypto \
	kernel/net/tls kernel/drivers/net/veth.ko* kernel/net/sched/sch_netem.ko* \
	-name '*.ko*' 2>/dev/null) || true; } | while read -r m; do
	mkdir -p "$gmod/$(dirname "$m")"
	case "$m" in
	*.ko.xz) xz -dc "$moddir/$m" >"$gmod/${m%.xz}" ;;
	*.ko.zst) zstd -qdc "$moddir/$m" >"$gmod/${m%.zst}" ;;
	*) cp "$moddir/$m" "$gmod/$m" ;;
	esac
done
cp "$moddir"/modules.builtin* "$moddir/modules.order" "$gmod/" 2>/dev/null || true
cp "$secx_ko" "$gmod/extra/secx.ko"
depmod -b "$root" "$kver"

for pair in "$@"; do
	copy_with_libs "${pair%%:*}" "${pair#*:}"
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
