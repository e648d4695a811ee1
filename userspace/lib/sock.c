// SPDX-License-Identifier: MIT
/*
 * The kernel hand-off: attach the secx ULP and install both directions'
 * keys.  The only setsockopt(SOL_SECX) caller in libsecx.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "hs.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/* Attach the secx ULP (idempotent); before the handshake, so a missing module fails early. */
int secx_attach(int fd)
{
	char name[16] = "";
	socklen_t len = sizeof(name) - 1;
	int e;

	if (!getsockopt(fd, SOL_TCP, TCP_ULP, name, &len) && name[0]) {
		if (!strcmp(name, SECX_ULP_NAME))
			return 0;
		return secx_err("socket already has the '%s' upper-layer protocol attached", name);
	}
	if (!setsockopt(fd, SOL_TCP, TCP_ULP, SECX_ULP_NAME, sizeof(SECX_ULP_NAME) - 1))
		return 0;
	e = errno;
	switch (e) {
	case ENOENT:
		secx_err(SECX_MSG_NO_MODULE);
		break;
	case ENOTCONN:
		secx_err("cannot attach secx: the socket is not connected");
		break;
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		secx_err("cannot attach secx: not a TCP socket");
		break;
	default:
		secx_err("cannot attach secx: setsockopt(TCP_ULP): %s", strerror(e));
	}
	errno = e;	/* for hs_attach_early() */
	return -1;
}

/*
 * The attach at the start of a handshake.  The kernel attaches only to an
 * ESTABLISHED socket; a peer that wrote something and closed at once (a
 * non-secx client or server) has already moved ours to CLOSE_WAIT.  Then
 * "not connected" would hide the real problem: run the handshake anyway, so
 * it reports what the peer sent, and attach for real when keys are
 * installed (secx_install()).
 */
int hs_attach_early(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (!secx_attach(fd))
		return 0;
	if (errno == ENOTCONN && !getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &len) &&
	    ti.tcpi_state == TCP_CLOSE_WAIT)
		return 0;
	return -1;
}

static int install_one(int fd, int opt, const struct secx_crypto_info *ci)
{
	if (!setsockopt(fd, SOL_SECX, opt, ci, sizeof(*ci)))
		return 0;
	return secx_err("cannot install %s keys in the kernel: %s%s",
			opt == SECX_TX ? "TX" : "RX", strerror(errno),
			errno == EINVAL ? " (suite not supported by this secx module?)" : "");
}

/*
 * TX first, then RX.  The kernel cannot take a TX key back, so if RX
 * fails after TX succeeded the socket is shut down in both directions:
 * it can never carry data with only one direction protected.  The caller
 * closes it (handshake.rst, "Kernel hand-off").
 */
int secx_install(int fd, struct secx_crypto_info *tx, struct secx_crypto_info *rx)
{
	int ret = -1;

	if (!secx_attach(fd) && !install_one(fd, SECX_TX, tx)) {
		if (!install_one(fd, SECX_RX, rx))
			ret = 0;
		else
			shutdown(fd, SHUT_RDWR);
	}
	OPENSSL_cleanse(tx, sizeof(*tx));
	OPENSSL_cleanse(rx, sizeof(*rx));
	return ret;
}

void secx_session_wipe(struct secx_session *s)
{
	OPENSSL_cleanse(&s->tx, sizeof(s->tx));
	OPENSSL_cleanse(&s->rx, sizeof(s->rx));
}
