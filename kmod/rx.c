// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path.  Records are framed straight off the TCP receive queue:
 * the header is peeked to learn a record's length, the record is pulled
 * into rx->buf with tcp_read_sock() (which also opens TCP's window), opened
 * in place, and only then is any of its data visible to the application.
 *
 * rx->ready says "a recvmsg() would make progress now" and is what poll()
 * and blocking readers look at.  It is state, not an event: it is
 * recomputed by our sk_data_ready (socket bh-locked or owned), at the end of
 * every read, and by a reader under the socket lock right before it sleeps,
 * so a record consumed by the reader (a lone KEY_UPDATE, an empty DATA
 * record) clears it and the reader sleeps instead of spinning.
 *
 * rx->buf holds one record for the copying path (and, for the zero-copy
 * path, the few CBC data bytes a reader's buffer had no room for).  It is
 * allocated when first needed and freed (wiped) at the end of a read that
 * leaves it empty, so an idle socket holds no record buffer.  A reader that
 * can take records zero-copy leaves a partly arrived record in TCP until
 * it is complete, unless the receive buffer is too small to hold it.
 *
 * TCP urgent data has no meaning inside a record stream and would stop
 * tcp_read_sock() at the urgent mark: it is a protocol error (EPROTO).
 *
 * Errors are sticky (secx_rx_abort): once a record fails to authenticate or
 * parse, every later read fails with the same errno and nothing more is
 * delivered.  A TCP EOF without a close record is a truncation, not an EOF.
 */
#include <linux/highmem.h>
#include <linux/pipe_fs_i.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/ioctl.h>
#include <asm/ioctls.h>
#include <linux/sockios.h>
#include <linux/splice.h>
#include <net/inet_common.h>
#include <net/tcp.h>

#include "secx.h"

/* Documentation/api.rst gives this size; userspace is written from it. */
static_assert(sizeof(struct secx_crypto_info) == 232);

/* Record a fatal receive error; @poison_tx also stops the send side. */
static int secx_rx_abort(struct sock *sk, struct secx_ctx *ctx, int err, bool poison_tx)
{
	struct secx_rx *rx = &ctx->rx;

	if (!rx->err) {
		rx->err = err;
		if (poison_tx && !ctx->tx.err)
			ctx->tx.err = err;
		WRITE_ONCE(sk->sk_err, -err);
		sk_error_report(sk);
		secx_nl_notify_error(sk, err);
	}
	rx->plain_off = rx->plain_end;
	WRITE_ONCE(rx->ready, true);
	return err;
}

/* The peer sent TCP urgent data at or after the next byte we would read. */
static bool secx_rx_urgent(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return READ_ONCE(tp->urg_data) &&
	       !before(READ_ONCE(tp->urg_seq), READ_ONCE(tp->copied_seq));
}

/* Give back the record buffer once nothing in it is pending. */
static void secx_rx_idle(struct secx_rx *rx)
{
	if (!rx->buf || rx->have || rx->plain_off < rx->plain_end)
		return;
	memzero_explicit(rx->buf, rx->buf_used);
	kfree(rx->buf);
	rx->buf = NULL;
	rx->buf_used = 0;
	rx->plain_off = 0;
	rx->plain_end = 0;
}

/* Copy @len bytes at the head of the TCP receive queue without consuming. */
int secx_rx_peek(struct sock *sk, u8 *buf, unsigned int len)
{
	u32 seq = tcp_sk(sk)->copied_seq;
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 offset = seq - TCP_SKB_CB(skb)->seq;
		unsigned int n;

		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN)
			offset--;
		if (offset >= skb->len)
			continue;
		n = min_t(unsigned int, len, skb->len - offset);
		if (skb_copy_bits(skb, offset, buf, n))
			return -EFAULT;
		buf += n;
		len -= n;
		seq += n;
		if (!len)
			return 0;
	}
	return -EAGAIN;
}

/* Is the rest of the current record already in the TCP queue? */
static bool secx_rx_record_queued(struct sock *sk, struct secx_rx *rx)
{
	unsigned int inq = tcp_inq(sk), body;
	u8 hdr[SECX_HDR_LEN];

	if (rx->have >= SECX_HDR_LEN)
		return rx->have + inq >= rx->need;
	if (rx->have + inq < SECX_HDR_LEN)
		return false;
	if (rx->have)
		memcpy(hdr, rx->buf, rx->have);
	if (secx_rx_peek(sk, hdr + rx->have, SECX_HDR_LEN - rx->have))
		return false;
	if (secx_suite_check_header(rx->c.suite, hdr, &body))
		return true;	/* let the reader report it */
	return rx->have + inq >= SECX_HDR_LEN + body;
}

/*
 * A record larger than the receive buffer is pulled in pieces: only bytes
 * in order are progress (not the out-of-order queue, which also counts in
 * sk_rmem_alloc).
 */
static bool secx_rx_squeezed(struct sock *sk)
{
	return atomic_read(&sk->sk_rmem_alloc) > READ_ONCE(sk->sk_rcvbuf) / 2 && tcp_inq(sk);
}

static void secx_rx_update_ready(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_rx *rx = &ctx->rx;
	bool ready;

	ready = rx->err || rx->closed || rx->plain_off < rx->plain_end || secx_rx_urgent(sk) ||
		secx_rx_record_queued(sk, rx) || secx_rx_squeezed(sk);
	WRITE_ONCE(rx->ready, ready);
}

void secx_rx_data_ready(struct sock *sk)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);

	secx_rx_update_ready(sk, ctx);
	/* Wake readers once per record, not once per segment. */
	if (READ_ONCE(ctx->rx.ready))
		ctx->saved_data_ready(sk);
}

static int secx_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			 unsigned int offset, size_t len)
{
	struct secx_rx *rx = desc->arg.data;
	size_t n = min_t(size_t, len, desc->count);

	if (skb_copy_bits(skb, offset, rx->buf + rx->have, n)) {
		desc->error = -EFAULT;
		return -EFAULT;
	}
	rx->have += n;
	desc->count -= n;
	return n;
}

/* Move up to @want bytes of the current record from TCP into rx->buf. */
static int secx_rx_pull(struct sock *sk, struct secx_rx *rx, unsigned int want)
{
	read_descriptor_t desc = { .arg.data = rx, .count = want };
	int ret;

	if (!want || !tcp_inq(sk))
		return 0;
	if (!rx->buf) {
		/* charged to the reader's memory cgroup, freed when idle */
		rx->buf = kmalloc(SECX_MAX_RECORD, GFP_KERNEL_ACCOUNT);
		if (!rx->buf)
			return -ENOMEM;
	}
	ret = tcp_read_sock(sk, &desc, secx_rx_actor);
	rx->buf_used = max(rx->buf_used, rx->have);
	return ret < 0 ? ret : desc.error;
}

/* Open the record in rx->buf in place; leave its inner plaintext located. */
static int secx_rx_open(struct sock *sk, struct secx_ctx *ctx, unsigned int *inner)
{
	struct secx_rx *rx = &ctx->rx;
	struct secx_crypto *c = &rx->c;
	const struct secx_suite_desc *s = c->suite;
	unsigned int pre = SECX_HDR_LEN, assoclen, n = 0;
	struct scatterlist sg[2];	/* describes heap buffers only */
	int err;

	if (s->kind == SECX_KIND_CBC_HMAC) {
		pre += SECX_CBC_IV_LEN;
		assoclen = SECX_SEQ_LEN + pre;
		secx_seq_encode(rx->seqbuf, c->seq);
		memcpy(rx->iv, rx->buf + SECX_HDR_LEN, SECX_CBC_IV_LEN);
		sg_init_table(sg, 2);
		sg_set_buf(&sg[n++], rx->seqbuf, SECX_SEQ_LEN);
	} else {
		assoclen = pre;
		secx_nonce(rx->iv, c->iv, c->seq);
		sg_init_table(sg, 1);
	}
	sg_set_buf(&sg[n], rx->buf, rx->need);

	err = secx_crypto_open(c, sg, sg, assoclen, rx->need - pre, rx->iv);
	if (err)
		return err;
	*inner = rx->need - pre - s->tag_len;
	rx->plain_off = pre;
	return 0;
}

/* CBC: strip the padding the MAC already vouched for (protocol.rst). */
static int secx_rx_unpad(struct secx_rx *rx, unsigned int *inner)
{
	const u8 *p = rx->buf + rx->plain_off;
	unsigned int pad = p[*inner - 1] + 1, i;

	if (pad > SECX_CBC_BLOCK || pad >= *inner)
		return -EBADMSG;
	for (i = *inner - pad; i < *inner; i++)
		if (p[i] != pad - 1)
			return -EBADMSG;
	*inner -= pad;
	return 0;
}

/*
 * Act on one opened record of @type whose data is buf[plain_off..plain_end)
 * (protocol.rst "Record types"); returns 1, or a sticky error.
 */
static int secx_rx_process(struct sock *sk, struct secx_ctx *ctx, u8 type, unsigned int len,
			   u8 flags)
{
	struct secx_rx *rx = &ctx->rx;

	if (type == SECX_RT_DATA) {
		if (len > SECX_MAX_DATA)
			return secx_rx_abort(sk, ctx, -EMSGSIZE, true);
		rx->records++;
		rx->bytes += len;
		secx_stat_record(sock_net(sk), false, rx->c.suite->id, len);
		return 1;
	}
	/* Control records deliver nothing; @flags is their first payload byte. */
	rx->plain_off = rx->plain_end;
	if (type == SECX_RT_CLOSE && !len) {
		rx->closed = true;
		secx_stat_inc(sk, SECX_STAT_CLOSE_RECEIVED);
		return 1;
	}
	if (type == SECX_RT_ALERT && len == 1)
		return secx_rx_abort(sk, ctx, -ECONNRESET, true);
	if (type == SECX_RT_KEY_UPDATE && len == 1 && !(flags & ~SECX_KU_FLAG_REQUEST)) {
		int err = secx_rekey_rx_update(sk, ctx, flags);

		/* without a secret we cannot follow the peer: fail closed */
		if (err && err != -ENOKEY && err != -EPROTO)
			err = -EIO;
		return err ? secx_rx_abort(sk, ctx, err, true) : 1;
	}
	secx_stat_inc(sk, SECX_STAT_PROTOCOL_ERRORS);
	return secx_rx_abort(sk, ctx, -EBADMSG, true);
}

/*
 * Take the next record off TCP if it is all there.  Returns 1 when a record
 * was consumed, 0 when more bytes are needed, or a (sticky) negative errno.
 */
static int secx_rx_next_record(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_rx *rx = &ctx->rx;
	const struct secx_suite_desc *s = rx->c.suite;
	unsigned int body, inner;
	int err;

	/* A record all queued is decrypted from TCP into rx->buf: one copy less. */
	if (!rx->have && !secx_crypto_exhausted(&rx->c)) {
		err = secx_rxzc_open_buf(sk, ctx, &rx->plain_off, &inner);
		if (err != -EAGAIN)
			goto opened;
	}
	if (rx->have < SECX_HDR_LEN) {
		err = secx_rx_pull(sk, rx, SECX_HDR_LEN - rx->have);
		if (err == -ENOMEM)
			return err;	/* not sticky: nothing was consumed */
		if (err)
			return secx_rx_abort(sk, ctx, err, true);
		if (rx->have < SECX_HDR_LEN)
			return 0;
		err = secx_suite_check_header(s, rx->buf, &body);
		if (err) {
			secx_stat_inc(sk, SECX_STAT_PROTOCOL_ERRORS);
			return secx_rx_abort(sk, ctx, err, true);
		}
		rx->need = SECX_HDR_LEN + body;
	}
	err = secx_rx_pull(sk, rx, rx->need - rx->have);
	if (err)
		return secx_rx_abort(sk, ctx, err, true);
	if (rx->have < rx->need)
		return 0;

	if (secx_crypto_exhausted(&rx->c))
		return secx_rx_abort(sk, ctx, -EKEYEXPIRED, true);
	err = secx_rx_open(sk, ctx, &inner);
opened:
	if (!err && s->kind == SECX_KIND_CBC_HMAC)
		err = secx_rx_unpad(rx, &inner);
	rx->have = 0;
	rx->need = 0;
	if (err) {
		secx_stat_inc(sk, SECX_STAT_DECRYPT_ERRORS);
		/* Not one byte of a record that failed to open is delivered. */
		memzero_explicit(rx->buf, rx->buf_used);
		rx->plain_off = 0;
		rx->plain_end = 0;
		return secx_rx_abort(sk, ctx, -EBADMSG, true);
	}
	secx_crypto_advance(&rx->c);
	rx->plain_end = rx->plain_off + inner;
	rx->plain_off += SECX_TYPE_LEN;
	return secx_rx_process(sk, ctx, rx->buf[rx->plain_off - SECX_TYPE_LEN],
			       rx->plain_end - rx->plain_off,
			       rx->plain_end > rx->plain_off ? rx->buf[rx->plain_off] : 0);
}

/*
 * The zero-copy path (rxzc.c): returns data bytes delivered into @msg (0
 * for a control record), -EAGAIN when the copying path must run instead,
 * or a sticky error.
 */
static int secx_rx_next_direct(struct sock *sk, struct secx_ctx *ctx, struct msghdr *msg,
			       size_t room)
{
	unsigned int len, copied;
	u8 type, ctl;
	int err;

	err = secx_rxzc_recv(sk, ctx, &msg->msg_iter, room, &type, &len, &copied, &ctl);
	if (err == -EAGAIN)
		return err;
	if (err == -EFAULT) {
		/* taken, but part of its data could not be stored: stop here */
		secx_rx_abort(sk, ctx, err, false);
		return copied ? copied : err;
	}
	if (err) {
		secx_stat_inc(sk, SECX_STAT_DECRYPT_ERRORS);
		return secx_rx_abort(sk, ctx, -EBADMSG, true);
	}
	err = secx_rx_process(sk, ctx, type, len, ctl);
	if (err < 0)
		return err;
	return copied;
}

static void secx_rx_wait(struct sock *sk, struct secx_ctx *ctx, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	sock_owned_by_me(sk);
	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	sk_wait_event(sk, timeo, READ_ONCE(ctx->rx.ready) || READ_ONCE(sk->sk_err) ||
		      (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN), &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
}

/* Nothing more can be read now: say why (0 = clean end of stream). */
static int secx_rx_stalled(struct sock *sk, struct secx_ctx *ctx, long timeo)
{
	if (ctx->rx.closed) {
		/* Nothing may follow the close record. */
		if (tcp_inq(sk))
			return secx_rx_abort(sk, ctx, -EPROTO, true);
		return 0;
	}
	if (READ_ONCE(sk->sk_err)) {
		/*
		 * A TCP error (RST, timeout) ends the stream for good: keep
		 * it, so every later read reports the same errno rather than
		 * a truncation.  TCP's own error, not a secx one: no event,
		 * no counter, the send side sees it from TCP.
		 */
		ctx->rx.err = sock_error(sk);
		if (ctx->rx.err)
			return ctx->rx.err;
	}
	if (sk->sk_shutdown & RCV_SHUTDOWN) {
		secx_stat_inc(sk, SECX_STAT_TRUNCATIONS);
		return secx_rx_abort(sk, ctx, -ECONNABORTED, false);
	}
	if (!timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(timeo);
	return 1;	/* worth waiting */
}

static int secx_rx_copy(struct secx_rx *rx, struct msghdr *msg, size_t len, bool peek)
{
	size_t n = min_t(size_t, len, rx->plain_end - rx->plain_off);

	if (copy_to_iter(rx->buf + rx->plain_off, n, &msg->msg_iter) != n)
		return -EFAULT;
	if (!peek)
		rx->plain_off += n;
	return n;
}

static int secx_rx_do_recvmsg(struct sock *sk, struct secx_ctx *ctx, struct msghdr *msg,
			      size_t len, int flags)
{
	struct secx_rx *rx = &ctx->rx;
	long timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	int target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	int copied = 0, err = 0;

	sock_owned_by_me(sk);
	while (copied < len) {
		if (rx->plain_off < rx->plain_end) {
			err = secx_rx_copy(rx, msg, len - copied, flags & MSG_PEEK);
			if (err < 0)
				break;
			copied += err;
			err = 0;
			/* A peek shows one record and leaves it in place. */
			if (flags & MSG_PEEK)
				break;
			continue;
		}
		if (rx->err) {
			err = rx->err;
			break;
		}
		if (rx->closed) {
			/* Nothing may follow the close record. */
			if (tcp_inq(sk))
				err = secx_rx_abort(sk, ctx, -EPROTO, true);
			break;
		}
		if (secx_rx_urgent(sk)) {
			/* Records are opened before the mark is read: refuse. */
			secx_stat_inc(sk, SECX_STAT_PROTOCOL_ERRORS);
			err = secx_rx_abort(sk, ctx, -EPROTO, true);
			break;
		}
		if (!(flags & MSG_PEEK) && user_backed_iter(&msg->msg_iter)) {
			err = secx_rx_next_direct(sk, ctx, msg, len - copied);
			if (err >= 0) {
				copied += err;
				continue;
			}
			if (err != -EAGAIN)
				break;
			/*
			 * Leave a record that is not all there in the TCP
			 * queue (unless it must be pulled to make room), so
			 * that it too goes straight to the reader once it is.
			 */
			err = 0;
			if (rx->have || secx_rx_record_queued(sk, rx) || secx_rx_squeezed(sk))
				err = secx_rx_next_record(sk, ctx);
		} else {
			err = secx_rx_next_record(sk, ctx);
		}
		if (err < 0)
			break;
		if (err > 0)
			continue;
		if (copied && copied >= target)
			break;
		err = secx_rx_stalled(sk, ctx, timeo);
		if (err <= 0)
			break;
		err = 0;
		/* Re-evaluate readiness under the lock: sleep unless progress. */
		secx_rx_update_ready(sk, ctx);
		if (!READ_ONCE(rx->ready))
			secx_rx_wait(sk, ctx, &timeo);
	}
	if (err > 0)
		err = 0;
	return copied ? copied : err;
}

int secx_rx_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	int ret;

	if (unlikely(flags & MSG_ERRQUEUE))
		return inet_recv_error(sk, msg, len, addr_len);	/* IP or IPv6 */
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	might_sleep();
	lock_sock(sk);
	ret = secx_rx_do_recvmsg(sk, ctx, msg, len, flags);
	secx_rx_idle(&ctx->rx);
	secx_rx_update_ready(sk, ctx);
	release_sock(sk);
	return ret;
}

__poll_t secx_rx_poll(struct file *file, struct socket *sock, struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = tcp_poll(file, sock, wait);
	struct secx_ctx *ctx;

	rcu_read_lock();
	ctx = rcu_dereference(inet_csk(sk)->icsk_ulp_data);
	if (ctx && ctx->rx_conf) {
		/* Readable only when a whole record (or an error, or EOF) waits. */
		if (READ_ONCE(ctx->rx.ready))
			mask |= EPOLLIN | EPOLLRDNORM;
		else if (!(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN))
			mask &= ~(EPOLLIN | EPOLLRDNORM);
	}
	rcu_read_unlock();
	return mask;
}

bool secx_rx_sock_is_readable(struct sock *sk)
{
	struct secx_ctx *ctx;
	bool ready = false;

	rcu_read_lock();
	ctx = rcu_dereference(inet_csk(sk)->icsk_ulp_data);
	if (ctx)
		ready = READ_ONCE(ctx->rx.ready);
	rcu_read_unlock();
	return ready;
}

static const struct pipe_buf_operations secx_pipe_buf_ops = {
	.release = generic_pipe_buf_release,
	.try_steal = generic_pipe_buf_try_steal,
	.get = generic_pipe_buf_get,
};

/* splice(socket -> pipe): decrypted data in a fresh page per call. */
ssize_t secx_rx_splice_read(struct socket *sock, loff_t *ppos, struct pipe_inode_info *pipe,
			    size_t len, unsigned int flags)
{
	struct pipe_buffer buf = { .ops = &secx_pipe_buf_ops };
	struct msghdr msg = {};
	struct kvec kv;
	int ret, addr_len, rflags = 0;

	if (!pipe->readers) {
		send_sig(SIGPIPE, current, 0);
		return -EPIPE;
	}
	/* Check first: data taken off the socket must fit in the pipe. */
	if (pipe_full(pipe->head, pipe->tail, pipe->max_usage))
		return -EAGAIN;
	if ((flags & SPLICE_F_NONBLOCK) || (sock->file->f_flags & O_NONBLOCK))
		rflags = MSG_DONTWAIT;

	buf.page = alloc_page(GFP_KERNEL);
	if (!buf.page)
		return -ENOMEM;
	kv.iov_base = page_address(buf.page);
	kv.iov_len = min_t(size_t, len, PAGE_SIZE);
	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &kv, 1, kv.iov_len);
	ret = secx_rx_recvmsg(sock->sk, &msg, kv.iov_len, rflags, &addr_len);
	if (ret <= 0) {
		put_page(buf.page);
		return ret;
	}
	buf.len = ret;
	return add_to_pipe(pipe, &buf);
}

/*
 * SIOCINQ would count ciphertext and record framing: refused once the
 * receive keys are in (api.rst); everything else is TCP's.
 */
int secx_rx_ioctl(struct sock *sk, int cmd, SECX_IOCTL_ARG arg)
{
	if (cmd == SIOCINQ)
		return -EOPNOTSUPP;
	return secx_get_ctx(sk)->sk_proto->ioctl(sk, cmd, arg);
}

/*
 * SO_RCVLOWAT would set TCP's wake-up threshold in ciphertext bytes, and a
 * reader holding part of a record could then miss its wake-up: refused
 * once the receive keys are in (api.rst).
 */
int secx_rx_set_rcvlowat(struct sock *sk, int val)
{
	return -EOPNOTSUPP;
}

int secx_rx_init(struct sock *sk, struct secx_ctx *ctx)
{
	struct secx_rx *rx = &ctx->rx;

	sock_owned_by_me(sk);
	/* a threshold set on the plain socket counted ciphertext: drop it */
	WRITE_ONCE(sk->sk_rcvlowat, 1);

	write_lock_bh(&sk->sk_callback_lock);
	ctx->saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = secx_rx_data_ready;
	ctx->rx_conf = 1;
	secx_ulp_update_prot(sk, ctx);
	write_unlock_bh(&sk->sk_callback_lock);
	secx_stat_inc(sk, SECX_STAT_CURR_RX);

	/* Records that arrived before the keys are parsed like any other. */
	secx_rx_update_ready(sk, ctx);
	if (rx->ready)
		ctx->saved_data_ready(sk);
	return 0;
}

void secx_rx_release(struct sock *sk, struct secx_ctx *ctx)
{
	if (!ctx->rx_conf)
		return;
	if (ctx->rx.buf) {
		memzero_explicit(ctx->rx.buf, ctx->rx.buf_used);
		kfree(ctx->rx.buf);
	}
	secx_crypto_free(&ctx->rx.c);
	secx_stat_add(sock_net(sk), SECX_STAT_CURR_RX, -1);
}
