#!/bin/bash
# SPDX-License-Identifier: MIT
# The tools as shipped and as run (issue 11): no test hook in the shipped
# binaries, secx-handshake listen limits and signal hygiene, genpsk,
# credentials checked before listening.  TAP on stdout.
#   SECX_BUILD  the shipped build (default: build)
#   SECX_TBUILD the test build with the hooks (default: build/t)
B=${SECX_BUILD:-build}
T=${SECX_TBUILD:-$B/t}
[ -x "$T/secx-handshake" ] || T=$B
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }
W=$(mktemp -d /tmp/secx-tools-test.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT

# ---- test hooks are not in what we ship ----
shipped="$B/libsecx.a $B/secx-handshake $B/secx-send $B/secx-recv $B/secx-verify"
hooks=$(nm -A $shipped 2>/dev/null | grep -E 'secx_test_rand|test_mode' )
check "shipped library and tools have no secx_test_rand symbol${hooks:+: $hooks}" [ -z "$hooks" ]
s=$(grep -l -a -E 'SECX_NO_KERNEL|TEST MODE' $shipped 2>/dev/null)
check "shipped library and tools do not contain SECX_NO_KERNEL${s:+: $s}" [ -z "$s" ]
out=$(SECX_NO_KERNEL=1 timeout 10 "$B/secx-handshake" connect 127.0.0.1 1 --anonymous -- true 2>&1)
check "SECX_NO_KERNEL=1 has no effect on the shipped secx-handshake" \
	eval '! printf "%s" "$out" | grep -q "TEST MODE"'
s=$(grep -l -a 'SECX_NO_KERNEL' "$T/secx-handshake" 2>/dev/null)
check "the test build still has the hook (the host tests use it)" [ -n "$s" ]

# ---- credentials are checked before listening ----
out=$(timeout 5 "$B/secx-recv" --dir "$W" --key /nonexistent.key --known-peers "$W/kp" 0 2>&1)
rc=$?
check "secx-recv --key /nonexistent.key exits 2 before listening (rc $rc: $out)" \
	eval '[ $rc = 2 ] && ! printf "%s" "$out" | grep -q listening'
out=$(timeout 5 "$B/secx-handshake" listen 0 --psk /nonexistent.psk -- true 2>&1)
rc=$?
check "secx-handshake listen --psk /nonexistent exits 2 before listening (rc $rc)" \
	eval '[ $rc = 2 ] && ! printf "%s" "$out" | grep -q listening'

# ---- genpsk ----
"$B/secx-handshake" genpsk alice "$W/psk1" >/dev/null 2>&1
"$B/secx-handshake" genpsk alice "$W/psk2" >/dev/null 2>&1
check "genpsk writes 'IDENTITY 64-hex' with mode 0600" \
	eval '[ "$(stat -c %a "$W/psk1" 2>/dev/null)" = 600 ] && grep -qxE "alice [0-9a-f]{64}" "$W/psk1"'
check "genpsk: two keys differ" eval '[ -s "$W/psk2" ] && ! cmp -s "$W/psk1" "$W/psk2"'
check "genpsk never overwrites" eval '! "$B/secx-handshake" genpsk bob "$W/psk1" 2>/dev/null && grep -q alice "$W/psk1"'
check "genpsk refuses a malformed identity" eval '! "$B/secx-handshake" genpsk "a b" "$W/psk3" 2>/dev/null && [ ! -e "$W/psk3" ]'

# ---- listen: signal dispositions and pre-auth limits (test build: no kernel) ----
export SECX_NO_KERNEL=1
kids_of() {	# number of child processes of $1 (no procps needed)
	grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status 2>/dev/null | wc -l
}
start_listen() {	# ARGS... ; sets lpid and port
	"$T/secx-handshake" listen 127.0.0.1 0 "$@" 2>"$W/listen.err" &
	lpid=$!
	pids+=("$lpid")
	port=
	for _ in $(seq 50); do
		port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$W/listen.err")
		[ -n "$port" ] && break
		sleep 0.1
	done
}
start_listen --anonymous --once -- grep SigIgn /proc/self/status
timeout 10 "$T/secx-handshake" connect 127.0.0.1 "${port:-1}" --anonymous -- \
	sh -c "cat >$W/sigign" 2>/dev/null
wait "$lpid" 2>/dev/null
mask=$(awk '{print $2}' "$W/sigign" 2>/dev/null)
check "listen: CMD starts with SIGCHLD and SIGPIPE at their defaults (SigIgn ${mask:-none})" \
	eval '[ -n "$mask" ] && [ $(( 0x$mask & 0x11000 )) = 0 ]'

start_listen --anonymous --max-startups 2 --timeout 2 -- true
for i in $(seq 8); do
	( exec 3<>"/dev/tcp/127.0.0.1/${port:-1}" && sleep 4 ) 2>/dev/null &
	pids+=("$!")
done
sleep 1
kids=$(kids_of "$lpid")
check "listen --max-startups 2: 8 idle connections, $kids handshakes in progress (1..2)" \
	eval '[ "$kids" -ge 1 ] && [ "$kids" -le 2 ] && kill -0 $lpid'
sleep 2.5
kids=$(kids_of "$lpid")
check "listen: idle pre-auth connections dropped at the deadline ($kids left)" [ "$kids" = 0 ]
timeout 10 "$T/secx-handshake" connect 127.0.0.1 "${port:-1}" --anonymous -- true 2>/dev/null
check "listen: serves again once the idle ones are gone" [ $? = 0 ]
kill "$lpid" 2>/dev/null
echo "1..$n"
