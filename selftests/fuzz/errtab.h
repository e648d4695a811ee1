/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The errno table of secx-fuzz: for each call class, the errnos
 * Documentation/api.rst gives for it on a secx socket ("doc"), and the
 * errnos the call has on plain TCP per send(2)/recv(2)/tcp(7)/setsockopt(2)
 * ("tcp").  api.rst ("Errors", TCP's own errnos) lists the TCP errnos each
 * call passes on, so those are in "doc" too.  A direction without keys
 * "behaves as plain TCP" (api.rst, Attaching), so there both lists count as
 * documented.  On a keyed socket an errno only in "tcp" is a documentation
 * gap (reported; fatal with --strict-doc, as CI runs it); an errno in
 * neither list is a failure.
 */
#ifndef SECX_FUZZ_ERRTAB_H
#define SECX_FUZZ_ERRTAB_H

#include <errno.h>

enum ftab {
	T_ULP,		/* setsockopt(TCP_ULP) */
	T_SETKEY,	/* setsockopt(SECX_TX / SECX_RX) */
	T_INFO,		/* getsockopt(SECX_INFO) */
	T_LIMITS,	/* set/getsockopt(SECX_REKEY_LIMITS) */
	T_KU,		/* setsockopt(SECX_KEY_UPDATE) */
	T_BADOPT,	/* unknown SOL_SECX name, getsockopt(SECX_TX/RX) */
	T_SEND,		/* send, sendmsg, sendfile, splice into the socket */
	T_RECV,		/* recv, recvmsg, splice out of the socket */
	T_SHUT,		/* shutdown */
	T_NONE,		/* close, poll, epoll, SOL_SOCKET options: no errno */
	T_PLAIN,	/* the raw injector's plain TCP socket */
	T_MAX,
};

/* Receive errors of api.rst "Errors"; all but ECONNABORTED stop TX too. */
#define RX_ERRS EBADMSG, EPROTO, EMSGSIZE, ECONNRESET, EKEYEXPIRED, ENOKEY, EIO
/*
 * ECONNABORTED: TCP reports it for an aborted connection; secx also hands
 * the truncation error to the send path once through sk_err although
 * api.rst says truncation does not stop sending (fuzzing.rst, findings).
 */
#define TCP_TX	ECONNRESET, EPIPE, EAGAIN, ENOTCONN, EFAULT, ENOBUFS, ENOMEM, \
		EMSGSIZE, EOPNOTSUPP, ETIMEDOUT, EINVAL, ECONNABORTED
/* EPIPE: tcp_reset() stores it in sk_err for an RST in CLOSE_WAIT */
#define TCP_RX	EAGAIN, ECONNRESET, ENOTCONN, EINVAL, EFAULT, ETIMEDOUT, EPIPE

/* api.rst "Errors", TCP's own errnos: the table, call by call */
#define API_TCP_SEND	ECONNRESET, EPIPE, ETIMEDOUT, ECONNABORTED, ENOTCONN, EAGAIN, \
			EFAULT, ENOBUFS, ENOMEM, EMSGSIZE, EOPNOTSUPP, EINVAL
#define API_TCP_RECV	ECONNRESET, EPIPE, ETIMEDOUT, ENOTCONN, EAGAIN, EINVAL, EFAULT
#define ERRTAB_MAX	32

static const int errtab_doc[T_MAX][ERRTAB_MAX] = {
	[T_ULP]    = { ENOTCONN, ENOENT, EEXIST },
	[T_SETKEY] = { EINVAL, EFAULT, EBUSY, ENOENT, ENOMEM },
	[T_INFO]   = { EINVAL },
	[T_LIMITS] = { EINVAL },
	[T_KU]     = { EINVAL, ENOKEY, EPIPE, EAGAIN, EBUSY, RX_ERRS,
		       ECONNABORTED, ENOTCONN, EFAULT },
	[T_BADOPT] = { ENOPROTOOPT },
	[T_SEND]   = { EPIPE, EOPNOTSUPP, EINVAL, EAGAIN, RX_ERRS, API_TCP_SEND },
	[T_RECV]   = { EAGAIN, EOPNOTSUPP, ECONNABORTED, RX_ERRS, API_TCP_RECV },
	[T_SHUT]   = { ENOTCONN, EINVAL },
	[T_NONE]   = { 0 },
	[T_PLAIN]  = { TCP_TX },
};

static const int errtab_tcp[T_MAX][ERRTAB_MAX] = {
	/* SOL_SECX without the ULP is an unknown level: ENOPROTOOPT, and
	 * EOPNOTSUPP from getsockopt on 6.12 (do_ip_getsockopt) */
	[T_ULP]    = { EINVAL, EBUSY, ENOMEM },
	[T_SETKEY] = { ENOPROTOOPT },
	[T_INFO]   = { ENOPROTOOPT, EOPNOTSUPP, EFAULT },
	[T_LIMITS] = { ENOPROTOOPT, EOPNOTSUPP, EFAULT },
	[T_KU]     = { ENOPROTOOPT, EFAULT, ECONNABORTED, ENOTCONN },
	[T_BADOPT] = { EINVAL, EFAULT, EOPNOTSUPP },
	[T_SEND]   = { TCP_TX },
	[T_RECV]   = { TCP_RX },
	[T_SHUT]   = { ENOTCONN, EINVAL },
	[T_NONE]   = { 0 },
	[T_PLAIN]  = { TCP_RX },
};

static inline int errtab_has(const int *list, int err)
{
	int i;

	for (i = 0; i < ERRTAB_MAX && list[i]; i++)
		if (list[i] == err)
			return 1;
	return 0;
}

#endif /* SECX_FUZZ_ERRTAB_H */
