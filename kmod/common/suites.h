/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The suite table: one row per enum secx_suite, shared by secx.ko and
 * userspace.  Adding a suite adds a row here and nowhere else.
 */
#ifndef SECX_COMMON_SUITES_H
#define SECX_COMMON_SUITES_H

#include "wire.h"

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#endif

enum secx_suite_kind {
	SECX_KIND_AEAD,		/* nonce = iv ^ seq, AAD = header */
	SECX_KIND_CBC_HMAC,	/* random IV, MAC(seq || header || IV || ct) */
};

struct secx_suite_desc {
	u16 id;			/* enum secx_suite */
	u8 kind;		/* enum secx_suite_kind */
	u8 enc_key_len;		/* cipher key bytes */
	u8 mac_key_len;		/* HMAC key bytes (CBC suites), 0 for AEAD */
	u8 tag_len;		/* AEAD tag or HMAC output */
	u8 hash_len;		/* HKDF hash output = traffic secret length */
	const char *name;	/* stable, user-visible */
	const char *kernel_alg;	/* crypto API name */
	const char *hash_alg;	/* crypto API / OpenSSL digest name for HKDF */
	/* AEAD hard limit on records under one key (RFC 8446 5.5, RFC 9001 6.6) */
	u64 max_records;
};

/*
 * AES-GCM: 2^24.5 full records keeps the attacker's advantage below 2^-57
 * (RFC 8446 section 5.5); ChaCha20-Poly1305 and CBC+HMAC: the 2^62-ish
 * limits are far away, so use a round 2^40 to keep one key bounded anyway.
 */
#define SECX_GCM_MAX_RECORDS	23726566ULL	/* floor(2^24.5) */
#define SECX_OTHER_MAX_RECORDS	0x10000000000ULL	/* 2^40 */

static const struct secx_suite_desc secx_suites[] = {
	{ 1, SECX_KIND_AEAD, 16, 0, 16, 32, "aes-128-gcm",
	  "gcm(aes)", "sha256", SECX_GCM_MAX_RECORDS },
	{ 2, SECX_KIND_AEAD, 32, 0, 16, 48, "aes-256-gcm",
	  "gcm(aes)", "sha384", SECX_GCM_MAX_RECORDS },
	{ 3, SECX_KIND_AEAD, 32, 0, 16, 32, "chacha20-poly1305",
	  "rfc7539(chacha20,poly1305)", "sha256", SECX_OTHER_MAX_RECORDS },
	{ 4, SECX_KIND_CBC_HMAC, 16, 32, 32, 32, "aes-128-cbc-hmac-sha256",
	  "authenc(hmac(sha256),cbc(aes))", "sha256", SECX_OTHER_MAX_RECORDS },
	{ 5, SECX_KIND_CBC_HMAC, 32, 64, 64, 64, "aes-256-cbc-hmac-sha512",
	  "authenc(hmac(sha512),cbc(aes))", "sha512", SECX_OTHER_MAX_RECORDS },
};

#define SECX_NUM_SUITES ARRAY_SIZE(secx_suites)

static inline const struct secx_suite_desc *secx_suite_find(unsigned int id)
{
	unsigned int i;

	for (i = 0; i < SECX_NUM_SUITES; i++)
		if (secx_suites[i].id == id)
			return &secx_suites[i];
	return NULL;
}

static inline unsigned int secx_suite_key_len(const struct secx_suite_desc *s)
{
	return s->enc_key_len + s->mac_key_len;
}

/* Bytes a record adds around @data_len bytes of data (header excluded). */
static inline unsigned int secx_suite_body_len(const struct secx_suite_desc *s,
					       unsigned int data_len)
{
	unsigned int inner = SECX_TYPE_LEN + data_len;

	if (s->kind == SECX_KIND_CBC_HMAC)
		/* always 1..16 bytes of padding, so a full block follows */
		return SECX_CBC_IV_LEN + (inner / SECX_CBC_BLOCK + 1) * SECX_CBC_BLOCK +
		       s->tag_len;
	return inner + s->tag_len;
}

static inline unsigned int secx_suite_min_body(const struct secx_suite_desc *s)
{
	return secx_suite_body_len(s, 0);
}

static inline unsigned int secx_suite_max_body(const struct secx_suite_desc *s)
{
	return secx_suite_body_len(s, SECX_MAX_DATA);
}

/*
 * Check a received header against the limits of suite @s: 0 with the body
 * length in *@body, or the negative errno protocol.rst gives the receiver
 * (bad version or flags: EPROTO; too long: EMSGSIZE; too short, or a CBC
 * body that is not IV + whole blocks + MAC: EBADMSG).
 */
static inline int secx_suite_check_header(const struct secx_suite_desc *s,
					  const u8 hdr[SECX_HDR_LEN], unsigned int *body)
{
	switch (secx_hdr_decode(hdr, secx_suite_min_body(s), secx_suite_max_body(s), body)) {
	case SECX_HDR_OK:
		break;
	case SECX_HDR_BAD_VERSION:
	case SECX_HDR_BAD_FLAGS:
		return -EPROTO;
	case SECX_HDR_TOO_LONG:
		return -EMSGSIZE;
	default:
		return -EBADMSG;
	}
	if (s->kind == SECX_KIND_CBC_HMAC &&
	    (*body - SECX_CBC_IV_LEN - s->tag_len) % SECX_CBC_BLOCK)
		return -EBADMSG;
	return 0;
}

#endif /* SECX_COMMON_SUITES_H */
