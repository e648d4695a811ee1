#!/usr/bin/env bash
# The install test (issue 14): build the four .debs with `make deb`, then
#   host: lintian; dpkg --root into an empty root: files where documented
#         (README "Install on real machines"), the example program built with
#         pkg-config against the INSTALLED libsecx-dev, the library's exports
#         = the installed header's API, dpkg -r / --purge leaves nothing,
#         reinstall works; DKMS builds secx.ko from the secx-dkms package's
#         source for each guest kernel (a private DKMS tree: the host's
#         /var/lib/dkms and /lib/modules are not touched)
#   VM:   per kernel, the DKMS-built secx.ko and ONLY the installed files
#         (binaries, libsecx.so.1, the example): the module is unloaded, then
#         autoloads on the first setsockopt(TCP_ULP, "secx"); secx-send ->
#         secx-recv between two network namespaces; the example's handshake
#         and echo; secxctl caps.
# dpkg's maintainer scripts cannot run in an empty root (no shell); the
# secx-dkms ones are debhelper's standard dh_dkms scripts.
# Prints TAP and ends with "install-test: N passed, N failed".
# --this-machine (opt-in, changes this host): also apt install secx-dkms
# for real, so that its dh_dkms maintainer scripts build and install
# secx.ko through the host's DKMS, then purge it and check that no
# module, DKMS state or source is left.
#   scripts/install-test.sh [--kernels "6.1 6.12"] [--no-deb] [--no-lintian] [--this-machine]
# No "| grep -q" under pipefail: grep -q exits at the first match and the
# writer's SIGPIPE would fail the pipeline.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

series="6.1 6.12" build=1 lint=1 host=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernels) series=$2; shift 2 ;;
	--no-deb) build=0; shift ;;		# reuse build/deb/*.deb
	--no-lintian) lint=0; shift ;;
	--this-machine) host=1; shift ;;
	*) echo "usage: $0 [--kernels LIST] [--no-deb] [--no-lintian] [--this-machine]" >&2; exit 2 ;;
	esac
done

n=0 nfail=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
check() { local msg=$1; shift; if "$@"; then pass "$msg"; else fail "$msg"; fi; }
finish() { echo "install-test: $((n - nfail)) passed, $nfail failed"; exit $((nfail > 0)); }
diag() { sed 's/^/#   /' | tail -n "${1:-20}"; }

start=$(date +%s)
work=$top/build/install-test
rm -rf "$work" && mkdir -p "$work"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
arch=$(dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null || dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)

scripts/pkg-deps.sh >"$work/deps.log" 2>&1 || { fail "scripts/pkg-deps.sh"; diag <"$work/deps.log"; finish; }

# --- 1. the packages ------------------------------------------------------
if [ "$build" = 1 ]; then
	nice -n 10 make -s deb >"$work/deb.log" 2>&1 || { fail "make deb"; diag 40 <"$work/deb.log"; finish; }
fi
debs=(secx-dkms_${ver}_all libsecx1_${ver}_$arch libsecx-dev_${ver}_$arch secx-tools_${ver}_$arch)
missing=0
for d in "${debs[@]}"; do [ -f "build/deb/$d.deb" ] || { echo "# missing build/deb/$d.deb"; missing=1; }; done
[ "$missing" = 0 ] && pass "make deb: secx-dkms, secx-tools, libsecx1, libsecx-dev $ver" ||
	{ fail "make deb: four packages"; finish; }
deb() { echo "$top/build/deb/$1_${ver}_$([ "$1" = secx-dkms ] && echo all || echo "$arch").deb"; }

if [ "$lint" = 1 ]; then
	# Overrides live in debian/*.lintian-overrides, each with its reason.
	if lintian --fail-on error,warning "build/deb/secx_${ver}_$arch.changes" >"$work/lintian.log" 2>&1; then
		pass "lintian: no error or warning ($(grep -c . "$work/lintian.log") other lines)"
	else
		fail "lintian"; diag <"$work/lintian.log"
	fi
fi

# --- 2. file level: dpkg --root ----------------------------------------------
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
# --force-depends: the empty root has no libc6/libssl3 to satisfy Depends.
dpkgr() { dpkg --root="$root" --force-depends --force-not-root --log=/dev/null "$@"; }
lib=usr/lib/$multiarch
expect=(usr/bin/secx-send usr/bin/secx-recv usr/bin/secx-verify usr/sbin/secx-handshake usr/sbin/secxctl
	usr/share/man/man1/secx-verify.1.gz usr/share/bash-completion/completions/secx-verify
	usr/share/man/man1/secx-send.1.gz usr/share/man/man1/secx-recv.1.gz
	usr/share/man/man8/secx-handshake.8.gz usr/share/man/man8/secxctl.8.gz
	usr/share/bash-completion/completions/secx-send usr/share/bash-completion/completions/secx-recv
	usr/share/bash-completion/completions/secx-handshake usr/share/bash-completion/completions/secxctl
	"$lib/libsecx.so.1" "$lib/libsecx.so" "$lib/pkgconfig/libsecx.pc"
	usr/include/secx/secx.h usr/include/secx/linux/secx.h
	usr/share/doc/secx-tools/copyright usr/share/doc/libsecx1/copyright)
install_three() { dpkgr -i "$(deb libsecx1)" "$(deb libsecx-dev)" "$(deb secx-tools)" >"$work/dpkg.log" 2>&1; }
all_there() {
	local f ok=0
	for f in "${expect[@]}"; do [ -e "$root/$f" ] || { echo "# missing /$f"; ok=1; }; done
	return $ok
}
if install_three && all_there; then
	pass "dpkg --root -i libsecx1 libsecx-dev secx-tools: files at the documented paths"
else
	fail "dpkg --root -i"; diag <"$work/dpkg.log"
fi
check "libsecx.so.1 is a real soname (SONAME libsecx.so.1, libsecx.so -> libsecx.so.1)" \
	sh -c "readelf -d '$root/$lib/libsecx.so.1' | grep -q 'SONAME.*\[libsecx.so.1\]' &&
	       [ \"\$(readlink '$root/$lib/libsecx.so')\" = libsecx.so.1 ]"

# The API an application sees: what the installed header declares, compiled
# the way pkg-config says.
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/$lib/pkgconfig
pcflags=$(pkg-config --cflags --libs libsecx 2>"$work/pc.err")
if [ -n "$pcflags" ] && [ "$(pkg-config --modversion libsecx)" = "$ver" ]; then
	pass "pkg-config --cflags --libs libsecx (installed .pc): $pcflags"
else
	fail "pkg-config libsecx"; diag <"$work/pc.err"
fi
api() { cc $(pkg-config --cflags libsecx) -E -P -x c "$root/usr/include/secx/secx.h" |
	grep -oE '\bsecx_[a-z0-9_]+ *[([]' | tr -d ' ([' | sort -u; }
exports() { nm -D --defined-only "$root/$lib/libsecx.so.1" | awk '$2 != "A" { print $3 }' |
	sed 's/@.*//' | sort -u; }
api >"$work/api" 2>&1; exports >"$work/exports" 2>&1
if [ -s "$work/api" ] && diff -u "$work/api" "$work/exports" >"$work/api.diff"; then
	pass "nm -D --defined-only libsecx.so.1 = the $(wc -l <"$work/api") functions of <secx.h>, nothing internal"
else
	fail "exports differ from the installed secx.h (- declared, + exported)"; diag <"$work/api.diff"
fi
echo=$work/secx-echo
if cc -O2 -Wall -Wextra -Werror -o "$echo" examples/secx-echo.c $pcflags \
	-Wl,-rpath-link,"$root/$lib" >"$work/echo.log" 2>&1 &&
   readelf -d "$echo" | grep 'NEEDED.*\[libsecx.so.1\]' >/dev/null; then
	pass "examples/secx-echo.c builds against the installed libsecx-dev, needs libsecx.so.1"
else
	fail "examples/secx-echo.c against the installed libsecx-dev"; diag <"$work/echo.log"
fi
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
# Keep the installed payload for the VM before removing the packages.
payload=$work/payload
mkdir -p "$payload"
cp -a "$root/usr" "$payload/" 2>/dev/null

leftovers() { (cd "$root" && find . ! -type d ! -path './var/lib/dpkg/*' | sort); }
if dpkgr -r secx-tools libsecx-dev libsecx1 >>"$work/dpkg.log" 2>&1 && [ -z "$(leftovers)" ]; then
	pass "dpkg -r: no file left outside /var/lib/dpkg"
else
	fail "dpkg -r"; leftovers | diag
fi
if install_three && all_there && dpkgr --purge secx-tools libsecx-dev libsecx1 >>"$work/dpkg.log" 2>&1 &&
   [ -z "$(leftovers)" ] && ! grep -q '^Package: \(secx\|libsecx\)' "$root/var/lib/dpkg/status"; then
	pass "reinstall, then dpkg --purge: nothing left, not even in dpkg's status"
else
	fail "reinstall/purge"; leftovers | diag
fi

# --- 3. secx-dkms: its source tree, built by DKMS for each guest kernel ----
droot=$work/dkms-pkg
dpkg-deb -x "$(deb secx-dkms)" "$droot"
src=$droot/usr/src/secx-$ver
if [ -f "$src/dkms.conf" ] && [ -x "$src/kmod/probe.sh" ] && [ -f "$src/uapi/linux/secx.h" ] &&
   dpkg-deb -I "$(deb secx-dkms)" postinst 2>/dev/null | grep dkms >/dev/null &&
   dpkg-deb -I "$(deb secx-dkms)" prerm 2>/dev/null | grep dkms >/dev/null; then
	pass "secx-dkms: /usr/src/secx-$ver with dkms.conf, and dh_dkms postinst/prerm"
else
	fail "secx-dkms contents"; dpkg-deb -c "$(deb secx-dkms)" | diag
fi
dk=(dkms --sourcetree "$droot/usr/src" --dkmstree "$work/dkms" --installtree "$work/dkms-inst")
declare -A ko
mkdir -p "$work/dkms" "$work/dkms-inst"
for s in $series; do
	k=$(scripts/kernels.sh "$s") || { fail "no $s kernel"; continue; }
	if nice -n 10 "${dk[@]}" build -m secx -v "$ver" -k "$k" >"$work/dkms-$s.log" 2>&1; then
		# DKMS compresses the module the way the kernel's config says (xz on
		# Debian's cloud kernels); run.sh wants a plain .ko.
		z=$(ls "$work/dkms/secx/$ver/$k/x86_64/module/"secx.ko* 2>/dev/null | head -n 1)
		f=$work/secx-$s.ko
		case "$z" in
		*.xz) xz -dc "$z" >"$f" ;;
		*.zst) zstd -qdc "$z" >"$f" ;;
		*.ko) cp "$z" "$f" ;;
		*) rm -f "$f" ;;
		esac
		if [ -s "$f" ] && [ "$(modinfo -F vermagic "$f" | cut -d' ' -f1)" = "$k" ] &&
		   modinfo -F alias "$f" | grep -x tcp-ulp-secx >/dev/null; then
			ko[$s]=$f
			pass "dkms build -k $k: secx.ko for $k, alias tcp-ulp-secx"
		else
			fail "dkms build -k $k: no usable secx.ko"
		fi
	else
		fail "dkms build -k $k"; diag <"$work/dkms-$s.log"
	fi
done

# --- 3b. opt-in: the real secx-dkms maintainer scripts on this machine ------
secx_traces() {
	ls -d /usr/src/secx-"$ver" /var/lib/dkms/secx 2>/dev/null
	find /lib/modules -path '*/updates/dkms/secx.ko*' 2>/dev/null
}
if [ "$host" = 1 ]; then
	apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
	if [ -n "$(secx_traces)" ]; then
		fail "this machine: secx already installed here, not touching it"; secx_traces | diag
	elif DEBIAN_FRONTEND=noninteractive nice -n 10 "${apt[@]}" install "$(deb secx-dkms)" >"$work/host-dkms.log" 2>&1 &&
	     dkms status secx/"$ver" 2>/dev/null | grep installed >/dev/null &&
	     [ -n "$(find /lib/modules -path '*/updates/dkms/secx.ko*')" ]; then
		pass "this machine: apt install secx-dkms: $(dkms status secx/"$ver" 2>/dev/null | tr '\n' ';')"
	else
		fail "this machine: apt install secx-dkms"; diag <"$work/host-dkms.log"
	fi
	if DEBIAN_FRONTEND=noninteractive "${apt[@]}" purge secx-dkms >>"$work/host-dkms.log" 2>&1 &&
	   [ -z "$(secx_traces)" ]; then
		pass "this machine: apt purge secx-dkms: no module, DKMS state or source left"
	else
		fail "this machine: apt purge secx-dkms"; secx_traces | diag
	fi
fi

# --- 4. in the VM: load and transfer with the installed files only ---------
cat >"$work/guest.sh" <<'EOF'
# Runs as /secx/cmd.sh in the guest; installed files are under /usr.
IP=/usr/sbin/ip
m=0
ok() { m=$((m + 1)); echo "ok $m - $*"; }
nok() { m=$((m + 1)); echo "not ok $m - $*"; }
W=/tmp/it && mkdir -p $W/dst && cd $W || exit 1
rmmod secx 2>/dev/null
[ -e /sys/module/secx ] && nok "secx.ko unloaded before the test" || ok "secx.ko unloaded before the test"
$IP netns add ia && $IP netns add ib &&
$IP link add iva netns ia type veth peer name ivb netns ib &&
$IP -n ia addr add 10.98.0.1/24 dev iva && $IP -n ib addr add 10.98.0.2/24 dev ivb &&
$IP -n ia link set lo up && $IP -n ib link set lo up &&
$IP -n ia link set iva up && $IP -n ib link set ivb up || nok "netns setup"
echo "alice $(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')" >psk && chmod 600 psk
head -c 3000000 /dev/urandom >blob
$IP netns exec ib /usr/bin/secx-recv --once --dir dst --bind 10.98.0.2 --psk psk 7400 2>recv.err &
rp=$!
i=0; while [ $i -lt 100 ] && ! grep -q 'listening on' recv.err; do sleep 0.1; i=$((i + 1)); done
$IP netns exec ia timeout 120 /usr/bin/secx-send --quiet --psk psk blob 10.98.0.2 7400 2>send.err
src=$?
# secx-recv --once exits after the one transfer; never wait for it forever
i=0; while kill -0 $rp 2>/dev/null && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
kill $rp 2>/dev/null
wait $rp; rrc=$?
if [ $src = 0 ] && [ $rrc = 0 ] && cmp -s blob dst/blob; then
	ok "installed secx-send -> secx-recv between namespaces: 3 MB intact"
else
	nok "installed secx-send/secx-recv (send $src, recv $rrc)"; sed 's/^/#   /' send.err recv.err
fi
[ -e /sys/module/secx ] && ok "secx.ko autoloaded on setsockopt(TCP_ULP, \"secx\")" ||
	nok "secx.ko did not autoload"
# The kernel carried it: the two namespaces' counters saw CLOSE records
# (every secx socket closed in an orderly way sends one).
c=0
for ns in ia ib; do
	for v in $($IP netns exec $ns sed -n -e 's/^CloseSent *\([0-9]*\)$/\1/p' -e 's/^CloseReceived *\([0-9]*\)$/\1/p' /proc/net/secx_stat); do
		c=$((c + v))
	done
done
[ "$c" -gt 0 ] && ok "secx.ko carried it: $c CLOSE records counted in the two namespaces" ||
	{ nok "no CLOSE record counted"; $IP netns exec ib cat /proc/net/secx_stat | sed 's/^/#   /'; }
$IP netns exec ib /usr/local/bin/secx-echo server 7401 psk 2>echo-s.err &
ep=$!
i=0; while [ $i -lt 100 ] && ! $IP netns exec ib cat /proc/net/tcp | grep -q ':1CE9 .* 0A '; do sleep 0.1; i=$((i + 1)); done
got=$(echo "hello over secx" | $IP netns exec ia timeout 60 /usr/local/bin/secx-echo client 10.98.0.2 7401 psk 2>echo-c.err)
wait $ep; erc=$?
[ "$got" = "hello over secx" ] && [ $erc = 0 ] && ok "examples/secx-echo (linked to libsecx.so.1): handshake and echo" ||
	{ nok "secx-echo: got '$got', server $erc"; sed 's/^/#   /' echo-s.err echo-c.err; }
/usr/sbin/secxctl caps >caps.out 2>caps.err && [ -s caps.out ] && ok "installed secxctl caps" ||
	{ nok "secxctl caps"; sed 's/^/#   /' caps.out caps.err; }
$IP netns del ia; $IP netns del ib
EOF
for s in $series; do
	[ -n "${ko[$s]:-}" ] || { fail "VM $s: no DKMS-built secx.ko"; continue; }
	files=(-f "$work/guest.sh:/secx/it.sh" -f "$echo:/usr/local/bin/secx-echo")
	for f in usr/bin/secx-send usr/bin/secx-recv usr/sbin/secx-handshake usr/sbin/secxctl "$lib/libsecx.so.1"; do
		files+=(-f "$payload/$f:/$f")
	done
	SECX_VM_LOG=$work/vm-$s.log nice -n 5 scripts/vm/run.sh -k "$s" -t 600 --ko "${ko[$s]}" \
		"${files[@]}" -- sh /secx/it.sh >"$work/vm-$s.out" 2>&1
	rc=$?
	# Renumber the guest's TAP into ours.
	while read -r line; do
		case "$line" in
		"ok "*) pass "VM $s: ${line#ok * - }" ;;
		"not ok "*) fail "VM $s: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done < <(grep -E '^(ok|not ok|#) ' "$work/vm-$s.out")
	if [ "$rc" = 0 ] && ! grep -q '^not ok' "$work/vm-$s.out" && grep -q '^ok ' "$work/vm-$s.out"; then
		pass "VM $s: clean run (no BUG/WARNING/leak, secx.ko unloads; scripts/vm/check-log.sh)"
	else
		fail "VM $s: run.sh exit $rc"; grep -E 'SECX-|vm:|check-log' "$work/vm-$s.out" | diag
	fi
done

echo "# install-test: $(( $(date +%s) - start )) s"
finish
