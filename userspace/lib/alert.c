// SPDX-License-Identifier: MIT
/*
 * Turning an Alert from the peer into one line for our user.  The peer
 * printed its own, more precise line; ours says what to change on this side.
 * Documentation/handshake.rst, "Alert".
 */
#include <stdio.h>

#include "hs.h"

static int no_common_suite(struct hs_state *st, const struct hs_alert *al)
{
	uint16_t theirs[127];
	char offered[400], allowed[400];
	unsigned int i, n = al->detail_len / 2;

	for (i = 0; i < n; i++)
		theirs[i] = (uint16_t)(al->detail[2 * i] << 8 | al->detail[2 * i + 1]);
	hs_suite_list_str(offered, sizeof(offered), st->policy, st->n_policy);
	hs_suite_list_str(allowed, sizeof(allowed), theirs, n);
	return secx_err("no cipher suite in common: client offered %s, server allows %s",
			offered, allowed);
}

int hs_peer_alert_error(struct hs_state *st, const struct hs_alert *al)
{
	const char *peer = st->server ? "client" : "server";
	const struct secx_cfg *cfg = st->cfg;

	switch (al->code) {
	case HS_AL_NO_COMMON_SUITE:
		return no_common_suite(st, al);
	case HS_AL_AUTH_MISMATCH:
		return secx_err("authentication method mismatch: client uses %s, server requires %s",
				hs_auth_name(cfg->auth),
				hs_auth_name(al->detail_len ? al->detail[0] : 0));
	case HS_AL_UNKNOWN_PSK_IDENTITY:
		return secx_err("the server does not know PSK identity '%s'", st->psk_id);
	case HS_AL_BAD_FINISHED:
		if (cfg->auth == SECX_AUTH_PSK)
			return secx_err("wrong PSK: the %s could not verify our Finished with PSK "
					"identity '%s'", peer, st->psk_id);
		return secx_err("handshake failed: the %s could not verify our Finished (the "
				"handshake was modified in transit)", peer);
	case HS_AL_UNKNOWN_PEER:
		return secx_err("the %s does not know our key; add our key (secx-handshake pubkey) "
				"to its known peers", peer);
	case HS_AL_PEER_KEY_CHANGED:
		return secx_err("the %s refused our key: it has a different key pinned for us",
				peer);
	case HS_AL_BAD_CERTIFICATE:
		return secx_err("the %s rejected our certificate", peer);
	case HS_AL_CERTIFICATE_REQUIRED:
		return secx_err("the server requires a client certificate (--cert and --key)");
	case HS_AL_PROTOCOL_VERSION:
		return secx_err("the %s does not speak secx handshake version %u", peer,
				SECX_HS_VERSION);
	default:
		return secx_err("the %s aborted the handshake: %s", peer,
				hs_alert_name(al->code));
	}
}
