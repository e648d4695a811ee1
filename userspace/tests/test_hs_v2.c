// SPDX-License-Identifier: MIT
/*
 * Handshake version 2 (Documentation/handshake.rst, "Encrypted", "Version
 * negotiation"): captured through a recording relay, no ed25519 name or
 * key and no certificate byte is on the wire in clear; the PSK identity is
 * the only name in clear.  A version 1 ClientHello and a bare message after
 * the ServerHello are refused.
 */
#include "hs_fixture.h"
#include "hs.h"

static char server_pub[48], client_pub[48], fp[SECX_FP_LEN];

static int in_capture(const struct fx_relay *r, const void *needle, size_t n)
{
	return memmem(r->c2s, r->n_c2s, needle, n) || memmem(r->s2c, r->n_s2c, needle, n);
}

static void relay_init(struct fx_relay *r)
{
	memset(r, 0, sizeof(*r));
	r->flip_c2s = r->flip_s2c = -1;
}

static void test_ed25519_hidden(void)
{
	static struct fx_relay r;
	struct fx_side c, s;
	uint8_t sp[32], cp[32];
	char line[300];

	snprintf(line, sizeof(line), "server-hidden-name %s\n", server_pub);
	fx_write("c_known", line, 0600);
	snprintf(line, sizeof(line), "laptop-hidden-name %s\n", client_pub);
	fx_write("s_known", line, 0600);
	fx_init(&c, SECX_AUTH_ED25519);
	fx_init(&s, SECX_AUTH_ED25519);
	c.cfg.key_file = fx_path("client.id");
	s.cfg.key_file = fx_path("server.id");
	c.cfg.known_peers = fx_path("c_known");
	s.cfg.known_peers = fx_path("s_known");
	c.cfg.peer_name = "server-hidden-name";
	c.cfg.self_name = "laptop-hidden-name";
	s.cfg.self_name = "server-hidden-name";
	relay_init(&r);
	fx_handshake(&c, &s, &r);
	hs_b64_decode32(server_pub, sp);
	hs_b64_decode32(client_pub, cp);
	if (!tap_ok(fx_keys_match(&c, &s), "ed25519 v2 handshake through the relay"))
		FX_DIAG(&c, &s);
	tap_ok(!in_capture(&r, "hidden-name", 11) && !in_capture(&r, sp, 32) &&
	       !in_capture(&r, cp, 32),
	       "ed25519: neither name nor public key is in the capture (%zu + %zu bytes)",
	       r.n_c2s, r.n_s2c);
}

static void test_x509_hidden(void)
{
	static struct fx_relay r;
	struct fx_side c, s;
	uint8_t *der = NULL;
	FILE *f = fopen(fx_path("server.pem"), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	int n = x ? i2d_X509(x, &der) : 0, i, found = 0;

	if (f)
		fclose(f);
	fx_init(&c, SECX_AUTH_X509);
	fx_init(&s, SECX_AUTH_X509);
	s.cfg.cert_file = fx_path("server.pem");
	s.cfg.key_file = fx_path("server.key");
	s.cfg.ca_file = fx_path("ca.pem");
	c.cfg.cert_file = fx_path("client.pem");
	c.cfg.key_file = fx_path("client.key");
	c.cfg.ca_file = fx_path("ca.pem");
	c.cfg.peer_name = "server.test";
	relay_init(&r);
	fx_handshake(&c, &s, &r);
	if (!tap_ok(fx_keys_match(&c, &s) && s.sess.peer_name[0],
		    "x509 mutual v2 handshake through the relay"))
		FX_DIAG(&c, &s);
	/* any 16-byte window of the server's certificate would betray it */
	for (i = 0; n >= 16 && i + 16 <= n && !found; i += 8)
		found = in_capture(&r, der + i, 16);
	tap_ok(n > 0 && !found && !in_capture(&r, "server.test", 11) &&
	       !in_capture(&r, "client.test", 11),
	       "x509: no certificate byte and no subject name in the capture (DER %d bytes)", n);
	OPENSSL_free(der);
	X509_free(x);
}

static void test_psk_identity_only(void)
{
	static struct fx_relay r;
	struct fx_side c, s;

	fx_init(&c, SECX_AUTH_PSK);
	fx_init(&s, SECX_AUTH_PSK);
	c.cfg.psk_file = s.cfg.psk_file = fx_path("psk");
	s.cfg.self_name = "server-hidden-name";
	c.cfg.peer_name = "server-hidden-name";
	relay_init(&r);
	fx_handshake(&c, &s, &r);
	if (!tap_ok(fx_keys_match(&c, &s), "psk v2 handshake, server name checked"))
		FX_DIAG(&c, &s);
	tap_ok(in_capture(&r, "alice", 5) && !in_capture(&r, "hidden-name", 11),
	       "psk: the PSK identity is the only name in clear");
}

/* ---- raw peers ---- */

struct raw {
	int fd;
	uint8_t buf[2048];
	size_t len;
	uint8_t got[4096];
	ssize_t n_got;
};

static void *raw_client(void *arg)
{
	struct raw *r = arg;
	ssize_t n;

	if (write(r->fd, r->buf, r->len) != (ssize_t)r->len)
		return NULL;
	r->n_got = 0;
	while ((n = read(r->fd, r->got + r->n_got, sizeof(r->got) - (size_t)r->n_got)) > 0)
		r->n_got += n;
	return NULL;
}

static void run_raw(struct raw *r, struct fx_side *s)
{
	pthread_t t;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		exit(2);
	r->fd = sp[0];
	pthread_create(&t, NULL, raw_client, r);
	s->rc = secx_server(sp[1], &s->cfg);
	snprintf(s->err, sizeof(s->err), "%s", secx_strerror());
	close(sp[1]);
	pthread_join(t, NULL);
	close(sp[0]);
}

static void anon_server(struct fx_side *s)
{
	fx_init(s, SECX_AUTH_ANON);
	s->cfg.flags |= SECX_CFG_ALLOW_ANON;
}

static void client_hello(struct raw *r, unsigned int version)
{
	struct hs_client_hello ch = { .version = (uint16_t)version, .auth = SECX_AUTH_ANON,
				      .n_suites = 1, .suites = { 1 } };
	uint8_t priv[32];

	memset(priv, 7, sizeof(priv));
	hs_x25519_public(priv, ch.share);
	r->len = (size_t)hs_enc_client_hello(r->buf, sizeof(r->buf), &ch);
}

static void test_versions(void)
{
	static struct raw r;
	struct fx_side s;
	uint8_t mac[32] = { 0 };

	anon_server(&s);
	client_hello(&r, 1);
	run_raw(&r, &s);
	tap_ok(s.rc && strstr(s.err, "version 1") && r.n_got == 3 + 4 && r.got[0] == HS_ALERT &&
	       r.got[3] == HS_AL_PROTOCOL_VERSION && r.got[5] == 0 && r.got[6] == 2,
	       "a version 1 ClientHello gets protocol_version naming version 2 (%s)", s.err);

	anon_server(&s);
	client_hello(&r, 2);
	r.len += (size_t)hs_enc_mac(r.buf + r.len, sizeof(r.buf) - r.len, HS_FINISHED, mac, 32);
	run_raw(&r, &s);
	tap_ok(s.rc && strstr(s.err, "unencrypted Finished"),
	       "a bare Finished after the ServerHello is refused (%s)", s.err);
}

static void setup(void)
{
	EVP_PKEY *cak, *k;
	X509 *ca;

	fx_write("psk", "alice 000102030405060708090a0b0c0d0e0f\n", 0600);
	if (secx_key_generate(fx_path("server.id")) || secx_key_generate(fx_path("client.id")) ||
	    secx_key_public(fx_path("server.id"), server_pub, sizeof(server_pub), fp, sizeof(fp)) ||
	    secx_key_public(fx_path("client.id"), client_pub, sizeof(client_pub), fp, sizeof(fp)))
		exit(2);
	ca = fx_cert("ca", "secx test CA", "EC", 1, -1, 30, NULL, NULL, &cak);
	X509_free(fx_cert("server", "server.test", "EC", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	X509_free(fx_cert("client", "client.test", "EC", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	X509_free(ca);
	EVP_PKEY_free(cak);
}

int main(void)
{
	fx_mkdir();
	setup();
	test_ed25519_hidden();
	test_x509_hidden();
	test_psk_identity_only();
	test_versions();
	return tap_done();
}
