// SPDX-License-Identifier: MIT
/*
 * The "secx" generic netlink family through libnl-genl-3: resolve it, send
 * one "do" request and parse its reply into the structs of nl.h, join the
 * "events" group.  The only file of the tree that includes libnl.
 *
 * A refused request comes back as an error ACK whose extended ACK carries
 * the kernel's reason (NETLINK_EXT_ACK is turned on for every socket); that
 * reason becomes the secx_strerror() line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "hs.h"
#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct secx_nl {
	struct nl_sock *sk;
	int family;
};

/* One request in flight: its parser, and how it ended. */
struct req {
	int (*parse)(struct nlattr **tb, void *out);
	void *out;
	int done;
	int error;		/* positive errno from the kernel's ACK */
	char msg[256];		/* extended ACK message, if any */
	int parse_error;
};

static struct nla_policy top_policy[SECX_A_MAX + 1] = {
	[SECX_A_ABI_VERSION]		= { .type = NLA_U32 },
	[SECX_A_SUITES]			= { .type = NLA_NESTED },
	[SECX_A_STATS]			= { .type = NLA_NESTED },
	[SECX_A_EVENT_TYPE]		= { .type = NLA_U32 },
	[SECX_A_SOCK_COOKIE]		= { .type = NLA_U64 },
	[SECX_A_EPOCH]			= { .type = NLA_U32 },
	[SECX_A_ERROR]			= { .type = NLA_U32 },
	[SECX_A_FEATURES]		= { .type = NLA_U32 },
	[SECX_A_SUITE_STATS]		= { .type = NLA_NESTED },
	[SECX_A_REKEY_BYTES]		= { .type = NLA_U64 },
	[SECX_A_REKEY_RECORDS]		= { .type = NLA_U64 },
	[SECX_A_REKEY_SECONDS]		= { .type = NLA_U32 },
	[SECX_A_DIRECTION]		= { .type = NLA_U32 },
	[SECX_A_REKEY_MIN_BYTES]	= { .type = NLA_U64 },
	[SECX_A_REKEY_MIN_RECORDS]	= { .type = NLA_U64 },
	[SECX_A_REKEY_MAX_SECONDS]	= { .type = NLA_U32 },
};

static uint64_t get_u64(struct nlattr *a)
{
	return a && nla_len(a) >= 8 ? nla_get_u64(a) : 0;
}

static uint32_t get_u32(struct nlattr *a)
{
	return a && nla_len(a) >= 4 ? nla_get_u32(a) : 0;
}

static int nl_fail(const char *what, int nlerr)
{
	return secx_err("%s: %s", what, nl_geterror(nlerr));
}

struct secx_nl *secx_nl_open(void)
{
	struct secx_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, err;

	if (!nl) {
		secx_err("out of memory");
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		secx_err("out of memory");
		goto fail;
	}
	err = genl_connect(nl->sk);
	if (err < 0) {
		nl_fail("cannot open a generic netlink socket", err);
		goto fail;
	}
	/* Older kernels without extended ACKs simply ignore this. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, SECX_GENL_NAME);
	if (nl->family < 0) {
		if (nl->family == -NLE_OBJ_NOTFOUND)
			secx_err(SECX_MSG_NO_MODULE);
		else
			nl_fail("cannot resolve the secx netlink family", nl->family);
		goto fail;
	}
	return nl;
fail:
	secx_nl_close(nl);
	return NULL;
}

void secx_nl_close(struct secx_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	struct nlattr *tb[SECX_A_MAX + 1];
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, SECX_A_MAX, top_policy);
	if (err < 0 || (r->parse && r->parse(tb, r->out)))
		r->parse_error = 1;
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	((struct req *)arg)->done = 1;
	return NL_STOP;
}

/* The extended ACK's message, after the echoed request (or its header). */
static void ext_ack_msg(struct nlmsgerr *e, struct req *r)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);
	struct nlattr *a;
	int rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off >= nlh->nlmsg_len)
		return;
	rem = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	nla_for_each_attr(a, (struct nlattr *)((char *)e + off), rem, rem) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0) {
			snprintf(r->msg, sizeof(r->msg), "%.*s", nla_len(a), (char *)nla_data(a));
			return;
		}
	}
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct req *r = arg;

	r->error = -e->error;
	ext_ack_msg(e, r);
	r->done = 1;
	return NL_STOP;
}

/* Send @msg (consumed), collect the reply into @r and wait for the ACK. */
static int transact(struct secx_nl *nl, struct nl_msg *msg, struct req *r, const char *what)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	if (!cb) {
		nlmsg_free(msg);
		return secx_err("out of memory");
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !r->done)
		err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (err < 0 && !r->done)
		return nl_fail(what, err);
	if (r->error == EPERM)
		return secx_err("%s: permission denied (needs CAP_NET_ADMIN)", what);
	if (r->error)
		return secx_err("%s: %s%s%s", what, strerror(r->error), r->msg[0] ? ": " : "",
				r->msg);
	if (r->parse_error)
		return secx_err("%s: malformed reply from the kernel", what);
	return 0;
}

static struct nl_msg *request(struct secx_nl *nl, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, 0, cmd,
				SECX_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	if (!msg)
		secx_err("out of memory");
	return msg;
}

static int parse_caps(struct nlattr **tb, void *out)
{
	struct secx_nl_caps *c = out;
	struct nlattr *a;
	int rem;

	if (!tb[SECX_A_ABI_VERSION])
		return -1;
	c->abi_version = get_u32(tb[SECX_A_ABI_VERSION]);
	c->features = get_u32(tb[SECX_A_FEATURES]);
	c->min_bytes = get_u64(tb[SECX_A_REKEY_MIN_BYTES]);
	c->min_records = get_u64(tb[SECX_A_REKEY_MIN_RECORDS]);
	c->max_seconds = get_u32(tb[SECX_A_REKEY_MAX_SECONDS]);
	if (tb[SECX_A_SUITES])
		nla_for_each_nested(a, tb[SECX_A_SUITES], rem)
			if (nla_type(a) == SECX_SUITE_A_ID && nla_len(a) >= 2 &&
			    c->n_suites < SECX_NL_MAX_SUITES)
				c->suites[c->n_suites++] = nla_get_u16(a);
	return 0;
}

int secx_nl_get_caps(struct secx_nl *nl, struct secx_nl_caps *caps)
{
	struct req r = { .parse = parse_caps, .out = caps };
	struct nl_msg *msg = request(nl, SECX_CMD_GET_CAPS);

	memset(caps, 0, sizeof(*caps));
	return msg ? transact(nl, msg, &r, "GET_CAPS") : -1;
}

static int parse_suite_stats(struct nlattr *nest, struct secx_nl_suite_stats *s)
{
	struct nlattr *tb[SECX_SUITE_A_MAX + 1];

	if (nla_parse_nested(tb, SECX_SUITE_A_MAX, nest, NULL) < 0 || !tb[SECX_SUITE_A_ID] ||
	    nla_len(tb[SECX_SUITE_A_ID]) < 2)
		return -1;
	s->id = nla_get_u16(tb[SECX_SUITE_A_ID]);
	s->tx_records = get_u64(tb[SECX_SUITE_A_TX_RECORDS]);
	s->tx_bytes = get_u64(tb[SECX_SUITE_A_TX_BYTES]);
	s->rx_records = get_u64(tb[SECX_SUITE_A_RX_RECORDS]);
	s->rx_bytes = get_u64(tb[SECX_SUITE_A_RX_BYTES]);
	return 0;
}

static int parse_stats(struct nlattr **tb, void *out)
{
	struct secx_nl_stats *st = out;
	struct nlattr *a;
	int rem;

	if (!tb[SECX_A_STATS])
		return -1;
	nla_for_each_nested(a, tb[SECX_A_STATS], rem)
		if (nla_type(a) > SECX_STAT_UNSPEC && nla_type(a) < __SECX_STAT_MAX)
			st->stat[nla_type(a)] = get_u64(a);
	return 0;
}

/* SECX_A_SUITE_STATS repeats at the top level: walk the whole message. */
static int on_stats(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	struct secx_nl_stats *st = r->out;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem;

	on_valid(msg, arg);
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		if (nla_type(a) != SECX_A_SUITE_STATS || st->n_suites >= SECX_NL_MAX_SUITES)
			continue;
		if (parse_suite_stats(a, &st->suite[st->n_suites]))
			r->parse_error = 1;
		else
			st->n_suites++;
	}
	return NL_OK;
}

int secx_nl_get_stats(struct secx_nl *nl, struct secx_nl_stats *stats)
{
	struct req r = { .parse = parse_stats, .out = stats };
	struct nl_msg *msg = request(nl, SECX_CMD_GET_STATS);
	struct nl_cb *cb;
	int err;

	memset(stats, 0, sizeof(*stats));
	if (!msg)
		return -1;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return secx_err("out of memory");
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_stats, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !r.done)
		err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (err < 0 && !r.done)
		return nl_fail("GET_STATS", err);
	if (r.error)
		return secx_err("GET_STATS: %s", strerror(r.error));
	return r.parse_error ? secx_err("GET_STATS: malformed reply from the kernel") : 0;
}

static int parse_defaults(struct nlattr **tb, void *out)
{
	struct secx_nl_defaults *d = out;

	if (!tb[SECX_A_REKEY_BYTES] || !tb[SECX_A_REKEY_RECORDS] || !tb[SECX_A_REKEY_SECONDS])
		return -1;
	d->bytes = get_u64(tb[SECX_A_REKEY_BYTES]);
	d->records = get_u64(tb[SECX_A_REKEY_RECORDS]);
	d->seconds = get_u32(tb[SECX_A_REKEY_SECONDS]);
	return 0;
}

int secx_nl_get_defaults(struct secx_nl *nl, struct secx_nl_defaults *def)
{
	struct req r = { .parse = parse_defaults, .out = def };
	struct nl_msg *msg = request(nl, SECX_CMD_GET_DEFAULTS);

	memset(def, 0, sizeof(*def));
	return msg ? transact(nl, msg, &r, "GET_DEFAULTS") : -1;
}

int secx_nl_set_defaults(struct secx_nl *nl, const struct secx_nl_defaults *def)
{
	struct req r = { 0 };
	struct nl_msg *msg = request(nl, SECX_CMD_SET_DEFAULTS);

	if (!msg)
		return -1;
	if (((def->set & SECX_NL_DEF_BYTES) &&
	     nla_put_u64(msg, SECX_A_REKEY_BYTES, def->bytes) < 0) ||
	    ((def->set & SECX_NL_DEF_RECORDS) &&
	     nla_put_u64(msg, SECX_A_REKEY_RECORDS, def->records) < 0) ||
	    ((def->set & SECX_NL_DEF_SECONDS) &&
	     nla_put_u32(msg, SECX_A_REKEY_SECONDS, def->seconds) < 0)) {
		nlmsg_free(msg);
		return secx_err("out of memory");
	}
	return transact(nl, msg, &r, "SET_DEFAULTS");
}

struct monitor {
	int (*fn)(const struct secx_nl_event *ev, void *arg);
	void *arg;
	int stop;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct monitor *m = arg;
	struct nlattr *tb[SECX_A_MAX + 1];
	struct secx_nl_event ev = { 0 };
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));

	if (g->cmd != SECX_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, SECX_A_MAX, top_policy) < 0)
		return NL_OK;
	ev.type = get_u32(tb[SECX_A_EVENT_TYPE]);
	ev.dir = get_u32(tb[SECX_A_DIRECTION]);
	ev.epoch = get_u32(tb[SECX_A_EPOCH]);
	ev.error = (int32_t)get_u32(tb[SECX_A_ERROR]);
	ev.cookie = get_u64(tb[SECX_A_SOCK_COOKIE]);
	if (m->fn(&ev, m->arg)) {
		m->stop = 1;
		return NL_STOP;
	}
	return NL_OK;
}

int secx_nl_monitor(struct secx_nl *nl, int (*fn)(const struct secx_nl_event *ev, void *arg),
		    void *arg)
{
	struct monitor m = { .fn = fn, .arg = arg };
	int grp, err;

	grp = genl_ctrl_resolve_grp(nl->sk, SECX_GENL_NAME, SECX_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return nl_fail("cannot resolve the secx events group", grp);
	err = nl_socket_add_membership(nl->sk, grp);
	if (err == -NLE_PERM)
		return secx_err("cannot join the secx events group: permission denied "
				"(needs CAP_NET_ADMIN)");
	if (err < 0)
		return nl_fail("cannot join the secx events group", err);
	nl_socket_disable_seq_check(nl->sk);
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, &m);
	while (!m.stop) {
		err = nl_recvmsgs_default(nl->sk);
		if (err == -NLE_NOMEM)	/* ENOBUFS: events were lost, go on */
			continue;
		if (err < 0 && err != -NLE_INTR)
			return nl_fail("receiving secx events", err);
	}
	return 0;
}
