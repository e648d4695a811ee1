// SPDX-License-Identifier: MIT
/*
 * The handshake transcript: every handshake message (header and body) in
 * the order it was sent, alerts excluded.  The suite hash is not known
 * before ServerHello, so the bytes are kept (bounded: HS_MAX_MSGS messages
 * of at most HS_MAX_MSG bytes) and hashed on demand.
 * Documentation/handshake.rst, "Transcript".
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hs.h"

#define TRANSCRIPT_CAP	((size_t)HS_MAX_MSGS * HS_MAX_MSG)

int hs_transcript_init(struct hs_transcript *t)
{
	t->len = 0;
	t->buf = malloc(TRANSCRIPT_CAP);
	return t->buf ? 0 : secx_err("out of memory");
}

int hs_transcript_add(struct hs_transcript *t, const uint8_t *msg, size_t len)
{
	if (len > TRANSCRIPT_CAP - t->len)
		return secx_err("handshake too long: more than %zu bytes", TRANSCRIPT_CAP);
	memcpy(t->buf + t->len, msg, len);
	t->len += len;
	return 0;
}

/* TH = Hash(all messages so far), hash_len bytes into @out. */
int hs_transcript_hash(const struct hs_transcript *t, const char *md, uint8_t *out)
{
	unsigned int n;

	if (!EVP_Digest(t->buf, t->len, out, &n, EVP_get_digestbyname(md), NULL))
		return secx_err_ossl("transcript hash");
	return 0;
}

void hs_transcript_free(struct hs_transcript *t)
{
	if (t->buf)
		OPENSSL_clear_free(t->buf, TRANSCRIPT_CAP);
	t->buf = NULL;
	t->len = 0;
}
