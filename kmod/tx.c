// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit path.  Data from sendmsg() is copied into the socket's page
 * fragment (as TCP does), data from sendfile()/splice (->sendpage on 6.1,
 * sendmsg(MSG_SPLICE_PAGES) on 6.5+) is referenced; either way the open
 * record is a list of page fragments.  When a record closes it is sealed out
 * of place into ciphertext pages we own (protocol.rst "Record layer") and
 * those pages are handed to TCP by reference.  One sealed record at a time
 * waits in tx->out; it must be fully taken by TCP before the next is sealed,
 * which keeps records whole and in order on the wire.
 *
 * Locking: the socket lock alone.  Every step (add data, seal, hand bytes to
 * TCP) is done with the socket owned and leaves tx in a consistent state;
 * TCP is only ever called with MSG_DONTWAIT, and waiting for send space
 * happens here, in secx_tx_wait(), with the socket lock released and no
 * other lock held.  After a wait everything is re-checked, so a concurrent
 * shutdown(), close of the peer, key update or second sender is seen.  Two
 * concurrent senders may interleave at a wait, exactly as on plain TCP.
 * The work item takes the socket lock, never waits for space, and re-arms
 * itself instead.
 */
#include <linux/highmem.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/tcp.h>

#include "secx.h"
#include "compat.h"

/* How long close() waits for TCP to take the last records (and SO_SNDTIMEO). */
#define SECX_FLUSH_TIMEOUT	(10 * HZ)
/* A socket that sealed nothing for this long gives its ciphertext pages back. */
#define SECX_TX_IDLE		HZ

/*
 * Ciphertext pages are recycled through a per-socket ring: a fresh page costs
 * a full clear (init_on_alloc) and an allocation per 4 KiB sent.  A page is
 * free again once TCP has dropped its references (count back to the ring's
 * one).  Pages are handed out in ring order and TCP frees them in about the
 * same order, so only the oldest page needs checking: if it is still busy,
 * all younger ones are too, and the ring grows, up to tx_pool_pages and never
 * beyond the socket's send buffer.  The ring is memcg-charged, and freed once
 * the socket has been idle for SECX_TX_IDLE.
 */
static uint tx_pool_pages = 512;
module_param(tx_pool_pages, uint, 0644);
MODULE_PARM_DESC(tx_pool_pages, "Ciphertext pages each socket may keep for reuse");

static gfp_t secx_tx_gfp(const struct sock *sk)
{
	return sk->sk_allocation | __GFP_ACCOUNT;
}

/* Scratch of a sending socket: allocated on first seal, freed when idle. */
static struct secx_tx_scratch *secx_tx_scratch(struct sock *sk, struct secx_tx *tx)
{
	struct secx_tx_scratch *s = tx->scratch;
	unsigned int cap;

	if (likely(s))
		return s;
	cap = min_t(unsigned int, READ_ONCE(tx_pool_pages), 4096);
	s = kvzalloc(struct_size(s, ring, cap), secx_tx_gfp(sk));
	if (!s)
		return NULL;
	s->cap = cap;
	tx->scratch = s;
	return s;
}

static void secx_tx_scratch_free(struct sock *sk, struct secx_tx *tx)
{
	struct secx_tx_scratch *s = tx->scratch;
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		put_page(s->ring[i]);
	secx_stat_add(sock_net(sk), SECX_STAT_TX_RING_PAGES, -(long)s->n);
	kvfree(s);
	tx->scratch = NULL;
}

/* Pages the ring may hold now: no more than the send buffer can use. */
static unsigned int secx_tx_ring_limit(const struct sock *sk, const struct secx_tx_scratch *s)
{
	unsigned int sndbuf_pages = READ_ONCE(sk->sk_sndbuf) >> PAGE_SHIFT;

	return min_t(unsigned int, s->cap, max_t(unsigned int, sndbuf_pages, SECX_TX_PAGES));
}

static struct page *secx_tx_page(struct sock *sk, struct secx_tx *tx)
{
	struct secx_tx_scratch *s = tx->scratch;
	struct page *page;

	if (s->n) {
		page = s->ring[s->next];
		if (page_ref_count(page) == 1) {
			s->next = (s->next + 1) % s->n;
			get_page(page);
			return page;
		}
	}
	page = alloc_page(secx_tx_gfp(sk));
	if (!page || s->n >= secx_tx_ring_limit(sk, s))
		return page;
	/* the newest page goes just before the oldest, keeping ring order */
	memmove(&s->ring[s->next + 1], &s->ring[s->next], (s->n - s->next) * sizeof(*s->ring));
	s->ring[s->next] = page;
	s->n++;
	secx_stat_inc(sk, SECX_STAT_TX_RING_PAGES);
	s->next = (s->next + 1) % s->n;
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
		tx->out.pages[i] = secx_tx_page(sk, tx);
		if (!tx->out.pages[i]) {
			secx_tx_put_out_pages(&tx->out);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Drop the open record's data and the socket memory charged for it. */
static void secx_tx_open_reset(struct sock *sk, struct secx_tx_open *o)
{
	unsigned int i;

	for (i = 0; i < o->nfrags; i++)
		put_page(o->frags[i].page);
	if (o->charged)
		sk_mem_uncharge(sk, o->charged);
	o->nfrags = 0;
	o->len = 0;
	o->charged = 0;
}

/*
 * Build src = [seq] aad type data... [pad] and dst = [seq] wire pages.  The
 * data is the open record's, or @ctl_len bytes of tx->ctl for a control
 * record (@ctl_len < 0: data record).
 */
static void secx_tx_build_sg(struct secx_tx *tx, struct secx_tx_scratch *s, unsigned int pre,
			     unsigned int pad, unsigned int total, int ctl_len)
{
	struct secx_tx_open *o = &tx->open;
	struct scatterlist *src = s->sg_src, *dst = s->sg_dst;
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
}

/*
 * Seal one record of @type into tx->out: a data record from the open record,
 * or a control record carrying @ctl_len bytes of tx->ctl (@ctl_len >= 0).
 * Needs tx->out to be empty.
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
	struct secx_tx_scratch *scratch;
	u8 *wire;
	int err;

	sock_owned_by_me(sk);
	if (WARN_ON_ONCE(tx->out.len))
		return -EINVAL;
	/* Never reuse a nonce: the sequence space of a key is finite. */
	if (secx_crypto_exhausted(c)) {
		tx->err = -EKEYEXPIRED;
		return tx->err;
	}
	scratch = secx_tx_scratch(sk, tx);
	if (!scratch)
		return -ENOMEM;
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
	secx_tx_build_sg(tx, scratch, pre, pad, total, ctl_len);

	err = secx_crypto_seal(c, scratch->sg_src, scratch->sg_dst,
			       pre + (s->kind == SECX_KIND_CBC_HMAC ? SECX_SEQ_LEN : 0),
			       cryptlen, tx->iv);
	if (err) {
		/* The stream cannot continue without this record. */
		secx_tx_put_out_pages(&tx->out);
		tx->err = -EIO;
		return tx->err;
	}

	secx_crypto_advance(c);
	tx->records++;
	tx->last_seal = jiffies;
	if (ctl_len < 0) {
		tx->bytes += len;
		secx_rekey_tx_account(tx, len);
		secx_stat_record(sock_net(sk), true, s->id, len);
		secx_tx_open_reset(sk, &tx->open);
		tx->flush_pending = false;
	}
	tx->out.len = total;
	tx->out.sent = 0;
	/* the idle check gives the ring back once sending stops */
	if (!delayed_work_pending(&tx->work))
		schedule_delayed_work(&tx->work, SECX_TX_IDLE);
	return 0;
}

/*
 * Hand the sealed record to TCP without ever waiting in TCP.  Returns 0 when
 * TCP took all of it (or nothing was pending), -EAGAIN when TCP is full (the
 * rest stays in tx->out), or TCP's error.  @more: another record follows at
 * once, so TCP may hold a partial segment.
 */
static int secx_tx_push(struct sock *sk, struct secx_tx *tx, bool more)
{
	struct secx_tx_out *out = &tx->out;

	sock_owned_by_me(sk);
	while (out->sent < out->len) {
		unsigned int idx = out->sent / PAGE_SIZE, off = out->sent % PAGE_SIZE;
		unsigned int n = min_t(unsigned int, PAGE_SIZE - off, out->len - out->sent);
		int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		int ret;

		if (more || out->sent + n < out->len)
			flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
		ret = secx_tcp_send_page(sk, out->pages[idx], off, n, flags);
		if (ret <= 0)
			return ret ? ret : -EAGAIN;
		out->sent += ret;
	}
	out->len = 0;
	out->sent = 0;
	tx->corked = more;
	secx_tx_put_out_pages(out);
	return 0;
}

/* Stop waiting for send space: the send side cannot make progress. */
static bool secx_tx_stopped(const struct sock *sk, const struct secx_tx *tx)
{
	return READ_ONCE(sk->sk_err) || (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
	       READ_ONCE(tx->err) || READ_ONCE(tx->shut_pending);
}

/*
 * Wait, with the socket lock released, until TCP has send space again or
 * the send side can no longer make progress.  Like sk_stream_wait_memory(),
 * plus the secx reasons to stop: a fatal error or a pending shutdown.  When
 * TCP refused although it had space (memory pressure), back off briefly.
 */
static int secx_tx_wait(struct sock *sk, struct secx_tx *tx, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	bool pressure = sk_stream_memory_free(sk);
	int err = 0;

	sock_owned_by_me(sk);
	might_sleep();
	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
		if (secx_tx_stopped(sk, tx)) {
			err = -EPIPE;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		if (!pressure && sk_stream_memory_free(sk))
			break;
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		sk->sk_write_pending++;
		if (pressure) {
			long nap = min_t(long, *timeo, get_random_u32_below(HZ / 5) + 2);
			long left = nap;

			sk_wait_event(sk, &left, secx_tx_stopped(sk, tx), &wait);
			if (*timeo != MAX_SCHEDULE_TIMEOUT)
				*timeo -= nap - left;
			sk->sk_write_pending--;
			break;		/* try TCP again */
		}
		sk_wait_event(sk, timeo, secx_tx_stopped(sk, tx) || sk_stream_memory_free(sk),
			      &wait);
		sk->sk_write_pending--;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/*
 * Seal a KEY_UPDATE and switch keys if a budget or a request says so
 * (rekey.c decides).  @data_follows: a data record is sealed right after,
 * so the update may wait in TCP for it; otherwise it is pushed at once.
 */
static int secx_tx_update_if_due(struct sock *sk, struct secx_ctx *ctx, bool data_follows)
{
	struct secx_tx *tx = &ctx->tx;
	int err;

	if (tx->out.len || !secx_rekey_tx_due(tx))
		return 0;
	/* what can fail for lack of memory fails before the update is sealed */
	err = secx_rekey_prepare(&tx->c);
	if (err)
		return err;
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
	return secx_tx_push(sk, tx, data_follows);
}

/*
 * Move the stream forward as far as TCP allows now: the pending record, a
 * due key update, and the open record if @seal_open or it is full.
 * Returns 0 when everything asked for is with TCP, -EAGAIN when TCP is full,
 * -ENOMEM when a page could not be had, or a fatal error.  @more: the caller
 * has more data right away.
 */
static int secx_tx_advance(struct sock *sk, struct secx_ctx *ctx, bool seal_open, bool more)
{
	struct secx_tx *tx = &ctx->tx;
	struct secx_tx_open *o = &tx->open;
	bool full = o->len >= SECX_MAX_DATA || o->nfrags >= SECX_OPEN_FRAGS;
	bool will_seal = o->len && (seal_open || full);
	int err;

	err = secx_tx_push(sk, tx, more || will_seal || tx->update_pending);
	if (err)
		return err;
	if (tx->update_pending) {
		err = secx_tx_update_if_due(sk, ctx, will_seal);
		if (err)
			return err;
	}
	if (!will_seal)
		return 0;
	err = secx_tx_update_if_due(sk, ctx, true);
	if (!err)
		err = secx_tx_seal(sk, ctx, SECX_RT_DATA, -1);
	if (!err)
		err = secx_tx_push(sk, tx, more);
	return err;
}

static unsigned int secx_tx_room(const struct secx_tx_open *o)
{
	return SECX_MAX_DATA - o->len;
}

/*
 * Add @n bytes at @page + @off to the open record, holding a page reference;
 * extends the last fragment when the bytes continue it.  Returns false when
 * no fragment slot is left.
 */
static bool secx_tx_add_frag(struct secx_tx_open *o, struct page *page, unsigned int off,
			     unsigned int n)
{
	struct secx_tx_frag *last;

	if (o->nfrags) {
		last = &o->frags[o->nfrags - 1];
		if (last->page == page && last->off + last->len == off) {
			last->len += n;
			o->len += n;
			return true;
		}
	}
	if (o->nfrags >= SECX_OPEN_FRAGS)
		return false;
	get_page(page);
	o->frags[o->nfrags++] = (struct secx_tx_frag) { .page = page, .off = off, .len = n };
	o->len += n;
	return true;
}

/* Would @n more bytes from the page fragment fit in the open record now? */
static bool secx_tx_can_copy(const struct secx_tx_open *o, const struct page_frag *pfrag)
{
	const struct secx_tx_frag *last;

	if (o->nfrags < SECX_OPEN_FRAGS)
		return true;
	last = &o->frags[SECX_OPEN_FRAGS - 1];
	return last->page == pfrag->page && last->off + last->len == pfrag->offset;
}

/*
 * Copy up to @len bytes from @from (or @src_page) into the socket's page
 * fragment and append them to the open record, charged to the socket.
 * Returns bytes taken (0: the record must close first) or -ENOMEM.
 */
static int secx_tx_copy(struct sock *sk, struct secx_tx_open *o, struct iov_iter *from,
			struct page *src_page, size_t src_off, size_t len)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	unsigned int n;

	if (!sk_page_frag_refill(sk, pfrag))
		return -ENOMEM;
	if (!secx_tx_can_copy(o, pfrag))
		return 0;
	n = min_t(size_t, len, secx_tx_room(o));
	n = min_t(unsigned int, n, pfrag->size - pfrag->offset);
	if (!sk_wmem_schedule(sk, n))
		return -ENOMEM;
	/* frag pages are compound and never highmem here: address them whole */
	if (from) {
		if (copy_from_iter(page_address(pfrag->page) + pfrag->offset, n, from) != n)
			return -EFAULT;
	} else {
		memcpy_from_page(page_address(pfrag->page) + pfrag->offset, src_page, src_off, n);
	}
	if (WARN_ON_ONCE(!secx_tx_add_frag(o, pfrag->page, pfrag->offset, n)))
		return -EINVAL;
	sk_mem_charge(sk, n);
	o->charged += n;
	pfrag->offset += n;
	return n;
}

/* Add part of a page by reference (or by copy when it cannot be pinned). */
static int secx_tx_add_page(struct sock *sk, struct secx_tx_open *o, struct page *page,
			    size_t off, size_t len)
{
	unsigned int n = min_t(size_t, len, secx_tx_room(o));

	/* the last slot stays free for copied data, so a record always closes */
	if (o->nfrags >= SECX_OPEN_FRAGS - 1 || !sendpage_ok(page)) {
		/* copy from one base page at a time (a spliced page may be compound) */
		page += off >> PAGE_SHIFT;
		off &= ~PAGE_MASK;
		n = min_t(unsigned int, n, PAGE_SIZE - off);
		return secx_tx_copy(sk, o, NULL, page, off, n);
	}
	if (!secx_tx_add_frag(o, page, off, n))
		return 0;
	return n;
}

/* MSG_SPLICE_PAGES (6.5+): the iterator holds page cache pages. */
static int secx_tx_add_spliced(struct sock *sk, struct secx_tx_open *o, struct iov_iter *from)
{
	struct page *page, **pages = &page;
	size_t off;
	ssize_t got;
	int n;

	got = iov_iter_get_pages2(from, pages, secx_tx_room(o), 1, &off);
	if (got <= 0)
		return got ? got : -EFAULT;
	n = secx_tx_add_page(sk, o, page, off, got);
	put_page(page);
	if (n < got)
		iov_iter_revert(from, got - max(n, 0));
	return n;
}

/* Is something accepted or promised still waiting for TCP? */
static bool secx_tx_pending(const struct secx_tx *tx)
{
	return tx->out.len || tx->shut_pending || (tx->flush_pending && tx->open.len) ||
	       (tx->update_pending && !tx->closed);
}

/*
 * Make sure what is pending goes out later.  When TCP's queue shrinks, its
 * write_space callback (SOCK_NOSPACE) schedules the work; but when TCP
 * refused for lack of memory with nothing in flight, no ACK will ever come,
 * so poll instead.
 */
static void secx_tx_retry_later(struct sock *sk, struct secx_tx *tx)
{
	if (!secx_tx_pending(tx))
		return;
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	if (sk_stream_memory_free(sk) || tcp_write_queue_empty(sk))
		mod_delayed_work(system_wq, &tx->work, HZ / 10);
}

static int secx_tx_check(struct sock *sk, struct secx_ctx *ctx)
{
	if (ctx->tx.err)
		return ctx->tx.err;
	if (ctx->tx.closed || ctx->tx.shut_pending || (sk->sk_shutdown & SEND_SHUTDOWN))
		return -EPIPE;
	return 0;
}

/*
 * After an error: wait for space (blocking callers) and say whether to try
 * again.  -ENOMEM is treated like a full send buffer, as TCP does.
 */
static int secx_tx_wait_or_fail(struct sock *sk, struct secx_ctx *ctx, int err, long *timeo)
{
	if (err != -EAGAIN && err != -ENOMEM)
		return err;
	return secx_tx_wait(sk, &ctx->tx, timeo);
}

static int secx_tx_finish_call(struct sock *sk, struct secx_ctx *ctx, int copied, int err,
			       int flags)
{
	struct secx_tx *tx = &ctx->tx;

	/* What TCP could not take yet goes out when it can. */
	secx_tx_retry_later(sk, tx);
	/* A fatal error loses what was accepted but not sealed: say so. */
	if (tx->err)
		return tx->err;
	if (copied)
		return copied;
	if (err == -EPIPE)
		return sk_stream_error(sk, flags, err);
	return err;
}

/*
 * The send loop shared by sendmsg and sendpage: add data with @add until
 * @size bytes are in, sealing and pushing full records; @eor closes the last
 * record.  Returns bytes accepted or an error.
 */
static int secx_tx_send_loop(struct sock *sk, struct secx_ctx *ctx, int flags, size_t size,
			     bool eor,
			     int (*add)(struct sock *sk, struct secx_tx_open *o, void *arg,
					size_t left),
			     void *arg)
{
	struct secx_tx *tx = &ctx->tx;
	long timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	size_t copied = 0;
	int err;

	sock_owned_by_me(sk);
	for (;;) {
		bool more = copied < size || !eor;
		int n;

		err = secx_tx_check(sk, ctx);
		if (err)
			break;
		/* the pending record, a due update, a full open record first */
		err = secx_tx_advance(sk, ctx, false, more);
		if (!err && copied < size) {
			n = add(sk, &tx->open, arg, size - copied);
			if (n > 0) {
				copied += n;
				continue;
			}
			/* 0: no fragment slot left: close the record, then go on */
			err = n ? n : secx_tx_advance(sk, ctx, true, true);
			if (!err)
				continue;
		} else if (!err) {
			if (eor)
				err = secx_tx_advance(sk, ctx, true, false);
			if (!err)
				break;
		}
		err = secx_tx_wait_or_fail(sk, ctx, err, &timeo);
		if (err)
			break;
	}
	if (err && eor && tx->open.len)
		/* the work item seals this record once TCP has room */
		tx->flush_pending = true;
	return secx_tx_finish_call(sk, ctx, copied, err, flags);
}

static int secx_tx_add_msg(struct sock *sk, struct secx_tx_open *o, void *arg, size_t left)
{
	struct msghdr *msg = arg;

	if (msg->msg_flags & MSG_SPLICE_PAGES)
		return secx_tx_add_spliced(sk, o, &msg->msg_iter);
	return secx_tx_copy(sk, o, &msg->msg_iter, NULL, 0, left);
}

/*
 * A call without MSG_MORE that ends early (an error, a signal, a full
 * non-blocking socket) may leave its last record corked in TCP (pushed with
 * MSG_MORE for data that never came): have TCP push it, as TCP's own
 * sendmsg does on exit.  A MSG_MORE call leaves TCP corked on purpose.
 */
static void secx_tx_uncork(struct sock *sk, struct secx_ctx *ctx, bool eor)
{
	struct socket *sock = sk->sk_socket;

	if (!eor || !READ_ONCE(ctx->tx.corked) || !sock)
		return;
	WRITE_ONCE(ctx->tx.corked, false);
	if (ctx->sk_proto->splice_eof)
		ctx->sk_proto->splice_eof(sock);
}

int secx_tx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	int flags = msg->msg_flags;
	bool eor = !(flags & MSG_MORE) || (flags & MSG_EOR);
	int ret;

	if (flags & ~(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR | MSG_CMSG_COMPAT |
		      MSG_SPLICE_PAGES))
		return -EOPNOTSUPP;
	/* Record types are not chosen by the application. */
	if (msg->msg_controllen)
		return -EINVAL;

	lock_sock(sk);
	ret = secx_tx_send_loop(sk, ctx, flags, msg_data_left(msg), eor, secx_tx_add_msg, msg);
	release_sock(sk);
	secx_tx_uncork(sk, ctx, eor);
	return ret;
}

#ifdef SECX_HAVE_SENDPAGE
struct secx_tx_page_arg {
	struct page *page;
	size_t off;
};

static int secx_tx_add_one_page(struct sock *sk, struct secx_tx_open *o, void *arg,
				size_t left)
{
	struct secx_tx_page_arg *p = arg;
	int n = secx_tx_add_page(sk, o, p->page, p->off, left);

	if (n > 0)
		p->off += n;
	return n;
}

/* 6.1 sendfile()/splice: one page (fragment) per call. */
int secx_tx_sendpage(struct sock *sk, struct page *page, int offset, size_t size, int flags)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	struct secx_tx_page_arg arg = { .page = page, .off = offset };
	int ret;

	if (flags & ~(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL | MSG_SENDPAGE_NOTLAST |
		      MSG_SENDPAGE_NOPOLICY))
		return -EOPNOTSUPP;

	lock_sock(sk);
	ret = secx_tx_send_loop(sk, ctx, flags, size, !secx_flags_more(flags),
				secx_tx_add_one_page, &arg);
	release_sock(sk);
	secx_tx_uncork(sk, ctx, !secx_flags_more(flags));
	return ret;
}
#endif

static int secx_tx_add_nothing(struct sock *sk, struct secx_tx_open *o, void *arg, size_t left)
{
	return 0;
}

/* The splice ended early: close the record it left open. */
void secx_tx_splice_eof(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct secx_ctx *ctx = secx_get_ctx(sk);
	int flags = (sock->file && (sock->file->f_flags & O_NONBLOCK)) ? MSG_DONTWAIT : 0;

	lock_sock(sk);
	if (ctx->tx.open.len || ctx->tx.out.len)
		secx_tx_send_loop(sk, ctx, flags | MSG_NOSIGNAL, 0, true, secx_tx_add_nothing,
				  NULL);
	release_sock(sk);
	secx_tx_uncork(sk, ctx, true);
}

/*
 * Move the close sequence forward without waiting: what is open, then the
 * CLOSE record (protocol.rst "Closing").  A budget that runs out at the
 * CLOSE does not cost a key update: only the hard limit forces one here.
 * Returns 0 once CLOSE is with TCP, -EAGAIN while TCP is full, or an error.
 */
static int secx_tx_close_step(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_tx *tx = &ctx->tx;
	int err;

	sock_owned_by_me(sk);
	if (tx->closed)
		return secx_tx_push(sk, tx, false);
	err = secx_tx_advance(sk, ctx, true, true);
	if (err)
		return err;
	if (secx_crypto_exhausted(&tx->c) || secx_rekey_tx_hard_due(tx)) {
		tx->update_pending = true;
		err = secx_tx_update_if_due(sk, ctx, true);
		if (err)
			return err;
		err = secx_tx_push(sk, tx, true);
		if (err)
			return err;
	}
	err = secx_tx_seal(sk, ctx, SECX_RT_CLOSE, 0);
	if (err)
		return err;
	tx->closed = true;
	secx_stat_inc(sk, SECX_STAT_CLOSE_SENT);
	return secx_tx_push(sk, tx, false);
}

/* Can this socket still end its record stream cleanly? */
static bool secx_tx_can_close(struct sock *sk, struct secx_ctx *ctx)
{
	return !ctx->tx.err && !sk->sk_err && !(sk->sk_shutdown & SEND_SHUTDOWN) &&
	       ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT));
}

/*
 * shutdown(SHUT_WR or SHUT_RDWR): never waits.  Senders (also those blocked
 * in another thread) fail with EPIPE from now on.  The open record and the
 * CLOSE record go to TCP now if TCP has room, followed by TCP's FIN; if not,
 * the work item sends them, and the FIN, as soon as TCP has room, just as
 * TCP itself queues a FIN behind unsent data.  Returns true when the caller
 * may let TCP shut down the send side now.
 */
bool secx_tx_shutdown(struct sock *sk, int how)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	struct secx_tx *tx = &ctx->tx;
	bool now = true;
	int err;

	lock_sock(sk);
	if (tx->shut_pending) {
		now = false;
	} else if (secx_tx_can_close(sk, ctx)) {
		err = secx_tx_close_step(sk, ctx);
		if (err == -EAGAIN || err == -ENOMEM) {
			WRITE_ONCE(tx->shut_pending, true);
			secx_tx_retry_later(sk, tx);
			now = false;
		} else if (err) {
			net_dbg_ratelimited("secx: ctx %llu: close record not sent: %d\n",
					    ctx->id, err);
		}
	}
	release_sock(sk);
	/*
	 * Wake senders blocked in secx_tx_wait() (they return EPIPE): TCP's
	 * write_space wakes nobody while the buffer is full, a state change
	 * wakes every waiter.
	 */
	if (!now) {
		sk->sk_state_change(sk);
		secx_tx_kick(ctx);
	}
	return now;
}

/*
 * close(): the peer must see a clean end, not a truncated stream, so wait
 * for TCP to take the last records, at most SO_SNDTIMEO and
 * SECX_FLUSH_TIMEOUT, or the linger time.  SO_LINGER {on, 0} is an abortive
 * close: nothing is sent and nothing waited for (TCP sends a reset).
 * Called with the socket lock held; no other thread can send any more.
 */
void secx_tx_close(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_tx *tx = &ctx->tx;
	long timeo = min_t(long, sk->sk_sndtimeo, SECX_FLUSH_TIMEOUT);
	int err;

	sock_owned_by_me(sk);
	if (sock_flag(sk, SOCK_LINGER)) {
		if (!sk->sk_lingertime)
			goto drop;
		timeo = min_t(long, timeo, sk->sk_lingertime);
	}
	/* an exiting process does not linger (inet_release() agrees): try once */
	if (current->flags & PF_EXITING)
		timeo = 0;
	if (!tx->closed && !tx->shut_pending && !secx_tx_can_close(sk, ctx))
		goto drop;
	tx->shut_pending = false;
	for (;;) {
		err = secx_tx_close_step(sk, ctx);
		if (err != -EAGAIN && err != -ENOMEM)
			break;
		err = secx_tx_wait(sk, tx, &timeo);
		if (err)
			break;
	}
	if (err)
		net_dbg_ratelimited("secx: ctx %llu: close record not sent: %d\n", ctx->id, err);
drop:
	/* Whatever TCP did not take now is dropped with the socket. */
	secx_tx_open_reset(sk, &tx->open);
	tx->out.len = 0;
	tx->out.sent = 0;
}

/*
 * Deferred sending, never waiting: the rest of a sealed record once TCP has
 * room, a key update the peer asked for, an open record whose sender has
 * returned, a pending shutdown; and giving the ring back when idle.
 */
static void secx_tx_work(struct work_struct *work)
{
	struct secx_ctx *ctx = container_of(to_delayed_work(work), struct secx_ctx, tx.work);
	struct secx_tx *tx = &ctx->tx;
	struct sock *sk = ctx->sk;
	struct mem_cgroup *memcg;
	bool fin = false;
	int err = 0;

	/* pages sealed here are charged to the socket's cgroup, not the kworker's */
	memcg = set_active_memcg(secx_sk_memcg(sk));
	lock_sock(sk);
	if (!secx_get_ctx(sk) || !ctx->tx_conf)
		goto out;
	if (tx->shut_pending) {
		err = tx->err ? tx->err : secx_tx_close_step(sk, ctx);
		/*
		 * CLOSE is with TCP, or can never be: now TCP's half of
		 * shutdown(), the FIN (after an error the peer sees a truncation,
		 * not silence).
		 */
		if (err != -EAGAIN && err != -ENOMEM) {
			tx->shut_pending = false;
			fin = true;
		}
	} else if (!tx->err && !tx->closed) {
		err = secx_tx_advance(sk, ctx, tx->flush_pending, false);
	}
	if (err == -EAGAIN || err == -ENOMEM)
		secx_tx_retry_later(sk, tx);

	if (tx->scratch && !tx->out.len) {
		if (time_after_eq(jiffies, tx->last_seal + SECX_TX_IDLE))
			secx_tx_scratch_free(sk, tx);
		else if (!delayed_work_pending(&tx->work))
			schedule_delayed_work(&tx->work, SECX_TX_IDLE);
	}
out:
	release_sock(sk);
	set_active_memcg(memcg);
	/* close() cancels this work before the socket is orphaned */
	if (fin)
		secx_ulp_base_shutdown(sk, SHUT_WR);
}

/* SECX_KEY_UPDATE: update the TX key now, optionally asking the peer to. */
int secx_tx_key_update(struct sock *sk, struct secx_ctx *ctx, u32 flags)
{
	struct secx_tx *tx = &ctx->tx;
	struct socket *sock = sk->sk_socket;
	long timeo = sock_sndtimeo(sk, sock && sock->file && (sock->file->f_flags & O_NONBLOCK));
	int err;

	if (!flags || (flags & ~(SECX_KU_TX | SECX_KU_REQUEST_PEER)))
		return -EINVAL;
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
	if (err)
		goto out;
	if (!secx_rekey_local_allowed(tx)) {
		err = -EBUSY;
		goto out;
	}
	tx->update_pending = true;
	tx->request_peer |= !!(flags & SECX_KU_REQUEST_PEER);
	/* the update follows what was sent before it: wait (bounded) for that */
	for (;;) {
		err = secx_tx_advance(sk, ctx, false, false);
		if (!err && tx->update_pending)
			err = -EAGAIN;
		if (!err)
			break;
		err = secx_tx_wait_or_fail(sk, ctx, err, &timeo);
		if (err)
			break;
	}
	if (err == -EAGAIN && tx->update_pending)
		/* still queued: it goes out before the next record */
		secx_tx_retry_later(sk, tx);
out:
	release_sock(sk);
	return err;
}

void secx_tx_write_space(struct sock *sk)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);

	if (unlikely(!ctx)) {
		/* detached under us: TCP's own callback is back */
		void (*write_space)(struct sock *sk) = READ_ONCE(sk->sk_write_space);

		if (write_space != secx_tx_write_space)
			write_space(sk);
		return;
	}
	if (READ_ONCE(ctx->tx.out.len) || READ_ONCE(ctx->tx.shut_pending) ||
	    READ_ONCE(ctx->tx.flush_pending) || READ_ONCE(ctx->tx.update_pending))
		secx_tx_kick(ctx);
	ctx->saved_write_space(sk);
}

/* Schedule the work item now (a key update the peer asked for, rekey.c). */
void secx_tx_kick(struct secx_ctx *ctx)
{
	mod_delayed_work(system_wq, &ctx->tx.work, 0);
}

int secx_tx_init(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_tx *tx = &ctx->tx;

	INIT_DELAYED_WORK(&tx->work, secx_tx_work);
	secx_bucket_init(&tx->local_updates);
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

/* Stop the work item; must be called without the socket lock. */
void secx_tx_stop(struct secx_ctx *ctx)
{
	might_sleep();
	if (ctx->tx_conf)
		cancel_delayed_work_sync(&ctx->tx.work);
}

/*
 * Drop the open record (and its socket memory charge); the socket must be
 * owned, or be being destroyed.
 */
void secx_tx_drop_open(struct sock *sk, struct secx_ctx *ctx)
{
	if (ctx->tx_conf)
		secx_tx_open_reset(sk, &ctx->tx.open);
}

/*
 * Free what the send side holds; the work item is stopped (secx_tx_stop)
 * and the open record dropped (secx_tx_drop_open).
 */
void secx_tx_release(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_tx *tx = &ctx->tx;

	if (!ctx->tx_conf)
		return;
	WARN_ON_ONCE(tx->open.nfrags || tx->open.charged);
	secx_tx_put_out_pages(&tx->out);
	secx_tx_scratch_free(sk, tx);
	secx_crypto_free(&tx->c);
	memzero_explicit(tx->pad, sizeof(tx->pad));
	secx_stat_add(sock_net(sk), SECX_STAT_CURR_TX, -1);
}
