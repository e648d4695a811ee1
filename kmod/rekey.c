// SPDX-License-Identifier: GPL-2.0
/*
 * Key updates inside the kernel (protocol.rst "Key update").
 *
 * Each direction keeps its traffic secret.  A sender updates its key when a
 * soft budget runs out (bytes, records or seconds under one key, per socket
 * with SECX_REKEY_LIMITS, defaults per network namespace: see
 * secx_rekey_net_init()), when the peer
 * asks, when the application asks (SECX_KEY_UPDATE), or, always, before the
 * suite's hard usage limit or the end of the sequence space.  The update is
 * a KEY_UPDATE record sealed under the old key, after which both ends derive
 *
 *	next secret = HKDF-Expand-Label(secret, "upd", "", hash_len)
 *	key, iv     = HKDF-Expand-Label(next secret, "key"/"iv", ...)
 *
 * with the crypto API's HMAC, and restart the sequence at 0.  No userspace
 * round trip, no pause: the record after the KEY_UPDATE already uses the
 * new key.  tx.c and rx.c never do budget arithmetic; they ask here.
 */
#include <crypto/hash.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/sockptr.h>

#include "secx.h"
#include "kdf_label.h"

/* Read when a network namespace is created; netlink changes its copy. */
static ulong rekey_bytes = 64ULL << 30;
module_param(rekey_bytes, ulong, 0644);
MODULE_PARM_DESC(rekey_bytes, "Default TX byte budget per key of new netns (0: none)");

static ulong rekey_records;
module_param(rekey_records, ulong, 0644);
MODULE_PARM_DESC(rekey_records, "Default TX record budget per key of new netns (0: none)");

static uint rekey_seconds = 3600;
module_param(rekey_seconds, uint, 0644);
MODULE_PARM_DESC(rekey_seconds, "Default TX time budget per key of new netns, seconds (0: none)");

/*
 * Key updates are cheap for whoever asks for them and cost the receiver
 * three HKDF runs and a setkey.  A peer may send one per data record it
 * sends (that is what the tightest budgets produce) plus a few per second;
 * beyond that the connection fails with EPROTO (protocol.rst "Key update").
 * The application may ask SECX_KEY_UPDATE_RATE times per second.
 */
#define SECX_RX_UPDATE_RATE	32
#define SECX_RX_UPDATE_BURST	64
#define SECX_KEY_UPDATE_RATE	8
#define SECX_KEY_UPDATE_BURST	16

static int secx_hkdf_expand_label(struct crypto_shash *hmac, const u8 *secret,
				  unsigned int secret_len, const char *label,
				  u8 *out, unsigned int out_len)
{
	unsigned int hlen = crypto_shash_digestsize(hmac), info_len, done = 0;
	u8 info[32], t[SECX_MAX_SECRET_LEN], ctr = 0;
	SHASH_DESC_ON_STACK(desc, hmac);
	int err;

	info_len = secx_kdf_info(info, out_len, label, NULL, 0);
	if (!info_len || info_len > sizeof(info) || hlen > sizeof(t))
		return -EINVAL;
	err = crypto_shash_setkey(hmac, secret, secret_len);
	if (err)
		return err;
	desc->tfm = hmac;
	/* RFC 5869: T(i) = HMAC(PRK, T(i-1) || info || i) */
	while (!err && done < out_len) {
		ctr++;
		err = crypto_shash_init(desc);
		if (!err && ctr > 1)
			err = crypto_shash_update(desc, t, hlen);
		if (!err)
			err = crypto_shash_update(desc, info, info_len);
		if (!err)
			err = crypto_shash_finup(desc, &ctr, 1, t);
		if (!err) {
			memcpy(out + done, t, min(hlen, out_len - done));
			done += min(hlen, out_len - done);
		}
	}
	shash_desc_zero(desc);
	memzero_explicit(t, sizeof(t));
	return err;
}

/*
 * The HMAC of key updates is instantiated at the first update and kept: an
 * idle socket carries no hash transform, a socket that updates keys pays
 * the allocation once (crypto.c checked at install time that the
 * algorithm exists).  Called before anything irreversible, so that a lack
 * of memory can be retried.
 */
int secx_rekey_prepare(struct secx_crypto *c)
{
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_shash *hmac;

	might_sleep();
	if (c->hmac)
		return 0;
	if (!c->secret_len)
		return -ENOKEY;
	snprintf(name, sizeof(name), "hmac(%s)", c->suite->hash_alg);
	hmac = crypto_alloc_shash(name, 0, 0);
	if (IS_ERR(hmac))
		return PTR_ERR(hmac);
	c->hmac = hmac;
	return 0;
}

/* Move @c to the next epoch: secret, key and iv, all derived in place. */
int secx_rekey_next(struct secx_crypto *c)
{
	const struct secx_suite_desc *s = c->suite;
	u8 next[SECX_MAX_SECRET_LEN], key[SECX_MAX_KEY_LEN], iv[SECX_IV_LEN];
	int err;

	if (!c->secret_len)
		return -ENOKEY;
	err = secx_rekey_prepare(c);
	if (err)
		return err;
	err = secx_hkdf_expand_label(c->hmac, c->secret, c->secret_len, SECX_LABEL_UPDATE,
				     next, c->secret_len);
	if (!err)
		err = secx_hkdf_expand_label(c->hmac, next, c->secret_len, SECX_LABEL_KEY,
					     key, secx_suite_key_len(s));
	if (!err)
		err = secx_hkdf_expand_label(c->hmac, next, c->secret_len, SECX_LABEL_IV,
					     iv, SECX_IV_LEN);
	if (!err)
		err = secx_crypto_setkey(c, key);
	if (!err) {
		memcpy(c->secret, next, c->secret_len);
		memcpy(c->iv, iv, SECX_IV_LEN);
		c->seq = 0;
		c->key_records = 0;
		c->epoch++;
	}
	memzero_explicit(next, sizeof(next));
	memzero_explicit(key, sizeof(key));
	memzero_explicit(iv, sizeof(iv));
	return err;
}

/*
 * The budgets of a new namespace: the module parameters as they are now,
 * raised or clamped to what SECX_REKEY_LIMITS would accept.
 */
void secx_rekey_net_init(struct secx_rekey_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->version = SECX_ABI_VERSION;
	l->bytes = READ_ONCE(rekey_bytes);
	if (l->bytes)
		l->bytes = max_t(u64, l->bytes, SECX_MIN_BUDGET_BYTES);
	l->records = READ_ONCE(rekey_records);
	if (l->records)
		l->records = max_t(u64, l->records, SECX_MIN_BUDGET_RECORDS);
	l->seconds = min_t(uint, READ_ONCE(rekey_seconds), SECX_MAX_BUDGET_SECONDS);
}

void secx_rekey_tx_init(struct sock *sk, struct secx_tx *tx)
{
	secx_net_get_defaults(sock_net(sk), &tx->limits);
	tx->key_bytes = 0;
	tx->key_since = jiffies;
}

/* Account one sealed record; the key it used stays in force. */
void secx_rekey_tx_account(struct secx_tx *tx, unsigned int data_len)
{
	tx->key_bytes += data_len;
}

/* The suite's usage limit: leave room for one record and the KEY_UPDATE. */
bool secx_rekey_tx_hard_due(const struct secx_tx *tx)
{
	const struct secx_crypto *c = &tx->c;

	return c->secret_len &&
	       (c->key_records + 2 >= c->suite->max_records || c->seq >= U64_MAX - 2);
}

/*
 * Must the next record be preceded by a KEY_UPDATE?  Asked once per data
 * record, so budgets never cause more than one update per data record.
 */
bool secx_rekey_tx_due(const struct secx_tx *tx)
{
	const struct secx_crypto *c = &tx->c;
	const struct secx_rekey_limits *l = &tx->limits;

	if (!c->secret_len)
		return false;
	if (tx->update_pending || secx_rekey_tx_hard_due(tx))
		return true;
	/* Soft: a key protects at most @records records, its update included. */
	if (l->records && c->key_records + 1 >= l->records)
		return true;
	if (l->bytes && tx->key_bytes >= l->bytes)
		return true;
	return l->seconds && time_after_eq(jiffies, tx->key_since + l->seconds * HZ);
}

/* The KEY_UPDATE record was sealed under the old key: switch now. */
int secx_rekey_tx_switch(struct sock *sk, struct secx_tx *tx)
{
	int err = secx_rekey_next(&tx->c);

	if (err)
		return err;
	tx->update_pending = false;
	tx->key_bytes = 0;
	tx->key_since = jiffies;
	secx_stat_inc(sk, SECX_STAT_TX_REKEYS);
	secx_nl_notify_rekey(sk, SECX_DIR_TX, tx->c.epoch);
	pr_debug("tx epoch %u\n", tx->c.epoch);
	return 0;
}

/* May the application ask for another key update now (SECX_KEY_UPDATE)? */
bool secx_rekey_local_allowed(struct secx_tx *tx)
{
	return secx_bucket_take(&tx->local_updates, SECX_KEY_UPDATE_RATE, SECX_KEY_UPDATE_BURST);
}

/* Is the peer within its key update allowance (see SECX_RX_UPDATE_RATE)? */
static bool secx_rekey_rx_allowed(struct secx_ctx *ctx)
{
	u64 records = ctx->rx.records, bytes = ctx->rx.bytes;

	/*
	 * One token per data record received since the last update, empty
	 * records not counted: a token needs a record and a byte.
	 */
	secx_bucket_credit(&ctx->rx_updates,
			   min(records - ctx->rx_updates_records, bytes - ctx->rx_updates_bytes),
			   SECX_RX_UPDATE_BURST);
	ctx->rx_updates_records = records;
	ctx->rx_updates_bytes = bytes;
	return secx_bucket_take(&ctx->rx_updates, SECX_RX_UPDATE_RATE, SECX_RX_UPDATE_BURST);
}

/* A valid KEY_UPDATE arrived: the next record uses the next key. */
int secx_rekey_rx_update(struct sock *sk, struct secx_ctx *ctx, u8 flags)
{
	int err;

	sock_owned_by_me(sk);
	if (!secx_rekey_rx_allowed(ctx)) {
		secx_stat_inc(sk, SECX_STAT_RX_KEY_UPDATE_FLOODS);
		return -EPROTO;
	}
	err = secx_rekey_next(&ctx->rx.c);
	if (err)
		return err;
	secx_stat_inc(sk, SECX_STAT_RX_REKEYS);
	secx_nl_notify_rekey(sk, SECX_DIR_RX, ctx->rx.c.epoch);
	/* Answer a request once; an answer (bit 0 clear) is never answered. */
	if ((flags & SECX_KU_FLAG_REQUEST) && ctx->tx_conf && ctx->tx.c.secret_len) {
		/* answered once, however many requests arrive before it goes */
		WRITE_ONCE(ctx->tx.update_pending, true);
		secx_tx_kick(ctx);
	}
	return 0;
}

int secx_rekey_set_limits(struct secx_tx *tx, sockptr_t optval, unsigned int optlen)
{
	struct secx_rekey_limits l;

	if (optlen != sizeof(l))
		return -EINVAL;
	if (copy_from_sockptr(&l, optval, sizeof(l)))
		return -EFAULT;
	if (l.version != SECX_ABI_VERSION || l.reserved0 || l.flags || l.reserved1)
		return -EINVAL;
	if ((l.bytes && l.bytes < SECX_MIN_BUDGET_BYTES) ||
	    (l.records && l.records < SECX_MIN_BUDGET_RECORDS) ||
	    l.seconds > SECX_MAX_BUDGET_SECONDS)
		return -EINVAL;
	tx->limits = l;
	return 0;
}
