/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * SECURE_X record wire format, shared by secx.ko, libsecx and the fuzzers.
 * Freestanding: no kernel or libc headers beyond fixed-width types, so the
 * same encoder/decoder is compiled into both worlds.  Byte-exact definition:
 * Documentation/protocol.rst, section "Record layer".
 *
 *   record = header(4) || [CBC suites: explicit IV(16)] || ciphertext || tag
 *   header = version(1)=0x01 || flags(1)=0x00 || length(2, big endian)
 *   length = bytes that follow the header
 *   inner plaintext = type(1) || data || [CBC suites: padding]
 */
#ifndef SECX_COMMON_WIRE_H
#define SECX_COMMON_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "../../userspace/lib/kernel_types.h"
#endif

#define SECX_WIRE_VERSION	0x01
#define SECX_HDR_LEN		4
#define SECX_MAX_DATA		16384	/* plaintext data bytes per record */
#define SECX_TYPE_LEN		1	/* inner content type */
#define SECX_CBC_IV_LEN		16
#define SECX_CBC_BLOCK		16
#define SECX_SEQ_LEN		8	/* implicit, MAC'd by CBC suites */
#define SECX_MAX_TAG		64	/* HMAC-SHA-512 */
/* Largest value of the header's length field any suite can produce. */
#define SECX_MAX_REC_BODY	(SECX_CBC_IV_LEN + SECX_TYPE_LEN + SECX_MAX_DATA + \
				 SECX_CBC_BLOCK + SECX_MAX_TAG)
#define SECX_MAX_RECORD		(SECX_HDR_LEN + SECX_MAX_REC_BODY)

/* Result of parsing a header: 0, or a reason the caller maps to an errno. */
enum secx_hdr_err {
	SECX_HDR_OK = 0,
	SECX_HDR_BAD_VERSION = 1,	/* not a SECURE_X record: EPROTO */
	SECX_HDR_BAD_FLAGS = 2,		/* reserved bits set: EPROTO */
	SECX_HDR_TOO_SHORT = 3,		/* shorter than the suite's minimum: EBADMSG */
	SECX_HDR_TOO_LONG = 4,		/* longer than the suite's maximum: EMSGSIZE */
};

static inline void secx_hdr_encode(u8 hdr[SECX_HDR_LEN], u16 body_len)
{
	hdr[0] = SECX_WIRE_VERSION;
	hdr[1] = 0;
	hdr[2] = (u8)(body_len >> 8);
	hdr[3] = (u8)body_len;
}

/*
 * Check a received header against the limits of the suite in use and return
 * the body length through @body_len.  @min_body / @max_body come from the
 * suite table (secx_suite_min_body()/secx_suite_max_body()).
 */
static inline int secx_hdr_decode(const u8 hdr[SECX_HDR_LEN], unsigned int min_body,
				  unsigned int max_body, unsigned int *body_len)
{
	unsigned int len = ((unsigned int)hdr[2] << 8) | hdr[3];

	if (hdr[0] != SECX_WIRE_VERSION)
		return SECX_HDR_BAD_VERSION;
	if (hdr[1] != 0)
		return SECX_HDR_BAD_FLAGS;
	if (len < min_body)
		return SECX_HDR_TOO_SHORT;
	if (len > max_body)
		return SECX_HDR_TOO_LONG;
	*body_len = len;
	return SECX_HDR_OK;
}

/* AEAD nonce: the 12-byte IV XOR the big-endian 64-bit sequence number,
 * right-aligned (as TLS 1.3 does).
 */
static inline void secx_nonce(u8 nonce[12], const u8 iv[12], u64 seq)
{
	int i;

	for (i = 0; i < 4; i++)
		nonce[i] = iv[i];
	for (i = 0; i < 8; i++)
		nonce[4 + i] = iv[4 + i] ^ (u8)(seq >> (56 - 8 * i));
}

static inline void secx_seq_encode(u8 out[SECX_SEQ_LEN], u64 seq)
{
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (u8)(seq >> (56 - 8 * i));
}

#endif /* SECX_COMMON_WIRE_H */
