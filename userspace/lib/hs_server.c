// SPDX-License-Identifier: MIT
/*
 * The server's side of the handshake, in message order
 * (Documentation/handshake.rst, "Message flow"):
 *
 *   <- ClientHello
 *   -> ServerHello [Identity Verify] Finished
 *   <- [Identity [Verify]] Finished
 *   -> Confirm
 *
 * The server chooses the suite by its own preference order.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hs.h"

static int refuse_suites(struct hs_state *st, const struct hs_client_hello *ch)
{
	char offered[400], allowed[400];
	uint8_t detail[2 * HS_MAX_SUITES];
	unsigned int i;

	for (i = 0; i < st->n_policy && i < HS_MAX_SUITES; i++) {
		detail[2 * i] = (uint8_t)(st->policy[i] >> 8);
		detail[2 * i + 1] = (uint8_t)st->policy[i];
	}
	hs_suite_list_str(offered, sizeof(offered), ch->suites, ch->n_suites);
	hs_suite_list_str(allowed, sizeof(allowed), st->policy, st->n_policy);
	secx_err("no cipher suite in common: client offered %s, server allows %s",
		 offered, allowed);
	return hs_alert(st, HS_AL_NO_COMMON_SUITE, detail, 2 * i);
}

/* The PSK the client named, or an alert. */
static int find_psk(struct hs_state *st, const struct hs_client_hello *ch)
{
	int r = hs_psk_load(st->cfg->psk_file, ch->identity, st->psk_id, st->psk, &st->psk_len);

	snprintf(st->sess.peer_name, sizeof(st->sess.peer_name), "%s", ch->identity);
	snprintf(st->psk_id, sizeof(st->psk_id), "%s", ch->identity);
	if (r < 0)
		return hs_alert(st, HS_AL_INTERNAL_ERROR, NULL, 0);
	if (r > 0) {
		secx_err("unknown PSK identity '%s' (not in %s)", ch->identity, st->cfg->psk_file);
		return hs_alert(st, HS_AL_UNKNOWN_PSK_IDENTITY, NULL, 0);
	}
	return 0;
}

/* Everything a ClientHello can be refused for, in the order checked. */
static int check_client_hello(struct hs_state *st, const struct hs_client_hello *ch)
{
	uint8_t v[2] = { SECX_HS_VERSION >> 8, SECX_HS_VERSION & 0xff };
	uint8_t mine = (uint8_t)st->cfg->auth;

	if (ch->version != SECX_HS_VERSION) {
		secx_err("the client speaks secx handshake version %u, we speak %u",
			 ch->version, SECX_HS_VERSION);
		return hs_alert(st, HS_AL_PROTOCOL_VERSION, v, sizeof(v));
	}
	if (ch->auth != mine) {
		secx_err("authentication method mismatch: client uses %s, server requires %s",
			 hs_auth_name(ch->auth), hs_auth_name(mine));
		return hs_alert(st, HS_AL_AUTH_MISMATCH, &mine, 1);
	}
	if ((mine == SECX_AUTH_PSK) != (ch->id_len != 0)) {
		secx_err("malformed ClientHello: PSK identity %s", ch->id_len ? "not expected" :
			 "missing");
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	}
	st->suite = secx_suite_find(hs_suite_select(st->policy, st->n_policy, ch->suites,
						    ch->n_suites));
	if (!st->suite)
		return refuse_suites(st, ch);
	return mine == SECX_AUTH_PSK ? find_psk(st, ch) : 0;
}

static int recv_client_hello(struct hs_state *st, uint8_t share[SECX_X25519_LEN])
{
	struct hs_client_hello ch;
	const uint8_t *body;
	size_t len;

	if (hs_recv(st, HS_CLIENT_HELLO, &body, &len))
		return -1;
	if (hs_parse_client_hello(body, len, &ch))
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	if (check_client_hello(st, &ch))
		return -1;
	memcpy(st->sess.client_random, ch.random, sizeof(ch.random));
	memcpy(share, ch.share, SECX_X25519_LEN);
	return 0;
}

static int send_server_hello(struct hs_state *st)
{
	struct hs_server_hello sh = { .version = SECX_HS_VERSION, .suite = st->suite->id };

	if (hs_random(sh.random, sizeof(sh.random)) || hs_x25519_keygen(st->x_priv, sh.share))
		return -1;
	return hs_send(st, hs_enc_server_hello(HS_OUT(st), HS_OUT_CAP(st), &sh));
}

static int server_flow(struct hs_state *st, int fd)
{
	int auth = st->cfg->auth == SECX_AUTH_ED25519 || st->cfg->auth == SECX_AUTH_X509;
	uint8_t share[SECX_X25519_LEN], th[HS_MAX_HASH];

	if (hs_load_own_key(st) || recv_client_hello(st, share) || send_server_hello(st) ||
	    hs_derive_handshake(st, share))
		return -1;
	if ((auth || st->cfg->auth == SECX_AUTH_PSK) && hs_send_identity(st))
		return -1;
	if (hs_send_finished(st, "server", HS_FINISHED))
		return -1;
	if (auth && hs_recv_identity(st))
		return -1;
	if (hs_recv_finished(st, "client", HS_FINISHED) || hs_th(st, th) ||
	    hs_keys_traffic(&st->keys, th) || hs_pin_pending(st))
		return -1;
	if (hs_send_finished(st, "confirm", HS_CONFIRM))
		return -1;
	return hs_complete(st, fd);
}

int secx_server(int fd, const struct secx_cfg *cfg)
{
	struct hs_state *st;
	int ret;

	if (!HS_NO_KERNEL(cfg) && hs_attach_early(fd))
		return hs_fail(NULL, fd);
	st = hs_new(fd, cfg, 1);
	if (!st)
		return hs_fail(NULL, fd);
	ret = server_flow(st, fd);
	if (ret)
		hs_fail(st, fd);
	hs_free(st);
	return ret;
}
