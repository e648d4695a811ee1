// SPDX-License-Identifier: MIT
/*
 * --rekey-bytes / --rekey-records / --rekey-seconds: this connection's TX
 * key budgets (SOL_SECX SECX_REKEY_LIMITS, Documentation/api.rst), and the
 * number of key updates for --json (SECX_INFO tx_epoch / rx_epoch).  A
 * budget the kernel refuses fails the transfer before any file byte: an
 * option that cannot be enforced is never ignored.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/secx.h>

#include "xfer.h"

struct xf_rekey xf_rekey;

/* Test builds' SECX_NO_KERNEL=1: no secx socket, nothing to set or count. */
#ifdef SECX_TESTING
#define NO_KERNEL(cfg)	((cfg)->flags & SECX_CFG_NO_KERNEL)
#else
#define NO_KERNEL(cfg)	0
#endif

int xf_rekey_opt(int argc, char **argv, int *i)
{
	static const struct {
		const char *opt;
		double min, max;
	} o[] = {
		{ "--rekey-bytes", XF_REKEY_MIN_BYTES, XF_REKEY_MAX },
		{ "--rekey-records", XF_REKEY_MIN_RECORDS, XF_REKEY_MAX },
		{ "--rekey-seconds", 0, XF_REKEY_MAX_SECONDS },
	};
	const char *a = argv[*i], *v;
	unsigned int k;
	char *end;
	double d;

	for (k = 0; k < sizeof(o) / sizeof(o[0]); k++)
		if (!strcmp(a, o[k].opt))
			break;
	if (k == sizeof(o) / sizeof(o[0]))
		return 0;
	v = *i + 1 < argc ? argv[++*i] : NULL;
	if (!v || !*v)
		return xf_fail("option %s needs a value", a);
	errno = 0;
	d = strtod(v, &end);
	if (*end || errno || isnan(d) || d != floor(d) || d > o[k].max ||
	    (d < o[k].min && d != 0))
		return xf_fail("invalid %s '%s' (0 for none, or a whole number from %.0f to %.0f)",
			       a, v, o[k].min ? o[k].min : 1, o[k].max);
	xf_rekey.set |= 1U << k;
	if (k == 0)
		xf_rekey.bytes = (uint64_t)d;
	else if (k == 1)
		xf_rekey.records = (uint64_t)d;
	else
		xf_rekey.seconds = (uint32_t)d;
	return 1;
}

int xf_rekey_apply(int sock, const struct secx_cfg *cfg)
{
	struct secx_rekey_limits l;
	socklen_t len = sizeof(l);

	if (!xf_rekey.set || NO_KERNEL(cfg))
		return 0;
	/* the budgets not given keep the socket's (its namespace's defaults) */
	memset(&l, 0, sizeof(l));
	if (getsockopt(sock, SOL_SECX, SECX_REKEY_LIMITS, &l, &len) || len != sizeof(l))
		return xf_fail("cannot read the key update budgets: %s", strerror(errno));
	l.version = SECX_ABI_VERSION;
	if (xf_rekey.set & 1)
		l.bytes = xf_rekey.bytes;
	if (xf_rekey.set & 2)
		l.records = xf_rekey.records;
	if (xf_rekey.set & 4)
		l.seconds = xf_rekey.seconds;
	if (setsockopt(sock, SOL_SECX, SECX_REKEY_LIMITS, &l, sizeof(l)))
		return xf_fail("the kernel refused the key update budgets (bytes %llu, records "
			       "%llu, seconds %u): %s", (unsigned long long)l.bytes,
			       (unsigned long long)l.records, l.seconds, strerror(errno));
	return 0;
}

void xf_rekey_count(int sock, const struct secx_cfg *cfg, struct xf_report *r)
{
	struct secx_info info;
	socklen_t len = sizeof(info);

	if (NO_KERNEL(cfg))
		return;
	memset(&info, 0, sizeof(info));
	if (getsockopt(sock, SOL_SECX, SECX_INFO, &info, &len) || len < sizeof(info))
		return;
	r->rekeys_known = 1;
	r->tx_rekeys = info.tx_epoch;
	r->rx_rekeys = info.rx_epoch;
}
