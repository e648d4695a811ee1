// SPDX-License-Identifier: MIT
/*
 * HKDF (RFC 5869) and secx's HKDF-Expand-Label on OpenSSL's EVP_MAC HMAC.
 * Label byte layout: kmod/common/kdf_label.h, Documentation/protocol.rst section
 * "Key derivation".
 *
 * HKDF is written out over HMAC rather than EVP_KDF "HKDF" so that empty
 * salts and empty input keying material behave exactly as RFC 5869 says,
 * whatever the OpenSSL version does with zero-length parameters.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "kdf.h"			/* lib/kdf.h: this file's API */
#include "kdf_label.h"		/* HkdfLabel layout */

#define HKDF_MAX_MD	EVP_MAX_MD_SIZE

/* A keyed HMAC context; one per extract or expand. */
static EVP_MAC_CTX *hmac_new(const char *md, const uint8_t *key, size_t key_len)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, key_len, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static size_t md_size(const char *md)
{
	EVP_MD *d = EVP_MD_fetch(NULL, md, NULL);
	int n;

	if (!d)
		return 0;
	n = EVP_MD_get_size(d);
	EVP_MD_free(d);
	return n > 0 ? (size_t)n : 0;
}

int secx_hkdf_extract(const char *md, const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len, uint8_t *prk, size_t *prk_len)
{
	static const uint8_t zeros[HKDF_MAX_MD];
	size_t hlen = md_size(md), out = 0;
	EVP_MAC_CTX *ctx;
	int ret = -1;

	if (!hlen || (ikm_len && !ikm))
		return -1;
	/* RFC 5869 2.2: no salt means HashLen zero bytes. */
	if (!salt_len)
		salt = zeros, salt_len = hlen;
	ctx = hmac_new(md, salt, salt_len);
	if (!ctx)
		return -1;
	if (EVP_MAC_update(ctx, ikm, ikm_len) && EVP_MAC_final(ctx, prk, &out, hlen) &&
	    out == hlen) {
		*prk_len = out;
		ret = 0;
	}
	EVP_MAC_CTX_free(ctx);
	return ret;
}

/* RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) || info || i), OKM = T(1) || T(2) ... */
int secx_hkdf_expand(const char *md, const uint8_t *prk, size_t prk_len,
		     const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	uint8_t t[HKDF_MAX_MD];
	size_t hlen = md_size(md), tlen = 0, done = 0, n;
	EVP_MAC_CTX *base, *ctx = NULL;
	uint8_t i;
	int ret = -1;

	if (!hlen || !prk_len || out_len > 255 * hlen || (info_len && !info))
		return -1;
	base = hmac_new(md, prk, prk_len);
	if (!base)
		return -1;
	for (i = 1; done < out_len; i++) {
		ctx = EVP_MAC_CTX_dup(base);
		if (!ctx || !EVP_MAC_update(ctx, t, tlen) ||
		    !EVP_MAC_update(ctx, info, info_len) || !EVP_MAC_update(ctx, &i, 1) ||
		    !EVP_MAC_final(ctx, t, &tlen, sizeof(t)) || tlen != hlen)
			goto out;
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
		n = out_len - done < hlen ? out_len - done : hlen;
		memcpy(out + done, t, n);
		done += n;
	}
	ret = 0;
out:
	if (ret)
		OPENSSL_cleanse(out, out_len);
	OPENSSL_cleanse(t, sizeof(t));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_CTX_free(base);
	return ret;
}

int secx_hkdf_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			   const char *label, const uint8_t *ctx, size_t ctx_len,
			   uint8_t *out, size_t out_len)
{
	uint8_t info[SECX_KDF_MAX_INFO];
	unsigned int n;

	if (out_len > 0xffff || ctx_len > 255 || (ctx_len && !ctx))
		return -1;
	n = secx_kdf_info(info, (u16)out_len, label, ctx, (unsigned int)ctx_len);
	if (!n)
		return -1;
	return secx_hkdf_expand(md, secret, secret_len, info, n, out, out_len);
}
