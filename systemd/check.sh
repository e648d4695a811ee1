#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Check the systemd units in this directory: systemd-analyze verify (unit
# syntax, directives, the ExecStart binary) and the offline
# systemd-analyze security exposure score of each service.
#
#   systemd/check.sh       (after make; installs Debian's systemd package
#                           if systemd-analyze is missing)
#
# The units name /usr/local/bin/secx-recv; the check substitutes the freshly
# built userspace/build/secx-recv so it needs nothing installed.  Exit 0
# only if every unit verifies.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/userspace/build/secx-recv
[ -x "$bin" ] || { echo "check.sh: $bin missing: run make first" >&2; exit 2; }
if ! command -v systemd-analyze >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for u in "$top"/systemd/*.service "$top"/systemd/*.socket; do
	sed "s|/usr/local/bin/secx-recv|$bin|" "$u" >"$tmp/$(basename "$u")"
done
status=0
for u in "$tmp"/*.service "$tmp"/*.socket; do
	name=$(basename "$u")
	# --man=no: the man page is ours, not in the host's man database
	if out=$(cd "$tmp" && systemd-analyze verify --man=no "$u" 2>&1) && [ -z "$out" ]; then
		echo "ok - systemd-analyze verify $name"
	else
		echo "not ok - systemd-analyze verify $name"
		sed 's/^/#   /' <<<"$out"
		status=1
	fi
done
for u in "$tmp"/*.service; do
	score=$(systemd-analyze security --offline=yes "$u" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: *//p')
	echo "# systemd-analyze security $(basename "$u"): ${score:-no score}"
done
exit "$status"
