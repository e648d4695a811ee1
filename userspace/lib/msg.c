// SPDX-License-Identifier: MIT
/*
 * Handshake message codec: framing header and one encoder/parser pair per
 * message.  Byte layouts: Documentation/handshake.rst, "Messages".
 *
 * Parsers read only from the body they are given, never allocate, and
 * reject trailing bytes: every message has exactly one valid encoding.
 * This file is the fuzz target (fuzz/fuzz_hs.c).
 */
#include <string.h>

#include "hs.h"

/* A bounds-checked reader: any overrun sets bad and yields zeros. */
struct cur {
	const uint8_t *p;
	size_t left;
	int bad;
};

static const uint8_t *take(struct cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->bad || n > c->left) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	c->left -= n;
	return p;
}

static uint8_t get_u8(struct cur *c)
{
	const uint8_t *p = take(c, 1);

	return p ? p[0] : 0;
}

static uint16_t get_u16(struct cur *c)
{
	const uint8_t *p = take(c, 2);

	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static void get_bytes(struct cur *c, void *out, size_t n)
{
	const uint8_t *p = take(c, n);

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

/* The message must be used up exactly. */
static int done(const struct cur *c, const char *what)
{
	if (c->bad)
		return secx_err("malformed %s: truncated", what);
	if (c->left)
		return secx_err("malformed %s: %zu trailing bytes", what, c->left);
	return 0;
}

/* A writer with the same overrun rule. */
struct out {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void put(struct out *o, const void *b, size_t n)
{
	if (o->bad || n > o->cap - o->len) {
		o->bad = 1;
		return;
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
}

static void put_u8(struct out *o, uint8_t v)
{
	put(o, &v, 1);
}

static void put_u16(struct out *o, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(o, b, 2);
}

/* Start a message of @type: reserve the header, filled in by finish(). */
static void begin(struct out *o, uint8_t *buf, size_t cap, unsigned int type)
{
	o->p = buf;
	o->len = 0;
	o->cap = cap;
	o->bad = 0;
	put_u8(o, (uint8_t)type);
	put_u16(o, 0);
}

static int finish(struct out *o)
{
	size_t body = o->len - HS_HDR_LEN;

	if (o->bad || body > HS_MAX_BODY)
		return secx_err("internal error: handshake message too large");
	o->p[1] = (uint8_t)(body >> 8);
	o->p[2] = (uint8_t)body;
	return (int)o->len;
}

int hs_msg_header(const uint8_t hdr[HS_HDR_LEN], unsigned int *type, size_t *len)
{
	*type = hdr[0];
	*len = (size_t)hdr[1] << 8 | hdr[2];
	if (*type < HS_CLIENT_HELLO || *type > HS_ENCRYPTED)
		return -1;
	return *len > HS_MAX_BODY ? -2 : 0;
}

static void put_magic(struct out *o, uint16_t version)
{
	put(o, HS_MAGIC, HS_MAGIC_LEN);
	put_u16(o, version);
}

static int get_magic(struct cur *c, uint16_t *version, const char *what)
{
	uint8_t magic[HS_MAGIC_LEN];

	get_bytes(c, magic, sizeof(magic));
	if (c->bad || memcmp(magic, HS_MAGIC, HS_MAGIC_LEN))
		return secx_err("peer is not speaking secx: %s without the SECX magic", what);
	*version = get_u16(c);
	return 0;
}

/* ---- ClientHello ---- */

int hs_enc_client_hello(uint8_t *buf, size_t cap, const struct hs_client_hello *m)
{
	struct out o;
	unsigned int i;

	begin(&o, buf, cap, HS_CLIENT_HELLO);
	put_magic(&o, m->version);
	put(&o, m->random, sizeof(m->random));
	put_u8(&o, m->auth);
	put_u8(&o, m->n_suites);
	for (i = 0; i < m->n_suites && i < HS_MAX_SUITES; i++)
		put_u16(&o, m->suites[i]);
	put(&o, m->share, sizeof(m->share));
	put_u8(&o, m->id_len);
	put(&o, m->identity, m->id_len);
	return finish(&o);
}

int hs_parse_client_hello(const uint8_t *b, size_t len, struct hs_client_hello *m)
{
	struct cur c = { b, len, 0 };
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (get_magic(&c, &m->version, "ClientHello"))
		return -1;
	if (m->version != SECX_HS_VERSION)
		return 0;	/* the caller reports the version; the rest may differ */
	get_bytes(&c, m->random, sizeof(m->random));
	m->auth = get_u8(&c);
	m->n_suites = get_u8(&c);
	if (!c.bad && (m->n_suites == 0 || m->n_suites > HS_MAX_SUITES))
		return secx_err("malformed ClientHello: %u suites offered (1..%u allowed)",
				m->n_suites, HS_MAX_SUITES);
	for (i = 0; i < m->n_suites; i++)
		m->suites[i] = get_u16(&c);
	get_bytes(&c, m->share, sizeof(m->share));
	m->id_len = get_u8(&c);
	get_bytes(&c, m->identity, m->id_len);
	/* handshake.rst: printable ASCII without spaces; never printed raw. */
	if (!c.bad && m->id_len && !hs_name_ok(m->identity, m->id_len))
		return secx_err("malformed ClientHello: the PSK identity is not printable ASCII "
				"without spaces");
	return done(&c, "ClientHello");
}

/* ---- ServerHello ---- */

int hs_enc_server_hello(uint8_t *buf, size_t cap, const struct hs_server_hello *m)
{
	struct out o;

	begin(&o, buf, cap, HS_SERVER_HELLO);
	put_magic(&o, m->version);
	put(&o, m->random, sizeof(m->random));
	put_u16(&o, m->suite);
	put(&o, m->share, sizeof(m->share));
	return finish(&o);
}

int hs_parse_server_hello(const uint8_t *b, size_t len, struct hs_server_hello *m)
{
	struct cur c = { b, len, 0 };

	memset(m, 0, sizeof(*m));
	if (get_magic(&c, &m->version, "ServerHello"))
		return -1;
	if (m->version != SECX_HS_VERSION)
		return secx_err("server speaks secx handshake version %u, we speak %u",
				m->version, SECX_HS_VERSION);
	get_bytes(&c, m->random, sizeof(m->random));
	m->suite = get_u16(&c);
	get_bytes(&c, m->share, sizeof(m->share));
	return done(&c, "ServerHello");
}

/* ---- Identity ---- */

int hs_enc_id_ed25519(uint8_t *buf, size_t cap, const struct hs_id_ed25519 *m)
{
	struct out o;

	begin(&o, buf, cap, HS_IDENTITY);
	put_u8(&o, m->name_len);
	put(&o, m->name, m->name_len);
	put(&o, m->pub, sizeof(m->pub));
	return finish(&o);
}

int hs_parse_id_ed25519(const uint8_t *b, size_t len, struct hs_id_ed25519 *m)
{
	struct cur c = { b, len, 0 };
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->name_len = get_u8(&c);
	get_bytes(&c, m->name, m->name_len);
	get_bytes(&c, m->pub, sizeof(m->pub));
	if (done(&c, "Identity"))
		return -1;
	if (!m->name_len)
		return secx_err("malformed Identity: empty peer name");
	/* Names end up in files and messages: printable ASCII, no spaces, no '#'. */
	for (i = 0; i < m->name_len; i++)
		if ((uint8_t)m->name[i] <= ' ' || (uint8_t)m->name[i] > '~' ||
		    (!i && m->name[0] == '#'))
			return secx_err("malformed Identity: peer name has byte 0x%02x at %u",
					(uint8_t)m->name[i], i);
	return 0;
}

int hs_enc_id_psk(uint8_t *buf, size_t cap, const struct hs_id_psk *m)
{
	struct out o;

	begin(&o, buf, cap, HS_IDENTITY);
	put_u8(&o, m->name_len);
	put(&o, m->name, m->name_len);
	return finish(&o);
}

int hs_parse_id_psk(const uint8_t *b, size_t len, struct hs_id_psk *m)
{
	struct cur c = { b, len, 0 };

	memset(m, 0, sizeof(*m));
	m->name_len = get_u8(&c);
	get_bytes(&c, m->name, m->name_len);
	if (done(&c, "Identity"))
		return -1;
	if (!hs_name_ok(m->name, m->name_len))
		return secx_err("malformed Identity: the server name is not a name");
	return 0;
}

int hs_enc_id_x509(uint8_t *buf, size_t cap, const struct hs_id_x509 *m)
{
	struct out o;
	unsigned int i;

	begin(&o, buf, cap, HS_IDENTITY);
	put_u8(&o, (uint8_t)m->n);
	for (i = 0; i < m->n && i < HS_MAX_CERTS; i++) {
		put_u16(&o, m->len[i]);
		put(&o, m->der[i], m->len[i]);
	}
	return finish(&o);
}

int hs_parse_id_x509(const uint8_t *b, size_t len, struct hs_id_x509 *m)
{
	struct cur c = { b, len, 0 };
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->n = get_u8(&c);
	if (m->n > HS_MAX_CERTS)
		return secx_err("malformed Identity: %u certificates (at most %u)",
				m->n, HS_MAX_CERTS);
	for (i = 0; i < m->n; i++) {
		m->len[i] = get_u16(&c);
		m->der[i] = take(&c, m->len[i]);
		if (!c.bad && !m->len[i])
			return secx_err("malformed Identity: empty certificate");
	}
	return done(&c, "Identity");
}

/* ---- Verify, Finished, Confirm ---- */

int hs_enc_verify(uint8_t *buf, size_t cap, const uint8_t *sig, size_t sig_len)
{
	struct out o;

	begin(&o, buf, cap, HS_VERIFY);
	put_u16(&o, (uint16_t)sig_len);
	put(&o, sig, sig_len);
	return finish(&o);
}

int hs_parse_verify(const uint8_t *b, size_t len, struct hs_verify *m)
{
	struct cur c = { b, len, 0 };

	m->sig_len = get_u16(&c);
	m->sig = take(&c, m->sig_len);
	if (done(&c, "Verify"))
		return -1;
	if (!m->sig_len || m->sig_len > HS_MAX_SIG)
		return secx_err("malformed Verify: %u-byte signature", m->sig_len);
	return 0;
}

int hs_enc_mac(uint8_t *buf, size_t cap, unsigned int type, const uint8_t *mac, size_t len)
{
	struct out o;

	begin(&o, buf, cap, type);
	put(&o, mac, len);
	return finish(&o);
}

int hs_parse_mac(const uint8_t *b, size_t len, size_t hash_len, const uint8_t **mac)
{
	if (len != hash_len)
		return secx_err("malformed Finished/Confirm: %zu bytes, expected %zu",
				len, hash_len);
	*mac = b;
	return 0;
}

/* ---- Alert ---- */

int hs_enc_alert(uint8_t *buf, size_t cap, const struct hs_alert *m)
{
	struct out o;

	begin(&o, buf, cap, HS_ALERT);
	put_u8(&o, m->code);
	put_u8(&o, m->detail_len);
	put(&o, m->detail, m->detail_len);
	return finish(&o);
}

int hs_parse_alert(const uint8_t *b, size_t len, struct hs_alert *m)
{
	struct cur c = { b, len, 0 };

	memset(m, 0, sizeof(*m));
	m->code = get_u8(&c);
	m->detail_len = get_u8(&c);
	get_bytes(&c, m->detail, m->detail_len);
	return done(&c, "Alert");
}
