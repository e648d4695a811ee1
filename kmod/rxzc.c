// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy receive for AEAD suites: open a record where it lies in the TCP
 * receive queue and decrypt it straight into the reader's pages, so the
 * payload crosses memory once (the decryption itself) instead of being
 * copied out of TCP, decrypted, and copied again.
 *
 * Taken only when it is safe and simple: the whole record is queued, the
 * reader's buffer takes all of it, the read is not a peek, and no skb needs
 * more scatterlist entries than we keep.  Otherwise rx.c's copying path
 * runs, with identical results.  The skb pages are only read (on loopback
 * they are the sender's own pages); nothing is written to them.
 *
 * If the tag does not verify, the bytes the cipher wrote into the reader's
 * buffer are zeroed before the error is reported: no forged plaintext is
 * ever left behind.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "secx.h"

/* Describe @len queued bytes from copied_seq on; return entries or -EAGAIN. */
static int secx_rxzc_src(struct sock *sk, struct scatterlist *sg, int nsg, unsigned int len)
{
	u32 seq = tcp_sk(sk)->copied_seq;
	struct sk_buff *skb;
	int n = 0;

	sg_init_table(sg, nsg);
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
		ssize_t got = iov_iter_get_pages2(to, pages + np, len - *pinned,
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

static void secx_rxzc_unpin(struct page **pages, int np, bool dirty)
{
	int i;

	for (i = 0; i < np; i++) {
		if (dirty)
			set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
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
 * Try to take the next record straight into @to (at most @room bytes).
 * Returns -EAGAIN if this path does not apply (nothing consumed, @to
 * untouched); 0 when the record was taken, with its @type and data @len
 * (DATA: delivered into @to; control: first payload byte in rx->buf[1]);
 * or the error of a record that failed to open.
 */
int secx_rxzc_recv(struct sock *sk, struct secx_ctx *ctx, struct iov_iter *to, size_t room,
		   u8 *type, unsigned int *len)
{
	struct secx_rx *rx = &ctx->rx;
	struct secx_crypto *c = &rx->c;
	const struct secx_suite_desc *s = c->suite;
	struct page *pages[SECX_RXZC_PAGES];
	unsigned int body, need, data;
	size_t pinned;
	u8 hdr[SECX_HDR_LEN];
	int nsrc, np, err;

	if (s->kind != SECX_KIND_AEAD || rx->have || secx_crypto_exhausted(c) ||
	    tcp_inq(sk) < SECX_HDR_LEN || secx_rx_peek(sk, hdr, SECX_HDR_LEN) ||
	    secx_hdr_decode(hdr, secx_suite_min_body(s), secx_suite_max_body(s), &body))
		return -EAGAIN;
	need = SECX_HDR_LEN + body;
	data = body - s->tag_len - SECX_TYPE_LEN;
	if (!data || data > room || tcp_inq(sk) < need)
		return -EAGAIN;

	nsrc = secx_rxzc_src(sk, rx->zc_src, ARRAY_SIZE(rx->zc_src), need);
	if (nsrc < 0)
		return -EAGAIN;

	/* dst: header (AAD) and type into scratch, the data into the reader */
	sg_init_table(rx->zc_dst, ARRAY_SIZE(rx->zc_dst));
	sg_set_buf(&rx->zc_dst[0], rx->zc_aad, SECX_HDR_LEN);
	sg_set_buf(&rx->zc_dst[1], &rx->zc_type, SECX_TYPE_LEN);
	np = secx_rxzc_pin(to, pages, SECX_RXZC_PAGES, rx->zc_dst + 2, data, &pinned);
	if (np < 0) {
		secx_rxzc_unpin(pages, -np - 1, false);
		iov_iter_revert(to, pinned);
		return -EAGAIN;
	}
	sg_mark_end(&rx->zc_dst[1 + np]);

	secx_nonce(rx->iv, c->iv, c->seq);
	err = secx_crypto_open(c, rx->zc_src, rx->zc_dst, SECX_HDR_LEN, body, rx->iv);
	if (err) {
		secx_rxzc_wipe(rx->zc_dst + 2, np);
		secx_rxzc_unpin(pages, np, true);
		iov_iter_revert(to, pinned);
		return err;
	}
	secx_crypto_advance(c);

	*type = rx->zc_type;
	*len = data;
	if (*type != SECX_RT_DATA) {
		/* Control records deliver nothing; rx.c acts on them. */
		rx->buf[1] = secx_rxzc_first_byte(rx->zc_dst + 2);
		secx_rxzc_wipe(rx->zc_dst + 2, np);
		iov_iter_revert(to, pinned);
	}
	secx_rxzc_unpin(pages, np, *type == SECX_RT_DATA);
	secx_rxzc_consume(sk, need);
	return 0;
}
