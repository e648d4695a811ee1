// SPDX-License-Identifier: GPL-2.0
/*
 * TCP ULP glue: attach ("setsockopt(TCP_ULP, "secx")"), the proto and
 * proto_ops tables the socket switches between as keys are installed, and
 * detach on close.
 *
 * Like kTLS, the tables are copied from the live socket's own tables (per
 * address family) rather than from tcp_prot/tcpv6_prot, so IPv6 and any
 * base the socket already has keep working; only the hooks secx needs are
 * replaced.  Until keys are installed the socket behaves as plain TCP.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <net/inet_common.h>
#include <net/tcp.h>

#include "secx.h"
#include "compat.h"

enum { SECX_V4, SECX_V6, SECX_NUM_FAMILIES };

static struct proto secx_prots[SECX_NUM_FAMILIES][2][2];		/* [ip][tx][rx] */
static struct proto_ops secx_proto_ops[SECX_NUM_FAMILIES][2][2];
static const struct proto *secx_base_prot[SECX_NUM_FAMILIES];
static const struct proto_ops *secx_base_ops[SECX_NUM_FAMILIES];
static DEFINE_MUTEX(secx_prot_lock);
static atomic64_t secx_ctx_ids;
atomic_t secx_live_ctx;

static int secx_family(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? SECX_V6 : SECX_V4;
}

static int secx_disconnect(struct sock *sk, int flags)
{
	/* A record stream cannot be reused for a new connection. */
	return -EOPNOTSUPP;
}

/* In-kernel readers must not bypass decryption (KCM, sockmap, ...). */
static int secx_no_read_sock(struct sock *sk, read_descriptor_t *desc,
			     sk_read_actor_t recv_actor)
{
	return -EOPNOTSUPP;
}

static int secx_no_read_skb(struct sock *sk, skb_read_actor_t recv_actor)
{
	return -EOPNOTSUPP;
}

/*
 * SHUT_WR and SHUT_RDWR first end the record stream with a CLOSE record.
 * Never waits: when TCP has no room for it, tx.c sends CLOSE and then the
 * FIN from its work item, and only the receive half is shut down here.
 */
static int secx_shutdown(struct socket *sock, int how)
{
	const struct proto_ops *base = secx_base_ops[secx_family(sock->sk)];

	if ((how == SHUT_WR || how == SHUT_RDWR) && !secx_tx_shutdown(sock->sk, how)) {
		if (how == SHUT_WR)
			return 0;
		how = SHUT_RD;
	}
	return base->shutdown(sock, how);
}

static void secx_close(struct sock *sk, long timeout);

/*
 * TCP's own shutdown of @sk (tx.c sends the FIN of a deferred
 * shutdown(SHUT_WR) this way); takes the socket lock itself.
 */
void secx_ulp_base_shutdown(struct sock *sk, int how)
{
	struct socket *sock = READ_ONCE(sk->sk_socket);

	might_sleep();
	if (sock)
		secx_base_ops[secx_family(sk)]->shutdown(sock, how);
}

static void secx_build_tables(int ip, const struct proto *base,
			      const struct proto_ops *base_ops)
{
	int tx, rx;

	for (tx = 0; tx < 2; tx++) {
		for (rx = 0; rx < 2; rx++) {
			struct proto *p = &secx_prots[ip][tx][rx];
			struct proto_ops *ops = &secx_proto_ops[ip][tx][rx];

			*p = *base;
			p->setsockopt = secx_setsockopt;
			p->getsockopt = secx_getsockopt;
			p->close = secx_close;
			p->disconnect = secx_disconnect;

			*ops = *base_ops;
			/* No in-kernel path may write plaintext past secx. */
			ops->sendmsg_locked = NULL;
#ifdef SECX_HAVE_SENDPAGE_LOCKED
			ops->sendpage_locked = NULL;
#endif
			if (tx) {
				p->sendmsg = secx_tx_sendmsg;
#ifdef SECX_HAVE_SENDPAGE
				p->sendpage = secx_tx_sendpage;
#endif
#ifdef SECX_HAVE_SPLICE_EOF
				p->splice_eof = secx_tx_splice_eof;
#endif
				ops->shutdown = secx_shutdown;
			}
			if (rx) {
				p->recvmsg = secx_rx_recvmsg;
				p->sock_is_readable = secx_rx_sock_is_readable;
				p->ioctl = secx_rx_ioctl;
				ops->set_rcvlowat = secx_rx_set_rcvlowat;
				ops->poll = secx_rx_poll;
				ops->splice_read = secx_rx_splice_read;
				ops->read_sock = secx_no_read_sock;
				ops->read_skb = secx_no_read_skb;
			}
		}
	}
}

/* (Re)build this family's tables if the socket's base prot is new to us. */
static void secx_build_proto(struct sock *sk)
{
	int ip = secx_family(sk);
	const struct proto *prot = READ_ONCE(sk->sk_prot);

	/* pairs with the release below: tables are complete once seen */
	if (likely(smp_load_acquire(&secx_base_prot[ip]) == prot))
		return;

	mutex_lock(&secx_prot_lock);
	if (secx_base_prot[ip] != prot) {
		secx_build_tables(ip, prot, sk->sk_socket->ops);
		secx_base_ops[ip] = sk->sk_socket->ops;
		/* publish only after the tables are written */
		smp_store_release(&secx_base_prot[ip], prot);
	}
	mutex_unlock(&secx_prot_lock);
}

/* Point the socket at the table matching the keys installed so far. */
void secx_ulp_update_prot(struct sock *sk, struct secx_ctx *ctx)
{
	int ip = secx_family(sk);

	WRITE_ONCE(sk->sk_prot, &secx_prots[ip][ctx->tx_conf][ctx->rx_conf]);
	WRITE_ONCE(sk->sk_socket->ops, &secx_proto_ops[ip][ctx->tx_conf][ctx->rx_conf]);
}

/* Free the context; the socket is detached and the tx work stopped. */
static void secx_ctx_free(struct sock *sk, struct secx_ctx *ctx)
{
	might_sleep();
	secx_tx_release(sk, ctx);
	secx_rx_release(sk, ctx);
	pr_debug("ctx %llu destroyed\n", ctx->id);
	secx_stat_add(sock_net(sk), SECX_STAT_CURR_SOCKETS, -1);
	atomic_dec(&secx_live_ctx);
	kfree_rcu(ctx, rcu);
}

/*
 * Memory per connection is a performance figure (Documentation/benchmarks.rst):
 * an idle context must stay in the 1 KiB slab.  What only a busy socket
 * needs is allocated on demand (tx.c's scratch, rx.c's record buffer).
 * (Lockdep puts a lock map in every work item and timer: debug kernels only.)
 */
#ifndef CONFIG_LOCKDEP
static_assert(sizeof(struct secx_ctx) <= 1024);
#endif

static int secx_ulp_init(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct secx_ctx *ctx;

	/* Records need a byte stream with a peer: like kTLS, refuse early. */
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (!sk->sk_socket)
		return -EINVAL;
	/*
	 * A socket whose proto another layer already replaced (sockmap's
	 * psock, ...) would make us copy that layer's hooks into the tables
	 * every secx socket of this family shares: refuse it.
	 */
	if (READ_ONCE(sk->sk_prot)->close != tcp_close ||
	    rcu_access_pointer(__sk_user_data(sk)))
		return -EBUSY;

	secx_build_proto(sk);

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->sk = sk;
	ctx->sk_proto = sk->sk_prot;
	secx_bucket_init(&ctx->rx_updates);
	secx_bucket_init(&ctx->events);
	ctx->id = atomic64_inc_return(&secx_ctx_ids);

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(icsk->icsk_ulp_data, ctx);
	secx_ulp_update_prot(sk, ctx);
	write_unlock_bh(&sk->sk_callback_lock);

	atomic_inc(&secx_live_ctx);
	secx_stat_inc(sk, SECX_STAT_CURR_SOCKETS);
	pr_debug("ctx %llu created\n", ctx->id);
	return 0;
}

/* Detach: restore TCP's hooks so the base close runs on a plain socket. */
static void secx_detach(struct sock *sk, struct secx_ctx *ctx)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(icsk->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	if (ctx->rx_conf)
		sk->sk_data_ready = ctx->saved_data_ready;
	if (ctx->tx_conf)
		sk->sk_write_space = ctx->saved_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void secx_close(struct sock *sk, long timeout)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);
	struct proto *base = ctx->sk_proto;

	lock_sock(sk);
	if (ctx->tx_conf)
		secx_tx_close(sk, ctx);
	secx_detach(sk, ctx);
	release_sock(sk);

	secx_tx_stop(ctx);
	secx_ctx_free(sk, ctx);
	base->close(sk, timeout);
}

static void secx_ctx_destroy_work(struct work_struct *work)
{
	struct secx_ctx *ctx = container_of(work, struct secx_ctx, destroy);
	struct sock *sk = ctx->sk;

	secx_tx_stop(ctx);
	secx_ctx_free(sk, ctx);
	sock_put(sk);
}

/*
 * Socket destroyed without close() (kernel users), possibly in softirq:
 * detach now, free later from process context (the tx work must be
 * stopped, which sleeps).  The socket stays allocated until then.
 */
static void secx_ulp_release(struct sock *sk)
{
	struct secx_ctx *ctx = secx_get_ctx(sk);

	if (!ctx)
		return;
	secx_detach(sk, ctx);
	secx_tx_drop_open(sk, ctx);
	sock_hold(sk);
	INIT_WORK(&ctx->destroy, secx_ctx_destroy_work);
	queue_work(secx_wq, &ctx->destroy);
}

static struct tcp_ulp_ops secx_ulp_ops __read_mostly = {
	.name		= SECX_ULP_NAME,
	.owner		= THIS_MODULE,
	.init		= secx_ulp_init,
	.release	= secx_ulp_release,
};

int secx_ulp_register(void)
{
	return tcp_register_ulp(&secx_ulp_ops);
}

void secx_ulp_unregister(void)
{
	tcp_unregister_ulp(&secx_ulp_ops);
}
