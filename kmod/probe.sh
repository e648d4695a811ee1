#!/bin/sh
# Print -DSECX_HAVE_* flags for the kernel source/header tree in $1, by
# looking for the declarations themselves (see Kbuild for why).
#
# Fails closed: a header that is missing or unreadable is not "feature
# absent" (on a kernel with ->sendpage, a missed SECX_HAVE_SENDPAGE would let
# sendfile() reach TCP's own sendpage and send plaintext).  Then the output
# is SECX_PROBE_FAILED, which Kbuild turns into a build error.
src=$1
failed=
have() { # header, extended regex, feature
	if [ ! -r "$src/$1" ]; then
		echo "secx probe: $src/$1 missing" >&2
		failed=1
		return
	fi
	if grep -qE "$2" "$src/$1"; then
		printf ' -DSECX_HAVE_%s' "$3"
	fi
}
have include/linux/net.h '\(\*sendpage\)' SENDPAGE
have include/linux/net.h '\(\*sendpage_locked\)' SENDPAGE_LOCKED
have include/linux/net.h '\(\*splice_eof\)' SPLICE_EOF
have include/linux/socket.h 'define MSG_SPLICE_PAGES' MSG_SPLICE_PAGES
have include/crypto/aead.h 'int crypto_has_aead\(' CRYPTO_HAS_AEAD
have include/net/sock.h 'int \*karg\);' IOCTL_KARG
have include/linux/uio.h 'ssize_t iov_iter_extract_pages\(' EXTRACT_PAGES
[ -n "$failed" ] && printf ' SECX_PROBE_FAILED'
echo
