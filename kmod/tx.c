// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit path.  Data from sendmsg() is copied into the open record;
 * data from sendfile()/splice (->sendpage on 6.1, sendmsg(MSG_SPLICE_PAGES)
 * on 6.5+) is referenced, not copied.  When a record closes it is sealed
 * out of place into pages we own (protocol.rst "Record layer") and those
 * pages are handed to TCP by reference.  One sealed record at a time waits
 * in tx->out; it must be fully taken by TCP before the next is sealed, which
 * keeps records whole and in order on the wire.
 *
 * Locking: ctx->tx_lock, then the socket lock, around every entry point and
 * the work item, because TCP may drop the socket lock while it waits for
 * send buffer space.
 */
#include <linux/highmem.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/tcp.h>

#include "secx.h"
#include "compat.h"

/* How long close()/shutdown() wait for TCP to take the last records. */
#define SECX_FLUSH_TIMEOUT	(10 * HZ)

static void secx_tx_open_reset(struct secx_tx_open *o)
{
	unsigned int i;

	for (i = 0; i < o->nfrags; i++)
		if (o->frags[i].ref)
			put_page(o->frags[i].page);
	o->nfrags = 0;
	o->len = 0;
	o->copy_len = 0;
}

/*
 * Ciphertext pages are recycled through a per-socket ring: a fresh page costs
 * a full clear (init_on_alloc) and an allocation per 4 KiB sent.  A page is
 * free again once TCP has dropped its references (count back to the ring's
 * one).  Pages are handed out in ring order and TCP frees them in about the
 * same order, so only the oldest page needs checking: if it is still busy,
 * all younger ones are too, and the ring grows (up to tx_pool_pages).
 */
static uint tx_pool_pages = 512;
module_param(tx_pool_pages, uint, 0644);
MODULE_PARM_DESC(tx_pool_pages, "Ciphertext pages each socket may keep for reuse");

static struct page *secx_tx_page(struct sock *sk, struct secx_tx_pool *pool)
{
	struct page *page;

	if (pool->n) {
		page = pool->pages[pool->next];
		if (page_ref_count(page) == 1) {
			pool->next = (pool->next + 1) % pool->n;
			get_page(page);
			return page;
		}
	}
	page = alloc_page(sk->sk_allocation);
	if (!page || !pool->pages || pool->n >= pool->cap)
		return page;
	/* the newest page goes just before the oldest, keeping ring order */
	memmove(&pool->pages[pool->next + 1], &pool->pages[pool->next],
		(pool->n - pool->next) * sizeof(*pool->pages));
	pool->pages[pool->next] = page;
	pool->n++;
	pool->next = (pool->next + 1) % pool->n;
	get_page(page);
	return page;
}

static void secx_tx_put_out_pages(struct secx_tx_out *out)
{
	unsigned int i;

	for (i = 0; i < SECX_TX_PAGES; i++) {
		if (out->pages[i])
			put_page(out->pages[i]);
		out->pages[i] = NULL;
	}
}

static int secx_tx_get_out_pages(struct sock *sk, struct secx_tx *tx, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < DIV_ROUND_UP(len, PAGE_SIZE); i++) {
		tx->out.pages[i] = secx_tx_page(sk, &tx->pool);
		if (!tx->out.pages[i]) {
			secx_tx_put_out_pages(&tx->out);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Build src = [seq] aad type data... [pad] and dst = [seq] wire pages.  The
 * data is the open record's, or @ctl_len bytes of tx->ctl for a control
 * record (@ctl_len < 0: data record).
 */
static unsigned int secx_tx_build_sg(struct secx_tx *tx, unsigned int pre, unsigned int pad,
				     unsigned int total, int ctl_len)
{
	struct secx_tx_open *o = &tx->open;
	struct scatterlist *src = tx->sg_src, *dst = tx->sg_dst;
	unsigned int ns = 0, nd = 0, i;

	sg_init_table(src, SECX_TX_SRC_SG);
	sg_init_table(dst, SECX_TX_DST_SG);
	if (tx->c.suite->kind == SECX_KIND_CBC_HMAC) {
		sg_set_buf(&src[ns++], tx->seqbuf, SECX_SEQ_LEN);
		sg_set_buf(&dst[nd++], tx->seqbuf, SECX_SEQ_LEN);
	}
	sg_set_page(&src[ns++], tx->out.pages[0], pre, 0);
	sg_set_buf(&src[ns++], &tx->type, SECX_TYPE_LEN);
	if (ctl_len > 0)
		sg_set_buf(&src[ns++], tx->ctl, ctl_len);
	for (i = 0; ctl_len < 0 && i < o->nfrags; i++)
		sg_set_page(&src[ns++], o->frags[i].page, o->frags[i].len, o->frags[i].off);
	if (pad)
		sg_set_buf(&src[ns++], tx->pad, pad);
	sg_mark_end(&src[ns - 1]);

	for (i = 0; i * PAGE_SIZE < total; i++)
		sg_set_page(&dst[nd++], tx->out.pages[i],
			    min_t(unsigned int, PAGE_SIZE, total - i * PAGE_SIZE), 0);
	sg_mark_end(&dst[nd - 1]);
	return ns;
}

/*
 * Seal one record of @type into tx->out: a data record from the open record,
 * or a control record carrying @ctl_len bytes of tx->ctl (@ctl_len >= 0).
 */
static int secx_tx_seal(struct sock *sk, struct secx_ctx *ctx, u8 type, int ctl_len)
{
	struct secx_tx *tx = &ctx->tx;
	struct secx_crypto *c = &tx->c;
	const struct secx_suite_desc *s = c->suite;
	unsigned int len = ctl_len < 0 ? tx->open.len : ctl_len;
	unsigned int inner = SECX_TYPE_LEN + len;
	unsigned int body = secx_suite_body_len(s, len);
	unsigned int total = SECX_HDR_LEN + body;
	unsigned int pre, pad = 0, cryptlen = inner;
	u8 *wire;
	int err;

	if (WARN_ON_ONCE(tx->out.len))
		return -EINVAL;
	/* Never reuse a nonce: the sequence space of a key is finite. */
	if (secx_crypto_exhausted(c)) {
		tx->err = -EKEYEXPIRED;
		return tx->err;
	}
	err = secx_tx_get_out_pages(sk, tx, total);
	if (err)
		return err;

	wire = page_address(tx->out.pages[0]);
	secx_hdr_encode(wire, body);
	tx->type = type;
	if (s->kind == SECX_KIND_CBC_HMAC) {
		pre = SECX_HDR_LEN + SECX_CBC_IV_LEN;
		secx_seq_encode(tx->seqbuf, c->seq);
		get_random_bytes(wire + SECX_HDR_LEN, SECX_CBC_IV_LEN);
		memcpy(tx->iv, wire + SECX_HDR_LEN, SECX_CBC_IV_LEN);
		pad = SECX_CBC_BLOCK - inner % SECX_CBC_BLOCK;
		memset(tx->pad, pad - 1, pad);
		cryptlen = inner + pad;
	} else {
		pre = SECX_HDR_LEN;
		secx_nonce(tx->iv, c->iv, c->seq);
	}
	secx_tx_build_sg(tx, pre, pad, total, ctl_len);

	err = secx_crypto_seal(c, tx->sg_src, tx->sg_dst,
			       pre + (s->kind == SECX_KIND_CBC_HMAC ? SECX_SEQ_LEN : 0),
			       cryptlen, tx->iv);
	if (err) {
		/* The stream cannot continue without this record. */
		tx->err = -EIO;
		return tx->err;
	}

	secx_crypto_advance(c);
	tx->records++;
	if (ctl_len < 0) {
		tx->bytes += len;
		secx_rekey_tx_account(tx, len);
		secx_stat_record(sock_net(sk), true, s->id, len);
		secx_tx_open_reset(&tx->open);
		tx->flush_pending = false;
	}
	tx->out.len = total;
	tx->out.sent = 0;
	return 0;
}

/* Hand the sealed record to TCP; keeps its place if TCP takes only part. */
static int secx_tx_push(struct sock *sk, struct secx_tx *tx, int flags)
{
	struct secx_tx_out *out = &tx->out;

	flags &= MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE;
	while (out->sent < out->len) {
		unsigned int idx = out->sent / PAGE_SIZE, off = out->sent % PAGE_SIZE;
		unsigned int n = min_t(unsigned int, PAGE_SIZE - off, out->len - out->sent);
		int more = out->sent + n < out->len ? MSG_MORE | MSG_SENDPAGE_NOTLAST : 0;
		int ret;

		ret = secx_tcp_send_page(sk, out->pages[idx], off, n, flags | more);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		out->sent += ret;
	}
	out->len = 0;
	out->sent = 0;
	secx_tx_put_out_pages(out);
	return 0;
}

/*
 * Send a KEY_UPDATE and switch keys if a budget says so (rekey.c decides).
 * Returns 0 once nothing more is due and the update is with TCP.
 */
static int secx_tx_update_if_due(struct sock *sk, struct secx_ctx *ctx, int flags)
{
	struct secx_tx *tx = &ctx->tx;
	int err;

	if (!secx_rekey_tx_due(tx))
		return 0;
	tx->ctl[0] = tx->request_peer ? SECX_KU_FLAG_REQUEST : 0;
	err = secx_tx_seal(sk, ctx, SECX_RT_KEY_UPDATE, 1);
	if (err)
		return err;
	tx->request_peer = false;
	err = secx_rekey_tx_switch(sk, tx);
	if (err) {
		/* the peer switches at this record: we must, or stop */
		tx->err = -EIO;
		return tx->err;
	}
	return secx_tx_push(sk, tx, flags | MSG_MORE);
}

/* Close the open record when it is full or nothing more is coming now. */
static int secx_tx_maybe_seal(struct sock *sk, struct secx_ctx *ctx, bool more, int flags)
{
	struct secx_tx_open *o = &ctx->tx.open;
	int err;

	if (!o->len)
		return 0;
	if (more && o->len < SECX_MAX_DATA && o->nfrags < SECX_OPEN_FRAGS)
		return 0;
	err = secx_tx_update_if_due(sk, ctx, flags);
	if (!err)
		err = secx_tx_seal(sk, ctx, SECX_RT_DATA, -1);
	if (err) {
		/* the work item sends this record once TCP has room */
		if (!more)
			ctx->tx.flush_pending = true;
		return err;
	}
	return secx_tx_push(sk, &ctx->tx, flags | (more ? MSG_MORE : 0));
}

static unsigned int secx_tx_room(const struct secx_tx_open *o)
{
	return SECX_MAX_DATA - o->len;
}

/* Append @n bytes just written at copybuf + copy_len as data. */
static void secx_tx_add_copied(struct secx_tx_open *o, unsigned int n)
{
	u8 *start = o->copybuf + o->copy_len;
	struct secx_tx_frag *last = o->nfrags ? &o->frags[o->nfrags - 1] : NULL;

	if (last && !last->ref &&
	    page_address(last->page) + last->off + last->len == start) {
		last->len += n;
	} else {
		o->frags[o->nfrags++] = (struct secx_tx_frag) {
			.page = virt_to_page(start), .off = offset_in_page(start), .len = n,
		};
	}
	o->copy_len += n;
	o->len += n;
}

static bool secx_tx_can_add_frag(const struct secx_tx_open *o)
{
	/* The last slot stays free for copied data, so a record always closes. */
	return o->nfrags < SECX_OPEN_FRAGS - 1;
}

/* Copied data can go in a new slot or extend a copied stretch at the end. */
static bool secx_tx_can_copy(const struct secx_tx_open *o)
{
	const struct secx_tx_frag *last = &o->frags[o->nfrags - 1];

	if (o->nfrags < SECX_OPEN_FRAGS)
		return true;
	return !last->ref &&
	       page_address(last->page) + last->off + last->len == o->copybuf + o->copy_len;
}

static int secx_tx_add_from_iter(struct secx_tx_open *o, struct iov_iter *from, size_t len)
{
	unsigned int n = min_t(size_t, len, secx_tx_room(o));

	if (!secx_tx_can_copy(o))
		return 0;
	if (copy_from_iter(o->copybuf + o->copy_len, n, from) != n)
		return -EFAULT;
	secx_tx_add_copied(o, n);
	return n;
}

/* Add part of a page by reference (or by copy when it cannot be pinned). */
static unsigned int secx_tx_add_page(struct secx_tx_open *o, struct page *page,
				     size_t off, size_t len)
{
	unsigned int n = min_t(size_t, len, secx_tx_room(o));

	if (!secx_tx_can_add_frag(o) || !sendpage_ok(page)) {
		if (!secx_tx_can_copy(o))
			return 0;
		memcpy_from_page(o->copybuf + o->copy_len, page, off, n);
		secx_tx_add_copied(o, n);
		return n;
	}
	get_page(page);
	o->frags[o->nfrags++] = (struct secx_tx_frag) {
		.page = page, .off = off, .len = n, .ref = true,
	};
	o->len += n;
	return n;
}

/* MSG_SPLICE_PAGES (6.5+): the iterator holds page cache pages. */
static int secx_tx_add_spliced(struct secx_tx_open *o, struct iov_iter *from)
{
	struct page *page, **pages = &page;
	size_t off;
	ssize_t got;
	unsigned int n;

	got = iov_iter_get_pages2(from, pages, secx_tx_room(o), 1, &off);
	if (got <= 0)
		return got ? got : -EFAULT;
	n = secx_tx_add_page(o, page, off, got);
	put_page(page);
	if (n < got)
		iov_iter_revert(from, got - n);
	return n;
}

static int secx_tx_check(struct sock *sk, struct secx_ctx *ctx)
{
	if (ctx->tx.err)
		return ctx->tx.err;
	if (ctx->tx.closed || (sk->sk_shutdown & SEND_SHUTDOWN))
		return -EPIPE;
	return 0;
}

static int secx_tx_finish_call(struct sock *sk, struct secx_ctx *ctx, int copied, int err,
			       int flags)
{
	/* A record TCP could not take yet goes out when space frees up. */
	if (ctx->tx.out.len)
		schedule_work(&ctx->tx.work);
	/* A fatal error loses what was accepted but not sealed: say so. */
	if (ctx->tx.err)
		return ctx->tx.err;
	if (copied)
		return copied;
	if (err == -EPIPE)
		return sk_stream_error(sk, flags, err);
	return err;
}

static int secx_tx_do_sendmsg(struct sock *sk, struct secx_ctx *ctx, struct msghdr *msg,
			      int flags)
{
	struct secx_tx_open *o = &ctx->tx.open;
	bool eor = !(flags & MSG_MORE) || (flags & MSG_EOR);
	int copied = 0, err;

	err = secx_tx_check(sk, ctx);
	if (!err)
		err = secx_tx_push(sk, &ctx->tx, flags);
	while (!err && msg_data_left(msg)) {
		int n;

		if (flags & MSG_SPLICE_PAGES)
			n = secx_tx_add_spliced(o, &msg->msg_iter);
		else
			n = secx_tx_add_from_iter(o, &msg->msg_iter, msg_data_left(msg));
		if (n < 0) {
			err = n;
			break;
		}
		copied += n;
		err = secx_tx_maybe_seal(sk, ctx, msg_data_left(msg) || !eor, flags);
	}
	if (!err && eor)
		err = secx_tx_maybe_seal(sk, ctx, false, flags);
	return secx_tx_finish_call(sk, ctx, copied, err, flags);
}

int secx_tx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	int flags = msg->msg_flags;
	int ret;

	if (flags & ~(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR | MSG_CMSG_COMPAT |
		      MSG_SPLICE_PAGES))
		return -EOPNOTSUPP;
	/* Record types are not chosen by the application. */
	if (msg->msg_controllen)
		return -EINVAL;

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	ret = secx_tx_do_sendmsg(sk, ctx, msg, flags);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
	return ret;
}

#ifdef SECX_HAVE_SENDPAGE
/* 6.1 sendfile()/splice: one page (fragment) per call. */
int secx_tx_sendpage(struct sock *sk, struct page *page, int offset, size_t size, int flags)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	int copied = 0, err;

	if (flags & ~(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_SENDPAGE_NOTLAST |
		      MSG_SENDPAGE_NOPOLICY))
		return -EOPNOTSUPP;

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	err = secx_tx_check(sk, ctx);
	if (!err)
		err = secx_tx_push(sk, &ctx->tx, flags);
	while (!err && size) {
		unsigned int n = secx_tx_add_page(&ctx->tx.open, page, offset, size);

		offset += n;
		size -= n;
		copied += n;
		err = secx_tx_maybe_seal(sk, ctx, size || secx_flags_more(flags), flags);
	}
	err = secx_tx_finish_call(sk, ctx, copied, err, flags);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
	return err;
}
#endif

/* The splice ended early: close the record it left open. */
void secx_tx_splice_eof(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct secx_ctx *ctx = secx_get_ctx(sk);
	int flags = (sock->file && (sock->file->f_flags & O_NONBLOCK)) ? MSG_DONTWAIT : 0;
	int err;

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	err = secx_tx_check(sk, ctx);
	if (!err)
		err = secx_tx_push(sk, &ctx->tx, flags);
	if (!err)
		err = secx_tx_maybe_seal(sk, ctx, false, flags);
	secx_tx_finish_call(sk, ctx, 0, err, flags);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
}

/*
 * Seal what is open, then the close record, and wait (bounded) for TCP to
 * take them: the peer must see a clean end, not a truncated stream.
 */
static void secx_tx_finish(struct sock *sk, struct secx_ctx *ctx)
{
	long saved = sk->sk_sndtimeo;
	int err;

	if (ctx->tx.closed || ctx->tx.err || sk->sk_err ||
	    (sk->sk_shutdown & SEND_SHUTDOWN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
		return;

	WRITE_ONCE(sk->sk_sndtimeo, min_t(long, saved, SECX_FLUSH_TIMEOUT));
	err = secx_tx_push(sk, &ctx->tx, MSG_NOSIGNAL);
	if (!err)
		err = secx_tx_maybe_seal(sk, ctx, false, MSG_NOSIGNAL);
	if (!err)
		err = secx_tx_update_if_due(sk, ctx, MSG_NOSIGNAL);
	if (!err)
		err = secx_tx_seal(sk, ctx, SECX_RT_CLOSE, 0);
	if (!err) {
		ctx->tx.closed = true;
		secx_stat_inc(sk, SECX_STAT_CLOSE_SENT);
		err = secx_tx_push(sk, &ctx->tx, MSG_NOSIGNAL);
	}
	WRITE_ONCE(sk->sk_sndtimeo, saved);
	if (err)
		net_dbg_ratelimited("secx: ctx %llu: close record not sent: %d\n", ctx->id, err);
}

void secx_tx_shutdown(struct sock *sk, int how)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	secx_tx_finish(sk, ctx);
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
}

/* Called from close with tx_lock and the socket lock held. */
void secx_tx_close(struct sock *sk, struct secx_ctx *ctx, long timeout)
{
	secx_tx_finish(sk, ctx);
	/* Whatever TCP did not take now is dropped with the socket. */
	ctx->tx.out.len = 0;
	ctx->tx.out.sent = 0;
}

/*
 * Deferred sending: the rest of a sealed record once TCP has room, a key
 * update the peer asked for, an open record whose sender has returned.
 */
static void secx_tx_work(struct work_struct *work)
{
	struct secx_ctx *ctx = container_of(work, struct secx_ctx, tx.work);
	struct secx_tx *tx = &ctx->tx;
	struct sock *sk = ctx->sk;
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL, err;

	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	if (tx->err || tx->closed || !secx_get_ctx(sk))
		goto out;
	err = secx_tx_push(sk, tx, flags);
	/* budgets are checked before the next record; only requests are urgent */
	if (!err && tx->update_pending)
		err = secx_tx_update_if_due(sk, ctx, flags);
	if (!err && tx->flush_pending)
		secx_tx_maybe_seal(sk, ctx, false, flags);
out:
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
}

/* SECX_KEY_UPDATE: update the TX key now, optionally asking the peer to. */
int secx_tx_key_update(struct sock *sk, struct secx_ctx *ctx, u32 flags)
{
	struct secx_tx *tx = &ctx->tx;
	int err;

	if (!flags || (flags & ~(SECX_KU_TX | SECX_KU_REQUEST_PEER)))
		return -EINVAL;
	mutex_lock(&ctx->tx_lock);
	lock_sock(sk);
	if (!ctx->tx_conf) {
		err = -EINVAL;
		goto out;
	}
	if (!tx->c.secret_len) {
		err = -ENOKEY;
		goto out;
	}
	err = secx_tx_check(sk, ctx);
	if (!err)
		err = secx_tx_push(sk, tx, 0);
	if (!err) {
		tx->update_pending = true;
		tx->request_peer = !!(flags & SECX_KU_REQUEST_PEER);
		err = secx_tx_update_if_due(sk, ctx, 0);
	}
out:
	release_sock(sk);
	mutex_unlock(&ctx->tx_lock);
	return err;
}

void secx_tx_write_space(struct sock *sk)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);

	if (ctx && READ_ONCE(ctx->tx.out.len))
		schedule_work(&ctx->tx.work);
	ctx->saved_write_space(sk);
}

int secx_tx_init(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_tx *tx = &ctx->tx;

	tx->open.copybuf = kmalloc(SECX_MAX_DATA, GFP_KERNEL);
	if (!tx->open.copybuf)
		return -ENOMEM;
	tx->pool.cap = READ_ONCE(tx_pool_pages);
	tx->pool.pages = kvcalloc(tx->pool.cap, sizeof(*tx->pool.pages), GFP_KERNEL);
	/* without a ring every record simply gets fresh pages */
	INIT_WORK(&tx->work, secx_tx_work);
	secx_rekey_tx_init(sk, tx);

	write_lock_bh(&sk->sk_callback_lock);
	ctx->saved_write_space = sk->sk_write_space;
	sk->sk_write_space = secx_tx_write_space;
	ctx->tx_conf = 1;
	secx_ulp_update_prot(sk, ctx);
	write_unlock_bh(&sk->sk_callback_lock);
	secx_stat_inc(sk, SECX_STAT_CURR_TX);
	return 0;
}

void secx_tx_release(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_tx *tx = &ctx->tx;
	unsigned int i;

	if (!ctx->tx_conf)
		return;
	cancel_work_sync(&tx->work);
	secx_tx_open_reset(&tx->open);
	secx_tx_put_out_pages(&tx->out);
	for (i = 0; i < tx->pool.n; i++)
		put_page(tx->pool.pages[i]);
	kvfree(tx->pool.pages);
	kfree_sensitive(tx->open.copybuf);
	secx_crypto_free(&tx->c);
	memzero_explicit(tx->pad, sizeof(tx->pad));
	secx_stat_add(sock_net(sk), SECX_STAT_CURR_TX, -1);
}
