// SPDX-License-Identifier: MIT
/*
 * Handshakes that must fail, each with one clear line on both sides:
 * wrong/unknown PSK, PSK file mode, unknown and changed pinned keys, bad
 * certificates (expired, unknown CA, wrong name, missing), no common suite,
 * method mismatch, anonymous without the flag, tampering in transit
 * (downgrade protection), peer closing mid-handshake, garbage, oversized
 * and truncated messages, timeouts.
 */
#include "hs_fixture.h"

#define PSK_A "alice 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
#define PSK_B "alice 100102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static char srv_pub[48], srv_fp[SECX_FP_LEN], cli_pub[48], cli_fp[SECX_FP_LEN];
static char other_pub[48], other_fp[SECX_FP_LEN];

static int has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void psk_pair(struct fx_side *c, struct fx_side *s, const char *cfile, const char *sfile)
{
	fx_init(c, SECX_AUTH_PSK);
	fx_init(s, SECX_AUTH_PSK);
	c->cfg.psk_file = fx_path(cfile);
	s->cfg.psk_file = fx_path(sfile);
}

static void test_psk(void)
{
	struct fx_side c, s;

	psk_pair(&c, &s, "psk_a", "psk_b");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "wrong PSK") && has(c.err, "'alice'") &&
		    has(s.err, "wrong PSK"), "wrong PSK: both sides say so"))
		FX_DIAG(&c, &s);
	psk_pair(&c, &s, "psk_a", "psk_a");
	c.cfg.psk_file = fx_path("psk_bob");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "does not know PSK identity 'bob'") &&
		    has(s.err, "unknown PSK identity 'bob'"), "unknown PSK identity"))
		FX_DIAG(&c, &s);
	psk_pair(&c, &s, "psk_open", "psk_a");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && has(c.err, "mode 0644") && has(c.err, "chmod 600") &&
		    has(s.err, "closed"), "PSK file readable by others is refused before sending"))
		FX_DIAG(&c, &s);
}

static void ed_pair(struct fx_side *c, struct fx_side *s, const char *ckey, const char *skey)
{
	fx_init(c, SECX_AUTH_ED25519);
	fx_init(s, SECX_AUTH_ED25519);
	c->cfg.key_file = fx_path(ckey);
	s->cfg.key_file = fx_path(skey);
	c->cfg.known_peers = fx_path("c_known");
	s->cfg.known_peers = fx_path("s_known");
	c->cfg.peer_name = "server.test";
	c->cfg.self_name = "laptop";
}

static void test_ed25519(void)
{
	struct fx_side c, s;
	char line[200];

	snprintf(line, sizeof(line), "laptop %s\n", cli_pub);
	fx_write("s_known", line, 0644);
	fx_write("c_known", "", 0644);
	ed_pair(&c, &s, "client.id", "server.id");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "unknown server key for 'server.test'") &&
		    has(c.err, srv_fp) && has(s.err, "does not know our key"),
		    "unknown server key refused, naming peer and fingerprint"))
		FX_DIAG(&c, &s);

	snprintf(line, sizeof(line), "server.test %s\n", srv_pub);
	fx_write("c_known", line, 0644);
	ed_pair(&c, &s, "client.id", "other.id");
	c.cfg.flags |= SECX_CFG_TOFU;	/* TOFU never overrides a changed key */
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "'server.test' has CHANGED") &&
		    has(c.err, srv_fp) && has(c.err, other_fp) && has(s.err, "refused our key"),
		    "changed server key refused with both fingerprints (even with --tofu)"))
		FX_DIAG(&c, &s);

	ed_pair(&c, &s, "other.id", "server.id");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(s.err, "client key for 'laptop' has CHANGED") &&
		    has(s.err, cli_fp) && has(s.err, other_fp),
		    "changed client key refused by the server with both fingerprints"))
		FX_DIAG(&c, &s);
}

static void x509_pair(struct fx_side *c, struct fx_side *s, const char *srv, const char *name)
{
	static char cert[300], key[300];

	fx_init(c, SECX_AUTH_X509);
	fx_init(s, SECX_AUTH_X509);
	snprintf(cert, sizeof(cert), "%s/%s.pem", fx_dir, srv);
	snprintf(key, sizeof(key), "%s/%s.key", fx_dir, srv);
	s->cfg.cert_file = cert;
	s->cfg.key_file = key;
	c->cfg.ca_file = fx_path("ca.pem");
	c->cfg.peer_name = name;
}

static void test_x509(void)
{
	struct fx_side c, s;

	x509_pair(&c, &s, "expired", "server.test");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "certificate has expired") &&
		    has(s.err, "rejected our certificate"), "expired server certificate"))
		FX_DIAG(&c, &s);
	x509_pair(&c, &s, "rogue", "server.test");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "bad server certificate") &&
		    has(c.err, "local issuer"), "server certificate from an unknown CA"))
		FX_DIAG(&c, &s);
	x509_pair(&c, &s, "server", "other.test");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "hostname mismatch") &&
		    has(c.err, "'other.test'"), "server certificate for the wrong name"))
		FX_DIAG(&c, &s);
	x509_pair(&c, &s, "server", "server.test");
	s.cfg.ca_file = fx_path("ca.pem");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(s.err, "requires one") &&
		    has(c.err, "requires a client certificate"), "client certificate required"))
		FX_DIAG(&c, &s);
	x509_pair(&c, &s, "server", "server.test");
	s.cfg.key_file = fx_path("rogue.key");
	fx_handshake(&c, &s, NULL);
	tap_ok(s.rc && has(s.err, "does not match the certificate"),
	       "server key that does not match its certificate is refused");
}

static void test_negotiation(void)
{
	static const uint16_t aes128[] = { 1 }, chacha[] = { 3 };
	struct fx_side c, s;

	psk_pair(&c, &s, "psk_a", "psk_a");
	c.cfg.suites = aes128;
	s.cfg.suites = chacha;
	c.cfg.n_suites = s.cfg.n_suites = 1;
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && !strcmp(c.err, s.err) &&
		    !strcmp(c.err, "no cipher suite in common: client offered aes-128-gcm, "
			    "server allows chacha20-poly1305"),
		    "no common suite: the same exact line on both sides"))
		FX_DIAG(&c, &s);
	fx_init(&c, SECX_AUTH_ANON);
	c.cfg.flags |= SECX_CFG_ALLOW_ANON;
	psk_pair(&s, &s, "psk_a", "psk_a");
	fx_init(&s, SECX_AUTH_PSK);
	s.cfg.psk_file = fx_path("psk_a");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && !strcmp(c.err, s.err) &&
		    has(c.err, "method mismatch: client uses anonymous, server requires psk"),
		    "authentication method mismatch"))
		FX_DIAG(&c, &s);
	fx_init(&c, SECX_AUTH_ANON);
	fx_init(&s, SECX_AUTH_ANON);
	s.cfg.flags |= SECX_CFG_ALLOW_ANON;
	fx_handshake(&c, &s, NULL);
	tap_ok(c.rc && has(c.err, "anonymous handshakes are refused"),
	       "anonymous without the explicit flag is refused");
}

/* Flip one bit of the client's first offered suite, or of the server's share. */
static void test_tamper(void)
{
	static struct fx_relay r;
	struct fx_side c, s;

	fx_init(&c, SECX_AUTH_ANON);
	fx_init(&s, SECX_AUTH_ANON);
	c.cfg.flags |= SECX_CFG_ALLOW_ANON;
	s.cfg.flags |= SECX_CFG_ALLOW_ANON;
	memset(&r, 0, sizeof(r));
	r.flip_c2s = 3 + 4 + 2 + 32 + 1 + 1 + 1;	/* low byte of suite[0]: 1 -> 0 */
	r.flip_s2c = -1;
	fx_handshake(&c, &s, &r);
	if (!tap_ok(c.rc && s.rc && has(c.err, "Finished does not verify") &&
		    has(s.err, "could not verify our Finished"),
		    "changed offered suite list breaks Finished (downgrade protection)"))
		FX_DIAG(&c, &s);
	psk_pair(&c, &s, "psk_a", "psk_a");
	memset(&r, 0, sizeof(r));
	r.flip_c2s = -1;
	r.flip_s2c = 3 + 4 + 2 + 32 + 2 + 5;	/* a byte of the server's X25519 share */
	fx_handshake(&c, &s, &r);
	if (!tap_ok(c.rc && s.rc && has(c.err, "Finished does not verify"),
		    "changed key share breaks Finished"))
		FX_DIAG(&c, &s);
}

/* ---- a raw peer that misbehaves ---- */

struct raw {
	int fd;
	const void *send;
	size_t send_len;
	size_t read_first;	/* bytes to read before sending */
	int linger_ms;		/* stay silent this long before closing */
};

static void *raw_thread(void *arg)
{
	struct raw *r = arg;
	uint8_t buf[4096];
	size_t got = 0;
	ssize_t n;

	while (got < r->read_first && (n = read(r->fd, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	if (r->send_len && write(r->fd, r->send, r->send_len) < 0)
		perror("raw write");
	if (r->linger_ms)
		poll(NULL, 0, r->linger_ms);
	close(r->fd);
	return NULL;
}

/* Run the real @server or client side against @r; returns its error line. */
static int against_raw(struct fx_side *me, int server, struct raw *r)
{
	pthread_t t;
	int sp[2];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	me->fd = sp[0];
	r->fd = sp[1];
	pthread_create(&t, NULL, raw_thread, r);
	me->rc = server ? secx_server(me->fd, &me->cfg) : secx_client(me->fd, &me->cfg);
	snprintf(me->err, sizeof(me->err), "%s", me->rc ? secx_strerror() : "");
	close(me->fd);
	pthread_join(t, NULL);
	return me->rc;
}

static void anon(struct fx_side *x)
{
	fx_init(x, SECX_AUTH_ANON);
	x->cfg.flags |= SECX_CFG_ALLOW_ANON;
}

static void test_raw_peers(void)
{
	static const uint8_t big[] = { 2, 0xff, 0xff };
	static const uint8_t trunc[] = { 2, 0, 100, 'S', 'E', 'C', 'X' };
	struct raw r;
	struct fx_side x;

	anon(&x);
	r = (struct raw){ .read_first = 1 };
	if (!tap_ok(against_raw(&x, 0, &r) && has(x.err, "peer closed the connection during "
		    "the handshake (waiting for the server's ServerHello)"),
		    "server closes after ClientHello"))
		tap_diag("%s", x.err);
	anon(&x);
	r = (struct raw){ .send = "SSH-2.0-OpenSSH_9.2p1 Debian\r\n", .send_len = 30 };
	if (!tap_ok(against_raw(&x, 0, &r) && has(x.err, "peer is not speaking secx") &&
		    has(x.err, "SSH-2.0-OpenSS"), "garbage from a non-secx server"))
		tap_diag("%s", x.err);
	anon(&x);
	r = (struct raw){ .send = "GET / HTTP/1.1\r\nHost: x\r\n\r\n", .send_len = 27 };
	if (!tap_ok(against_raw(&x, 1, &r) && has(x.err, "peer is not speaking secx") &&
		    has(x.err, "expected a ClientHello"), "garbage from a non-secx client"))
		tap_diag("%s", x.err);
	anon(&x);
	r = (struct raw){ .read_first = 1, .send = big, .send_len = sizeof(big) };
	if (!tap_ok(against_raw(&x, 0, &r) && has(x.err, "too large") && has(x.err, "65535"),
		    "oversized message refused before reading its body"))
		tap_diag("%s", x.err);
	anon(&x);
	r = (struct raw){ .read_first = 1, .send = trunc, .send_len = sizeof(trunc) };
	if (!tap_ok(against_raw(&x, 0, &r) && has(x.err, "peer closed"),
		    "truncated message, then close"))
		tap_diag("%s", x.err);
	anon(&x);
	x.cfg.timeout_ms = 300;
	r = (struct raw){ .read_first = 1, .linger_ms = 1500 };
	if (!tap_ok(against_raw(&x, 0, &r) && has(x.err, "timed out after 0.300 s"),
		    "silent server: handshake timeout"))
		tap_diag("%s", x.err);
}

static void setup(void)
{
	EVP_PKEY *cak, *k, *rk;
	X509 *ca, *rca;

	fx_write("psk_a", PSK_A, 0600);
	fx_write("psk_b", PSK_B, 0600);
	fx_write("psk_bob", "bob 00112233445566778899aabbccddeeff\n", 0600);
	fx_write("psk_open", PSK_A, 0644);
	if (secx_key_generate(fx_path("server.id")) || secx_key_generate(fx_path("client.id")) ||
	    secx_key_generate(fx_path("other.id")) ||
	    secx_key_public(fx_path("server.id"), srv_pub, 48, srv_fp, SECX_FP_LEN) ||
	    secx_key_public(fx_path("client.id"), cli_pub, 48, cli_fp, SECX_FP_LEN) ||
	    secx_key_public(fx_path("other.id"), other_pub, 48, other_fp, SECX_FP_LEN))
		exit(2);
	ca = fx_cert("ca", "secx test CA", "EC", 1, -1, 30, NULL, NULL, &cak);
	X509_free(fx_cert("server", "server.test", "EC", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	X509_free(fx_cert("expired", "server.test", "EC", 0, -30, -1, ca, cak, &k));
	EVP_PKEY_free(k);
	rca = fx_cert("rogueca", "rogue CA", "EC", 1, -1, 30, NULL, NULL, &rk);
	X509_free(fx_cert("rogue", "server.test", "EC", 0, -1, 30, rca, rk, &k));
	EVP_PKEY_free(k);
	EVP_PKEY_free(rk);
	X509_free(rca);
	X509_free(ca);
	EVP_PKEY_free(cak);
}

int main(void)
{
	fx_mkdir();
	setup();
	test_psk();
	test_ed25519();
	test_x509();
	test_negotiation();
	test_tamper();
	test_raw_peers();
	return tap_done();
}
