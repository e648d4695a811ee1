#!/usr/bin/env bash
# Install what packaging and the install test need, from Debian's archive:
# debhelper + dh-dkms to build the .debs (make deb), dkms to build secx.ko
# for every installed kernel (make dkms-install, scripts/install-test.sh),
# lintian to check the packages.  Idempotent: a second run installs nothing.
# Called by scripts/install-test.sh and `make deb`; safe to run by hand.
set -euo pipefail

pkgs=(dpkg-dev debhelper dh-dkms dkms lintian fakeroot pkg-config build-essential
      libssl-dev libnl-3-dev libnl-genl-3-dev)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "pkg-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Other apt runs may hold the dpkg lock: wait for it rather than fail.
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
"${apt[@]}" update
"${apt[@]}" install "${missing[@]}" >/dev/null
