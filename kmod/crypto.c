// SPDX-License-Identifier: GPL-2.0
/*
 * Cipher state of one direction and the two operations the data path
 * needs: seal and open one record.  Everything goes through the kernel
 * crypto API, so the kernel picks AES-NI/AVX/SIMD implementations.
 *
 * All calls come from process context with the socket (and for TX the
 * tx_lock) held, so one preallocated request per direction suffices; an
 * asynchronous implementation is waited for.
 */
#include <crypto/aead.h>
#include <crypto/authenc.h>
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

int secx_crypto_init(struct secx_crypto *c, const struct secx_crypto_info *info)
{
	const struct secx_suite_desc *s = secx_suite_find(info->suite);
	struct crypto_aead *aead;
	int err;

	if (!s)
		return -EINVAL;
	aead = crypto_alloc_aead(s->kernel_alg, 0, 0);
	if (IS_ERR(aead))
		return PTR_ERR(aead);

	if (s->kind == SECX_KIND_CBC_HMAC)
		err = secx_crypto_setkey_authenc(aead, s, info->key);
	else
		err = crypto_aead_setkey(aead, info->key, s->enc_key_len);
	if (err)
		goto err_free_aead;
	err = crypto_aead_setauthsize(aead, s->tag_len);
	if (err)
		goto err_free_aead;

	c->req = aead_request_alloc(aead, GFP_KERNEL);
	if (!c->req) {
		err = -ENOMEM;
		goto err_free_aead;
	}
	c->aead = aead;
	c->suite = s;
	memcpy(c->iv, info->iv, SECX_IV_LEN);
	memcpy(c->secret, info->secret, info->secret_len);
	c->secret_len = info->secret_len;
	c->seq = info->seq;
	c->key_records = 0;
	c->epoch = 0;
	return 0;

err_free_aead:
	crypto_free_aead(aead);
	return err;
}

void secx_crypto_free(struct secx_crypto *c)
{
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

/* Verifies the tag (for CBC suites: the HMAC, before decrypting). */
int secx_crypto_open(struct secx_crypto *c, struct scatterlist *src, struct scatterlist *dst,
		     unsigned int assoclen, unsigned int cryptlen, u8 *iv)
{
	return secx_crypto_run(c, false, src, dst, assoclen, cryptlen, iv);
}
