// SPDX-License-Identifier: MIT
/*
 * Proof of possession and X.509 checks.  Documentation/handshake.rst,
 * "Verify" and "X.509".
 *
 * Signed content (as in TLS 1.3, so a signature can never be replayed in
 * another protocol or role):
 *   64 x 0x20 || "secx server verify" or "secx client verify" || 0x00 || TH
 * Ed25519 keys sign it directly (PureEdDSA); EC keys use ECDSA with
 * SHA-256; RSA keys use RSA-PSS with SHA-256, MGF1-SHA-256, salt 32.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hs.h"

int hs_sig_input(uint8_t *out, int server, const uint8_t *th, size_t hlen)
{
	const char *ctx = server ? "secx server verify" : "secx client verify";
	size_t n = strlen(ctx) + 1;

	memset(out, 0x20, 64);
	memcpy(out + 64, ctx, n);	/* includes the 0x00 separator */
	memcpy(out + 64 + n, th, hlen);
	return (int)(64 + n + hlen);
}

/* Digest and padding for @key's type; -1 for key types we do not sign with. */
static int sig_params(EVP_PKEY *key, const EVP_MD **md, int *pss)
{
	*pss = 0;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		*md = NULL;
		return 0;
	case EVP_PKEY_EC:
		*md = EVP_sha256();
		return 0;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		*md = EVP_sha256();
		*pss = 1;
		return 0;
	default:
		return secx_err("unsupported key type %s for signatures",
				EVP_PKEY_get0_type_name(key));
	}
}

static int set_pss(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

int hs_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	int pss, ok = 0;

	if (!m || sig_params(key, &md, &pss)) {
		EVP_MD_CTX_free(m);
		return -1;
	}
	*sig_len = HS_MAX_SIG;
	if (EVP_DigestSignInit(m, &pctx, md, NULL, key) > 0 && (!pss || set_pss(pctx)))
		ok = EVP_DigestSign(m, sig, sig_len, msg, len) > 0;
	EVP_MD_CTX_free(m);
	return ok ? 0 : secx_err_ossl("signing the transcript");
}

int hs_verify_sig(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *sig,
		  size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	int pss, ok = 0;

	if (!m || sig_params(key, &md, &pss)) {
		EVP_MD_CTX_free(m);
		return -1;
	}
	if (EVP_DigestVerifyInit(m, &pctx, md, NULL, key) > 0 && (!pss || set_pss(pctx)))
		ok = EVP_DigestVerify(m, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* Host names go through the DNS/CN check, IP literals through the IP check. */
static int set_expected_name(X509_VERIFY_PARAM *p, const char *name)
{
	unsigned char ip[16];

	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(p, name);
	return X509_VERIFY_PARAM_set1_host(p, name, 0);
}

static STACK_OF(X509) *decode_chain(const struct hs_id_x509 *id)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	const unsigned char *p;
	unsigned int i;
	X509 *x;

	for (i = 0; chain && i < id->n; i++) {
		p = id->der[i];
		x = d2i_X509(NULL, &p, id->len[i]);
		if (!x || p != id->der[i] + id->len[i] || !sk_X509_push(chain, x)) {
			X509_free(x);
			sk_X509_pop_free(chain, X509_free);
			secx_err("bad certificate: certificate %u does not parse as DER X.509", i);
			return NULL;
		}
	}
	return chain;
}

static int run_verify(X509_STORE *store, STACK_OF(X509) *chain, const char *name,
		      int peer_is_server, char *subject, size_t subj_len)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509 *leaf = sk_X509_value(chain, 0);
	char raw[SECX_NAME_MAX + 1];
	int ret = -1, err;

	/* Untrusted until verified: escaped, and cleared again on failure. */
	X509_NAME_oneline(X509_get_subject_name(leaf), raw, (int)sizeof(raw));
	secx_escape(subject, subj_len, raw);
	if (peer_is_server && (!name || !name[0])) {
		secx_err("no server name to check the certificate against (--peer-name)");
		goto out;
	}
	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, chain)) {
		secx_err_ossl("certificate verification");
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, peer_is_server ? X509_PURPOSE_SSL_SERVER :
							 X509_PURPOSE_SSL_CLIENT);
	if (name && name[0] && !set_expected_name(X509_STORE_CTX_get0_param(ctx), name)) {
		secx_err("invalid expected peer name '%s'", name);
		goto out;
	}
	if (X509_verify_cert(ctx) == 1) {
		ret = 0;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	ret = secx_err("bad %s certificate %s: %s%s%s%s", peer_is_server ? "server" : "client",
		       subject, X509_verify_cert_error_string(err),
		       err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH ?
		       " (expected '" : "",
		       err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH ?
		       name : "",
		       err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH ?
		       "')" : "");
out:
	if (ret)
		subject[0] = 0;
	X509_STORE_CTX_free(ctx);
	return ret;
}

/*
 * Verify the peer's chain against @ca_store (an X509_STORE from
 * hs_x509_load_ca()).  Without a store (a server not asked to
 * authenticate clients) only the leaf's key is returned for the Verify
 * check, and @subject stays "": an unverified subject names nobody.
 */
int hs_x509_verify(const struct hs_id_x509 *id, void *ca_store, const char *name,
		   int peer_is_server, EVP_PKEY **peer_key, char *subject, size_t subj_len)
{
	STACK_OF(X509) *chain;
	int ret = -1;

	subject[0] = 0;
	if (!id->n)
		return secx_err("%s sent no certificate", peer_is_server ? "server" : "client");
	if (!ca_store && peer_is_server)
		return secx_err("no CA bundle to verify the server with (--ca)");
	chain = decode_chain(id);
	if (!chain)
		return -1;
	if (!ca_store || !run_verify(ca_store, chain, name, peer_is_server, subject, subj_len)) {
		*peer_key = X509_get_pubkey(sk_X509_value(chain, 0));
		ret = *peer_key ? 0 : secx_err_ossl("certificate public key");
	}
	ERR_clear_error();
	sk_X509_pop_free(chain, X509_free);
	return ret;
}

/* The CA bundle, parsed once (secx_cfg_load()) and shared by every handshake. */
void *hs_x509_load_ca(const char *ca_file)
{
	X509_STORE *store = X509_STORE_new();

	if (!store || !X509_STORE_load_file(store, ca_file)) {
		X509_STORE_free(store);
		secx_err_ossl(ca_file);
		secx_err("cannot load CA bundle %s", ca_file);
		return NULL;
	}
	return store;
}

void hs_x509_free_ca(void *store)
{
	X509_STORE_free(store);
}

/* Read a PEM chain into DER buffers (the caller OPENSSL_free()s each). */
int hs_x509_load_chain(const char *path, uint8_t **ders, size_t *lens, unsigned int *n)
{
	FILE *f = fopen(path, "r");
	unsigned char *p;
	X509 *x;
	int len;

	*n = 0;
	if (!f)
		return secx_err("cannot open certificate %s: %s", path, strerror(errno));
	while ((x = PEM_read_X509(f, NULL, NULL, NULL))) {
		p = NULL;
		len = i2d_X509(x, &p);
		X509_free(x);
		if (len <= 0 || len > 0xffff || *n == HS_MAX_CERTS) {
			OPENSSL_free(p);
			fclose(f);
			return secx_err("%s: too many or too large certificates (at most %u)",
					path, HS_MAX_CERTS);
		}
		ders[*n] = p;
		lens[(*n)++] = (size_t)len;
	}
	ERR_clear_error();
	fclose(f);
	if (!*n)
		return secx_err("%s holds no PEM certificate", path);
	return 0;
}
