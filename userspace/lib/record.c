// SPDX-License-Identifier: MIT
/*
 * SECURE_X record layer, userspace reference codec (see record.h).  Each
 * step names the Documentation/protocol.rst section it implements.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "kdf.h"
#include "record.h"
#include "kdf_label.h"

#define AEAD_TAG_LEN	16
#define INNER_MAX	(SECX_TYPE_LEN + SECX_MAX_DATA + SECX_CBC_BLOCK)

/* OpenSSL algorithms per suite id; sizes and hashes come from suites.h. */
struct evp_suite {
	u16 id;
	const EVP_CIPHER *(*cipher)(void);
	const char *mac_md;		/* CBC suites: HMAC digest */
};

static const struct evp_suite evp_suites[] = {
	{ SECX_SUITE_AES_128_GCM_SHA256,	EVP_aes_128_gcm,	NULL },
	{ SECX_SUITE_AES_256_GCM_SHA384,	EVP_aes_256_gcm,	NULL },
	{ SECX_SUITE_CHACHA20_POLY1305_SHA256,	EVP_chacha20_poly1305,	NULL },
	{ SECX_SUITE_AES_128_CBC_HMAC_SHA256,	EVP_aes_128_cbc,	"SHA256" },
	{ SECX_SUITE_AES_256_CBC_HMAC_SHA512,	EVP_aes_256_cbc,	"SHA512" },
};

static const struct evp_suite *evp_of(unsigned int id)
{
	unsigned int i;

	for (i = 0; i < sizeof(evp_suites) / sizeof(evp_suites[0]); i++)
		if (evp_suites[i].id == id)
			return &evp_suites[i];
	return NULL;
}

/* A suite both suites.h and this file know, or NULL. */
static const struct secx_suite_desc *suite_get(unsigned int id)
{
	const struct secx_suite_desc *s = secx_suite_find(id);

	return s && evp_of(id) ? s : NULL;
}

size_t secx_rec_size(unsigned int suite, size_t data_len)
{
	const struct secx_suite_desc *s = suite_get(suite);

	if (!s || data_len > SECX_MAX_DATA)
		return 0;
	return SECX_HDR_LEN + secx_suite_body_len(s, (unsigned int)data_len);
}

/* "Key derivation": key and iv from a traffic secret; the secret is kept. */
static int derive(struct secx_rec_state *st, const uint8_t *secret)
{
	const struct secx_suite_desc *s = st->suite;

	if (secret != st->secret)
		memcpy(st->secret, secret, s->hash_len);
	st->secret_len = s->hash_len;
	st->seq = 0;
	st->records = 0;
	if (secx_hkdf_expand_label(s->hash_alg, secret, s->hash_len, SECX_LABEL_KEY,
				   NULL, 0, st->key, secx_suite_key_len(s)) ||
	    secx_hkdf_expand_label(s->hash_alg, secret, s->hash_len, SECX_LABEL_IV,
				   NULL, 0, st->iv, SECX_IV_LEN))
		return -EIO;
	return 0;
}

int secx_rec_init(struct secx_rec_state *st, unsigned int suite,
		  const uint8_t *secret, size_t secret_len)
{
	const struct secx_suite_desc *s = suite_get(suite);
	int ret;

	memset(st, 0, sizeof(*st));
	if (!s || !secret || secret_len != s->hash_len)
		return -EINVAL;
	st->suite = s;
	ret = derive(st, secret);
	if (ret)
		secx_rec_wipe(st);
	return ret;
}

int secx_rec_init_raw(struct secx_rec_state *st, unsigned int suite,
		      const uint8_t *key, size_t key_len, const uint8_t *iv, uint64_t seq)
{
	const struct secx_suite_desc *s = suite_get(suite);

	memset(st, 0, sizeof(*st));
	if (!s || !key || key_len != secx_suite_key_len(s) ||
	    (!iv && s->kind == SECX_KIND_AEAD))
		return -EINVAL;
	st->suite = s;
	st->seq = seq;
	memcpy(st->key, key, key_len);
	if (iv)
		memcpy(st->iv, iv, SECX_IV_LEN);
	return 0;
}

void secx_rec_wipe(struct secx_rec_state *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}

/* "Key update": next secret = HKDF-Expand-Label(secret, "upd", "", hash_len). */
int secx_rec_rekey(struct secx_rec_state *st)
{
	const struct secx_suite_desc *s = st->suite;
	uint8_t next[SECX_MAX_SECRET_LEN];
	int ret;

	if (!s || st->secret_len != s->hash_len)
		return -ENOKEY;
	if (secx_hkdf_expand_label(s->hash_alg, st->secret, s->hash_len, SECX_LABEL_UPDATE,
				   NULL, 0, next, s->hash_len))
		ret = -EIO;
	else
		ret = derive(st, next);
	OPENSSL_cleanse(next, sizeof(next));
	return ret;
}

int secx_rec_crypto_info(struct secx_crypto_info *ci, unsigned int suite,
			 const uint8_t *secret, size_t secret_len)
{
	struct secx_rec_state st;
	int ret;

	memset(ci, 0, sizeof(*ci));
	ret = secx_rec_init(&st, suite, secret, secret_len);
	if (ret)
		return ret;
	ci->version = SECX_ABI_VERSION;
	ci->suite = (__u16)suite;
	ci->key_len = (__u16)secx_suite_key_len(st.suite);
	ci->secret_len = (__u16)st.secret_len;
	ci->seq = 0;
	memcpy(ci->iv, st.iv, SECX_IV_LEN);
	memcpy(ci->key, st.key, ci->key_len);
	memcpy(ci->secret, st.secret, st.secret_len);
	secx_rec_wipe(&st);
	return 0;
}

/*
 * "Record layer", AEAD suites: body = AEAD(key, iv ^ seq, aad = header,
 * inner plaintext) = ciphertext || tag(16).  Decrypt: @tag is the received
 * tag and a mismatch returns -EBADMSG.
 */
static int aead_crypt(const struct secx_rec_state *st, int enc, const uint8_t *hdr,
		      const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	const EVP_CIPHER *cipher = evp_of(st->suite->id)->cipher();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[SECX_IV_LEN];
	int n, ret = -EIO;

	secx_nonce(nonce, st->iv, st->seq);
	if (!ctx || !EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, SECX_IV_LEN, NULL) ||
	    !EVP_CipherInit_ex(ctx, NULL, NULL, st->key, nonce, enc) ||
	    !EVP_CipherUpdate(ctx, NULL, &n, hdr, SECX_HDR_LEN) ||
	    (len && !EVP_CipherUpdate(ctx, out, &n, in, (int)len)))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, tag))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, out + len, &n)) {
		ret = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, tag))
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/* CBC suites: raw AES-CBC over whole blocks, no OpenSSL padding. */
static int cbc_crypt(const struct secx_rec_state *st, int enc, const uint8_t *iv,
		     const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_CIPHER *cipher = evp_of(st->suite->id)->cipher();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, m, ret = -EIO;

	if (ctx && EVP_CipherInit_ex(ctx, cipher, NULL, st->key, iv, enc) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) &&
	    EVP_CipherFinal_ex(ctx, out + n, &m) && (size_t)(n + m) == len)
		ret = 0;
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/*
 * CBC suites: tag = HMAC(mac_key, be64(seq) || header || IV || ciphertext),
 * what authenc(hmac(shaX),cbc(aes)) computes with seq || header || IV as
 * its associated data.
 */
static int cbc_mac(const struct secx_rec_state *st, const uint8_t *hdr, const uint8_t *iv,
		   const uint8_t *ct, size_t ct_len, uint8_t *tag)
{
	const struct secx_suite_desc *s = st->suite;
	OSSL_PARAM params[2];
	uint8_t seq[SECX_SEQ_LEN];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t n = 0;
	int ret = -EIO;

	secx_seq_encode(seq, st->seq);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)evp_of(s->id)->mac_md, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac)
		ctx = EVP_MAC_CTX_new(mac);
	if (ctx && EVP_MAC_init(ctx, st->key + s->enc_key_len, s->mac_key_len, params) &&
	    EVP_MAC_update(ctx, seq, sizeof(seq)) &&
	    EVP_MAC_update(ctx, hdr, SECX_HDR_LEN) &&
	    EVP_MAC_update(ctx, iv, SECX_CBC_IV_LEN) &&
	    EVP_MAC_update(ctx, ct, ct_len) &&
	    EVP_MAC_final(ctx, tag, &n, SECX_MAX_TAG) && n == s->tag_len)
		ret = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

/*
 * "Sequence numbers" and "Usage limits": seq 2^64-1 is never used, and one
 * key protects at most the suite's max_records records.
 */
static bool key_usable(const struct secx_rec_state *st)
{
	return st->seq != UINT64_MAX && st->records < st->suite->max_records;
}

int secx_rec_seal_inner(struct secx_rec_state *st, const uint8_t *inner,
			size_t inner_len, const uint8_t *cbc_iv, uint8_t *out, size_t *out_len)
{
	const struct secx_suite_desc *s = st->suite;
	size_t body;
	uint8_t *p;
	int ret;

	if (!s || (inner_len && !inner))
		return -EINVAL;
	if (!key_usable(st))
		return -EKEYEXPIRED;
	if (s->kind == SECX_KIND_CBC_HMAC) {
		if (!inner_len || inner_len % SECX_CBC_BLOCK)
			return -EINVAL;
		body = SECX_CBC_IV_LEN + inner_len + s->tag_len;
	} else {
		body = inner_len + s->tag_len;
	}
	if (body > 0xffff)
		return -EMSGSIZE;
	if (*out_len < SECX_HDR_LEN + body)
		return -ENOSPC;
	secx_hdr_encode(out, (u16)body);
	p = out + SECX_HDR_LEN;
	if (s->kind == SECX_KIND_AEAD) {
		ret = aead_crypt(st, 1, out, inner, inner_len, p, p + inner_len);
	} else {
		if (cbc_iv)
			memcpy(p, cbc_iv, SECX_CBC_IV_LEN);
		else if (RAND_bytes(p, SECX_CBC_IV_LEN) != 1)
			return -EIO;
		ret = cbc_crypt(st, 1, p, inner, inner_len, p + SECX_CBC_IV_LEN);
		if (!ret)
			ret = cbc_mac(st, out, p, p + SECX_CBC_IV_LEN, inner_len,
				      p + SECX_CBC_IV_LEN + inner_len);
	}
	if (ret) {
		OPENSSL_cleanse(out, SECX_HDR_LEN + body);
		return ret;
	}
	st->seq++;
	st->records++;
	*out_len = SECX_HDR_LEN + body;
	return 0;
}

/* Inner plaintext = type || data [|| CBC padding: p bytes of value p-1]. */
int secx_rec_seal(struct secx_rec_state *st, uint8_t type, const uint8_t *data,
		  size_t len, const uint8_t *cbc_iv, uint8_t *out, size_t *out_len)
{
	uint8_t inner[INNER_MAX];
	size_t n = SECX_TYPE_LEN + len, pad;
	int ret;

	if (!st->suite || (len && !data))
		return -EINVAL;
	if (len > SECX_MAX_DATA)
		return -EMSGSIZE;
	inner[0] = type;
	if (len)
		memcpy(inner + SECX_TYPE_LEN, data, len);
	if (st->suite->kind == SECX_KIND_CBC_HMAC) {
		pad = SECX_CBC_BLOCK - n % SECX_CBC_BLOCK;	/* 1..16 */
		memset(inner + n, (int)(pad - 1), pad);
		n += pad;
	}
	ret = secx_rec_seal_inner(st, inner, n, cbc_iv, out, out_len);
	OPENSSL_cleanse(inner, n);
	return ret;
}

/* "Receiver rules": framing checks, before any crypto. */
int secx_rec_check_header(const struct secx_rec_state *st, const uint8_t *hdr,
			  size_t *rec_len)
{
	const struct secx_suite_desc *s = st->suite;
	unsigned int body = 0;
	int err;

	if (!s)
		return -EINVAL;
	err = secx_suite_check_header(s, hdr, &body);
	if (err)
		return err;
	*rec_len = SECX_HDR_LEN + body;
	return 0;
}

/* CBC: verify the MAC first (constant time), then decrypt and unpad. */
static int cbc_open(const struct secx_rec_state *st, const uint8_t *rec, size_t body,
		    uint8_t *inner, size_t *inner_len)
{
	const struct secx_suite_desc *s = st->suite;
	const uint8_t *iv = rec + SECX_HDR_LEN, *ct = iv + SECX_CBC_IV_LEN;
	size_t ct_len = body - SECX_CBC_IV_LEN - s->tag_len, pad, i;
	uint8_t tag[SECX_MAX_TAG];
	int ret;

	ret = cbc_mac(st, rec, iv, ct, ct_len, tag);
	if (ret)
		return ret;
	ret = CRYPTO_memcmp(tag, ct + ct_len, s->tag_len) ? -EBADMSG : 0;
	OPENSSL_cleanse(tag, sizeof(tag));
	if (ret)
		return ret;
	ret = cbc_crypt(st, 0, iv, ct, ct_len, inner);
	if (ret)
		return ret;
	pad = (size_t)inner[ct_len - 1] + 1;
	if (pad > SECX_CBC_BLOCK || pad >= ct_len)	/* >= : no room for the type */
		return -EBADMSG;
	for (i = ct_len - pad; i < ct_len; i++)
		if (inner[i] != pad - 1)
			return -EBADMSG;
	*inner_len = ct_len - pad;
	return 0;
}

/* "Record types": what each type may carry. */
static int check_inner(uint8_t type, const uint8_t *data, size_t len)
{
	switch (type) {
	case SECX_RT_DATA:
		return 0;
	case SECX_RT_CLOSE:
		return len == 0 ? 0 : -EBADMSG;
	case SECX_RT_KEY_UPDATE:
		return len == 1 && !(data[0] & ~1u) ? 0 : -EBADMSG;
	case SECX_RT_ALERT:
		return len == 1 ? 0 : -EBADMSG;
	default:
		return -EBADMSG;
	}
}

int secx_rec_open(struct secx_rec_state *st, const uint8_t *rec, size_t len,
		  uint8_t *type, uint8_t *out, size_t *out_len)
{
	const struct secx_suite_desc *s = st->suite;
	uint8_t inner[INNER_MAX + SECX_CBC_BLOCK];
	size_t rec_len = 0, body, inner_len = 0, dlen;
	int ret;

	if (!s)
		return -EINVAL;
	if (len < SECX_HDR_LEN)
		return -EBADMSG;
	ret = secx_rec_check_header(st, rec, &rec_len);
	if (ret)
		return ret;
	if (len != rec_len)
		return -EBADMSG;		/* truncated, or trailing bytes */
	if (!key_usable(st))
		return -EKEYEXPIRED;
	body = rec_len - SECX_HDR_LEN;
	if (s->kind == SECX_KIND_AEAD) {
		uint8_t tag[AEAD_TAG_LEN];

		inner_len = body - s->tag_len;
		memcpy(tag, rec + SECX_HDR_LEN + inner_len, sizeof(tag));
		ret = aead_crypt(st, 0, rec, rec + SECX_HDR_LEN, inner_len, inner, tag);
	} else {
		ret = cbc_open(st, rec, body, inner, &inner_len);
	}
	if (ret)
		goto out;
	dlen = inner_len - SECX_TYPE_LEN;
	if (dlen > SECX_MAX_DATA) {
		ret = -EMSGSIZE;	/* CBC: a full last block can hide 14 more bytes */
		goto out;
	}
	ret = check_inner(inner[0], inner + SECX_TYPE_LEN, dlen);
	if (ret)
		goto out;
	if (*out_len < dlen) {
		ret = -ENOSPC;
		goto out;
	}
	if (dlen)
		memcpy(out, inner + SECX_TYPE_LEN, dlen);
	*type = inner[0];
	*out_len = dlen;
	st->seq++;
	st->records++;
out:
	OPENSSL_cleanse(inner, inner_len ? inner_len : sizeof(inner));
	return ret;
}
