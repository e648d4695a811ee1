// SPDX-License-Identifier: MIT
/*
 * Handshake version 2: every message after ServerHello (except Alert)
 * travels inside an Encrypted message, so identities, keys, certificates
 * and MACs are never in clear.  Documentation/handshake.rst, "Encrypted".
 *
 *   Encrypted = type 8 || be16 len || ChaCha20-Poly1305(inner message) || tag[16]
 *   key   = Expand-Label(X_hs, "hs key", "", 32)     X = c (client->server), s
 *   iv    = Expand-Label(X_hs, "hs iv",  "", 12)
 *   nonce = iv XOR (0^4 || be64 seq), seq = 0, 1, ... per direction
 *   AAD   = the 3-byte Encrypted header
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hs.h"
#include "kdf.h"

static int hs_dir_keys(const struct hs_state *st, const uint8_t *secret, struct hs_dir *d)
{
	const char *md = st->suite->hash_alg;
	size_t L = st->keys.hlen;

	memset(d, 0, sizeof(*d));
	if (secx_hkdf_expand_label(md, secret, L, "hs key", NULL, 0, d->key, sizeof(d->key)) ||
	    secx_hkdf_expand_label(md, secret, L, "hs iv", NULL, 0, d->iv, sizeof(d->iv)))
		return secx_err_ossl("HKDF-Expand-Label");
	return 0;
}

int hs_enc_start(struct hs_state *st)
{
	const uint8_t *mine = st->server ? st->keys.s_hs : st->keys.c_hs;
	const uint8_t *theirs = st->server ? st->keys.c_hs : st->keys.s_hs;

	if (hs_dir_keys(st, mine, &st->tx) || hs_dir_keys(st, theirs, &st->rx))
		return -1;
	st->enc = 1;
	return 0;
}

static void nonce(const struct hs_dir *d, uint8_t out[12])
{
	int i;

	memcpy(out, d->iv, 12);
	for (i = 0; i < 8; i++)
		out[11 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* One AEAD operation; 0 or -1 (open: the tag did not verify). */
static int aead(int seal, const struct hs_dir *d, const uint8_t aad[HS_HDR_LEN],
		uint8_t *buf, size_t len, uint8_t tag[HS_ENC_TAG])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t n[12];
	int out, ok;

	nonce(d, n);
	ok = c && EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, NULL, NULL, seal) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, d->key, n, seal) &&
	     EVP_CipherUpdate(c, NULL, &out, aad, HS_HDR_LEN) &&
	     (!len || EVP_CipherUpdate(c, buf, &out, buf, (int)len)) &&
	     (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, HS_ENC_TAG, tag)) &&
	     EVP_CipherFinal_ex(c, buf + len, &out) > 0 &&
	     (!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, HS_ENC_TAG, tag));
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(n, sizeof(n));
	return ok ? 0 : -1;
}

/*
 * Wrap the inner message of @len bytes at @msg in place; the caller left
 * HS_ENC_OVERHEAD bytes after it.  Returns the Encrypted message's length.
 */
int hs_seal(struct hs_state *st, uint8_t *msg, size_t len)
{
	size_t body = len + HS_ENC_TAG;

	if (body > HS_MAX_BODY)
		return secx_err("internal error: handshake message too large to encrypt");
	memmove(msg + HS_HDR_LEN, msg, len);
	msg[0] = HS_ENCRYPTED;
	msg[1] = (uint8_t)(body >> 8);
	msg[2] = (uint8_t)body;
	if (aead(1, &st->tx, msg, msg + HS_HDR_LEN, len, msg + HS_HDR_LEN + len))
		return secx_err_ossl("encrypting a handshake message");
	st->tx.seq++;
	return (int)(HS_HDR_LEN + body);
}

/*
 * @buf holds an Encrypted message with a body of @body_len bytes; on
 * success the inner message replaces it at @buf and its length is
 * returned in @inner_len.  -1 if it does not decrypt (secx_err not set).
 */
int hs_open(struct hs_state *st, uint8_t *buf, size_t body_len, size_t *inner_len)
{
	uint8_t hdr[HS_HDR_LEN];
	size_t len;

	if (body_len < HS_ENC_TAG + HS_HDR_LEN)
		return -1;
	len = body_len - HS_ENC_TAG;
	memcpy(hdr, buf, HS_HDR_LEN);
	if (aead(0, &st->rx, hdr, buf + HS_HDR_LEN, len, buf + HS_HDR_LEN + len))
		return -1;
	st->rx.seq++;
	memmove(buf, buf + HS_HDR_LEN, len);
	*inner_len = len;
	return 0;
}
