// SPDX-License-Identifier: GPL-2.0
/*
 * Token buckets.  Everything a peer or a local user can make secx do over
 * and over without sending data (key updates, netlink events) draws from a
 * bucket that holds at most @burst tokens and refills at @rate per second
 * (as WireGuard limits handshakes).  The buckets are per socket and need no
 * lock of their own: callers hold the socket lock, or accept that a racing
 * update loses a token (the events bucket, called from any context).
 */
#include <linux/jiffies.h>
#include <linux/minmax.h>

#include "secx.h"

/* Start full: as if last used long ago (the stamp is 32 bits of jiffies). */
void secx_bucket_init(struct secx_bucket *b)
{
	b->credit = 0;
	b->stamp = (u32)jiffies - SECX_BUCKET_MAX_BURST * HZ;
}

/* Credit is kept in units of 1/HZ token, so a refill is one multiply. */
static u64 secx_bucket_refilled(const struct secx_bucket *b, u32 now, u32 rate, u32 burst)
{
	u64 full = (u64)burst * HZ;
	u32 elapsed = now - READ_ONCE(b->stamp);

	/* long idle (also across the wrap of the 32-bit stamp): full */
	if (elapsed >= burst * HZ)
		return full;
	return min_t(u64, READ_ONCE(b->credit) + (u64)elapsed * rate, full);
}

/* Take one token if there is one. */
bool secx_bucket_take(struct secx_bucket *b, u32 rate, u32 burst)
{
	u32 now = jiffies;
	u64 credit = secx_bucket_refilled(b, now, rate, burst);
	bool ok = credit >= HZ;

	WRITE_ONCE(b->credit, ok ? credit - HZ : credit);
	WRITE_ONCE(b->stamp, now);
	return ok;
}

/* Add @tokens earned otherwise (data records received). */
void secx_bucket_credit(struct secx_bucket *b, u64 tokens, u32 burst)
{
	u64 credit = READ_ONCE(b->credit) + min_t(u64, tokens, burst) * HZ;

	WRITE_ONCE(b->credit, min_t(u64, credit, (u64)burst * HZ));
}
