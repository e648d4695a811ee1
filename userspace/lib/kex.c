// SPDX-License-Identifier: MIT
/*
 * Key exchange: randomness, X25519 (RFC 7748) on OpenSSL, and the server's
 * suite choice.  Documentation/handshake.rst, "Suite negotiation".
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hs.h"

#ifdef SECX_TESTING
/* Test builds only: make randoms and ephemeral keys reproducible. */
void (*secx_test_rand)(uint8_t *buf, size_t len);
#endif

int hs_random(uint8_t *buf, size_t len)
{
#ifdef SECX_TESTING
	if (secx_test_rand) {
		secx_test_rand(buf, len);
		return 0;
	}
#endif
	if (RAND_priv_bytes(buf, (int)len) != 1)
		return secx_err_ossl("random number generator");
	return 0;
}

int hs_x25519_public(const uint8_t priv[SECX_X25519_LEN], uint8_t pub[SECX_X25519_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
						   SECX_X25519_LEN);
	size_t n = SECX_X25519_LEN;
	int ok;

	ok = k && EVP_PKEY_get_raw_public_key(k, pub, &n) && n == SECX_X25519_LEN;
	EVP_PKEY_free(k);
	return ok ? 0 : secx_err_ossl("X25519 public key");
}

int hs_x25519_keygen(uint8_t priv[SECX_X25519_LEN], uint8_t pub[SECX_X25519_LEN])
{
	if (hs_random(priv, SECX_X25519_LEN))
		return -1;
	return hs_x25519_public(priv, pub);
}

/*
 * X25519(@priv, @peer).  An all-zero result (a low-order peer share) is
 * refused: OpenSSL's derive fails for it, and we check again to be sure.
 */
int hs_x25519(const uint8_t priv[SECX_X25519_LEN], const uint8_t peer[SECX_X25519_LEN],
	      uint8_t out[SECX_X25519_LEN])
{
	static const uint8_t zero[SECX_X25519_LEN];
	EVP_PKEY *me, *them = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = SECX_X25519_LEN;
	int ok = 0;

	me = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, SECX_X25519_LEN);
	if (me)
		them = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, SECX_X25519_LEN);
	if (them)
		ctx = EVP_PKEY_CTX_new(me, NULL);
	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, them) > 0 &&
	    EVP_PKEY_derive(ctx, out, &n) > 0 && n == SECX_X25519_LEN)
		ok = CRYPTO_memcmp(out, zero, SECX_X25519_LEN) != 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(them);
	EVP_PKEY_free(me);
	if (!ok) {
		OPENSSL_cleanse(out, SECX_X25519_LEN);
		return secx_err_ossl("X25519 with the peer's key share failed (low-order point?)");
	}
	return 0;
}

/*
 * The server's rule: the first suite of ITS OWN list (@mine, in its
 * preference order) that the client offered.  0 if none.
 */
unsigned int hs_suite_select(const uint16_t *mine, unsigned int n_mine,
			     const uint16_t *offered, unsigned int n_offered)
{
	unsigned int i, j;

	for (i = 0; i < n_mine; i++)
		for (j = 0; j < n_offered; j++)
			if (mine[i] == offered[j] && secx_suite_find(mine[i]))
				return mine[i];
	return 0;
}

/* "aes-128-gcm, chacha20-poly1305"; unknown ids as "unknown(0x0009)". */
void hs_suite_list_str(char *out, size_t len, const uint16_t *ids, unsigned int n)
{
	size_t o = 0;
	unsigned int i;
	const char *name;

	out[0] = 0;
	for (i = 0; i < n && o < len; i++) {
		name = secx_suite_name(ids[i]);
		if (name)
			o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", name);
		else
			o += (size_t)snprintf(out + o, len - o, "%sunknown(0x%04x)",
					      i ? ", " : "", ids[i]);
	}
	if (!n)
		snprintf(out, len, "(none)");
}
