// SPDX-License-Identifier: MIT
/*
 * The client's side of the handshake, in message order
 * (Documentation/handshake.rst, "Message flow"):
 *
 *   -> ClientHello
 *   <- ServerHello [Identity Verify] Finished
 *   -> [Identity [Verify]] Finished
 *   <- Confirm
 *
 * [..] only for the ed25519 and x509 methods.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hs.h"

static int send_client_hello(struct hs_state *st)
{
	struct hs_client_hello ch = { .version = SECX_HS_VERSION };
	unsigned int i;

	if (st->n_policy > HS_MAX_SUITES)
		return secx_err("too many cipher suites (at most %u)", HS_MAX_SUITES);
	for (i = 0; i < st->n_policy; i++)
		ch.suites[i] = st->policy[i];
	ch.n_suites = (uint8_t)st->n_policy;
	ch.auth = (uint8_t)st->cfg->auth;
	if (hs_random(ch.random, sizeof(ch.random)) || hs_x25519_keygen(st->x_priv, ch.share))
		return -1;
	memcpy(st->sess.client_random, ch.random, sizeof(ch.random));
	if (st->cfg->auth == SECX_AUTH_PSK) {
		ch.id_len = (uint8_t)strlen(st->psk_id);
		memcpy(ch.identity, st->psk_id, ch.id_len);
	}
	return hs_send(st, hs_enc_client_hello(HS_OUT(st), HS_OUT_CAP(st), &ch));
}

static int recv_server_hello(struct hs_state *st)
{
	struct hs_server_hello sh;
	const uint8_t *body;
	unsigned int i;
	size_t len;

	if (hs_recv(st, HS_SERVER_HELLO, &body, &len))
		return -1;
	if (hs_parse_server_hello(body, len, &sh))
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	for (i = 0; i < st->n_policy && st->policy[i] != sh.suite; i++)
		;
	st->suite = secx_suite_find(sh.suite);
	if (i == st->n_policy || !st->suite) {
		secx_err("the server chose cipher suite 0x%04x, which we did not offer", sh.suite);
		return hs_alert(st, HS_AL_NO_COMMON_SUITE, NULL, 0);
	}
	return hs_derive_handshake(st, sh.share);
}

static int client_flow(struct hs_state *st, int fd)
{
	int auth = st->cfg->auth == SECX_AUTH_ED25519 || st->cfg->auth == SECX_AUTH_X509;
	uint8_t th[HS_MAX_HASH];

	if (hs_load_own_key(st) || send_client_hello(st) || recv_server_hello(st))
		return -1;
	if ((auth || st->cfg->auth == SECX_AUTH_PSK) && hs_recv_identity(st))
		return -1;
	if (hs_recv_finished(st, "server", HS_FINISHED))
		return -1;
	if (auth && hs_send_identity(st))
		return -1;
	if (hs_send_finished(st, "client", HS_FINISHED) || hs_th(st, th) ||
	    hs_keys_traffic(&st->keys, th))
		return -1;
	if (hs_recv_finished(st, "confirm", HS_CONFIRM))
		return -1;
	return hs_complete(st, fd);
}

int secx_client(int fd, const struct secx_cfg *cfg)
{
	struct hs_state *st;
	int ret;

	if (!HS_NO_KERNEL(cfg) && hs_attach_early(fd))
		return hs_fail(NULL, fd);
	st = hs_new(fd, cfg, 0);
	if (!st)
		return hs_fail(NULL, fd);
	if (cfg->auth == SECX_AUTH_PSK && cfg->psk_identity)
		strncpy(st->psk_id, cfg->psk_identity, SECX_NAME_MAX);
	ret = client_flow(st, fd);
	if (ret)
		hs_fail(st, fd);
	hs_free(st);
	return ret;
}
