#!/bin/bash
# SPDX-License-Identifier: MIT
# The configuration file, default key paths, --help/--version and usage
# lines of every tool, --rekey-* validation, and the bash completions
# (issue 12 items 6 and 7).  Tools from the test build, SECX_NO_KERNEL=1
# (no secx.ko on the host: the handshake runs, no key is installed).
# TAP on stdout.
#   SECX_BUILD  the shipped build (default: build)
#   SECX_TBUILD the test build with the hooks (default: build/t)
B=${SECX_BUILD:-build}
T=${SECX_TBUILD:-$B/t}
HERE=$(cd "$(dirname "$0")" && pwd)
COMP=$HERE/../completion
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }
W=$(mktemp -d /tmp/secx-config-test.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
export SECX_NO_KERNEL=1
export SECX_TEST_SYSTEM_CONFIG=$W/etc-secx-config
export XDG_CONFIG_HOME=$W/xdg
export HOME=$W/home
mkdir -p "$W/xdg/secx" "$W/home" "$W/in" "$W/in2"
C=$W/xdg/secx/config
echo hello >"$W/f"

# rc and one-line stderr of a tool: run TOOL ARGS...; sets rc, err, lines
run() {
	timeout 10 "$@" >"$W/out" 2>"$W/err.raw"
	rc=$?
	grep -v 'TEST MODE' "$W/err.raw" >"$W/err"
	err=$(cat "$W/err")
	lines=$(wc -l <"$W/err")
}
conf() { printf "$@" >"$C"; chmod 600 "$C"; }
# send with the user config: exit 2, one line that contains $1
refused() {
	local what=$1 want=$2
	run "$T/secx-send" "$W/f" 127.0.0.1 1
	check "$what: exit 2, one line naming '$want' (rc $rc: $err)" \
		eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$want" "$W/err"'
}

# ---- hostile config files ----
conf 'bogus-key 1\n'
refused "unknown key" "config:1: unknown key 'bogus-key'"
conf '# comment\n\nidle-timeout 5\n  # indented comment\nidle-timeout 6\n'
refused "duplicate key" "config:5: duplicate key idle-timeout (first at line 3)"
conf 'idle-timeout\n'
refused "empty value" "config:1: idle-timeout needs a value"
conf 'idle-timeout =   \n'
refused "empty value after '='" "config:1: idle-timeout needs a value"
conf 'rekey-bytes 100\n'
refused "out-of-range value" "config:1: invalid rekey-bytes '100'"
conf 'rekey-records 2.5\n'
refused "fractional count" "config:1: invalid rekey-records '2.5'"
conf 'name #evil\n'
refused "a '#' name" "config:1: invalid name"
conf 'suites rot13\n'
refused "unknown suite" "config:1:"
conf "identity $(head -c 3000 /dev/zero | tr '\0' a)\n"
refused "huge line" "config:1: line too long"
head -c 70000 /dev/zero | tr '\0' '#' >"$C"
refused "huge file" "is too large"
printf 'idle-timeout 5\001\n' >"$C"
refused "control byte" "config:1: control byte 0x01"
printf 'idle-timeout 5\000\n' >"$C"
refused "NUL byte" "config:1: control byte 0x00"
conf 'idle-timeout 5\n'
chmod 666 "$C"
refused "world-writable user config" "bad owner or permissions on config"
chmod 620 "$C"
refused "group-writable user config" "bad owner or permissions on config"
if chown nobody "$C" 2>/dev/null && [ "$(stat -c %U "$C")" = nobody ]; then
	chmod 600 "$C"
	refused "config owned by another user" "bad owner or permissions on config"
else
	nok "cannot chown a file to nobody to test a foreign owner (run as root)"
fi
rm -f "$C"
mkdir "$C"
refused "config that is a directory" "bad owner or permissions on config"
rmdir "$C"
printf 'idle-timeout 5\n' >"$SECX_TEST_SYSTEM_CONFIG"
chmod 646 "$SECX_TEST_SYSTEM_CONFIG"
refused "world-writable system config" "bad owner or permissions on config $SECX_TEST_SYSTEM_CONFIG"
rm -f "$SECX_TEST_SYSTEM_CONFIG"
ln -s /nonexistent "$C"
run "$T/secx-send" --anonymous "$W/f" 127.0.0.1 1
check "dangling symlink config: an error, not an empty config (rc $rc: $err)" \
	eval '[ $rc = 2 ] && grep -q "cannot read config" "$W/err"'
rm -f "$C"

# ---- --help/--version never read the config; --no-config skips it ----
conf 'bogus-key 1\n'
for t in secx-send secx-recv secx-handshake; do
	run "$T/$t" --help
	check "$t --help with a broken config: exit 0, usage on stdout" \
		eval '[ $rc = 0 ] && grep -q "Usage" "$W/out"'
	run "$T/$t" --version
	check "$t --version: exit 0, one line" eval '[ $rc = 0 ] && [ "$(wc -l <"$W/out")" = 1 ]'
done
run "$T/secx-send" --no-config --rekey-bytes 1024 --anonymous "$W/f" 127.0.0.1 1
check "--no-config: a broken config is not read (rc $rc: $err)" \
	eval '[ $rc = 1 ] && grep -q "cannot connect" "$W/err"'
run "$T/secx-send" --config "$W/nonexistent" --anonymous "$W/f" 127.0.0.1 1
check "--config FILE: FILE must exist (rc $rc: $err)" \
	eval '[ $rc = 2 ] && grep -q "cannot read config $W/nonexistent" "$W/err"'
run "$T/secx-send" --config "" --anonymous "$W/f" 127.0.0.1 1
check "--config '': usage error (rc $rc: $err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ]'
run "$T/secx-send" --config
check "--config without FILE: usage error naming --config (rc $rc: $err)" \
	eval '[ $rc = 2 ] && grep -q -- "--config needs" "$W/err"'
rm -f "$C"

# ---- usage errors name what is missing, for every tool ----
run "$T/secx-send" --anonymous "$W/f"
check "secx-send FILE: names HOST ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "missing HOST after FILE" "$W/err"'
run "$T/secx-send" --anonymous 7000
check "secx-send PORT alone: names FILE and HOST ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "missing FILE and HOST before PORT" "$W/err"'
run "$T/secx-send" --anonymous "$W/f" 7000
check "secx-send FILE PORT: names HOST ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "missing HOST before PORT" "$W/err"'
run "$T/secx-recv" --anonymous
check "secx-recv: names PORT ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "PORT" "$W/err"'
run "$T/secx-handshake"
check "secx-handshake: names COMMAND ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "COMMAND" "$W/err"'
run "$T/secx-handshake" pubkey
check "secx-handshake pubkey: names FILE ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "FILE" "$W/err"'
run "$T/secx-handshake" genpsk alice
check "secx-handshake genpsk alice: names IDENTITY and FILE ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "FILE" "$W/err"'
run "$B/secxctl"
check "secxctl: names COMMAND ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q "COMMAND" "$W/err"'
run "$B/secxctl" --version
check "secxctl --version: exit 0" eval '[ $rc = 0 ] && [ -s "$W/out" ]'
run "$B/secxctl" -h
check "secxctl -h: exit 0" eval '[ $rc = 0 ] && grep -q Usage "$W/out"'

# ---- --rekey-*: exit 2 naming the option ----
for bad in "--rekey-bytes 1023" "--rekey-bytes -1" "--rekey-bytes 1e30" "--rekey-bytes ''" \
	   "--rekey-records 1" "--rekey-records x" "--rekey-seconds 99999999" \
	   "--rekey-seconds 1.5" "--rekey-bytes"; do
	opt=${bad%% *}
	for t in secx-send secx-recv; do
		if [ $t = secx-send ]; then eval "run \"$T/$t\" --anonymous $bad \"$W/f\" 127.0.0.1 1"
		else eval "run \"$T/$t\" 0 --anonymous $bad"; fi
		check "$t $bad: exit 2, one line naming $opt ($err)" \
			eval '[ $rc = 2 ] && [ "$lines" = 1 ] && grep -q -- "$opt" "$W/err"'
	done
done

# ---- the default identity: genkey without FILE, then no auth options ----
A=$W/alice B_=$W/bob
run env XDG_CONFIG_HOME="$A" "$T/secx-handshake" genkey
check "genkey without FILE writes \$XDG_CONFIG_HOME/secx/key, mode 0600, dir 0700 (rc $rc)" \
	eval '[ $rc = 0 ] && [ "$(stat -c %a "$A/secx/key")" = 600 ] && [ "$(stat -c %a "$A/secx")" = 700 ]'
apub=$(cat "$W/out")
run env XDG_CONFIG_HOME="$A" "$T/secx-handshake" genkey
check "genkey without FILE never overwrites (rc $rc)" eval '[ $rc = 1 ]'
run env -u XDG_CONFIG_HOME HOME="$W/h2" "$T/secx-handshake" genkey
check "genkey without FILE and XDG_CONFIG_HOME: ~/.config/secx/key" \
	eval '[ $rc = 0 ] && [ -s "$W/h2/.config/secx/key" ]'
env XDG_CONFIG_HOME="$B_" "$T/secx-handshake" genkey >"$W/bob.pub" 2>/dev/null
echo "alice $apub" >"$B_/secx/known_peers"
echo "bob $(cat "$W/bob.pub")" >"$A/secx/known_peers"
printf 'name bob\ndir %s\nidle-timeout 20\n' "$W/nonexistent-dir" >"$B_/secx/config"
chmod 600 "$B_/secx/config"
printf 'name alice\n' >"$A/secx/config"
chmod 600 "$A/secx/config"
XDG_CONFIG_HOME=$B_ "$T/secx-recv" --once --dir "$W/in" --bind 127.0.0.1 0 \
	>"$W/recv.out" 2>"$W/recv.err" &
rpid=$!
pids+=("$rpid")
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$W/recv.err")
	[ -n "$port" ] && break
	sleep 0.05
done
run env XDG_CONFIG_HOME="$A" "$T/secx-send" --json --peer-name bob "$W/f" 127.0.0.1 "${port:-1}"
wait "$rpid"
rrc=$?
check "secx-send FILE HOST PORT with only the default key and a config: exit 0 (rc $rc: $err)" \
	eval '[ $rc = 0 ] && cmp -s "$W/f" "$W/in/f"'
check "the command line overrides the config's dir (recv rc $rrc)" eval '[ $rrc = 0 ] && [ ! -e "$W/nonexistent-dir" ]'
check "the sender authenticated bob by the default known_peers" \
	eval 'grep -q "\"peer\":\"bob\"" "$W/out"'
check "--json has key_updates (null without the kernel)" eval 'grep -q "\"key_updates\":null" "$W/out"'

# fail closed: a config naming an identity that cannot be used
printf 'identity %s/nonexistent.key\nknown-peers %s/secx/known_peers\n' "$W" "$A" >"$A/secx/config"
run env XDG_CONFIG_HOME="$A" "$T/secx-send" "$W/f" 127.0.0.1 1
check "config identity missing: exit 2, no fallback to the default key ($err)" \
	eval '[ $rc = 2 ] && grep -q "nonexistent.key" "$W/err"'
chmod 644 "$A/secx/key"
rm -f "$A/secx/config"
run env XDG_CONFIG_HOME="$A" "$T/secx-send" "$W/f" 127.0.0.1 1
check "default key readable by others: refused, exit 2 ($err)" eval '[ $rc = 2 ] && [ "$lines" = 1 ]'
chmod 600 "$A/secx/key"
printf 'identity %s/secx/key\n' "$A" >"$A/secx/config"
chmod 600 "$A/secx/config"
run env XDG_CONFIG_HOME="$A" "$T/secx-send" "$W/f" 127.0.0.1 1
check "config identity without known-peers: exit 2, says so ($err)" \
	eval '[ $rc = 2 ] && grep -q "known-peers" "$W/err"'
run env XDG_CONFIG_HOME="$A" "$T/secx-send" --anonymous "$W/f" 127.0.0.1 1
check "an auth method on the command line replaces the config's (rc $rc: $err)" \
	eval '[ $rc = 1 ] && grep -q "cannot connect" "$W/err"'
run env XDG_CONFIG_HOME="$A" "$T/secx-handshake" connect 127.0.0.1 1 -- true
check "secx-handshake connect reads the config too ($err)" \
	eval '[ $rc = 2 ] && grep -q "known-peers" "$W/err"'

# ---- bash completion: one file per tool, COMPREPLY for a few prefixes ----
comp() {	# TOOLFILE WORDS... -> COMPREPLY, one per line
	local f=$1; shift
	bash --norc --noprofile -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$COMP/$f" "$@" 2>&1
}
for t in secx-send secx-recv secx-handshake secxctl secx-verify; do
	check "completion file for $t exists and parses" \
		bash --norc --noprofile -n "$COMP/$t"
done
out=$(comp secx-send secx-send --rek)
check "secx-send --rek<TAB>: the three --rekey options ($(echo $out))" \
	eval '[ "$(echo $out)" = "--rekey-bytes --rekey-records --rekey-seconds" ]'
out=$(comp secx-send secx-send --kn)
check "secx-send --kn<TAB>: --known-peers" eval '[ "$out" = --known-peers ]'
out=$(comp secx-recv secx-recv --max-)
check "secx-recv --max-<TAB> ($(echo $out))" \
	eval '[ "$(echo $out)" = "--max-handshakes --max-per-source" ]'
out=$(comp secx-recv secx-recv --suites aes-1)
check "secx-recv --suites aes-1<TAB> ($(echo $out))" eval '[ "$out" = aes-128-gcm ]'
out=$(comp secx-handshake secx-handshake gen)
check "secx-handshake gen<TAB> ($(echo $out))" eval '[ "$(echo $out)" = "genkey genpsk" ]'
out=$(comp secxctl secxctl de)
check "secxctl de<TAB> ($(echo $out))" eval '[ "$out" = defaults ]'
out=$(comp secxctl secxctl defaults set re)
check "secxctl defaults set re<TAB> ($(echo $out))" eval '[ "$(echo $out)" = "records" ]'
mkdir -p "$W/cdir" && touch "$W/cdir/alpha.key" "$W/cdir/beta"
out=$(cd "$W/cdir" && comp secx-send secx-send --key al)
check "secx-send --key al<TAB>: file names ($out)" eval '[ "$out" = alpha.key ]'
out=$(comp secx-verify secx-verify --kn)
check "secx-verify --kn<TAB>" eval '[ "$out" = --known-peers ]'
for t in secx-send secx-recv secx-verify; do
	run "$T/$t" --help
	check "$t --help: exit 0" eval '[ $rc = 0 ]'
done

echo "1..$n"
