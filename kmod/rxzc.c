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
 * The cipher writes into the reader's buffer before the tag is checked (the
 * AEAD API verifies after decrypting): until the tag fails those bytes hold
 * unverified plaintext, visible to other threads of the reader's process
 * that look at the buffer during the call.  If the tag does not verify they
 * are zeroed before the error is reported: no forged plaintext is ever left
 * behind (Documentation/api.rst, "Receiving").
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
	struct scatterlist src[SECX_RXZC_SRC_SG];
	struct scatterlist dst[SECX_RXZC_PAGES + 3];
	struct page *pages[SECX_RXZC_PAGES];
	u8 aad[SECX_HDR_LEN];
	u8 type;
};

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
 * (DATA: delivered into @to; control: first payload byte in *@ctl);
 * or the error of a record that failed to open.
 */
int secx_rxzc_recv(struct sock *sk, struct secx_ctx *ctx, struct iov_iter *to, size_t room,
		   u8 *type, unsigned int *len, u8 *ctl)
{
	struct secx_rx *rx = &ctx->rx;
	struct secx_crypto *c = &rx->c;
	const struct secx_suite_desc *s = c->suite;
	unsigned int body, need, data;
	struct secx_rxzc *zc;
	size_t pinned;
	u8 hdr[SECX_HDR_LEN];
	int nsrc, np, err;

	sock_owned_by_me(sk);
	if (s->kind != SECX_KIND_AEAD || rx->have || secx_crypto_exhausted(c) ||
	    tcp_inq(sk) < SECX_HDR_LEN || secx_rx_peek(sk, hdr, SECX_HDR_LEN) ||
	    secx_hdr_decode(hdr, secx_suite_min_body(s), secx_suite_max_body(s), &body))
		return -EAGAIN;
	need = SECX_HDR_LEN + body;
	data = body - s->tag_len - SECX_TYPE_LEN;
	if (!data || data > room || tcp_inq(sk) < need)
		return -EAGAIN;

	zc = kmalloc(sizeof(*zc), GFP_KERNEL);
	if (!zc)
		return -EAGAIN;		/* the copying path reports ENOMEM */
	nsrc = secx_rxzc_src(sk, zc->src, ARRAY_SIZE(zc->src), need);
	if (nsrc < 0) {
		err = -EAGAIN;
		goto out;
	}

	/* dst: header (AAD) and type into scratch, the data into the reader */
	sg_init_table(zc->dst, ARRAY_SIZE(zc->dst));
	sg_set_buf(&zc->dst[0], zc->aad, SECX_HDR_LEN);
	sg_set_buf(&zc->dst[1], &zc->type, SECX_TYPE_LEN);
	np = secx_rxzc_pin(to, zc->pages, SECX_RXZC_PAGES, zc->dst + 2, data, &pinned);
	if (np < 0) {
		secx_release_pages(to, zc->pages, -np - 1, false);
		iov_iter_revert(to, pinned);
		err = -EAGAIN;
		goto out;
	}
	sg_mark_end(&zc->dst[1 + np]);

	secx_nonce(rx->iv, c->iv, c->seq);
	err = secx_crypto_open(c, zc->src, zc->dst, SECX_HDR_LEN, body, rx->iv);
	if (err) {
		secx_rxzc_wipe(zc->dst + 2, np);
		secx_release_pages(to, zc->pages, np, true);
		iov_iter_revert(to, pinned);
		goto out;
	}
	secx_crypto_advance(c);

	*type = zc->type;
	*len = data;
	*ctl = 0;
	if (*type != SECX_RT_DATA) {
		/* Control records deliver nothing; rx.c acts on them. */
		*ctl = secx_rxzc_first_byte(zc->dst + 2);
		secx_rxzc_wipe(zc->dst + 2, np);
		iov_iter_revert(to, pinned);
	}
	/* written either way: plaintext, or zeroes over a control record */
	secx_release_pages(to, zc->pages, np, true);
	secx_rxzc_consume(sk, need);
out:
	kfree(zc);
	return err;
}
