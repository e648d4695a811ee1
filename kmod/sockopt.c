// SPDX-License-Identifier: GPL-2.0
/*
 * SOL_SECX socket options.  Keys come in through SECX_TX/SECX_RX, are checked
 * against the suite table, handed to crypto.c and wiped; nothing here ever
 * copies key material back to userspace.  Other levels go to TCP.
 */
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <net/sock.h>

#include "secx.h"

static bool secx_all_zero(const u8 *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static int secx_check_info(const struct secx_crypto_info *info)
{
	const struct secx_suite_desc *s = secx_suite_find(info->suite);

	if (info->version != SECX_ABI_VERSION || !s)
		return -EINVAL;
	if (info->flags || info->reserved0 ||
	    !secx_all_zero(info->reserved, sizeof(info->reserved)) ||
	    !secx_all_zero(info->iv + SECX_IV_LEN, sizeof(info->iv) - SECX_IV_LEN))
		return -EINVAL;
	if (info->key_len != secx_suite_key_len(s) ||
	    !secx_all_zero(info->key + info->key_len, SECX_MAX_KEY_LEN - info->key_len))
		return -EINVAL;
	if (info->secret_len && info->secret_len != s->hash_len)
		return -EINVAL;
	return 0;
}

static int secx_set_keys(struct sock *sk, struct secx_ctx *ctx, bool tx,
			 sockptr_t optval, unsigned int optlen)
{
	struct secx_crypto_info *info;
	int err;

	if (optlen != sizeof(*info))
		return -EINVAL;
	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	if (copy_from_sockptr(info, optval, sizeof(*info))) {
		err = -EFAULT;
		goto out;
	}
	err = secx_check_info(info);
	if (err)
		goto out;

	lock_sock(sk);
	if (tx ? ctx->tx_conf : ctx->rx_conf) {
		err = -EBUSY;
	} else {
		struct secx_crypto *c = tx ? &ctx->tx.c : &ctx->rx.c;

		err = secx_crypto_init(c, info);
		if (!err) {
			err = tx ? secx_tx_init(sk, ctx) : secx_rx_init(sk, ctx);
			if (err)
				secx_crypto_free(c);
		}
	}
	release_sock(sk);
out:
	kfree_sensitive(info);
	return err;
}

static int secx_set_limits(struct sock *sk, struct secx_ctx *ctx, sockptr_t optval,
			   unsigned int optlen)
{
	int err;

	lock_sock(sk);
	err = ctx->tx_conf ? secx_rekey_set_limits(&ctx->tx, optval, optlen) : -EINVAL;
	release_sock(sk);
	return err;
}

static int secx_key_update(struct sock *sk, struct secx_ctx *ctx, sockptr_t optval,
			   unsigned int optlen)
{
	u32 flags;

	if (optlen != sizeof(flags))
		return -EINVAL;
	if (copy_from_sockptr(&flags, optval, sizeof(flags)))
		return -EFAULT;
	return secx_tx_key_update(sk, ctx, flags);
}

int secx_setsockopt(struct sock *sk, int level, int optname, sockptr_t optval,
		    unsigned int optlen)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);

	if (level != SOL_SECX)
		return ctx->sk_proto->setsockopt(sk, level, optname, optval, optlen);

	switch (optname) {
	case SECX_TX:
		return secx_set_keys(sk, ctx, true, optval, optlen);
	case SECX_RX:
		return secx_set_keys(sk, ctx, false, optval, optlen);
	case SECX_REKEY_LIMITS:
		return secx_set_limits(sk, ctx, optval, optlen);
	case SECX_KEY_UPDATE:
		return secx_key_update(sk, ctx, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

static void secx_fill_info(struct secx_ctx *ctx, struct secx_info *si)
{
	memset(si, 0, sizeof(*si));
	si->version = SECX_ABI_VERSION;
	if (ctx->tx_conf) {
		si->flags |= SECX_INFO_TX_READY;
		si->tx_suite = ctx->tx.c.suite->id;
		si->tx_epoch = ctx->tx.c.epoch;
		si->tx_seq = ctx->tx.c.seq;
		si->tx_records = ctx->tx.records;
		si->tx_bytes = ctx->tx.bytes;
		if (ctx->tx.closed)
			si->flags |= SECX_INFO_TX_CLOSED;
	}
	if (ctx->rx_conf) {
		si->flags |= SECX_INFO_RX_READY;
		si->rx_suite = ctx->rx.c.suite->id;
		si->rx_epoch = ctx->rx.c.epoch;
		si->rx_seq = ctx->rx.c.seq;
		si->rx_records = ctx->rx.records;
		si->rx_bytes = ctx->rx.bytes;
		if (ctx->rx.closed)
			si->flags |= SECX_INFO_RX_CLOSED;
	}
	si->error = ctx->rx.err;
}

static int secx_get_limits(struct sock *sk, struct secx_ctx *ctx, char __user *optval,
			   int __user *optlen)
{
	struct secx_rekey_limits l;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(l))
		return -EINVAL;
	lock_sock(sk);
	if (!ctx->tx_conf) {
		release_sock(sk);
		return -EINVAL;
	}
	l = ctx->tx.limits;
	release_sock(sk);
	len = sizeof(l);
	if (put_user(len, optlen) || copy_to_user(optval, &l, len))
		return -EFAULT;
	return 0;
}

int secx_getsockopt(struct sock *sk, int level, int optname, char __user *optval,
		    int __user *optlen)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	struct secx_info si;
	int len;

	/* would map raw record bytes to userspace and consume them: refused */
	if (level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE)
		return -EOPNOTSUPP;
	if (level != SOL_SECX)
		return ctx->sk_proto->getsockopt(sk, level, optname, optval, optlen);
	/* SECX_TX/SECX_RX are write-only: keys are never readable. */
	if (optname == SECX_REKEY_LIMITS)
		return secx_get_limits(sk, ctx, optval, optlen);
	if (optname != SECX_INFO)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(si))
		return -EINVAL;

	lock_sock(sk);
	secx_fill_info(ctx, &si);
	release_sock(sk);

	len = sizeof(si);
	if (put_user(len, optlen) || copy_to_user(optval, &si, len))
		return -EFAULT;
	return 0;
}
