#!/bin/sh
# PID 1 of the test guest: mount the basics, load secx, run /secx/cmd.sh,
# unload secx (proving no socket still holds it), dump the kernel log between
# markers for the host to scan, then power off.  The host side is run.sh.
export PATH=/secx/bin:/secx/selftests:/usr/sbin:/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /dev/shm
mkdir -p /run/netns
mount -t debugfs debugfs /sys/kernel/debug

# TCP sockets currently allocated, counted exactly by SLUB user tracking
# (slub_debug=U on the TCP caches, set by run.sh): a socket whose last
# reference is never dropped stays in this count after the command ends.
tcp_socks() {
	cat /sys/kernel/debug/slab/TCP/alloc_traces \
	    /sys/kernel/debug/slab/TCPv6/alloc_traces 2>/dev/null |
		awk '$1 ~ /^[0-9]+$/ { n += $1 } END { print n + 0 }'
}
/usr/sbin/ip link set lo up
hostname secx-guest

# What udev does on a real machine from the CPU's modalias: load the SIMD
# cipher drivers, so the crypto API picks them as it would in production
# (without them "gcm(aes)" is built from aes-generic).
for m in aesni_intel ghash_clmulni_intel sha256_ssse3 sha512_ssse3 \
	chacha_x86_64 poly1305_x86_64; do
	modprobe "$m" 2>/dev/null
done

# kmemleak (the debug kernel only): forget what boot left behind, so that the
# scan at the end reports only objects allocated while the command ran.
kmemleak=/sys/kernel/debug/kmemleak
if [ -w "$kmemleak" ] && [ ! -f /secx/shell ]; then
	echo scan >"$kmemleak"
	echo clear >"$kmemleak"
fi

if [ -f /secx/shell ]; then
	echo "secx guest: $(uname -r); secx.ko is loaded; 'poweroff -f' to leave"
	modprobe secx
	setsid cttyhack sh -l
	poweroff -f
fi

# Sockets of the init namespace that TCP has not finished with: every state
# but TIME_WAIT (06) and LISTEN (0A); once the command's processes are gone,
# even an ESTABLISHED one can only be on its way out.
tcp_closing() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk 'NR > 1 && $4 != "st" && $4 != "06" && $4 != "0A" { n++ } END { print n + 0 }'
}
# Orphans waiting for a FIN that never comes die after fin_timeout (60 s by
# default); the tests only need TCP's close to finish, not to wait a minute.
sysctl -qw net.ipv4.tcp_fin_timeout=3 2>/dev/null || echo 3 >/proc/sys/net/ipv4/tcp_fin_timeout

rc=0
if ! modprobe secx; then
	echo "SECX-ERROR: modprobe secx failed"
	rc=1
else
	socks_before=$(tcp_socks)
	cd /tmp && sh /secx/cmd.sh </dev/null
	rc=$?
	cd /
	# A closed socket still finishing TCP's close (FIN_WAIT, CLOSING,
	# LAST_ACK: it keeps the ULP module pinned, for kTLS as for secx) is not
	# a leak: wait for TCP to finish with every one (fin_timeout is short,
	# see above).  Listening and TIME_WAIT entries do not hold the module.
	for i in $(seq 1 120); do
		[ "$(tcp_closing)" -eq 0 ] && break
		sleep 0.5
	done
	[ "$(tcp_closing)" -eq 0 ] || { echo "# sockets still closing:"; cat /proc/net/tcp /proc/net/tcp6; }
	# Every socket is closed once the command's processes are gone; a context
	# or socket reference still held keeps the module pinned.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rmmod secx 2>/dev/null && break
		sleep 0.3
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(tcp_socks)" -le "$socks_before" ] && break
		sleep 0.5
	done
	socks_after=$(tcp_socks)
	# On the debug kernel KASAN's quarantine holds freed sockets back from
	# the slab for a while, so the count means nothing there: kmemleak
	# (below) and the unload check are the referees.
	if [ ! -e "$kmemleak" ] && [ "$socks_after" -gt "$socks_before" ]; then
		echo "SECX-ERROR: secx: leak: $((socks_after - socks_before)) TCP sockets never freed"
		rc=1
	fi
	if grep -q '^secx ' /proc/modules; then
		echo "SECX-ERROR: rmmod secx failed: a socket or reference still uses the module"
		lsmod | grep secx
		rc=1
	fi
fi
# After secx is gone: every object it allocated and never freed is now
# unreferenced.  kmemleak reports an object only once it is older than 5 s
# and was found unreferenced by a scan; two scans with a pause make that
# stable.  Reports ("unreferenced object 0x...") go to the serial log,
# where check-log.sh fails the run on them.
if [ -w "$kmemleak" ]; then
	sleep 5
	echo scan >"$kmemleak"
	sleep 2
	echo scan >"$kmemleak"
	cat "$kmemleak"
fi
echo "SECX-TAINTED=$(cat /proc/sys/kernel/tainted)"
echo "SECX-DMESG-BEGIN"
dmesg
echo "SECX-DMESG-END"
echo "SECX-EXIT=$rc"
sync
poweroff -f
