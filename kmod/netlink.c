// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "secx" (Documentation/api.rst "Netlink"): what this
 * kernel can do (GET_CAPS), the counters of the caller's network namespace
 * (GET_STATS), the rekey budgets new sockets of that namespace start with
 * (GET_DEFAULTS, SET_DEFAULTS), and the "events" multicast group: key
 * updates and fatal receive errors, each naming the socket by its cookie.
 *
 * Every command is a "do" with a strict policy (resv_start_op is 0, so the
 * core also rejects attributes an op has no policy for).  Commands are
 * serialised by the genl mutex (no parallel_ops), which is what makes the
 * read-modify-write of SET_DEFAULTS safe.  Events are built with GFP_ATOMIC
 * from whatever context the data path is in, and only when someone listens.
 */
#include <crypto/hash.h>
#include <linux/sock_diag.h>
#include <net/genetlink.h>

#include "secx.h"
#include "compat.h"

enum secx_nl_mcgrp {
	SECX_NL_MCGRP_EVENTS,
};

static const struct genl_multicast_group secx_nl_mcgrps[] = {
	/* socket cookies and error codes of every user: admins only */
	[SECX_NL_MCGRP_EVENTS] = {
		.name = SECX_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

static const struct nla_policy secx_nl_defaults_policy[SECX_A_REKEY_SECONDS + 1] = {
	[SECX_A_REKEY_BYTES]	= { .type = NLA_U64 },
	[SECX_A_REKEY_RECORDS]	= { .type = NLA_U64 },
	[SECX_A_REKEY_SECONDS]	= { .type = NLA_U32 },
};

static struct genl_family secx_nl_family;

/* Start a reply to @info; NULL when out of memory. */
static struct sk_buff *secx_nl_reply_new(struct genl_info *info, u8 cmd, size_t size,
					 void **hdr)
{
	struct sk_buff *skb = genlmsg_new(size, GFP_KERNEL);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put_reply(skb, info, &secx_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static int secx_nl_reply_send(struct sk_buff *skb, void *hdr, struct genl_info *info)
{
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

/*
 * A suite is usable when the crypto API can instantiate its AEAD and the
 * HMAC of its key updates (what installing keys checks, crypto.c).  Probing
 * instantiates crypto templates, so the answer is kept for a while: a
 * caller polling GET_CAPS costs a bitmap read.  Commands are serialised by
 * the genl mutex, which protects the cache.
 */
#define SECX_CAPS_TTL	(30 * HZ)

static unsigned long secx_nl_usable_suites(void)
{
	static unsigned long usable, stamp;
	static bool valid;
	char hmac[CRYPTO_MAX_ALG_NAME];
	unsigned int i;

	if (valid && time_before(jiffies, stamp + SECX_CAPS_TTL))
		return usable;
	usable = 0;
	for (i = 0; i < SECX_NUM_SUITES; i++) {
		const struct secx_suite_desc *s = &secx_suites[i];

		snprintf(hmac, sizeof(hmac), "hmac(%s)", s->hash_alg);
		if (secx_crypto_has_aead(s->kernel_alg) && crypto_has_shash(hmac, 0, 0) > 0)
			usable |= BIT(i);
	}
	stamp = jiffies;
	valid = true;
	return usable;
}

static int secx_nl_put_suites(struct sk_buff *skb)
{
	struct nlattr *nest = nla_nest_start(skb, SECX_A_SUITES);
	unsigned long usable = secx_nl_usable_suites();
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < SECX_NUM_SUITES; i++)
		if ((usable & BIT(i)) && nla_put_u16(skb, SECX_SUITE_A_ID, secx_suites[i].id))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int secx_nl_get_caps(struct sk_buff *in, struct genl_info *info)
{
	u32 features = SECX_FEATURE_REKEY | SECX_FEATURE_NETNS_DEFAULTS | SECX_FEATURE_EVENTS;
	struct sk_buff *skb;
	void *hdr;

	skb = secx_nl_reply_new(info, SECX_CMD_GET_CAPS, NLMSG_GOODSIZE, &hdr);
	if (!skb)
		return -ENOMEM;
	if (nla_put_u32(skb, SECX_A_ABI_VERSION, SECX_ABI_VERSION) ||
	    nla_put_u32(skb, SECX_A_FEATURES, features) ||
	    secx_nl_put_suites(skb) ||
	    nla_put_u64_64bit(skb, SECX_A_REKEY_MIN_BYTES, SECX_MIN_BUDGET_BYTES, SECX_A_PAD) ||
	    nla_put_u64_64bit(skb, SECX_A_REKEY_MIN_RECORDS, SECX_MIN_BUDGET_RECORDS,
			      SECX_A_PAD) ||
	    nla_put_u32(skb, SECX_A_REKEY_MAX_SECONDS, SECX_MAX_BUDGET_SECONDS)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	return secx_nl_reply_send(skb, hdr, info);
}

static int secx_nl_put_suite_stats(struct sk_buff *skb, const struct secx_mib *sum,
				   unsigned int id)
{
	struct nlattr *nest = nla_nest_start(skb, SECX_A_SUITE_STATS);

	if (!nest ||
	    nla_put_u16(skb, SECX_SUITE_A_ID, id) ||
	    nla_put_u64_64bit(skb, SECX_SUITE_A_TX_RECORDS, sum->records[1][id],
			      SECX_SUITE_A_PAD) ||
	    nla_put_u64_64bit(skb, SECX_SUITE_A_TX_BYTES, sum->bytes[1][id], SECX_SUITE_A_PAD) ||
	    nla_put_u64_64bit(skb, SECX_SUITE_A_RX_RECORDS, sum->records[0][id],
			      SECX_SUITE_A_PAD) ||
	    nla_put_u64_64bit(skb, SECX_SUITE_A_RX_BYTES, sum->bytes[0][id], SECX_SUITE_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int secx_nl_put_stats(struct sk_buff *skb, const struct secx_mib *sum)
{
	struct nlattr *nest = nla_nest_start(skb, SECX_A_STATS);
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	/* SECX_STAT_UNSPEC is never a counter: it pads inside the nest */
	for (i = SECX_STAT_UNSPEC + 1; i < SECX_STAT_NUM; i++)
		if (nla_put_u64_64bit(skb, i, sum->stat[i], SECX_STAT_UNSPEC))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	for (i = 0; i < SECX_NUM_SUITES; i++)
		if (secx_nl_put_suite_stats(skb, sum, secx_suites[i].id))
			return -EMSGSIZE;
	return 0;
}

static int secx_nl_get_stats(struct sk_buff *in, struct genl_info *info)
{
	struct secx_mib *sum;
	struct sk_buff *skb;
	void *hdr;
	int err;

	sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	secx_stat_sum(genl_info_net(info), sum);
	skb = secx_nl_reply_new(info, SECX_CMD_GET_STATS, NLMSG_GOODSIZE, &hdr);
	err = skb ? secx_nl_put_stats(skb, sum) : -ENOMEM;
	kfree(sum);
	if (err) {
		nlmsg_free(skb);
		return err;
	}
	return secx_nl_reply_send(skb, hdr, info);
}

static int secx_nl_put_defaults(struct sk_buff *skb, const struct secx_rekey_limits *l)
{
	if (nla_put_u64_64bit(skb, SECX_A_REKEY_BYTES, l->bytes, SECX_A_PAD) ||
	    nla_put_u64_64bit(skb, SECX_A_REKEY_RECORDS, l->records, SECX_A_PAD) ||
	    nla_put_u32(skb, SECX_A_REKEY_SECONDS, l->seconds))
		return -EMSGSIZE;
	return 0;
}

static int secx_nl_get_defaults(struct sk_buff *in, struct genl_info *info)
{
	struct secx_rekey_limits l;
	struct sk_buff *skb;
	void *hdr;

	secx_net_get_defaults(genl_info_net(info), &l);
	skb = secx_nl_reply_new(info, SECX_CMD_GET_DEFAULTS, NLMSG_GOODSIZE, &hdr);
	if (!skb)
		return -ENOMEM;
	if (secx_nl_put_defaults(skb, &l)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	return secx_nl_reply_send(skb, hdr, info);
}

/* The bounds SECX_REKEY_LIMITS applies, with a reason for each refusal. */
static int secx_nl_parse_defaults(struct genl_info *info, struct secx_rekey_limits *l)
{
	struct nlattr **a = info->attrs;

	if (!a[SECX_A_REKEY_BYTES] && !a[SECX_A_REKEY_RECORDS] && !a[SECX_A_REKEY_SECONDS]) {
		GENL_SET_ERR_MSG(info, "no budget given: set bytes, records or seconds");
		return -EINVAL;
	}
	if (a[SECX_A_REKEY_BYTES]) {
		l->bytes = nla_get_u64(a[SECX_A_REKEY_BYTES]);
		if (l->bytes && l->bytes < SECX_MIN_BUDGET_BYTES) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[SECX_A_REKEY_BYTES],
					    "byte budget must be 0 (none) or at least 1024");
			return -EINVAL;
		}
	}
	if (a[SECX_A_REKEY_RECORDS]) {
		l->records = nla_get_u64(a[SECX_A_REKEY_RECORDS]);
		if (l->records && l->records < SECX_MIN_BUDGET_RECORDS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[SECX_A_REKEY_RECORDS],
					    "record budget must be 0 (none) or at least 2");
			return -EINVAL;
		}
	}
	if (a[SECX_A_REKEY_SECONDS]) {
		l->seconds = nla_get_u32(a[SECX_A_REKEY_SECONDS]);
		if (l->seconds > SECX_MAX_BUDGET_SECONDS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[SECX_A_REKEY_SECONDS],
					    "time budget too large: see REKEY_MAX_SECONDS in caps");
			return -EINVAL;
		}
	}
	return 0;
}

/* Attributes left out keep their value; sockets with keys keep theirs. */
static int secx_nl_set_defaults(struct sk_buff *in, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct secx_rekey_limits l;
	int err;

	secx_net_get_defaults(net, &l);
	err = secx_nl_parse_defaults(info, &l);
	if (err)
		return err;
	secx_net_set_defaults(net, &l);
	return 0;
}

static const struct genl_ops secx_nl_ops[] = {
	{
		.cmd = SECX_CMD_GET_CAPS,
		.doit = secx_nl_get_caps,
	},
	{
		.cmd = SECX_CMD_GET_STATS,
		.doit = secx_nl_get_stats,
	},
	{
		.cmd = SECX_CMD_GET_DEFAULTS,
		.doit = secx_nl_get_defaults,
	},
	{
		.cmd = SECX_CMD_SET_DEFAULTS,
		.doit = secx_nl_set_defaults,
		.policy = secx_nl_defaults_policy,
		.maxattr = ARRAY_SIZE(secx_nl_defaults_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family secx_nl_family __ro_after_init = {
	.name = SECX_GENL_NAME,
	.version = SECX_GENL_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = secx_nl_ops,
	.n_ops = ARRAY_SIZE(secx_nl_ops),
	.mcgrps = secx_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(secx_nl_mcgrps),
};

/* A socket may emit this many events per second (burst: twice as many). */
#define SECX_EVENT_RATE		16
#define SECX_EVENT_BURST	32

/*
 * One event to the listeners of @sk's namespace; dropped, never waited for.
 * A peer controls how often events happen (key updates), so each socket
 * has an event budget; what is over it is dropped and counted.
 */
static void secx_nl_event(struct sock *sk, u32 type, u32 dir, u32 epoch, int err)
{
	size_t size = 4 * nla_total_size(sizeof(u32)) + nla_total_size_64bit(sizeof(u64));
	struct secx_ctx *ctx = secx_get_ctx(sk);
	struct net *net = sock_net(sk);
	struct sk_buff *skb;
	u32 cookie[2];
	void *hdr;

	if (!genl_has_listeners(&secx_nl_family, net, SECX_NL_MCGRP_EVENTS))
		return;
	if (ctx && !secx_bucket_take(&ctx->events, SECX_EVENT_RATE, SECX_EVENT_BURST)) {
		secx_stat_inc(sk, SECX_STAT_EVENTS_DROPPED);
		return;
	}
	skb = genlmsg_new(size, GFP_ATOMIC);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &secx_nl_family, 0, SECX_CMD_EVENT);
	if (!hdr)
		goto fail;
	sock_diag_save_cookie(sk, cookie);
	if (nla_put_u32(skb, SECX_A_EVENT_TYPE, type) ||
	    nla_put_u64_64bit(skb, SECX_A_SOCK_COOKIE, (u64)cookie[1] << 32 | cookie[0],
			      SECX_A_PAD) ||
	    nla_put_u32(skb, SECX_A_DIRECTION, dir) ||
	    (type == SECX_EVENT_KEY_UPDATE && nla_put_u32(skb, SECX_A_EPOCH, epoch)) ||
	    (type == SECX_EVENT_RX_ERROR && nla_put_s32(skb, SECX_A_ERROR, -err)))
		goto fail;
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&secx_nl_family, net, skb, 0, SECX_NL_MCGRP_EVENTS, GFP_ATOMIC);
	return;
fail:
	nlmsg_free(skb);
}

/* @sk switched the key of @dir to @epoch (rekey.c). */
void secx_nl_notify_rekey(struct sock *sk, enum secx_direction dir, u32 epoch)
{
	secx_nl_event(sk, SECX_EVENT_KEY_UPDATE, dir, epoch, 0);
}

/* @sk's receive side failed for good with @err, a negative errno (rx.c). */
void secx_nl_notify_error(struct sock *sk, int err)
{
	secx_nl_event(sk, SECX_EVENT_RX_ERROR, SECX_DIR_RX, 0, err);
}

int secx_nl_init(void)
{
	return genl_register_family(&secx_nl_family);
}

void secx_nl_exit(void)
{
	genl_unregister_family(&secx_nl_family);
}
