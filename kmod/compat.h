/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernel generations secx supports lives here,
 * behind a feature name set by the probes in Kbuild:
 *
 *   SECX_HAVE_SENDPAGE	   6.1: ->sendpage exists; sendfile()/splice reach
 *			   the socket page by page and TCP takes pages through
 *			   do_tcp_sendpages().
 *   (not set)		   6.5+: splice uses sendmsg(MSG_SPLICE_PAGES) and
 *			   ->splice_eof; TCP takes pages the same way.
 *   SECX_HAVE_CRYPTO_HAS_AEAD  6.3+: crypto_has_aead(); before, the generic
 *			   crypto_has_alg() with the AEAD type does the same.
 *   SECX_HAVE_IOCTL_KARG  6.5+: proto->ioctl takes an int *karg, not the
 *			   user pointer as unsigned long.
 *   SECX_HAVE_EXTRACT_PAGES  6.3+: iov_iter_extract_pages() pins user pages
 *			   (FOLL_PIN); before, iov_iter_get_pages2() takes refs.
 */
#ifndef SECX_COMPAT_H
#define SECX_COMPAT_H

#include <crypto/aead.h>
#include <linux/bvec.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <net/tcp.h>

/*
 * The probes must agree with the kernel generation, or a hook TCP still has
 * would be left in our tables and send plaintext: ->sendpage went away in
 * 6.5, ->splice_eof and MSG_SPLICE_PAGES came then (Debian's 6.1 has them
 * backported next to ->sendpage, which is why versions alone cannot say).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0) && !defined(SECX_HAVE_SENDPAGE)
#error "secx: kernel before 6.5 without a detected ->sendpage: probe.sh is wrong"
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0) && \
	(defined(SECX_HAVE_SENDPAGE) || !defined(SECX_HAVE_SPLICE_EOF) || \
	 !defined(SECX_HAVE_MSG_SPLICE_PAGES))
#error "secx: 6.5+ kernel whose probed splice hooks do not match: probe.sh is wrong"
#endif
/* and with the flags the headers define (checked before the fallbacks below) */
#if defined(MSG_SENDPAGE_NOTLAST) != defined(SECX_HAVE_SENDPAGE)
#error "secx: MSG_SENDPAGE_NOTLAST and the ->sendpage probe disagree: probe.sh is wrong"
#endif
#if defined(MSG_SPLICE_PAGES) != defined(SECX_HAVE_MSG_SPLICE_PAGES)
#error "secx: MSG_SPLICE_PAGES and its probe disagree: probe.sh is wrong"
#endif
#if defined(SECX_HAVE_SENDPAGE) && !defined(SECX_HAVE_SENDPAGE_LOCKED)
#error "secx: ->sendpage without ->sendpage_locked: probe.sh is wrong"
#endif

#ifndef MSG_SPLICE_PAGES
#define MSG_SPLICE_PAGES 0
#endif
#ifndef MSG_SENDPAGE_NOTLAST
#define MSG_SENDPAGE_NOTLAST 0
#endif

#ifdef CONFIG_MEMCG
static inline struct mem_cgroup *secx_sk_memcg(const struct sock *sk)
{
	return sk->sk_memcg;
}
#else
static inline struct mem_cgroup *secx_sk_memcg(const struct sock *sk)
{
	return NULL;
}
#endif

/* Hand one page fragment we own to TCP by reference (no copy). */
static inline int secx_tcp_send_page(struct sock *sk, struct page *page,
				     int offset, size_t size, int flags)
{
#ifdef SECX_HAVE_SENDPAGE
	return do_tcp_sendpages(sk, page, offset, size, flags);
#else
	struct msghdr msg = { .msg_flags = flags | MSG_SPLICE_PAGES };
	struct bio_vec bvec;

	bvec_set_page(&bvec, page, size, offset);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, size);
	return tcp_sendmsg_locked(sk, &msg, size);
#endif
}

/* "More data follows" as the splice machinery of each generation says it. */
static inline bool secx_flags_more(int flags)
{
	return flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST);
}

/* Can the crypto API instantiate the AEAD @name (loading modules if need be)? */
static inline bool secx_crypto_has_aead(const char *name)
{
#ifdef SECX_HAVE_CRYPTO_HAS_AEAD
	return crypto_has_aead(name, 0, 0) > 0;
#else
	return crypto_has_alg(name, CRYPTO_ALG_TYPE_AEAD, CRYPTO_ALG_TYPE_MASK) > 0;
#endif
}

#ifdef SECX_HAVE_IOCTL_KARG
#define SECX_IOCTL_ARG	int *
#else
#define SECX_IOCTL_ARG	unsigned long
#endif

/*
 * Take the pages behind up to @maxsize bytes of @i into @pages (advancing
 * @i), pinned for DMA-like writes where the kernel can; release them with
 * secx_release_pages().
 */
static inline ssize_t secx_extract_pages(struct iov_iter *i, struct page **pages,
					 size_t maxsize, unsigned int maxpages, size_t *off)
{
#ifdef SECX_HAVE_EXTRACT_PAGES
	return iov_iter_extract_pages(i, &pages, maxsize, maxpages, 0, off);
#else
	return iov_iter_get_pages2(i, pages, maxsize, maxpages, off);
#endif
}

/* Release pages from secx_extract_pages() of @i, dirtying them if written. */
static inline void secx_release_pages(const struct iov_iter *i, struct page **pages,
				      unsigned int n, bool dirty)
{
	unsigned int k;

#ifdef SECX_HAVE_EXTRACT_PAGES
	if (iov_iter_extract_will_pin(i)) {
		unpin_user_pages_dirty_lock(pages, n, dirty);
		return;
	}
#endif
	for (k = 0; k < n; k++) {
		if (dirty)
			set_page_dirty_lock(pages[k]);
		put_page(pages[k]);
	}
}

#endif /* SECX_COMPAT_H */
