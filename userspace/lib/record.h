/* SPDX-License-Identifier: MIT */
/*
 * Userspace reference codec for the SECURE_X record layer, on OpenSSL
 * libcrypto.  It produces and checks the exact bytes secx.ko puts on the
 * wire (Documentation/protocol.rst, "Record layer" and "Key derivation"),
 * so selftests can verify the kernel's records and inject tampered ones.
 *
 * One struct secx_rec_state is one direction: a suite, its key material and
 * the sequence number of the next record.  Functions return 0 or a negative
 * errno:
 *   -EINVAL       bad argument (unknown suite, wrong key/secret length, ...)
 *   -ENOSPC       output buffer too small
 *   -EMSGSIZE     data over SECX_MAX_DATA (seal), record too long (open)
 *   -EPROTO       header version or flags wrong
 *   -EBADMSG      authentication, length, padding or inner content invalid
 *   -EKEYEXPIRED  sequence numbers exhausted, or the key's usage limit
 *                 (suite max_records) reached: rekey first
 *   -ENOKEY       rekey without a traffic secret
 *   -EIO          libcrypto failure
 * Nothing here keeps a reference to caller memory.  Buffers passed in and
 * out must not overlap.
 */
#ifndef SECX_LIB_RECORD_H
#define SECX_LIB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <linux/secx.h>
#include "suites.h"

struct secx_rec_state {
	const struct secx_suite_desc *suite;
	uint64_t seq;				/* of the next record */
	uint64_t records;			/* records under this key so far */
	uint8_t key[SECX_MAX_KEY_LEN];		/* CBC: AES key || HMAC key */
	uint8_t iv[SECX_IV_LEN];		/* AEAD nonce base */
	uint8_t secret[SECX_MAX_SECRET_LEN];	/* current traffic secret */
	size_t secret_len;			/* 0: raw keys, no rekey */
};

/* Size of the record carrying @data_len bytes of data, header included. */
size_t secx_rec_size(unsigned int suite, size_t data_len);

/* Key schedule: @secret_len must be the suite's hash_len; seq starts at 0. */
int secx_rec_init(struct secx_rec_state *st, unsigned int suite,
		  const uint8_t *secret, size_t secret_len);
/* Raw keys (no rekey possible); @iv may be NULL for CBC suites. */
int secx_rec_init_raw(struct secx_rec_state *st, unsigned int suite,
		      const uint8_t *key, size_t key_len, const uint8_t *iv, uint64_t seq);
/* Wipe all key material. */
void secx_rec_wipe(struct secx_rec_state *st);

/*
 * Seal one record of @type carrying @data into @out (capacity *@out_len,
 * set to the record length on success) and advance seq.  @cbc_iv is the
 * explicit IV of CBC suites (16 bytes), NULL for a random one; ignored by
 * AEAD suites.  Any @type byte is accepted, so tests can craft bad records.
 */
int secx_rec_seal(struct secx_rec_state *st, uint8_t type, const uint8_t *data,
		  size_t len, const uint8_t *cbc_iv, uint8_t *out, size_t *out_len);
/*
 * Seal a caller-built inner plaintext as is (CBC: padding included, length
 * a multiple of 16; nothing is checked but the sizes).  For negative tests.
 */
int secx_rec_seal_inner(struct secx_rec_state *st, const uint8_t *inner,
			size_t inner_len, const uint8_t *cbc_iv, uint8_t *out, size_t *out_len);

/*
 * Check a record header (first SECX_HDR_LEN bytes) against the suite's
 * limits; on success set *@rec_len to the whole record's length.  The
 * receiver's framing step: -EPROTO, -EMSGSIZE or -EBADMSG otherwise.
 */
int secx_rec_check_header(const struct secx_rec_state *st, const uint8_t *hdr,
			  size_t *rec_len);
/*
 * Open exactly one record (@len = its full length), verify it, and return
 * its type and data (@out capacity *@out_len, at least the data length;
 * SECX_MAX_DATA always suffices).  Seq advances only on success; on error
 * @out is left untouched.
 */
int secx_rec_open(struct secx_rec_state *st, const uint8_t *rec, size_t len,
		  uint8_t *type, uint8_t *out, size_t *out_len);

/* Move to the next traffic secret (label "upd"), new key/iv, seq = 0. */
int secx_rec_rekey(struct secx_rec_state *st);

/*
 * Fill @ci for SECX_TX or SECX_RX from one direction's traffic secret:
 * derived key and iv, the secret itself (for in-kernel rekey), seq 0.  All
 * other fields zero.  Wipe @ci with OPENSSL_cleanse once it was installed.
 */
int secx_rec_crypto_info(struct secx_crypto_info *ci, unsigned int suite,
			 const uint8_t *secret, size_t secret_len);

#endif /* SECX_LIB_RECORD_H */
