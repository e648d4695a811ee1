// SPDX-License-Identifier: MIT
/*
 * The handshake key schedule, Documentation/handshake.rst "Key schedule".
 * H is the suite's hash, L its output length; Expand-Label is kdf.h's
 * (labels are prefixed with "secx ").
 *
 *   early = HKDF-Extract(salt = 0^L, PSK or 0^L)
 *   hs    = HKDF-Extract(salt = Expand-Label(early, "derived", "", L), X25519 shared)
 *   c_hs  = Expand-Label(hs, "c hs", TH(..ServerHello), L)
 *   s_hs  = Expand-Label(hs, "s hs", TH(..ServerHello), L)
 *   ms    = HKDF-Extract(salt = Expand-Label(hs, "derived", "", L), 0^L)
 *   c_ap  = Expand-Label(ms, "c ap", TH(..client Finished), L)   client -> server
 *   s_ap  = Expand-Label(ms, "s ap", TH(..client Finished), L)   server -> client
 *   exp   = Expand-Label(ms, "exp",  TH(..client Finished), L)   exporter
 *   transfer id = Expand-Label(exp, "transfer id", "", 32)
 *
 * MACs: HMAC-H(Expand-Label(base, label, "", L), TH) with
 *   server Finished: base s_hs, label "finished"
 *   client Finished: base c_hs, label "finished"
 *   Confirm:         base s_hs, label "confirm"
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hs.h"
#include "kdf.h"

static int label(const struct hs_keys *k, const uint8_t *secret, const char *lbl,
		 const uint8_t *ctx, size_t ctx_len, uint8_t *out)
{
	if (secx_hkdf_expand_label(k->suite->hash_alg, secret, k->hlen, lbl, ctx, ctx_len,
				   out, k->hlen))
		return secx_err_ossl("HKDF-Expand-Label");
	return 0;
}

/* HKDF-Extract(salt = Expand-Label(@from, "derived", "", L), @ikm). */
static int extract_derived(const struct hs_keys *k, const uint8_t *from,
			   const uint8_t *ikm, size_t ikm_len, uint8_t *out)
{
	uint8_t salt[HS_MAX_HASH];
	size_t n;
	int ret;

	ret = label(k, from, "derived", NULL, 0, salt);
	if (!ret && secx_hkdf_extract(k->suite->hash_alg, salt, k->hlen, ikm, ikm_len, out, &n))
		ret = secx_err_ossl("HKDF-Extract");
	OPENSSL_cleanse(salt, sizeof(salt));
	return ret;
}

int hs_keys_handshake(struct hs_keys *k, const struct secx_suite_desc *suite,
		      const uint8_t *psk, size_t psk_len, const uint8_t dh[SECX_X25519_LEN],
		      const uint8_t *th_sh)
{
	static const uint8_t zeros[HS_MAX_HASH];
	uint8_t early[HS_MAX_HASH];
	size_t n;
	int ret = -1;

	memset(k, 0, sizeof(*k));
	k->suite = suite;
	k->hlen = suite->hash_len;
	if (!psk_len)
		psk = zeros, psk_len = k->hlen;
	if (secx_hkdf_extract(suite->hash_alg, NULL, 0, psk, psk_len, early, &n)) {
		secx_err_ossl("HKDF-Extract");
		goto out;
	}
	if (extract_derived(k, early, dh, SECX_X25519_LEN, k->hs) ||
	    label(k, k->hs, "c hs", th_sh, k->hlen, k->c_hs) ||
	    label(k, k->hs, "s hs", th_sh, k->hlen, k->s_hs) ||
	    extract_derived(k, k->hs, zeros, k->hlen, k->ms))
		goto out;
	ret = 0;
out:
	OPENSSL_cleanse(early, sizeof(early));
	return ret;
}

/* @which: "server" (server Finished), "client" (client Finished), "confirm". */
int hs_keys_mac(const struct hs_keys *k, const char *which, const uint8_t *th, uint8_t *mac)
{
	const uint8_t *base = !strcmp(which, "client") ? k->c_hs : k->s_hs;
	const char *lbl = !strcmp(which, "confirm") ? "confirm" : "finished";
	uint8_t key[HS_MAX_HASH];
	size_t n = 0;
	int ret = 0;

	if (label(k, base, lbl, NULL, 0, key))
		return -1;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, k->suite->hash_alg, NULL, key, k->hlen,
		       th, k->hlen, mac, k->hlen, &n) || n != k->hlen)
		ret = secx_err_ossl("HMAC");
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

int hs_keys_traffic(struct hs_keys *k, const uint8_t *th_cf)
{
	if (label(k, k->ms, "c ap", th_cf, k->hlen, k->c_ap) ||
	    label(k, k->ms, "s ap", th_cf, k->hlen, k->s_ap) ||
	    label(k, k->ms, "exp", th_cf, k->hlen, k->exp))
		return -1;
	return 0;
}

int hs_keys_transfer_id(const struct hs_keys *k, uint8_t id[32])
{
	if (secx_hkdf_expand_label(k->suite->hash_alg, k->exp, k->hlen, "transfer id", NULL, 0,
				   id, 32))
		return secx_err_ossl("HKDF-Expand-Label");
	return 0;
}

void hs_keys_wipe(struct hs_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}
