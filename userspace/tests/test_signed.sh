#!/bin/bash
# SPDX-License-Identifier: MIT
# Signed files end to end (issue 12 item 5): secx-send signs every file with
# its Ed25519 identity, secx-recv --keep-signatures requires and stores the
# signatures, secx-verify checks them later.  Tools from the test build,
# SECX_NO_KERNEL=1.  TAP on stdout.
#   SECX_BUILD  the shipped build (default: build)
#   SECX_TBUILD the test build with the hooks (default: build/t)
B=${SECX_BUILD:-build}
T=${SECX_TBUILD:-$B/t}
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }
W=$(mktemp -d /tmp/secx-signed-test.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
export SECX_NO_KERNEL=1 XDG_CONFIG_HOME=$W/xdg HOME=$W/home SECX_TEST_SYSTEM_CONFIG=$W/none
mkdir -p "$W/home" "$W/src/sub/deeper"
"$T/secx-handshake" genkey "$W/a.key" >"$W/a.pub" 2>/dev/null
"$T/secx-handshake" genkey "$W/b.key" >"$W/b.pub" 2>/dev/null
echo "bob $(cat "$W/b.pub")" >"$W/a.kp"
echo "alice $(cat "$W/a.pub")" >"$W/b.kp"
A=(--key "$W/a.key" --known-peers "$W/a.kp" --name alice --peer-name bob)
BOB=(--key "$W/b.key" --known-peers "$W/b.kp" --name bob)
echo hello >"$W/src/f"
head -c 100000 /dev/urandom >"$W/src/sub/deeper/g"

# receive once into DIR with ARGS...; then send SEND_ARGS...; sets rc, rrc
xfer() {
	local dir=$1; shift
	local rargs=() sargs=()
	while [ "$1" != -- ]; do rargs+=("$1"); shift; done
	shift
	sargs=("$@")
	mkdir -p "$dir"
	: >"$W/r.err"
	timeout 20 "$T/secx-recv" --once --dir "$dir" --bind 127.0.0.1 "${rargs[@]}" 0 \
		>/dev/null 2>"$W/r.err" &
	local rpid=$! port= k
	pids+=("$rpid")
	for k in $(seq 200); do
		port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$W/r.err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	timeout 20 "$T/secx-send" "${sargs[@]}" 127.0.0.1 "${port:-1}" >/dev/null 2>"$W/s.err"
	rc=$?
	wait "$rpid"
	rrc=$?
}
verify() { "$B/secx-verify" "$1" --known-peers "$W/b.kp" >/dev/null 2>"$W/v.err"; }

xfer "$W/in1" "${BOB[@]}" --keep-signatures -- "${A[@]}" "$W/src/f"
check "signed transfer: both exit 0, f and f.secxsig stored (send $rc, recv $rrc)" \
	eval '[ $rc = 0 ] && [ $rrc = 0 ] && [ -s "$W/in1/f.secxsig" ] && cmp -s "$W/src/f" "$W/in1/f"'
verify "$W/in1/f"; v=$?
check "secx-verify: valid ($v)" [ $v = 0 ]
echo tampered >>"$W/in1/f"
verify "$W/in1/f"; v=$?
check "secx-verify after the file changed: exit 1 ($(cat "$W/v.err"))" [ $v = 1 ]

xfer "$W/in2" "${BOB[@]}" --keep-signatures -- "${A[@]}" -r "$W/src"
verify "$W/in2/src/sub/deeper/g"; v=$?
check "a tree: each file's signature beside it, in its directory (send $rc, recv $rrc, verify $v)" \
	eval '[ $rc = 0 ] && [ $rrc = 0 ] && [ $v = 0 ] && [ -s "$W/in2/src/f.secxsig" ]'

xfer "$W/in3" "${BOB[@]}" -- "${A[@]}" "$W/src/f"
check "without --keep-signatures: stored, no .secxsig (send $rc, recv $rrc)" \
	eval '[ $rc = 0 ] && [ $rrc = 0 ] && [ -f "$W/in3/f" ] && [ ! -e "$W/in3/f.secxsig" ]'

mkdir -p "$W/in4" && echo old >"$W/in4/f.secxsig"
xfer "$W/in4" "${BOB[@]}" --keep-signatures -- "${A[@]}" "$W/src/f"
check "an existing f.secxsig: f refused before its data, sender exit 1 (send $rc, recv $rrc)" \
	eval '[ $rc = 1 ] && [ ! -e "$W/in4/f" ] && [ "$(cat "$W/in4/f.secxsig")" = old ] &&
	      grep -q "secxsig exists" "$W/s.err"'

cp "$W/src/f" "$W/src/x.secxsig"
xfer "$W/in5" "${BOB[@]}" --keep-signatures -- "${A[@]}" "$W/src/x.secxsig"
check "an incoming name ending in .secxsig is refused while keeping signatures (send $rc)" \
	eval '[ $rc = 1 ] && [ ! -e "$W/in5/x.secxsig" ]'

# FILE... HOST without PORT: port 7000 (XF_PORT_DEFAULT), if it is free here
if ! (exec 3<>/dev/tcp/127.0.0.1/7000) 2>/dev/null; then
	mkdir -p "$W/in6"
	timeout 20 "$T/secx-recv" --once --dir "$W/in6" --bind 127.0.0.1 "${BOB[@]}" 7000 \
		>/dev/null 2>"$W/r.err" &
	rpid=$!
	pids+=("$rpid")
	for k in $(seq 200); do grep -q listening "$W/r.err" && break; sleep 0.05; done
	timeout 20 "$T/secx-send" "${A[@]}" "$W/src/f" 127.0.0.1 >/dev/null 2>"$W/s.err"
	rc=$?
	wait "$rpid"
	check "FILE HOST without PORT goes to port 7000 (send $rc: $(grep -v 'TEST MODE' "$W/s.err"))" \
		eval '[ $rc = 0 ] && cmp -s "$W/src/f" "$W/in6/f"'
else
	ok "FILE HOST without PORT # SKIP port 7000 is busy on this host"
fi

echo "alice $(head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n")" >"$W/psk"
chmod 600 "$W/psk"
timeout 5 "$T/secx-recv" --once --keep-signatures --psk "$W/psk" 0 >/dev/null 2>"$W/e"
r=$?
check "--keep-signatures with a PSK: exit 2, one line ($(grep -v 'TEST MODE' "$W/e"))" \
	eval '[ $r = 2 ] && [ "$(grep -vc "TEST MODE" "$W/e")" = 1 ] && grep -q Ed25519 "$W/e"'
timeout 5 "$T/secx-recv" --keep-signatures --stdout "${BOB[@]}" 0 >/dev/null 2>"$W/e"
r=$?
check "--keep-signatures with --stdout: exit 2 ($(grep -v 'TEST MODE' "$W/e"))" [ $r = 2 ]
echo "1..$n"
