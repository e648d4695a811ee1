#!/bin/sh
# Print -DSECX_HAVE_* flags for the kernel source/header tree in $1, by
# looking for the declarations themselves (see Kbuild for why).
src=$1
have() { # header, extended regex, feature
	grep -qsE "$2" "$src/$1" && printf ' -DSECX_HAVE_%s' "$3"
}
have include/linux/net.h '\(\*sendpage\)' SENDPAGE
have include/linux/net.h '\(\*sendpage_locked\)' SENDPAGE_LOCKED
have include/linux/net.h '\(\*splice_eof\)' SPLICE_EOF
have include/linux/socket.h 'define MSG_SPLICE_PAGES' MSG_SPLICE_PAGES
have include/crypto/aead.h 'int crypto_has_aead\(' CRYPTO_HAS_AEAD
have include/net/sock.h 'int \*karg\);' IOCTL_KARG
have include/linux/uio.h 'ssize_t iov_iter_extract_pages\(' EXTRACT_PAGES
echo
