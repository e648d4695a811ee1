// SPDX-License-Identifier: GPL-2.0
/*
 * Cipher state of one direction and the two operations the data path
 * needs: seal and open one record.  Everything goes through the kernel
 * crypto API, so the kernel picks AES-NI/AVX/SIMD implementations.
 *
 * All calls come from process context with the socket lock held, so one
 * preallocated request per direction suffices; an asynchronous
 * implementation is waited for.
 */
#include <crypto/aead.h>
#include <crypto/authenc.h>
#include <crypto/hash.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "secx.h"

/* authenc() takes one blob: rtattr(enckeylen) || auth key || enc key. */
static int secx_crypto_setkey_authenc(struct crypto_aead *aead,
				      const struct secx_suite_desc *s, const u8 *key)
{
	u8 blob[RTA_SPACE(sizeof(struct crypto_authenc_key_param)) + SECX_MAX_KEY_LEN];
	struct crypto_authenc_key_param *param;
	struct rtattr *rta = (struct rtattr *)blob;
	unsigned int hdr = RTA_SPACE(sizeof(*param));
	int err;

	rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM;
	rta->rta_len = RTA_LENGTH(sizeof(*param));
	param = RTA_DATA(rta);
	param->enckeylen = cpu_to_be32(s->enc_key_len);
	/* secx key material is enc key || mac key (protocol.rst) */
	memcpy(blob + hdr, key + s->enc_key_len, s->mac_key_len);
	memcpy(blob + hdr + s->mac_key_len, key, s->enc_key_len);
	err = crypto_aead_setkey(aead, blob, hdr + s->mac_key_len + s->enc_key_len);
	memzero_explicit(blob, sizeof(blob));
	return err;
}

/* Key the AEAD with @key in the secx layout (protocol.rst "Key derivation"). */
int secx_crypto_setkey(struct secx_crypto *c, const u8 *key)
{
	const struct secx_suite_desc *s = c->suite;

	if (s->kind == SECX_KIND_CBC_HMAC)
		return secx_crypto_setkey_authenc(c->aead, s, key);
	return crypto_aead_setkey(c->aead, key, s->enc_key_len);
}

int secx_crypto_init(struct secx_crypto *c, const struct secx_crypto_info *info)
{
	const struct secx_suite_desc *s = secx_suite_find(info->suite);
	char hmac_name[CRYPTO_MAX_ALG_NAME];
	int err;

	if (!s)
		return -EINVAL;
	c->suite = s;
	c->aead = crypto_alloc_aead(s->kernel_alg, 0, 0);
	if (IS_ERR(c->aead)) {
		err = PTR_ERR(c->aead);
		goto err_clear;
	}
	err = secx_crypto_setkey(c, info->key);
	if (!err)
		err = crypto_aead_setauthsize(c->aead, s->tag_len);
	if (err)
		goto err_free_aead;
	c->req = aead_request_alloc(c->aead, GFP_KERNEL);
	if (!c->req) {
		err = -ENOMEM;
		goto err_free_aead;
	}

	/*
	 * With a traffic secret the kernel derives the next keys itself
	 * (rekey.c, which instantiates the HMAC only when it needs it): refuse
	 * now rather than fail the connection at its first key update.
	 */
	if (info->secret_len) {
		snprintf(hmac_name, sizeof(hmac_name), "hmac(%s)", s->hash_alg);
		if (crypto_has_shash(hmac_name, 0, 0) <= 0) {
			err = -ENOENT;
			goto err_free_req;
		}
	}
	memcpy(c->iv, info->iv, SECX_IV_LEN);
	memcpy(c->secret, info->secret, info->secret_len);
	c->secret_len = info->secret_len;
	c->seq = info->seq;
	c->key_records = 0;
	c->epoch = 0;
	return 0;

err_free_req:
	aead_request_free(c->req);
err_free_aead:
	crypto_free_aead(c->aead);
err_clear:
	memset(c, 0, sizeof(*c));
	return err;
}

void secx_crypto_free(struct secx_crypto *c)
{
	if (c->hmac)
		crypto_free_shash(c->hmac);	/* zeroes its key state */
	if (c->req)
		aead_request_free(c->req);	/* kfree_sensitive() inside */
	if (c->aead)
		crypto_free_aead(c->aead);	/* wipes the expanded key */
	memzero_explicit(c, sizeof(*c));
}

static int secx_crypto_run(struct secx_crypto *c, bool enc, struct scatterlist *src,
			   struct scatterlist *dst, unsigned int assoclen,
			   unsigned int cryptlen, u8 *iv)
{
	struct aead_request *req = c->req;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, assoclen);
	aead_request_set_crypt(req, src, dst, cryptlen, iv);
	err = enc ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	return crypto_wait_req(err, &wait);
}

int secx_crypto_seal(struct secx_crypto *c, struct scatterlist *src, struct scatterlist *dst,
		     unsigned int assoclen, unsigned int cryptlen, u8 *iv)
{
	return secx_crypto_run(c, true, src, dst, assoclen, cryptlen, iv);
}

/*
 * Verifies the tag (for CBC suites: the HMAC, before decrypting anything;
 * the caller checks and strips the padding).  @src and @dst may differ:
 * rxzc.c reads the TCP queue and writes the reader's pages.
 */
int secx_crypto_open(struct secx_crypto *c, struct scatterlist *src, struct scatterlist *dst,
		     unsigned int assoclen, unsigned int cryptlen, u8 *iv)
{
	return secx_crypto_run(c, false, src, dst, assoclen, cryptlen, iv);
}
