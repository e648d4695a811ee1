// SPDX-License-Identifier: MIT
/*
 * Handshake steps shared by both roles: sending and receiving framed
 * messages (with the transcript), alerts, Finished/Confirm MACs and the
 * final hand-off.  The message order lives in hs_client.c / hs_server.c.
 * Documentation/handshake.rst.
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "hs.h"
#include "sign.h"
#include "record.h"

struct hs_state *hs_new(int fd, const struct secx_cfg *cfg, int server)
{
	struct hs_state *st = calloc(1, sizeof(*st));

	if (!st) {
		secx_err("out of memory");
		return NULL;
	}
	st->cfg = cfg;
	st->server = server;
	hs_io_init(&st->io, fd, cfg->timeout_ms);
	if (cfg->n_suites) {
		st->policy = cfg->suites;
		st->n_policy = cfg->n_suites;
	} else {
		st->n_policy = secx_default_suites(&st->policy);
	}
	st->sess.auth = cfg->auth;
	if (hs_transcript_init(&st->tr)) {
		free(st);
		return NULL;
	}
	return st;
}

void hs_free(struct hs_state *st)
{
	if (!st)
		return;
	hs_transcript_free(&st->tr);
	hs_creds_free(st->own_creds);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
}

static const char *peer_role(const struct hs_state *st)
{
	return st->server ? "client" : "server";
}

static void pending_reply(struct hs_state *st);
static int unwrap(struct hs_state *st, unsigned int type, size_t *len);

/*
 * Queue the message just encoded at HS_OUT(st) (an encoder's result @len)
 * and add it to the transcript.  A flight goes out in one write when we
 * next wait for the peer (hs_recv) or finish (hs_complete), so Nagle's
 * algorithm never delays the second message of a flight.
 */
int hs_send(struct hs_state *st, int len)
{
	if (len < 0)
		return -1;
	if (hs_transcript_add(&st->tr, HS_OUT(st), (size_t)len))
		return -1;
	if (st->enc)	/* the transcript holds the inner message */
		len = hs_seal(st, HS_OUT(st), (size_t)len);
	if (len < 0)
		return -1;
	st->flight_len += (size_t)len;
	return 0;
}

int hs_flush(struct hs_state *st)
{
	size_t len = st->flight_len;

	st->flight_len = 0;
	if (!len || !hs_io_write(&st->io, st->flight, len))
		return 0;
	pending_reply(st);
	return -1;
}

/*
 * After our Alert: stop writing and drain what the peer still sends for a
 * moment, so closing does not turn into a TCP reset that could destroy the
 * Alert before the peer reads it.  Bounded in time and bytes.
 */
static void linger(struct hs_state *st)
{
	struct pollfd p = { .fd = st->io.fd, .events = POLLIN };
	uint8_t sink[4096];
	int rounds = 16;

	shutdown(st->io.fd, SHUT_WR);
	while (rounds-- && poll(&p, 1, 250) > 0 &&
	       recv(st->io.fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

/*
 * Tell the peer why we stop (best effort, not in the transcript), then
 * shut the connection down for writing.  Returns -1.
 */
int hs_alert(struct hs_state *st, unsigned int code, const uint8_t *detail, size_t len)
{
	struct hs_alert al = { .code = (uint8_t)code, .detail_len = (uint8_t)len };
	uint8_t buf[HS_HDR_LEN + 2 + 255];
	int n;

	st->flight_len = 0;	/* what was queued no longer matters */
	st->alerted = 1;
	if (len > sizeof(al.detail))
		len = al.detail_len = 0;
	if (len)
		memcpy(al.detail, detail, len);
	n = hs_enc_alert(buf, sizeof(buf), &al);
	if (n > 0 && send(st->io.fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
		linger(st);
	return -1;
}

/*
 * The first bytes from a peer that does not speak secx: show what came
 * (we are giving up on this connection, so reading a little more than the
 * header does no harm).
 */
static int garbage(struct hs_state *st, const uint8_t *hdr, unsigned int want)
{
	uint8_t b[16];
	char hex[3 * sizeof(b) + 1], txt[sizeof(b) + 1];
	ssize_t more;
	size_t n = HS_HDR_LEN, i;

	memcpy(b, hdr, HS_HDR_LEN);
	more = recv(st->io.fd, b + n, sizeof(b) - n, MSG_DONTWAIT);
	if (more > 0)
		n += (size_t)more;
	for (i = 0; i < n; i++) {
		snprintf(hex + 3 * i, 4, "%02x ", b[i]);
		txt[i] = isprint(b[i]) ? (char)b[i] : '.';
	}
	hex[3 * n - 1] = 0;
	txt[n] = 0;
	return secx_err("peer is not speaking secx: expected a %s, received %s (\"%s\")",
			hs_type_name(want), hex, txt);
}

/*
 * Our write failed because the peer closed: it may have said why first
 * (an Alert), or it is not a secx peer at all.  Look at what is already
 * queued, without waiting.
 */
static void pending_reply(struct hs_state *st)
{
	uint8_t b[HS_HDR_LEN + 2 + 255];
	struct hs_alert al;
	ssize_t n;

	n = recv(st->io.fd, b, HS_HDR_LEN, MSG_DONTWAIT | MSG_PEEK);
	if (n != HS_HDR_LEN)
		return;
	if (b[0] == HS_ALERT && !b[1]) {
		n = recv(st->io.fd, b, HS_HDR_LEN + b[2], MSG_DONTWAIT);
		if (n == HS_HDR_LEN + b[2] && !hs_parse_alert(b + HS_HDR_LEN, b[2], &al)) {
			st->alerted = 1;
			hs_peer_alert_error(st, &al);
		}
	} else if (!st->received_any && recv(st->io.fd, b, HS_HDR_LEN, MSG_DONTWAIT) == HS_HDR_LEN) {
		garbage(st, b, st->server ? HS_CLIENT_HELLO : HS_SERVER_HELLO);
	}
}

int hs_recv(struct hs_state *st, unsigned int type, const uint8_t **body, size_t *len)
{
	char waiting[64];
	struct hs_alert al;
	unsigned int t;
	int r;

	snprintf(waiting, sizeof(waiting), "the %s's %s", peer_role(st), hs_type_name(type));
	if (hs_flush(st) || hs_io_read(&st->io, st->in, HS_HDR_LEN, waiting))
		return -1;
	r = hs_msg_header(st->in, &t, len);
	if (!st->received_any && (r == -1 || (t != type && t != HS_ALERT)))
		return garbage(st, st->in, type);
	st->received_any = 1;
	if (r == -1) {
		secx_err("the %s sent an unknown handshake message type %u", peer_role(st), t);
		return hs_alert(st, HS_AL_UNEXPECTED_MESSAGE, NULL, 0);
	}
	if (r == -2) {
		secx_err("handshake message too large: the %s's %s of %zu bytes exceeds the "
			 "%u-byte limit", peer_role(st), hs_type_name(t), *len, HS_MAX_BODY);
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	}
	if (hs_io_read(&st->io, st->in + HS_HDR_LEN, *len, waiting))
		return -1;
	*body = st->in + HS_HDR_LEN;
	if (t == HS_ALERT) {
		st->alerted = 1;
		if (hs_parse_alert(*body, *len, &al))
			return -1;
		return hs_peer_alert_error(st, &al);
	}
	if (t != (st->enc ? HS_ENCRYPTED : type)) {
		secx_err("the %s sent %s %s where %s %s was expected", peer_role(st),
			 t == HS_ENCRYPTED || !st->enc ? "a" : "an unencrypted", hs_type_name(t),
			 st->enc ? "an encrypted" : "a", hs_type_name(type));
		return hs_alert(st, HS_AL_UNEXPECTED_MESSAGE, NULL, 0);
	}
	if (st->enc && unwrap(st, type, len))
		return -1;
	return hs_transcript_add(&st->tr, st->in, HS_HDR_LEN + *len);
}

int hs_th(struct hs_state *st, uint8_t *th)
{
	return hs_transcript_hash(&st->tr, st->suite->hash_alg, th);
}

/* After ServerHello: X25519 and the handshake secrets; our private share dies here. */
int hs_derive_handshake(struct hs_state *st, const uint8_t peer_share[SECX_X25519_LEN])
{
	uint8_t dh[SECX_X25519_LEN], th[HS_MAX_HASH];
	int ret;

	ret = hs_x25519(st->x_priv, peer_share, dh);
	OPENSSL_cleanse(st->x_priv, sizeof(st->x_priv));
	if (ret)
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	ret = hs_th(st, th);
	if (!ret)
		ret = hs_keys_handshake(&st->keys, st->suite, st->psk, st->psk_len, dh, th);
	if (!ret)
		ret = hs_enc_start(st);	/* every later message is Encrypted */
	OPENSSL_cleanse(dh, sizeof(dh));
	OPENSSL_cleanse(st->psk, sizeof(st->psk));
	return ret;
}

/* Finished (which = "server"/"client") or Confirm (which = "confirm"). */
int hs_send_finished(struct hs_state *st, const char *which, unsigned int type)
{
	uint8_t th[HS_MAX_HASH], mac[HS_MAX_HASH];
	int ret = -1;

	if (!hs_th(st, th) && !hs_keys_mac(&st->keys, which, th, mac))
		ret = hs_send(st, hs_enc_mac(HS_OUT(st), HS_OUT_CAP(st), type, mac, st->keys.hlen));
	OPENSSL_cleanse(mac, sizeof(mac));
	return ret;
}

static int bad_finished(struct hs_state *st, unsigned int type);

/*
 * Version 2: the Encrypted message just read at st->in (body @*len bytes)
 * becomes the inner message of type @type.  A message that does not
 * decrypt was modified or keyed differently (a wrong PSK shows here).
 */
static int unwrap(struct hs_state *st, unsigned int type, size_t *len)
{
	unsigned int t;
	size_t inner, l;

	if (hs_open(st, st->in, *len, &inner))
		return bad_finished(st, type);
	if (hs_msg_header(st->in, &t, &l) || t == HS_ENCRYPTED || t == HS_ALERT ||
	    l != inner - HS_HDR_LEN) {
		secx_err("malformed Encrypted message from the %s", peer_role(st));
		return hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
	}
	if (t != type) {
		secx_err("the %s sent a %s where a %s was expected", peer_role(st),
			 hs_type_name(t), hs_type_name(type));
		return hs_alert(st, HS_AL_UNEXPECTED_MESSAGE, NULL, 0);
	}
	*len = l;
	return 0;
}

static int bad_finished(struct hs_state *st, unsigned int type)
{
	if (type == HS_CONFIRM)
		secx_err("handshake failed: the server's Confirm does not verify");
	else if (st->cfg->auth == SECX_AUTH_PSK)
		secx_err("wrong PSK: the %s's Finished does not verify with PSK identity '%s' "
			 "(or the handshake was modified in transit)", peer_role(st), st->psk_id);
	else
		secx_err("handshake failed: the %s's Finished does not verify (the handshake "
			 "was modified in transit)", peer_role(st));
	return hs_alert(st, HS_AL_BAD_FINISHED, NULL, 0);
}

int hs_recv_finished(struct hs_state *st, const char *which, unsigned int type)
{
	uint8_t th[HS_MAX_HASH], want[HS_MAX_HASH];
	const uint8_t *body, *mac;
	size_t len;
	int ret = -1;

	if (hs_th(st, th) || hs_keys_mac(&st->keys, which, th, want))
		return -1;
	if (hs_recv(st, type, &body, &len))
		goto out;
	if (hs_parse_mac(body, len, st->keys.hlen, &mac)) {
		hs_alert(st, HS_AL_DECODE_ERROR, NULL, 0);
		goto out;
	}
	ret = CRYPTO_memcmp(mac, want, st->keys.hlen) ? bad_finished(st, type) : 0;
out:
	OPENSSL_cleanse(want, sizeof(want));
	return ret;
}

/* Our TX and RX key material, derived from the two traffic secrets. */
static int fill_infos(struct hs_state *st, struct secx_crypto_info *tx,
		      struct secx_crypto_info *rx)
{
	const uint8_t *mine = st->server ? st->keys.s_ap : st->keys.c_ap;
	const uint8_t *theirs = st->server ? st->keys.c_ap : st->keys.s_ap;

	if (secx_rec_crypto_info(tx, st->suite->id, mine, st->keys.hlen) ||
	    secx_rec_crypto_info(rx, st->suite->id, theirs, st->keys.hlen))
		return secx_err("cannot derive %s traffic keys", st->suite->name);
	return 0;
}

/*
 * Trust on first use: pin the peer's key now that it proved possession and
 * the peer's Finished verified.  The server does this before its Confirm,
 * so a failure reaches the client as an internal_error alert.
 */
int hs_pin_pending(struct hs_state *st)
{
	const struct secx_cfg *cfg = st->cfg;

	if (!st->tofu_pending)
		return 0;
	st->tofu_pending = 0;
	if (hs_pin_add(cfg->known_peers, st->sess.peer_name, st->peer_pub))
		return hs_alert(st, HS_AL_INTERNAL_ERROR, NULL, 0);
	secx_warn(cfg, "pinned new key %s for '%s' in %s (trust on first use)",
		  st->sess.peer_fp, st->sess.peer_name, cfg->known_peers);
	return 0;
}

/*
 * The handshake succeeded: key log, session report, then the keys go to
 * the kernel (test builds: optionally to the caller instead).
 */
int hs_complete(struct hs_state *st, int fd)
{
	const struct secx_cfg *cfg = st->cfg;
	struct secx_crypto_info tx, rx;
	int ret = -1;

	if (hs_flush(st) || fill_infos(st, &tx, &rx) || hs_pin_pending(st))
		goto out;
	st->alerted = 1;	/* past the last message: no Alert from here on */
	hs_keylog(cfg, st->sess.client_random, &st->keys);
	st->sess.suite = st->suite->id;
	if (HS_EXPORT_KEYS(cfg)) {
		st->sess.tx = tx;
		st->sess.rx = rx;
	}
	if (cfg->session) {
		uint8_t id[32];

		*cfg->session = st->sess;
		if (hs_keys_transfer_id(&st->keys, id))
			goto out;
		hs_transfer_id_set(cfg->session, id);
		OPENSSL_cleanse(id, sizeof(id));
	}
	ret = HS_NO_KERNEL(cfg) ? 0 : secx_install(fd, &tx, &rx);
out:
	OPENSSL_cleanse(&tx, sizeof(tx));
	OPENSSL_cleanse(&rx, sizeof(rx));
	secx_session_wipe(&st->sess);
	return ret;
}

/*
 * Every failed handshake ends here: a server that has not said why yet
 * sends internal_error (best effort), and the socket is always shut down
 * for writing, so neither side can mistake it for a usable connection.
 * Returns -1.
 */
int hs_fail(struct hs_state *st, int fd)
{
	char keep[512];

	if (st && st->server && !st->alerted) {
		snprintf(keep, sizeof(keep), "%s", secx_strerror());
		hs_alert(st, HS_AL_INTERNAL_ERROR, NULL, 0);
		secx_err("%s", keep);
	}
	shutdown(fd, SHUT_WR);
	return -1;
}
