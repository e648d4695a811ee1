// SPDX-License-Identifier: MIT
/*
 * The signature slot of the transfer protocol: an optional message after a
 * file's SHA-256 trailer (Documentation/tools.rst, "Transfer protocol";
 * its blob is defined in "Signed files").  These defaults sign nothing and
 * accept anything; the signing code replaces them.
 */
#include "xfer.h"

/* 0 with *len = 0: no signature for @e.  Nonzero: the file fails. */
int xf_signature_make(const struct xf_entry *e, const uint8_t sha256[32], uint8_t *blob,
		      size_t *len)
{
	(void)e;
	(void)sha256;
	(void)blob;
	*len = 0;
	return 0;
}

/* 0: accepted (here: ignored).  Nonzero: the file is discarded (status 2). */
int xf_signature_received(const struct xf_entry *e, const uint8_t *blob, size_t len)
{
	(void)e;
	(void)blob;
	(void)len;
	return 0;
}
