#!/usr/bin/env bash
# Print the installed guest kernel releases we test on, one per line:
# the bookworm 6.1 cloud kernel and the 6.12 cloud kernel.  Versions are
# discovered, never hard-coded: the ABI number changes with each security upload.
# With an argument (6.1 or 6.12) print only that one.
set -euo pipefail
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
