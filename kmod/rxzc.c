// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy receive: open a record where it lies in the TCP receive queue
 * and decrypt it straight into the reader's pages, so the payload crosses
 * memory once (the decryption itself) instead of being copied out of TCP,
 * decrypted, and copied again.  Every suite takes it: AEAD suites put the
 * whole data there; CBC suites all but the last block, which holds the
 * padding and is decrypted into a 16-byte scratch block, checked, and its
 * data bytes (at most 15) copied after the rest.
 *
 * Taken only when it is safe and simple: the whole record is queued, the
 * reader's buffer takes its data (CBC: all but the last block's), the read
 * is not a peek, and no skb needs more scatterlist entries than we keep.
 * Otherwise rx.c's copying path runs, with identical results.  The skb
 * pages are only read (on loopback they are the sender's own pages);
 * nothing is written to them.
 *
 * AEAD suites: the cipher writes into the reader's buffer before the tag
 * is checked (the AEAD API verifies after decrypting): until the tag fails
 * those bytes hold unverified plaintext, visible to other threads of the
 * reader's process that look at the buffer during the call.  CBC suites
 * (authenc) verify the MAC before decrypting anything, but padding that
 * the MAC vouches for can still be malformed.  Either way, a record that
 * fails has its bytes in the reader's buffer zeroed before the error is
 * reported: no forged or undelivered plaintext is ever left behind
 * (Documentation/api.rst, "Receiving").
 *
 * The reader's pages are pinned (FOLL_PIN, iov_iter_extract_pages) where
 * the kernel has it, referenced before 6.3, and dirtied once written.  The
 * scatterlists live in a per-call allocation, like kTLS's, so an idle
 * socket pays nothing for them.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "secx.h"

/* Describe @len queued bytes from copied_seq on; return entries or -EAGAIN. */
static int secx_rxzc_src(struct sock *sk, struct scatterlist *sg, int nsg, unsigned int len)
{
	u32 seq = tcp_sk(sk)->copied_seq;
	struct sk_buff *skb;
	int n = 0;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 offset = seq - TCP_SKB_CB(skb)->seq;
		unsigned int chunk;
		int ret;

		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN)
			offset--;
		if (offset >= skb->len)
			continue;
		/* bound the entries before writing them */
		if (skb_has_frag_list(skb) || n + 1 + skb_shinfo(skb)->nr_frags > nsg)
			return -EAGAIN;
		chunk = min_t(unsigned int, len, skb->len - offset);
		ret = skb_to_sgvec_nomark(skb, sg + n, offset, chunk);
		if (ret <= 0)
			return -EAGAIN;
		n += ret;
		len -= chunk;
		seq += chunk;
		if (!len) {
			sg_mark_end(&sg[n - 1]);
			return n;
		}
	}
	return -EAGAIN;
}

/*
 * Pin exactly @len bytes of the reader's buffer and describe them in @sg.
 * Returns the number of pages, or -(pages pinned + 1) if @len could not be
 * reached (the caller releases those and reverts @to by *@pinned).
 */
static int secx_rxzc_pin(struct iov_iter *to, struct page **pages, int maxpages,
			 struct scatterlist *sg, size_t len, size_t *pinned)
{
	int np = 0;

	*pinned = 0;
	while (*pinned < len && np < maxpages) {
		size_t off, left;
		ssize_t got = secx_extract_pages(to, pages + np, len - *pinned,
						 maxpages - np, &off);

		if (got <= 0)
			break;
		*pinned += got;
		for (left = got; left; np++) {
			unsigned int n = min_t(size_t, left, PAGE_SIZE - off);

			sg_set_page(&sg[np], pages[np], n, off);
			left -= n;
			off = 0;
		}
	}
	if (*pinned < len)
		return -np - 1;
	return np;
}

/* Per-call state: the record where it lies, and where it goes. */
struct secx_rxzc {
	struct scatterlist src[SECX_RXZC_SRC_SG + 1];
	struct scatterlist dst[SECX_RXZC_PAGES + 4];
	struct page *pages[SECX_RXZC_PAGES];
	u8 seq[SECX_SEQ_LEN];		/* CBC: the implicit sequence number */
	u8 aad[SECX_SEQ_LEN + SECX_HDR_LEN + SECX_CBC_IV_LEN];
	u8 type;
	u8 tail[SECX_CBC_BLOCK];	/* CBC: the last block, padding included */
};

/*
 * CBC: check the padding at the end of the last plaintext block
 * (protocol.rst: p + 1 bytes of value p, p < 16); set *@pad to p + 1.
 * Every byte of the block is looked at whatever the values, without a
 * branch on them.  The MAC has already been verified, so this reveals
 * nothing an attacker could not read from the plaintext anyway.
 */
static int secx_rxzc_unpad(const u8 *tail, unsigned int *pad)
{
	unsigned int p = tail[SECX_CBC_BLOCK - 1], i;
	u8 bad = p >= SECX_CBC_BLOCK;

	for (i = 0; i < SECX_CBC_BLOCK; i++) {
		u8 in = -(u8)(SECX_CBC_BLOCK - 1 - i <= p);

		bad |= in & (tail[i] ^ (u8)p);
	}
	*pad = p + 1;
	return bad ? -EBADMSG : 0;
}

/* Zero what the cipher wrote into the reader's pages. */
static void secx_rxzc_wipe(struct scatterlist *sg, int n)
{
	int i;

	for (i = 0; i < n; i++)
		memzero_page(sg_page(&sg[i]), sg[i].offset, sg[i].length);
}

/* The first byte written to the reader's pages (a control record's payload). */
static u8 secx_rxzc_first_byte(struct scatterlist *sg)
{
	u8 *p = kmap_local_page(sg_page(sg));
	u8 b = p[sg->offset];

	kunmap_local(p);
	return b;
}

static int secx_rxzc_skip_actor(read_descriptor_t *desc, struct sk_buff *skb,
				unsigned int offset, size_t len)
{
	size_t n = min_t(size_t, len, desc->count);

	desc->count -= n;
	return n;
}

/* The record has been used: let TCP free it and open its window. */
static void secx_rxzc_consume(struct sock *sk, unsigned int len)
{
	read_descriptor_t desc = { .count = len };

	tcp_read_sock(sk, &desc, secx_rxzc_skip_actor);
}

/*
 * CBC: the last plaintext block was decrypted aside (zc->tail).  Put its
 * @tdata data bytes after those already in the reader's buffer, as far as
 * @room goes; the rest waits in rx->buf (allocated beforehand) for the next
 * read.  Returns the bytes delivered, or -EFAULT if some could be neither
 * delivered nor kept.
 */
static int secx_rxzc_tail(struct secx_rx *rx, struct secx_rxzc *zc, struct iov_iter *to,
			  size_t room, unsigned int tdata)
{
	unsigned int n = min_t(size_t, tdata, room), got;

	got = copy_to_iter(zc->tail, n, to);
	if (got < tdata) {
		if (!rx->buf)
			return -EFAULT;
		memcpy(rx->buf, zc->tail + got, tdata - got);
		rx->buf_used = max(rx->buf_used, tdata - got);
		rx->plain_off = 0;
		rx->plain_end = tdata - got;
	}
	return got;
}

/*
 * Try to take the next record straight into @to (at most @room bytes).
 * Returns -EAGAIN if this path does not apply (nothing consumed, @to
 * untouched); 0 when the record was taken, with its @type and data @len
 * (DATA: *@copied of them delivered into @to, the rest, CBC only, waiting
 * in rx->buf; control, or DATA longer than a record may carry: nothing
 * delivered, first payload byte in *@ctl); or the error of a record that
 * failed to open or (CBC) to unpad: nothing delivered.  -EFAULT: the
 * record was taken, *@copied bytes delivered, the rest lost.
 *
 * AEAD suites: header -> AAD scratch, type -> scratch, data -> reader.
 * CBC suites (authenc: the MAC over seq || header || IV || ciphertext is
 * verified before anything is decrypted): the last block, which holds the
 * padding, goes to scratch and is checked there; the data bytes in it are
 * copied after the rest (at most 15 bytes).
 */
int secx_rxzc_recv(struct sock *sk, struct secx_ctx *ctx, struct iov_iter *to, size_t room,
		   u8 *type, unsigned int *len, unsigned int *copied, u8 *ctl)
{
	struct secx_rx *rx = &ctx->rx;
	struct secx_crypto *c = &rx->c;
	const struct secx_suite_desc *s = c->suite;
	bool cbc = s->kind == SECX_KIND_CBC_HMAC;
	unsigned int pre = SECX_HDR_LEN + (cbc ? SECX_CBC_IV_LEN : 0);
	unsigned int assoclen = pre + (cbc ? SECX_SEQ_LEN : 0);
	unsigned int body, need, ct, direct, data, pad = 0;
	struct secx_rxzc *zc;
	size_t pinned;
	u8 hdr[SECX_HDR_LEN + SECX_CBC_IV_LEN];
	int ns = 0, nsrc, nd = 0, np, err;

	sock_owned_by_me(sk);
	if (rx->have || secx_crypto_exhausted(c) || tcp_inq(sk) < pre ||
	    secx_rx_peek(sk, hdr, pre) || secx_suite_check_header(s, hdr, &body))
		return -EAGAIN;
	need = SECX_HDR_LEN + body;
	ct = body - (pre - SECX_HDR_LEN) - s->tag_len;
	if (cbc) {
		/* a block besides the last, which is decrypted aside */
		if (ct < 2 * SECX_CBC_BLOCK)
			return -EAGAIN;
		direct = ct - SECX_TYPE_LEN - SECX_CBC_BLOCK;
	} else {
		direct = ct - SECX_TYPE_LEN;
	}
	if (!direct || direct > room || tcp_inq(sk) < need)
		return -EAGAIN;
	/* CBC: up to 15 data bytes of the last block may not fit: keep them */
	if (cbc && room - direct < SECX_CBC_BLOCK - 1 && !rx->buf) {
		rx->buf = kmalloc(SECX_MAX_RECORD, GFP_KERNEL_ACCOUNT);
		if (!rx->buf)
			return -EAGAIN;		/* the copying path reports ENOMEM */
	}

	zc = kmalloc(sizeof(*zc), GFP_KERNEL);
	if (!zc)
		return -EAGAIN;
	sg_init_table(zc->src, ARRAY_SIZE(zc->src));
	if (cbc) {
		secx_seq_encode(zc->seq, c->seq);
		sg_set_buf(&zc->src[ns++], zc->seq, SECX_SEQ_LEN);
	}
	nsrc = secx_rxzc_src(sk, zc->src + ns, ARRAY_SIZE(zc->src) - ns, need);
	if (nsrc < 0) {
		err = -EAGAIN;
		goto out;
	}

	/* dst: AAD and type into scratch, the data into the reader */
	sg_init_table(zc->dst, ARRAY_SIZE(zc->dst));
	sg_set_buf(&zc->dst[nd++], zc->aad, assoclen);
	sg_set_buf(&zc->dst[nd++], &zc->type, SECX_TYPE_LEN);
	np = secx_rxzc_pin(to, zc->pages, SECX_RXZC_PAGES, zc->dst + nd, direct, &pinned);
	if (np < 0) {
		secx_release_pages(to, zc->pages, -np - 1, false);
		iov_iter_revert(to, pinned);
		err = -EAGAIN;
		goto out;
	}
	nd += np;
	if (cbc)
		sg_set_buf(&zc->dst[nd++], zc->tail, SECX_CBC_BLOCK);
	sg_mark_end(&zc->dst[nd - 1]);

	if (cbc)
		memcpy(rx->iv, hdr + SECX_HDR_LEN, SECX_CBC_IV_LEN);
	else
		secx_nonce(rx->iv, c->iv, c->seq);
	secx_stat_inc(sk, SECX_STAT_RX_ZEROCOPY_RECORDS);
	err = secx_crypto_open(c, zc->src, zc->dst, assoclen, body - (pre - SECX_HDR_LEN),
			       rx->iv);
	if (!err && cbc)
		err = secx_rxzc_unpad(zc->tail, &pad);
	if (err) {
		secx_rxzc_wipe(zc->dst + 2, np);
		secx_release_pages(to, zc->pages, np, true);
		iov_iter_revert(to, pinned);
		goto wipe;
	}
	secx_crypto_advance(c);
	/* the record is used up whatever it says */
	secx_rxzc_consume(sk, need);

	data = direct + (cbc ? SECX_CBC_BLOCK - pad : 0);
	*type = zc->type;
	*len = data;
	*copied = 0;
	*ctl = 0;
	if (*type != SECX_RT_DATA || data > SECX_MAX_DATA) {
		/* Deliver nothing; rx.c acts on it. */
		*ctl = secx_rxzc_first_byte(zc->dst + 2);
		secx_rxzc_wipe(zc->dst + 2, np);
		secx_release_pages(to, zc->pages, np, true);
		iov_iter_revert(to, pinned);
		goto wipe;
	}
	secx_release_pages(to, zc->pages, np, true);
	*copied = direct;
	if (cbc) {
		err = secx_rxzc_tail(rx, zc, to, room - direct, data - direct);
		if (err >= 0) {
			*copied += err;
			err = 0;
		}
	}
wipe:
	if (cbc)
		memzero_explicit(zc->tail, sizeof(zc->tail));
out:
	kfree(zc);
	return err;
}

/* Per-call state of secx_rxzc_open_buf(). */
struct secx_rxzc_buf {
	struct scatterlist src[SECX_RXZC_SRC_SG + 1];
	struct scatterlist dst[2];
	u8 seq[SECX_SEQ_LEN];
	u8 aad[SECX_SEQ_LEN + SECX_HDR_LEN + SECX_CBC_IV_LEN];
};

/*
 * For readers the zero-copy path cannot serve (MSG_PEEK, kernel buffers,
 * buffers smaller than the record): decrypt the record at the head of the
 * TCP queue into rx->buf, at the offsets rx.c's copying path uses (inner
 * plaintext from @pre on), instead of copying it there first and decrypting
 * in place.  Returns -EAGAIN if the record is not all queued, its header is
 * bad, its fragments are too many or memory is short (rx.c pulls it as
 * before and reports what is wrong); else the result of the open, with the
 * record consumed on success and its @inner length set.
 */
int secx_rxzc_open_buf(struct sock *sk, struct secx_ctx *ctx, unsigned int *pre,
		       unsigned int *inner)
{
	struct secx_rx *rx = &ctx->rx;
	struct secx_crypto *c = &rx->c;
	const struct secx_suite_desc *s = c->suite;
	bool cbc = s->kind == SECX_KIND_CBC_HMAC;
	unsigned int hlen = SECX_HDR_LEN + (cbc ? SECX_CBC_IV_LEN : 0);
	unsigned int assoclen = hlen + (cbc ? SECX_SEQ_LEN : 0);
	unsigned int body, need;
	struct secx_rxzc_buf *zb;
	u8 hdr[SECX_HDR_LEN + SECX_CBC_IV_LEN];
	int ns = 0, err;

	sock_owned_by_me(sk);
	if (rx->have || tcp_inq(sk) < hlen || secx_rx_peek(sk, hdr, hlen) ||
	    secx_suite_check_header(s, hdr, &body))
		return -EAGAIN;
	need = SECX_HDR_LEN + body;
	if (tcp_inq(sk) < need)
		return -EAGAIN;
	if (!rx->buf) {
		/* charged to the reader's memory cgroup, freed when idle */
		rx->buf = kmalloc(SECX_MAX_RECORD, GFP_KERNEL_ACCOUNT);
		if (!rx->buf)
			return -EAGAIN;
	}
	zb = kmalloc(sizeof(*zb), GFP_KERNEL);
	if (!zb)
		return -EAGAIN;
	sg_init_table(zb->src, ARRAY_SIZE(zb->src));
	if (cbc) {
		secx_seq_encode(zb->seq, c->seq);
		sg_set_buf(&zb->src[ns++], zb->seq, SECX_SEQ_LEN);
	}
	if (secx_rxzc_src(sk, zb->src + ns, ARRAY_SIZE(zb->src) - ns, need) < 0) {
		err = -EAGAIN;
		goto out;
	}
	sg_init_table(zb->dst, 2);
	sg_set_buf(&zb->dst[0], zb->aad, assoclen);
	sg_set_buf(&zb->dst[1], rx->buf + hlen, need - hlen);

	if (cbc)
		memcpy(rx->iv, hdr + SECX_HDR_LEN, SECX_CBC_IV_LEN);
	else
		secx_nonce(rx->iv, c->iv, c->seq);
	/* whatever the cipher writes is wiped with the buffer */
	rx->buf_used = max(rx->buf_used, need);
	err = secx_crypto_open(c, zb->src, zb->dst, assoclen, need - hlen, rx->iv);
	if (!err) {
		secx_rxzc_consume(sk, need);
		*pre = hlen;
		*inner = need - hlen - s->tag_len;
	}
out:
	kfree(zb);
	return err;
}
