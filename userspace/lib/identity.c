// SPDX-License-Identifier: MIT
/*
 * The Identity and Verify messages of both roles, and loading our own
 * credentials.  Documentation/handshake.rst, "Identity", "Verify",
 * "Pinned Ed25519 keys", "X.509".
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "hs.h"

static const char *role(const struct hs_state *st, int peer)
{
	return (st->server ^ peer) ? "server" : "client";
}

/*
 * Everything this side needs from files, before a byte is sent: the
 * credentials secx_cfg_load() loaded, or the same loaded now for this
 * handshake only.
 */
int hs_load_own_key(struct hs_state *st)
{
	const struct secx_cfg *cfg = st->cfg;
	int r;

	if (cfg->creds && cfg->creds->server != st->server)
		return secx_err("secx_cfg_load() was called for the other role");
	if (cfg->creds) {
		if (hs_cfg_check(cfg, st->server))
			return -1;
		st->cr = cfg->creds;
	} else {
		if (hs_creds_load(cfg, st->server, &st->own_creds))
			return -1;
		st->cr = st->own_creds;
	}
	st->key = st->cr->key;
	switch (cfg->auth) {
	case SECX_AUTH_PSK:
		if (st->server)
			return 0;	/* looked up once the client names its identity */
		r = hs_psk_load(cfg->psk_file, cfg->psk_identity, st->psk_id, st->psk,
				&st->psk_len);
		if (r > 0)
			return secx_err("PSK identity '%s' is not in %s", cfg->psk_identity,
					cfg->psk_file);
		return r;
	case SECX_AUTH_ANON:
		secx_warn(cfg, "anonymous handshake: the peer is NOT authenticated; anyone on "
			  "the path can intercept this connection");
		return 0;
	default:
		return 0;
	}
}

/* Verify: our signature over the transcript through our Identity. */
static int send_verify(struct hs_state *st)
{
	uint8_t th[HS_MAX_HASH], in[160], sig[HS_MAX_SIG];
	size_t sig_len;
	int n;

	if (hs_th(st, th))
		return -1;
	n = hs_sig_input(in, st->server, th, st->keys.hlen);
	if (hs_sign(st->key, in, (size_t)n, sig, &sig_len))
		return -1;
	return hs_send(st, hs_enc_verify(HS_OUT(st), HS_OUT_CAP(st), sig, sig_len));
}

/* The name we present: --name, else the host name if it is a name, else "unnamed". */
int hs_self_name(const struct secx_cfg *cfg, char *out, size_t len)
{
	if (cfg->self_name)
		snprintf(out, len, "%s", cfg->self_name);
	else if (gethostname(out, len - 1) || (out[len - 1] = 0, !hs_name_ok(out, strlen(out))))
		snprintf(out, len, "unnamed");
	return (int)strlen(out);
}

static int send_ed25519(struct hs_state *st)
{
	struct hs_id_ed25519 id = { 0 };
	size_t n = sizeof(id.pub);

	id.name_len = (uint8_t)hs_self_name(st->cfg, id.name, sizeof(id.name));
	if (!EVP_PKEY_get_raw_public_key(st->key, id.pub, &n))
		return secx_err_ossl("Ed25519 public key");
	return hs_send(st, hs_enc_id_ed25519(HS_OUT(st), HS_OUT_CAP(st), &id));
}

int hs_send_identity(struct hs_state *st)
{
	struct hs_id_x509 id = { 0 };
	unsigned int i;
	int r;

	if (st->cfg->auth == SECX_AUTH_PSK) {
		struct hs_id_psk p = { 0 };

		/* psk: the server names itself, so a client can check it (reflection). */
		p.name_len = (uint8_t)hs_self_name(st->cfg, p.name, sizeof(p.name));
		return hs_send(st, hs_enc_id_psk(HS_OUT(st), HS_OUT_CAP(st), &p));
	}
	if (st->cfg->auth == SECX_AUTH_ED25519) {
		r = send_ed25519(st);
	} else {
		id.n = st->cr->n_der;
		for (i = 0; i < st->cr->n_der; i++) {
			id.der[i] = st->cr->der[i];
			id.len[i] = (uint16_t)st->cr->der_len[i];
		}
		r = hs_send(st, hs_enc_id_x509(HS_OUT(st), HS_OUT_CAP(st), &id));
	}
	if (r || !st->key)
		return r;	/* an x509 client without a certificate sends no Verify */
	return send_verify(st);
}

/* Receive Verify and check it with @peer_key against TH(..Identity). */
static int recv_verify(struct hs_state *st, EVP_PKEY *peer_key)
{
	uint8_t th[HS_MAX_HASH], in[160];
	struct hs_verify v;
	const uint8_t *body;
	size_t len;
	int n;

	if (hs_th(st, th))
		return -1;
	n = hs_sig_input(in, !st->server, th, st->keys.hlen);
	if (hs_recv(st, HS_VERIFY, &body, &len))
		return -1;
	if (hs_parse_verify(body, len, &v))
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	if (hs_verify_sig(peer_key, in, (size_t)n, v.sig, v.sig_len)) {
		secx_err("the %s's signature over the handshake does not verify: it does not "
			 "hold the private key of the identity it presented", role(st, 1));
		return hs_alert(st, HS_AL_BAD_SIGNATURE, NULL, 0);
	}
	return 0;
}

/* Pinning, after the signature proved possession of the key. */
static int check_pin(struct hs_state *st, const char *name)
{
	const struct secx_cfg *cfg = st->cfg;
	struct hs_pin_scan scan;
	char old_fp[SECX_FP_LEN];

	if (hs_pin_check(cfg, cfg->known_peers, name, st->peer_pub, &scan))
		return hs_alert(st, HS_AL_INTERNAL_ERROR, NULL, 0);
	switch (scan.result) {
	case HS_PIN_MATCH:
		return 0;
	case HS_PIN_UNKNOWN:
		if (!(cfg->flags & SECX_CFG_TOFU)) {
			secx_err("unknown %s key for '%s': %s is not in %s (add it, or allow trust "
				 "on first use with --tofu)", role(st, 1), name, st->sess.peer_fp,
				 cfg->known_peers);
			return hs_alert(st, HS_AL_UNKNOWN_PEER, NULL, 0);
		}
		if (scan.bad) {
			secx_err("%s:%d: line cannot be read; not pinning '%s' on first use while "
				 "it could be that peer's pin (fix or remove the line)",
				 cfg->known_peers, scan.first_bad, name);
			return hs_alert(st, HS_AL_UNKNOWN_PEER, NULL, 0);
		}
		if (name[0] == '#' || !hs_name_ok(name, strlen(name))) {
			secx_err("refusing to pin the name '%s' on first use", name);
			return hs_alert(st, HS_AL_UNKNOWN_PEER, NULL, 0);
		}
		if (scan.entries >= HS_PIN_MAX_ENTRIES) {
			secx_err("%s already holds %u pins: trust on first use enrolls no more "
				 "(pin '%s' by hand)", cfg->known_peers, HS_PIN_MAX_ENTRIES, name);
			return hs_alert(st, HS_AL_UNKNOWN_PEER, NULL, 0);
		}
		st->tofu_pending = 1;
		return 0;
	default:
		hs_fingerprint(scan.pinned, sizeof(scan.pinned), old_fp, sizeof(old_fp));
		secx_err("%s key for '%s' has CHANGED: pinned %s, presented %s; refusing (if the "
			 "key was replaced on purpose, edit %s)", role(st, 1), name, old_fp,
			 st->sess.peer_fp, cfg->known_peers);
		return hs_alert(st, HS_AL_PEER_KEY_CHANGED, NULL, 0);
	}
}

static int recv_ed25519(struct hs_state *st, const uint8_t *body, size_t len)
{
	const char *name = st->server ? NULL : st->cfg->peer_name;
	struct hs_id_ed25519 id;
	EVP_PKEY *k;
	int ret;

	if (hs_parse_id_ed25519(body, len, &id))
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	if (st->server && st->cfg->peer_name && strcmp(id.name, st->cfg->peer_name)) {
		secx_err("the client presented the name '%s', but only '%s' is accepted "
			 "(--peer-name)", id.name, st->cfg->peer_name);
		return hs_alert(st, HS_AL_UNKNOWN_PEER, NULL, 0);
	}
	memcpy(st->peer_pub, id.pub, sizeof(id.pub));
	snprintf(st->sess.peer_name, sizeof(st->sess.peer_name), "%s", name ? name : id.name);
	hs_fingerprint(id.pub, sizeof(id.pub), st->sess.peer_fp, sizeof(st->sess.peer_fp));
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, id.pub, sizeof(id.pub));
	if (!k) {
		secx_err_ossl("the peer's Ed25519 key");
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	}
	ret = recv_verify(st, k);
	EVP_PKEY_free(k);
	return ret ? ret : check_pin(st, st->sess.peer_name);
}

static int recv_x509(struct hs_state *st, const uint8_t *body, size_t len)
{
	const struct secx_cfg *cfg = st->cfg;
	struct hs_id_x509 id;
	EVP_PKEY *k = NULL;
	int ret;

	if (hs_parse_id_x509(body, len, &id))
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	if (!id.n && st->server && !cfg->ca_file)
		return 0;	/* client authentication not asked for */
	if (!id.n && st->server) {
		secx_err("the client sent no certificate, but this server requires one (--ca)");
		return hs_alert(st, HS_AL_CERTIFICATE_REQUIRED, NULL, 0);
	}
	/* Without a CA (server only) nothing names the client: peer_name stays "". */
	if (hs_x509_verify(&id, st->cr->ca, cfg->peer_name, !st->server, &k,
			   st->sess.peer_name, sizeof(st->sess.peer_name)))
		return hs_alert(st, HS_AL_BAD_CERTIFICATE, NULL, 0);
	hs_fingerprint(id.der[0], id.len[0], st->sess.peer_fp, sizeof(st->sess.peer_fp));
	ret = recv_verify(st, k);
	EVP_PKEY_free(k);
	return ret;
}

/*
 * psk, client: the server's name (in the transcript, authenticated by the
 * PSK-keyed server Finished that follows).  A reflected connection -- our
 * own server answering -- names itself and is refused by --peer-name.
 */
static int recv_psk(struct hs_state *st, const uint8_t *body, size_t len)
{
	struct hs_id_psk id;

	if (hs_parse_id_psk(body, len, &id))
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	if (st->cfg->peer_name && strcmp(id.name, st->cfg->peer_name)) {
		secx_err("the server calls itself '%s', not '%s' (--peer-name): refusing (a "
			 "reflected or redirected connection?)", id.name, st->cfg->peer_name);
		return hs_alert(st, HS_AL_UNKNOWN_PEER, NULL, 0);
	}
	/* as the server reports it: the name of the key */
	snprintf(st->sess.peer_name, sizeof(st->sess.peer_name), "%s", st->psk_id);
	return 0;
}

int hs_recv_identity(struct hs_state *st)
{
	const uint8_t *body;
	size_t len;

	if (hs_recv(st, HS_IDENTITY, &body, &len))
		return -1;
	if (st->cfg->auth == SECX_AUTH_PSK)
		return recv_psk(st, body, len);
	if (st->cfg->auth == SECX_AUTH_ED25519)
		return recv_ed25519(st, body, len);
	return recv_x509(st, body, len);
}
