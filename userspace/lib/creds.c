// SPDX-License-Identifier: MIT
/*
 * What a configuration may ask for, and its credentials loaded once.
 * Every check here fails closed: an option that cannot be enforced is
 * refused before a byte is sent.  Documentation/handshake.rst,
 * "Authentication methods".
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "hs.h"

/* The option combination, for library users and tools alike. */
int hs_cfg_check(const struct secx_cfg *cfg, int server)
{
	if (cfg->flags & ~(unsigned int)HS_CFG_FLAGS)
		return secx_err("unsupported flags 0x%x in secx_cfg", cfg->flags & ~HS_CFG_FLAGS);
	if (cfg->peer_name && hs_check_name("peer name", cfg->peer_name))
		return -1;
	if (cfg->self_name && hs_check_name("name", cfg->self_name))
		return -1;
	if (cfg->psk_identity && hs_check_name("PSK identity", cfg->psk_identity))
		return -1;
	switch (cfg->auth) {
	case SECX_AUTH_PSK:
	case SECX_AUTH_ANON:
		/* psk client: the server's name in its ServerHello must match. */
		if (cfg->peer_name && (server || cfg->auth == SECX_AUTH_ANON))
			return secx_err("--peer-name cannot be enforced %s: nothing in it "
					"authenticates a peer name", cfg->auth == SECX_AUTH_ANON ?
					"with anonymous authentication" : "by a psk server");
		if (cfg->auth == SECX_AUTH_PSK && !cfg->psk_file)
			return secx_err("psk authentication needs a PSK file (--psk)");
		if (cfg->auth == SECX_AUTH_ANON && !(cfg->flags & SECX_CFG_ALLOW_ANON))
			return secx_err("anonymous handshakes are refused unless explicitly "
					"allowed (--anonymous)");
		return 0;
	case SECX_AUTH_ED25519:
		if (!cfg->key_file || !cfg->known_peers)
			return secx_err("ed25519 authentication needs --key and --known-peers");
		if (!server && !cfg->peer_name)
			return secx_err("ed25519 client needs the server's name (--peer-name)");
		return 0;
	case SECX_AUTH_X509:
		if (!server && (!cfg->ca_file || !cfg->peer_name))
			return secx_err("x509 client needs --ca and the server's name (--peer-name)");
		if (server && cfg->peer_name && !cfg->ca_file)
			return secx_err("--peer-name on an x509 server needs --ca: without a trust "
					"anchor no certificate name is verified");
		if (server && (!cfg->cert_file || !cfg->key_file))
			return secx_err("x509 server needs --cert and --key");
		if (!server && !cfg->cert_file != !cfg->key_file)
			return secx_err("x509 needs both --cert and --key");
		return 0;
	default:
		return secx_err("no authentication method configured");
	}
}

static int load_chain(const struct secx_cfg *cfg, struct secx_creds *c)
{
	const unsigned char *p;
	X509 *leaf;
	int ok;

	if (hs_x509_load_chain(cfg->cert_file, c->der, c->der_len, &c->n_der))
		return -1;
	c->key = hs_key_load(cfg->key_file);
	if (!c->key)
		return -1;
	p = c->der[0];
	leaf = d2i_X509(NULL, &p, (long)c->der_len[0]);
	ok = leaf && X509_check_private_key(leaf, c->key);
	X509_free(leaf);
	if (!ok)
		return secx_err("%s does not match the certificate in %s", cfg->key_file,
				cfg->cert_file);
	return 0;
}

/* The PSK file: mode, every line's syntax, and the key this side will use. */
static int check_psk(const struct secx_cfg *cfg, int server)
{
	uint8_t secret[HS_PSK_MAX];
	char id[SECX_NAME_MAX + 1];
	size_t len;
	int r;

	/* "" never matches an identity: the whole file is parsed. */
	r = hs_psk_load(cfg->psk_file, "", id, secret, &len);
	if (r < 0)
		return -1;
	r = hs_psk_load(cfg->psk_file, server ? NULL : cfg->psk_identity, id, secret, &len);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (r > 0)
		return secx_err("PSK identity '%s' is not in %s", cfg->psk_identity, cfg->psk_file);
	return r;
}

int hs_creds_load(const struct secx_cfg *cfg, int server, struct secx_creds **out)
{
	struct secx_creds *c;

	*out = NULL;
	if (hs_cfg_check(cfg, server))
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return secx_err("out of memory");
	c->server = server;
	switch (cfg->auth) {
	case SECX_AUTH_PSK:
		if (check_psk(cfg, server))
			goto fail;
		break;
	case SECX_AUTH_ED25519:
		c->key = hs_key_load(cfg->key_file);
		if (!c->key)
			goto fail;
		if (EVP_PKEY_get_id(c->key) != EVP_PKEY_ED25519) {
			secx_err("%s is not an Ed25519 key", cfg->key_file);
			goto fail;
		}
		break;
	case SECX_AUTH_X509:
		if (cfg->cert_file && load_chain(cfg, c))
			goto fail;
		if (cfg->ca_file) {
			c->ca = hs_x509_load_ca(cfg->ca_file);
			if (!c->ca)
				goto fail;
		}
		break;
	default:
		break;
	}
	*out = c;
	return 0;
fail:
	hs_creds_free(c);
	return -1;
}

void hs_creds_free(struct secx_creds *c)
{
	unsigned int i;

	if (!c)
		return;
	EVP_PKEY_free(c->key);
	for (i = 0; i < c->n_der; i++)
		OPENSSL_free(c->der[i]);
	hs_x509_free_ca(c->ca);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int secx_cfg_load(struct secx_cfg *cfg, int is_server)
{
	struct secx_creds *c;

	if (hs_creds_load(cfg, is_server, &c))
		return -1;
	hs_creds_free(cfg->creds);
	cfg->creds = c;
	return 0;
}

void secx_cfg_release(struct secx_cfg *cfg)
{
	hs_creds_free(cfg->creds);
	cfg->creds = NULL;
}
