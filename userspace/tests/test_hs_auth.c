// SPDX-License-Identifier: MIT
/*
 * Handshakes that must succeed, over socketpair() without the kernel
 * module (SECX_CFG_NO_KERNEL | SECX_CFG_EXPORT_KEYS): every auth method,
 * every suite, server suite preference, TOFU and the key log.  Both ends
 * must derive the same keys crosswise.
 */
#include "hs_fixture.h"

#define PSK_LINE "alice 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static char server_pub[48], client_pub[48], server_fp[SECX_FP_LEN], client_fp[SECX_FP_LEN];

static void psk_setup(struct fx_side *c, struct fx_side *s)
{
	fx_init(c, SECX_AUTH_PSK);
	fx_init(s, SECX_AUTH_PSK);
	c->cfg.psk_file = s->cfg.psk_file = fx_path("psk");
}

static void test_psk_every_suite(void)
{
	static const uint16_t all[] = { 1, 2, 3, 4, 5 };
	struct fx_side c, s;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		psk_setup(&c, &s);
		c.cfg.suites = s.cfg.suites = &all[i];
		c.cfg.n_suites = s.cfg.n_suites = 1;
		fx_handshake(&c, &s, NULL);
		if (!tap_ok(fx_keys_match(&c, &s) && c.sess.suite == all[i] &&
			    !strcmp(s.sess.peer_name, "alice"),
			    "psk handshake, suite %s: both sides derive the same keys",
			    secx_suite_name(all[i])))
			FX_DIAG(&c, &s);
	}
}

static void test_server_preference(void)
{
	static const uint16_t offer[] = { 3, 1 }, policy[] = { 2, 1, 3 };
	struct fx_side c, s;

	psk_setup(&c, &s);
	c.cfg.suites = offer;
	c.cfg.n_suites = 2;
	s.cfg.suites = policy;
	s.cfg.n_suites = 3;
	fx_handshake(&c, &s, NULL);
	tap_ok(fx_keys_match(&c, &s) && c.sess.suite == 1,
	       "server picks by its own order: offered chacha20,aes-128; allows aes-256,aes-128,chacha20 -> aes-128-gcm");
	psk_setup(&c, &s);
	fx_handshake(&c, &s, NULL);
	tap_ok(fx_keys_match(&c, &s) && c.sess.suite == SECX_SUITE_AES_128_GCM_SHA256,
	       "default policies agree on aes-128-gcm");
}

static void ed_setup(struct fx_side *c, struct fx_side *s, const char *c_known,
		     const char *s_known)
{
	fx_init(c, SECX_AUTH_ED25519);
	fx_init(s, SECX_AUTH_ED25519);
	c->cfg.key_file = fx_path("client.id");
	s->cfg.key_file = fx_path("server.id");
	c->cfg.known_peers = fx_path(c_known);
	s->cfg.known_peers = fx_path(s_known);
	c->cfg.peer_name = "server.test";
	c->cfg.self_name = "laptop";
	s->cfg.self_name = "server";
}

static void test_ed25519_pinned(void)
{
	struct fx_side c, s;
	char line[200];

	snprintf(line, sizeof(line), "# pinned\nother.test %s\nserver.test %s\n", client_pub,
		 server_pub);
	fx_write("c_known", line, 0644);
	snprintf(line, sizeof(line), "laptop %s\n", client_pub);
	fx_write("s_known", line, 0644);
	ed_setup(&c, &s, "c_known", "s_known");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s) && !strcmp(c.sess.peer_fp, server_fp) &&
		    !strcmp(s.sess.peer_fp, client_fp) && !strcmp(s.sess.peer_name, "laptop") &&
		    !strcmp(c.sess.peer_name, "server.test"),
		    "ed25519 pinned both ways: keys match, fingerprints and names reported"))
		FX_DIAG(&c, &s);
}

static void test_ed25519_tofu(void)
{
	struct fx_side c, s;
	char line[200];

	unlink(fx_path("c_tofu"));
	snprintf(line, sizeof(line), "laptop %s\n", client_pub);
	fx_write("s_known", line, 0644);
	ed_setup(&c, &s, "c_tofu", "s_known");
	c.cfg.flags |= SECX_CFG_TOFU;
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s) && strstr(c.warn, "pinned new key") &&
		    strstr(c.warn, server_fp), "ed25519 trust on first use pins and warns"))
		FX_DIAG(&c, &s);
	ed_setup(&c, &s, "c_tofu", "s_known");
	fx_handshake(&c, &s, NULL);
	tap_ok(fx_keys_match(&c, &s) && !c.warn[0], "second connection matches the pinned key");
}

static void x509_setup(struct fx_side *c, struct fx_side *s, const char *srv)
{
	char cert[64], key[64];

	fx_init(c, SECX_AUTH_X509);
	fx_init(s, SECX_AUTH_X509);
	snprintf(cert, sizeof(cert), "%s.pem", srv);
	snprintf(key, sizeof(key), "%s.key", srv);
	s->cfg.cert_file = strdup(fx_path(cert));
	s->cfg.key_file = strdup(fx_path(key));
	c->cfg.ca_file = fx_path("ca.pem");
	c->cfg.peer_name = "server.test";
}

static void x509_free(struct fx_side *s)
{
	free((char *)s->cfg.cert_file);
	free((char *)s->cfg.key_file);
}

static void test_x509(void)
{
	struct fx_side c, s;

	x509_setup(&c, &s, "server");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s) && strstr(c.sess.peer_name, "server.test") &&
		    !strncmp(c.sess.peer_fp, "SHA256:", 7), "x509 server auth (EC P-256 leaf)"))
		FX_DIAG(&c, &s);
	x509_free(&s);

	x509_setup(&c, &s, "rsa");
	c.cfg.cert_file = fx_path("client.pem");
	c.cfg.key_file = fx_path("client.key");
	s.cfg.ca_file = fx_path("ca.pem");
	s.cfg.peer_name = "client.test";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s) && strstr(s.sess.peer_name, "client.test"),
		    "x509 mutual auth (RSA-PSS server, Ed25519 client)"))
		FX_DIAG(&c, &s);
	x509_free(&s);

	x509_setup(&c, &s, "chain");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s), "x509 with an intermediate CA in the chain"))
		FX_DIAG(&c, &s);
	x509_free(&s);
}

static void test_anonymous(void)
{
	struct fx_side c, s;

	fx_init(&c, SECX_AUTH_ANON);
	fx_init(&s, SECX_AUTH_ANON);
	c.cfg.flags |= SECX_CFG_ALLOW_ANON;
	s.cfg.flags |= SECX_CFG_ALLOW_ANON;
	fx_handshake(&c, &s, NULL);
	tap_ok(fx_keys_match(&c, &s) && strstr(c.warn, "NOT authenticated") &&
	       strstr(s.warn, "NOT authenticated"), "anonymous with the flag works and warns");
}

static void test_keylog(void)
{
	char want[400], got[1200] = "", cr[65], hex[129];
	struct fx_side c, s;
	unsigned int i;
	FILE *f;

	setenv(SECX_KEYLOG_ENV, fx_path("keylog"), 1);
	psk_setup(&c, &s);
	fx_handshake(&c, &s, NULL);
	unsetenv(SECX_KEYLOG_ENV);
	for (i = 0; i < 32; i++)
		sprintf(cr + 2 * i, "%02x", c.sess.client_random[i]);
	for (i = 0; i < c.sess.tx.secret_len; i++)
		sprintf(hex + 2 * i, "%02x", c.sess.tx.secret[i]);
	snprintf(want, sizeof(want), "SECX_CLIENT_TRAFFIC_SECRET %s %s\n", cr, hex);
	f = fopen(fx_path("keylog"), "r");
	if (f) {
		got[fread(got, 1, sizeof(got) - 1, f)] = 0;
		fclose(f);
	}
	if (!strstr(got, want))
		tap_diag("want %s got %s", want, got);
	tap_ok(fx_keys_match(&c, &s) && strstr(got, want) && strstr(got, "SECX_SUITE ") &&
	       strstr(got, "SECX_SERVER_TRAFFIC_SECRET "),
	       "SECXKEYLOGFILE records the client->server traffic secret");
}

static void setup_creds(void)
{
	EVP_PKEY *cak, *k, *ik;
	X509 *ca, *x, *ic;

	fx_write("psk", PSK_LINE, 0600);
	if (secx_key_generate(fx_path("server.id")) || secx_key_generate(fx_path("client.id")) ||
	    secx_key_public(fx_path("server.id"), server_pub, sizeof(server_pub), server_fp,
			    sizeof(server_fp)) ||
	    secx_key_public(fx_path("client.id"), client_pub, sizeof(client_pub), client_fp,
			    sizeof(client_fp))) {
		fprintf(stderr, "%s\n", secx_strerror());
		exit(2);
	}
	ca = fx_cert("ca", "secx test CA", "EC", 1, -1, 30, NULL, NULL, &cak);
	X509_free(fx_cert("server", "server.test", "EC", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	X509_free(fx_cert("rsa", "server.test", "RSA", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	X509_free(fx_cert("client", "client.test", "ED25519", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	ic = fx_cert("inter", "secx test intermediate", "EC", 1, -1, 30, ca, cak, &ik);
	x = fx_cert("chain", "server.test", "EC", 0, -1, 30, ic, ik, &k);
	/* chain.pem = leaf then intermediate */
	{
		FILE *f = fopen(fx_path("chain.pem"), "a");

		PEM_write_X509(f, ic);
		fclose(f);
	}
	X509_free(x);
	EVP_PKEY_free(k);
	X509_free(ic);
	EVP_PKEY_free(ik);
	X509_free(ca);
	EVP_PKEY_free(cak);
}

int main(void)
{
	fx_mkdir();
	setup_creds();
	test_psk_every_suite();
	test_server_preference();
	test_ed25519_pinned();
	test_ed25519_tofu();
	test_x509();
	test_anonymous();
	test_keylog();
	return tap_done();
}
