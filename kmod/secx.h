/* SPDX-License-Identifier: GPL-2.0 */
/*
 * secx private definitions: the per-socket context and one prototype block
 * per source file.  The data flow, file by file:
 *
 *   ulp.c     attach/detach, proto and proto_ops tables, close
 *   sockopt.c SOL_SECX options: copy, validate, install keys, wipe
 *   crypto.c  cipher state per direction; seal/open one record
 *   tx.c      sendmsg, sendpage / MSG_SPLICE_PAGES, open record, push to TCP
 *   rx.c      record framing on the TCP queue, recvmsg, poll, sticky errors
 *   rxzc.c    zero-copy receive: decrypt from the TCP queue into the reader
 *   rekey.c   key updates: budgets, derivation of the next keys
 *   proc.c    per-netns counters (/proc/net/secx_stat) and rekey defaults
 *   netlink.c genl family "secx": caps, stats, defaults, events
 */
#ifndef SECX_H
#define SECX_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/sockptr.h>
#include <linux/workqueue.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <crypto/aead.h>
#include <uapi/linux/secx.h>

#include "wire.h"
#include "suites.h"
#include "compat.h"

#define SECX_TX_PAGES	DIV_ROUND_UP(SECX_MAX_RECORD, PAGE_SIZE)
#define SECX_OPEN_FRAGS	16	/* data fragments in one open record */
/* sg entries: seq (CBC), aad, type, data fragments, padding, end */
#define SECX_TX_SRC_SG	(SECX_OPEN_FRAGS + 5)
#define SECX_TX_DST_SG	(SECX_TX_PAGES + 2)

/* Cipher state of one direction (crypto.c). */
struct secx_crypto {
	const struct secx_suite_desc *suite;
	struct crypto_aead *aead;
	struct aead_request *req;
	struct crypto_shash *hmac;	/* key updates; allocated at the first one */
	u8 iv[SECX_IV_LEN];
	u8 secret[SECX_MAX_SECRET_LEN];
	u8 secret_len;
	u32 epoch;		/* key updates so far */
	u64 seq;		/* next record sequence number */
	u64 key_records;	/* records protected with this key */
};

/* The usage limit of the key, or the sequence space, is used up. */
static inline bool secx_crypto_exhausted(const struct secx_crypto *c)
{
	return c->key_records >= c->suite->max_records || c->seq == U64_MAX;
}

static inline void secx_crypto_advance(struct secx_crypto *c)
{
	c->seq++;
	c->key_records++;
}

/* A sealed record waiting to be handed to TCP (tx.c). */
struct secx_tx_out {
	struct page *pages[SECX_TX_PAGES];
	unsigned int len;	/* wire bytes, 0 when nothing is pending */
	unsigned int sent;	/* wire bytes TCP has taken */
};

/*
 * What a sending socket needs only while it sends (tx.c): the scatterlists
 * of a seal and the ring of ciphertext pages kept for reuse.  Allocated at
 * the first seal, freed when the socket has been idle for a while.
 */
struct secx_tx_scratch {
	struct scatterlist sg_src[SECX_TX_SRC_SG];
	struct scatterlist sg_dst[SECX_TX_DST_SG];
	unsigned int n;		/* pages in the ring */
	unsigned int cap;
	unsigned int next;	/* oldest page handed out */
	struct page *ring[];
};

/* One piece of data in the open record: a page fragment we hold a reference on. */
struct secx_tx_frag {
	struct page *page;
	unsigned int off;
	unsigned int len;
};

/* The open record: data collected until the record is closed (tx.c). */
struct secx_tx_open {
	struct secx_tx_frag frags[SECX_OPEN_FRAGS];
	unsigned int nfrags;
	unsigned int len;		/* data bytes */
	unsigned int charged;		/* socket memory charged for copied data */
};

/* A token bucket (limit.c): peer- and user-triggered work is bounded. */
#define SECX_BUCKET_MAX_BURST	256
struct secx_bucket {
	u32 credit;			/* tokens x HZ */
	u32 stamp;			/* jiffies (low 32 bits) of the last refill */
};

struct secx_tx {
	struct secx_crypto c;
	struct secx_tx_open open;
	struct secx_tx_out out;
	struct secx_tx_scratch *scratch;
	struct delayed_work work;	/* pushes @out when TCP frees space; idle check */
	u8 type;			/* inner content type being sealed */
	u8 pad[SECX_CBC_BLOCK];
	u8 seqbuf[SECX_SEQ_LEN];
	u8 iv[SECX_CBC_IV_LEN];
	u8 ctl[1];			/* payload of a control record */
	struct secx_rekey_limits limits;	/* soft budgets (rekey.c) */
	struct secx_bucket local_updates;	/* SECX_KEY_UPDATE rate (rekey.c) */
	u64 key_bytes;			/* data bytes under the current key */
	unsigned long key_since;	/* jiffies when the key came in */
	unsigned long last_seal;	/* jiffies of the last record sealed */
	bool update_pending;		/* send a KEY_UPDATE before the next record */
	bool request_peer;		/* ... asking the peer to update too */
	bool flush_pending;		/* the open record must go out when it can */
	bool shut_pending;		/* shutdown(): CLOSE, then FIN, when TCP has room */
	bool corked;			/* the last push to TCP said MSG_MORE */
	u64 records, bytes;
	int err;			/* sticky: every later send fails */
	bool closed;			/* close record sealed */
};

/* Reader pages one record's data can span: 16 KiB, unaligned. */
#define SECX_RXZC_PAGES	(SECX_MAX_DATA / PAGE_SIZE + 2)
/* Entries for a record in the TCP queue; more and the copying path runs. */
#define SECX_RXZC_SRC_SG	48

/*
 * Receive state.  Only what every idle socket needs lives here: the record
 * buffer of the copying path is allocated on demand and freed when empty
 * (rx.c), the zero-copy path's scatterlists are per call (rxzc.c).
 */
struct secx_rx {
	struct secx_crypto c;
	u8 *buf;			/* one record (header, body), or NULL */
	unsigned int buf_used;		/* bytes of buf ever written (wiped on free) */
	unsigned int have;		/* bytes of the current record in buf */
	unsigned int need;		/* total record bytes once the header is in */
	unsigned int plain_off;		/* decrypted data: buf[plain_off..plain_end) */
	unsigned int plain_end;
	u8 seqbuf[SECX_SEQ_LEN];	/* CBC AAD; heap, as sg entries need */
	u8 iv[SECX_CBC_IV_LEN];
	bool ready;			/* a whole record can be read (for poll) */
	bool closed;			/* close record received */
	int err;			/* sticky: every later read fails with it */
	u64 records, bytes;
};

struct secx_ctx {
	struct sock *sk;
	struct proto *sk_proto;		/* TCP's proto, restored on close */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	u8 tx_conf:1, rx_conf:1;
	u64 id;
	struct secx_tx tx;
	struct secx_rx rx;
	struct secx_bucket rx_updates;	/* the peer's KEY_UPDATEs (rekey.c) */
	u64 rx_updates_records;		/* rx.records and rx.bytes when last credited */
	u64 rx_updates_bytes;
	struct secx_bucket events;	/* netlink events of this socket */
	union {
		struct work_struct destroy;	/* freeing without close() (ulp.c) */
		struct rcu_head rcu;		/* kfree_rcu(), the last use of ctx */
	};
};

static inline struct secx_ctx *secx_get_ctx(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	/* Read under the socket lock or from the socket's own callbacks. */
	return (__force void *)icsk->icsk_ulp_data;
}

/* main.c */
extern struct workqueue_struct *secx_wq;

/* limit.c */
void secx_bucket_init(struct secx_bucket *b);
bool secx_bucket_take(struct secx_bucket *b, u32 rate, u32 burst);
void secx_bucket_credit(struct secx_bucket *b, u64 tokens, u32 burst);

/* ulp.c */
int secx_ulp_register(void);
void secx_ulp_unregister(void);
void secx_ulp_update_prot(struct sock *sk, struct secx_ctx *ctx);
void secx_ulp_base_shutdown(struct sock *sk, int how);
extern atomic_t secx_live_ctx;

/* sockopt.c */
int secx_setsockopt(struct sock *sk, int level, int optname, sockptr_t optval,
		    unsigned int optlen);
int secx_getsockopt(struct sock *sk, int level, int optname, char __user *optval,
		    int __user *optlen);

/* crypto.c */
int __must_check secx_crypto_init(struct secx_crypto *c, const struct secx_crypto_info *info);
int __must_check secx_crypto_setkey(struct secx_crypto *c, const u8 *key);
void secx_crypto_free(struct secx_crypto *c);
int __must_check secx_crypto_seal(struct secx_crypto *c, struct scatterlist *src,
				  struct scatterlist *dst, unsigned int assoclen,
				  unsigned int cryptlen, u8 *iv);
int __must_check secx_crypto_open(struct secx_crypto *c, struct scatterlist *src,
				  struct scatterlist *dst, unsigned int assoclen,
				  unsigned int cryptlen, u8 *iv);

/* tx.c */
int secx_tx_init(struct sock *sk, struct secx_ctx *ctx);
int secx_tx_key_update(struct sock *sk, struct secx_ctx *ctx, u32 flags);
void secx_tx_release(struct sock *sk, struct secx_ctx *ctx);
int secx_tx_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
int secx_tx_sendpage(struct sock *sk, struct page *page, int offset, size_t size, int flags);
void secx_tx_splice_eof(struct socket *sock);
bool secx_tx_shutdown(struct sock *sk, int how);
void secx_tx_close(struct sock *sk, struct secx_ctx *ctx);
void secx_tx_write_space(struct sock *sk);
void secx_tx_kick(struct secx_ctx *ctx);
void secx_tx_stop(struct secx_ctx *ctx);
void secx_tx_drop_open(struct sock *sk, struct secx_ctx *ctx);

/* rx.c */
int secx_rx_init(struct sock *sk, struct secx_ctx *ctx);
void secx_rx_release(struct sock *sk, struct secx_ctx *ctx);
int secx_rx_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		    int *addr_len);
__poll_t secx_rx_poll(struct file *file, struct socket *sock, struct poll_table_struct *wait);
bool secx_rx_sock_is_readable(struct sock *sk);
void secx_rx_data_ready(struct sock *sk);
int secx_rx_peek(struct sock *sk, u8 *buf, unsigned int len);
int secx_rx_ioctl(struct sock *sk, int cmd, SECX_IOCTL_ARG arg);
int secx_rx_set_rcvlowat(struct sock *sk, int val);

/* rxzc.c */
int secx_rxzc_recv(struct sock *sk, struct secx_ctx *ctx, struct iov_iter *to, size_t room,
		   u8 *type, unsigned int *len, unsigned int *copied, u8 *ctl);
int secx_rxzc_open_buf(struct sock *sk, struct secx_ctx *ctx, unsigned int *pre,
		       unsigned int *inner);
ssize_t secx_rx_splice_read(struct socket *sock, loff_t *ppos, struct pipe_inode_info *pipe,
			    size_t len, unsigned int flags);

/* rekey.c */
#define SECX_KU_FLAG_REQUEST	0x01	/* KEY_UPDATE payload bit 0 */
/* Budgets small enough to turn every record into a key update are refused. */
#define SECX_MIN_BUDGET_BYTES	1024
#define SECX_MIN_BUDGET_RECORDS	2
#define SECX_MAX_BUDGET_SECONDS	(INT_MAX / HZ)
int __must_check secx_rekey_prepare(struct secx_crypto *c);
int __must_check secx_rekey_next(struct secx_crypto *c);
void secx_rekey_tx_init(struct sock *sk, struct secx_tx *tx);
void secx_rekey_net_init(struct secx_rekey_limits *l);
void secx_rekey_tx_account(struct secx_tx *tx, unsigned int data_len);
bool secx_rekey_tx_due(const struct secx_tx *tx);
bool secx_rekey_tx_hard_due(const struct secx_tx *tx);
bool secx_rekey_local_allowed(struct secx_tx *tx);
int __must_check secx_rekey_tx_switch(struct sock *sk, struct secx_tx *tx);
int __must_check secx_rekey_rx_update(struct sock *sk, struct secx_ctx *ctx, u8 flags);
int secx_rekey_set_limits(struct secx_tx *tx, sockptr_t optval, unsigned int optlen);

/* proc.c: per-netns state (counters, rekey defaults) and /proc/net/secx_stat */
#define SECX_STAT_NUM	__SECX_STAT_MAX		/* enum secx_stat, uapi */

/* Counters of one namespace; percpu in proc.c, summed for readers. */
struct secx_mib {
	u64 stat[SECX_STAT_NUM];
	u64 records[2][SECX_SUITE_MAX + 1];	/* [tx][suite] */
	u64 bytes[2][SECX_SUITE_MAX + 1];
};

int secx_proc_init(void);
void secx_proc_exit(void);
void secx_stat_add(struct net *net, enum secx_stat stat, long delta);
void secx_stat_record(struct net *net, bool tx, unsigned int suite, unsigned int bytes);
void secx_stat_sum(struct net *net, struct secx_mib *sum);
void secx_net_get_defaults(struct net *net, struct secx_rekey_limits *l);
void secx_net_set_defaults(struct net *net, const struct secx_rekey_limits *l);

static inline void secx_stat_inc(struct sock *sk, enum secx_stat stat)
{
	secx_stat_add(sock_net(sk), stat, 1);
}

/* netlink.c: genl family "secx"; events are GFP_ATOMIC, any context */
int secx_nl_init(void);
void secx_nl_exit(void);
void secx_nl_notify_rekey(struct sock *sk, enum secx_direction dir, u32 epoch);
void secx_nl_notify_error(struct sock *sk, int err);

#endif /* SECX_H */
