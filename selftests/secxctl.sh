#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# secxctl against the real secx.ko in the guest: caps, stats, defaults
# (show, set, the refusals and their exit status), monitor while sockets
# rekey and fail, and the message when the module is not loaded.  Text and
# JSON output.  The events come from the netlink selftest's own sockets.
#
# POSIX sh for busybox ash.  Prints TAP; exits 1 if any test failed.

W=/tmp/secx-ctl
NLTEST=$(dirname "$0")/netlink
n=0 nfail=0
pass() { n=$((n + 1)); echo "ok $n $*"; }
fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
diag() { for f; do [ -s "$f" ] && sed "s|^|#   $f: |" "$f" | head -n 20; done; return 0; }
# { CONDITION; }; result NAME  -- the status of the condition decides
result() {
	if [ $? = 0 ]; then pass "$1"; else fail "$1"; diag out err; return 1; fi
}

rm -rf "$W"
mkdir -p "$W" && cd "$W" || exit 1
saved=
monpid=
cleanup() {
	[ -n "$monpid" ] && kill "$monpid" 2>/dev/null
	grep -q '^secx ' /proc/modules || modprobe secx
	[ -n "$saved" ] && secxctl defaults set $saved >/dev/null 2>&1
	cd /
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# run CMD...: stdout in out, stderr in err, exit status in $rc
run() { "$@" >out 2>err; rc=$?; }

# --- usage, version ----------------------------------------------------------
run secxctl --version
{ [ "$rc" = 0 ] && grep -q '^secxctl .*ABI 1' out; }; result "version"
run secxctl --help
{ [ "$rc" = 0 ] && grep -q caps out && grep -q stats out && grep -q defaults out &&
	grep -q monitor out; }; result "help lists every command"
run secxctl
{ [ "$rc" = 2 ] && grep -q 'missing COMMAND' err && [ "$(wc -l <err)" = 1 ]; }
result "no command: one line naming COMMAND, exit 2"
run secxctl frobnicate
{ [ "$rc" = 2 ] && grep -q "invalid command 'frobnicate'" err; }; result "unknown command: exit 2"

# --- caps --------------------------------------------------------------------
run secxctl caps
{ [ "$rc" = 0 ] && [ "$(grep '^suites ' out | wc -w)" = 6 ] &&
	grep -q '^suites .*aes-256-cbc-hmac-sha512' out; }; result "caps: all five suites"
{ grep -q '^features rekey netns-defaults events$' out &&
	grep -q '^rekey-min-bytes 1024$' out &&
	grep -q '^rekey-min-records 2$' out; }; result "caps: features and bounds"
run secxctl --json caps
{ [ "$rc" = 0 ] && grep -q '^{"abi_version":1,' out &&
	[ "$(grep -o '"id":' out | wc -l)" = 5 ]; }; result "caps --json"

# --- stats -------------------------------------------------------------------
run secxctl stats
{ [ "$rc" = 0 ] && grep -q '^CurrSockets ' out && grep -q '^RxRekeys ' out &&
	grep -q '^aes-128-gcm ' out; }; result "stats: every counter, every suite"
tx=$(awk '$1 == "TxRecords-aes-128-gcm" { print $2 }' /proc/net/secx_stat)
run secxctl stats --json
{ [ "$rc" = 0 ] && grep -q '^{"counters":{"CurrSockets":' out &&
	grep -q "\"name\":\"aes-128-gcm\",\"tx_records\":$tx," out; }
result "stats --json agrees with /proc"

# --- defaults ----------------------------------------------------------------
run secxctl defaults
{ [ "$rc" = 0 ] && grep -q '^bytes [0-9]' out && grep -q '^records [0-9]' out &&
	grep -q '^seconds [0-9]' out; }; result "defaults show"
saved=$(tr '\n' ' ' <out)
records=$(awk '$1 == "records" { print $2 }' out)
run secxctl defaults set bytes 4096 seconds 30
{ [ "$rc" = 0 ] && grep -q '^bytes 4096$' out && grep -q '^seconds 30$' out &&
	grep -q "^records $records\$" out; }; result "defaults set: only what is given"
run secxctl --json defaults show
{ [ "$rc" = 0 ] && grep -q '^{"bytes":4096,.*"seconds":30}$' out; }; result "defaults --json"
run secxctl defaults set bytes 100
{ [ "$rc" = 1 ] && grep -q 'at least 1024' err; }; result "defaults: small byte budget refused, exit 1"
run secxctl defaults set seconds 4294967295
{ [ "$rc" = 1 ] && grep -q 'too large' err; }; result "defaults: huge time budget refused"
run secxctl defaults set records
{ [ "$rc" = 2 ] && grep -q 'needs a value' err; }; result "defaults: missing value, exit 2"
run secxctl defaults set kilobytes 7
{ [ "$rc" = 2 ] && grep -q "unknown budget 'kilobytes'" err; }; result "defaults: unknown budget, exit 2"
run secxctl defaults set bytes -5
{ [ "$rc" = 2 ] && grep -q 'not a number' err; }; result "defaults: not a number, exit 2"
run secxctl defaults show
grep -q '^bytes 4096$' out; result "defaults: refusals changed nothing"
run secxctl defaults set $saved
[ "$rc" = 0 ]; result "defaults: restored"

# --- monitor -----------------------------------------------------------------
# monitor_while FILE NLTEST_NAME ARGS...: secxctl monitor ARGS into FILE
# while one test of the netlink selftest makes its sockets rekey or fail.
monitor_while() {
	file=$1 t=$2
	shift 2
	secxctl monitor "$@" >"$file" 2>mon.err &
	monpid=$!
	sleep 0.5
	"$NLTEST" -t "$t" >nltest.out 2>&1
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$monpid" 2>/dev/null || break
		sleep 0.3
	done
	kill "$monpid" 2>/dev/null
	wait "$monpid" 2>/dev/null
	monpid=
}
if [ -x "$NLTEST" ]; then
	monitor_while mon.json rekey_events --json --count 4
	{ [ "$(grep -c '^{"event":"key-update","dir":"tx","epoch":[12],"cookie":[1-9][0-9]*}$' mon.json)" = 2 ] &&
		[ "$(grep -c '^{"event":"key-update","dir":"rx","epoch":[12],' mon.json)" = 2 ]; }
	result "monitor --json: key updates, both directions, epochs" || diag mon.json mon.err nltest.out
	monitor_while mon.txt error_events --count 1
	grep -q '^rx-error EBADMSG (.*) cookie [1-9][0-9]*$' mon.txt
	result "monitor: receive error line" || diag mon.txt mon.err nltest.out
else
	skip "monitor: $NLTEST not found"
	skip "monitor: $NLTEST not found"
fi
run secxctl monitor --count 0
[ "$rc" = 2 ]; result "monitor: bad --count, exit 2"

# --- module not loaded -------------------------------------------------------
if rmmod secx 2>/dev/null; then
	run secxctl stats
	{ [ "$rc" = 1 ] && grep -q "secx kernel module not loaded: run 'modprobe secx'" err; }
	result "not loaded: says so, exit 1"
	modprobe secx
	run secxctl caps
	[ "$rc" = 0 ]; result "loaded again"
else
	skip "not loaded: secx.ko is in use"
	skip "loaded again"
fi

echo "1..$n"
[ "$nfail" = 0 ]
