#!/usr/bin/env bash
# Put QEMU's plugin API header (qemu-plugin.h) into DIR, taken from Debian's
# qemu source package: no Debian package ships it.  The .orig tarball comes
# from the first Debian archive URI configured for apt on this host, so
# this works wherever apt-get works.
#
#   get-qemu-plugin-h.sh DIR
set -euo pipefail
dir=$1
[ -f "$dir/qemu-plugin.h" ] && exit 0
mkdir -p "$dir"
ver=$(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null || true)
up=${ver#*:}; up=${up%%-*}	# 1:7.2+dfsg-7+deb12u18 -> 7.2+dfsg
[ -n "$up" ] || up=7.2+dfsg
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
	awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print ($2 ~ /^\[/ ? $3 : $2); exit }' \
	/etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "get-qemu-plugin-h: no Debian archive URI in apt's sources" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tarball=qemu_${up}.orig.tar.xz
echo "get-qemu-plugin-h: fetching $tarball from apt's archive" >&2
curl -sSfL -o "$tmp/$tarball" "${mirror%/}/pool/main/q/qemu/$tarball"
tar -C "$tmp" -xf "$tmp/$tarball" --wildcards '*/include/qemu/qemu-plugin.h'
h=$(find "$tmp" -name qemu-plugin.h | head -n1)
grep -q 'QEMU_PLUGIN_VERSION' "$h"
cp "$h" "$dir/qemu-plugin.h"
