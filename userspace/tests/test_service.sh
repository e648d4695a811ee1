#!/bin/bash
# SPDX-License-Identifier: MIT
# secx-recv as a service: --rate-per-source (new connections a minute from
# one source, an IPv4 address or an IPv6 /64) and its option checks.  Tools
# from the test build, SECX_NO_KERNEL=1.  TAP on stdout.
#   SECX_BUILD  the shipped build (default: build)
#   SECX_TBUILD the test build with the hooks (default: build/t)
B=${SECX_BUILD:-build}
T=${SECX_TBUILD:-$B/t}
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }
W=$(mktemp -d /tmp/secx-service-test.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
export SECX_NO_KERNEL=1 XDG_CONFIG_HOME=$W/xdg HOME=$W/home
export SECX_TEST_SYSTEM_CONFIG=$W/none
mkdir -p "$W/in" "$W/home"

# usage errors name the option, exit 2, one line
for v in "" x -1 1.5 100001; do
	timeout 5 "$T/secx-recv" --anonymous --rate-per-source "$v" 0 >/dev/null 2>"$W/err"
	rc=$?
	check "--rate-per-source '$v': exit 2, names the option ($(head -c 120 "$W/err"))" \
		eval '[ $rc = 2 ] && [ "$(grep -vc "TEST MODE" "$W/err")" = 1 ] && grep -q -- "--rate-per-source" "$W/err"'
done

# start the service on ADDR with ARGS...; sets spid, port
start() {
	local addr=$1; shift
	: >"$W/svc.err"
	"$T/secx-recv" --anonymous --dir "$W/in" --bind "$addr" "$@" 0 >/dev/null 2>"$W/svc.err" &
	spid=$!
	pids+=("$spid")
	port=
	for _ in $(seq 200); do
		port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$W/svc.err")
		[ -n "$port" ] && break
		sleep 0.05
	done
}
# N connections from this host, each closed at once
knock() {
	local addr=$1 k
	for k in $(seq "$2"); do
		(exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null
	done
	sleep 1
}
# SIGTERM the service; its exit status, or 124 if it is still there after 5 s
stop() {
	local k
	kill -TERM "$spid" 2>/dev/null
	for k in $(seq 100); do
		kill -0 "$spid" 2>/dev/null || { wait "$spid"; return; }
		sleep 0.05
	done
	kill -KILL "$spid"; wait "$spid"
	return 124
}
refusals() { grep -c "refused: more than .* new connections a minute from $1 (--rate-per-source $2)" "$W/svc.err"; }

start 127.0.0.1 --rate-per-source 3
knock 127.0.0.1 5
r=$(refusals 127.0.0.1 3)
check "--rate-per-source 3: 5 connections at once, the last 2 refused with one line each ($r)" \
	[ "$r" = 2 ]
stop; rc=$?
check "the service survives them and stops on SIGTERM with 0 (rc $rc)" [ $rc = 0 ]

start 127.0.0.1 --rate-per-source 0
knock 127.0.0.1 6
check "--rate-per-source 0: no limit ($(grep -c refused "$W/svc.err") refused)" \
	eval '! grep -q "new connections a minute" "$W/svc.err"'
stop

start ::1 --rate-per-source 2
if [ -n "$port" ]; then
	knock ::1 3
	r=$(refusals "0:0:0:0::/64" 2)
	check "IPv6: the source is the /64 (::1 counted as 0:0:0:0::/64, $r refused)" [ "$r" = 1 ]
	stop
else
	ok "IPv6: no ::1 on this host # SKIP"
fi
echo "1..$n"
