// SPDX-License-Identifier: MIT
/*
 * Offer only what the kernel can install.  secx.ko answers the generic
 * netlink request SECX_CMD_GET_CAPS with the suites its crypto API can
 * instantiate (Documentation/api.rst, "Netlink"); a suite outside that
 * list would be negotiated and then fail at key installation ("cannot
 * install TX keys in the kernel").  Both tools narrow their suite list to
 * it before the handshake.
 *
 * Plain netlink here, no libnl: the tools link only libcrypto.  If the
 * family cannot be asked (no module: the attach fails later with its own
 * message), nothing is narrowed.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xfer.h"

#define NLBUF 8192

struct nlreq {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[64];
};

/* One request, one answer (or error); returns the answer's length or -1. */
static int transact(int fd, struct nlreq *req, uint8_t *buf, size_t len)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	ssize_t n;

	if (sendto(fd, req, req->n.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k)) < 0 ||
	    poll(&p, 1, 2000) != 1)
		return -1;
	n = recv(fd, buf, len, 0);
	if (n < (ssize_t)NLMSG_HDRLEN || !NLMSG_OK(h, (unsigned int)n) ||
	    h->nlmsg_type == NLMSG_ERROR || h->nlmsg_seq != req->n.nlmsg_seq)
		return -1;
	return (int)h->nlmsg_len;
}

static void put_attr(struct nlreq *r, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* The attributes of a generic netlink answer of @len bytes. */
#define FOR_ATTRS(a, start, end)						\
	for (a = (struct nlattr *)(start);					\
	     (uint8_t *)a + NLA_HDRLEN <= (end) && a->nla_len >= NLA_HDRLEN &&	\
	     (uint8_t *)a + a->nla_len <= (end);				\
	     a = (struct nlattr *)((uint8_t *)a + NLA_ALIGN(a->nla_len)))

static uint8_t *payload(uint8_t *buf)
{
	return buf + NLMSG_HDRLEN + GENL_HDRLEN;
}

/* The usable suites; their number, or -1 if the kernel cannot be asked. */
static int kernel_suites(uint16_t *out, int max)
{
	struct nlreq req;
	uint8_t buf[NLBUF], *end;
	struct nlattr *a, *s;
	uint16_t family = 0;
	int fd, len, n = -1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = 1;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	put_attr(&req, CTRL_ATTR_FAMILY_NAME, SECX_GENL_NAME, sizeof(SECX_GENL_NAME));
	len = transact(fd, &req, buf, sizeof(buf));
	if (len > 0) {
		end = buf + len;
		FOR_ATTRS(a, payload(buf), end)
			if (a->nla_type == CTRL_ATTR_FAMILY_ID && a->nla_len >= NLA_HDRLEN + 2)
				memcpy(&family, (uint8_t *)a + NLA_HDRLEN, 2);
	}
	if (!family)
		goto out;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = family;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = 2;
	req.g.cmd = SECX_CMD_GET_CAPS;
	req.g.version = SECX_GENL_VERSION;
	len = transact(fd, &req, buf, sizeof(buf));
	if (len <= 0)
		goto out;
	end = buf + len;
	FOR_ATTRS(a, payload(buf), end) {
		if ((a->nla_type & NLA_TYPE_MASK) != SECX_A_SUITES)
			continue;
		n = 0;
		FOR_ATTRS(s, (uint8_t *)a + NLA_HDRLEN, (uint8_t *)a + a->nla_len)
			if (s->nla_type == SECX_SUITE_A_ID && s->nla_len >= NLA_HDRLEN + 2 &&
			    n < max)
				memcpy(&out[n++], (uint8_t *)s + NLA_HDRLEN, 2);
	}
out:
	close(fd);
	return n;
}

/*
 * Narrow cfg's suites (the configured list, or the default policy) to the
 * kernel's, in the configured order.  -1 (xf_fail'ed) if none is left.
 */
int xf_kernel_suites(struct secx_cfg *cfg)
{
	static uint16_t keep[32];
	const uint16_t *want;
	uint16_t have[32];
	unsigned int nwant, i, nkeep = 0;
	char list[256] = "", can[256] = "";
	int nhave, j;

#ifdef SECX_TESTING
	/* host tests without the module: nothing to ask */
	if (cfg->flags & SECX_CFG_NO_KERNEL)
		return 0;
#endif
	nhave = kernel_suites(have, 32);
	if (nhave < 0)
		return 0;
	if (cfg->suites) {
		want = cfg->suites;
		nwant = cfg->n_suites;
	} else {
		nwant = secx_default_suites(&want);
	}
	for (i = 0; i < nwant && i < 32; i++) {
		for (j = 0; j < nhave; j++)
			if (have[j] == want[i])
				keep[nkeep++] = want[i];
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
			 secx_suite_name(want[i]) ? secx_suite_name(want[i]) : "?");
	}
	for (j = 0; j < nhave; j++)
		snprintf(can + strlen(can), sizeof(can) - strlen(can), "%s%s", j ? "," : "",
			 secx_suite_name(have[j]) ? secx_suite_name(have[j]) : "?");
	if (!nkeep)
		return xf_fail("none of the suites %s can be installed by this kernel's secx "
			       "module (it offers: %s)", list, nhave ? can : "none");
	cfg->suites = keep;
	cfg->n_suites = nkeep;
	return 0;
}
