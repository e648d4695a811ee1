// SPDX-License-Identifier: MIT
/*
 * Authentication policy that must fail closed (issue 11): how libsecx and
 * the shared option parser apply --peer-name, --ca, --name and --tofu,
 * hostile identity strings, damaged known_peers files, credentials checked
 * at startup, and what happens to the socket after a failure.  Handshakes
 * run over socketpair() in test mode, as in test_hs_auth.c.
 */
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

#include "hs_fixture.h"
#include "hs.h"

#define PSK_LINE "alice 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static char server_pub[48], client_pub[48], server_fp[SECX_FP_LEN], client_fp[SECX_FP_LEN];

static int has(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

/* No byte a terminal would interpret: what a log line may contain. */
static int clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* ---- option parsing: secx_cli_auth_opt() + secx_cli_auth_finish() ---- */

/* Parse a NULL-terminated option list as a tool would; 0 or -1. */
static int cli(int server, const char *dial, ...)
{
	struct secx_cfg cfg = { 0 };
	char *argv[32];
	int argc = 0, i, r;
	va_list ap;

	argv[argc++] = "tool";
	va_start(ap, dial);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	for (i = 1; i < argc; i++) {
		r = secx_cli_auth_opt(&cfg, argc, argv, &i);
		if (r < 0)
			return -1;
		if (!r)
			return secx_err("test: unknown option %s", argv[i]);
	}
	if (!server && !cfg.peer_name)
		cfg.peer_name = dial;	/* what secx-send / connect do */
	return secx_cli_auth_finish(&cfg, server);
}

static void test_cli(void)
{
	const char *ca = fx_path("ca.pem"), *srv = fx_path("server.pem"),
		   *sk = fx_path("server.key"), *id = fx_path("server.id"),
		   *kp = fx_path("s_known"), *psk = fx_path("psk");

	tap_ok(cli(1, NULL, "--cert", srv, "--key", sk, "--peer-name", "alice.corp", NULL) &&
	       has(secx_strerror(), "--ca"),
	       "x509 server: --peer-name without --ca is refused at option parsing (%s)",
	       secx_strerror());
	tap_ok(!cli(1, NULL, "--cert", srv, "--key", sk, "--ca", ca, "--peer-name", "alice.corp",
		    NULL), "x509 server: --peer-name with --ca is accepted");
	tap_ok(cli(0, "h", "--ca", ca, "--peer-name", "", NULL),
	       "empty --peer-name is a usage error (%s)", secx_strerror());
	tap_ok(cli(0, "h", "--ca", ca, "--peer-name=", NULL),
	       "empty --peer-name= is a usage error");
	tap_ok(cli(0, "h", "--ca", ca, "--peer-name", "srv 1", NULL),
	       "--peer-name with a space is a usage error");
	tap_ok(cli(0, "h", "--ca", ca, "--peer-name", "srv\n1", NULL),
	       "--peer-name with a newline is a usage error");
	tap_ok(cli(0, "h", "--key", id, "--known-peers", kp, "--tofu", "--peer-name", "#ops",
		   NULL), "--tofu --peer-name '#ops' is a usage error");
	tap_ok(cli(0, "h", "--key", id, "--known-peers", kp, "--name", "my laptop", NULL),
	       "--name 'my laptop' is a usage error");
	tap_ok(cli(0, "h", "--key", id, "--known-peers", kp, "--name", "", NULL),
	       "empty --name is a usage error");
	tap_ok(cli(1, NULL, "--psk", psk, "--peer-name", "alice", NULL),
	       "psk server with --peer-name is refused (nothing could enforce it)");
	tap_ok(cli(0, "h", "--anonymous", "--peer-name", "alice", NULL),
	       "--anonymous with --peer-name is refused");
	tap_ok(!cli(0, "h", "--psk", psk, NULL), "--psk client: the dialled HOST is no error");
	tap_ok(cli(1, NULL, "--key", "/nonexistent.key", "--known-peers", kp, NULL) &&
	       has(secx_strerror(), "/nonexistent.key"),
	       "a missing key file is refused when the options are checked, before listening");
	tap_ok(cli(1, NULL, "--psk", "/nonexistent.psk", NULL),
	       "a missing PSK file is refused before listening");
	tap_ok(cli(0, "h", "--ca", "/nonexistent.pem", NULL),
	       "a missing CA bundle is refused before connecting");
	tap_ok(cli(1, NULL, "--cert", srv, "--key", fx_path("client.key"), NULL),
	       "a key that does not match the certificate is refused before listening");
}

/* ---- X.509 ---- */

static void x509_pair(struct fx_side *c, struct fx_side *s)
{
	fx_init(c, SECX_AUTH_X509);
	fx_init(s, SECX_AUTH_X509);
	s->cfg.cert_file = fx_path("server.pem");
	s->cfg.key_file = fx_path("server.key");
	c->cfg.ca_file = fx_path("ca.pem");
	c->cfg.peer_name = "server.test";
}

static void test_x509(void)
{
	struct fx_side c, s;

	/* A server without --ca and a self-signed "admin" client certificate. */
	x509_pair(&c, &s);
	c.cfg.cert_file = fx_path("selfsigned.pem");
	c.cfg.key_file = fx_path("selfsigned.key");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(s.rc == 0 && !has(s.sess.peer_name, "admin") && !s.sess.peer_name[0] &&
		    !strncmp(s.sess.peer_fp, "SHA256:", 7),
		    "x509 server without --ca: an unverified subject is never the peer name "
		    "(got '%s'), only the fingerprint", s.sess.peer_name))
		FX_DIAG(&c, &s);

	x509_pair(&c, &s);
	s.cfg.peer_name = "alice.corp";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(s.rc && c.rc, "x509 server with peer_name and no CA refuses (no client cert)"))
		FX_DIAG(&c, &s);
	x509_pair(&c, &s);
	s.cfg.peer_name = "alice.corp";
	c.cfg.cert_file = fx_path("selfsigned.pem");
	c.cfg.key_file = fx_path("selfsigned.key");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(s.rc && c.rc, "x509 server with peer_name and no CA refuses a self-signed "
		    "client"))
		FX_DIAG(&c, &s);

	/* The client always checks a name. */
	x509_pair(&c, &s);
	s.cfg.cert_file = fx_path("mallory.pem");
	s.cfg.key_file = fx_path("mallory.key");
	c.cfg.peer_name = "";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc, "x509 client with an empty peer name does not accept mallory.example"))
		FX_DIAG(&c, &s);
	x509_pair(&c, &s);
	s.cfg.cert_file = fx_path("mallory.pem");
	s.cfg.key_file = fx_path("mallory.key");
	c.cfg.peer_name = NULL;
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc, "x509 client without a peer name refuses"))
		FX_DIAG(&c, &s);
}

/* ---- Ed25519 ---- */

static void ed_pair(struct fx_side *c, struct fx_side *s, const char *s_known)
{
	fx_init(c, SECX_AUTH_ED25519);
	fx_init(s, SECX_AUTH_ED25519);
	c->cfg.key_file = fx_path("client.id");
	s->cfg.key_file = fx_path("server.id");
	c->cfg.known_peers = fx_path("c_known");
	s->cfg.known_peers = fx_path(s_known);
	c->cfg.peer_name = "server.test";
	c->cfg.self_name = "laptop";
	s->cfg.self_name = "server";
}

static void test_ed25519(void)
{
	struct fx_side c, s;
	char text[2048], comment[500];
	FILE *f;
	int i;

	snprintf(text, sizeof(text), "server.test %s\n", server_pub);
	fx_write("c_known", text, 0600);
	snprintf(text, sizeof(text), "laptop %s\n", client_pub);
	fx_write("s_known", text, 0600);
	ed_pair(&c, &s, "s_known");
	s.cfg.peer_name = "alice";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(s.rc && c.rc, "ed25519 server with peer_name 'alice' refuses the pinned "
		    "client 'laptop'"))
		FX_DIAG(&c, &s);
	ed_pair(&c, &s, "s_known");
	s.cfg.peer_name = "laptop";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s), "ed25519 server with peer_name 'laptop' accepts it"))
		FX_DIAG(&c, &s);

	/* '#' names are comments in the file: never enrolled. */
	fx_write("s_tofu", "", 0600);
	ed_pair(&c, &s, "s_tofu");
	s.cfg.flags |= SECX_CFG_TOFU;
	c.cfg.self_name = "#ops";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(s.rc && c.rc, "tofu server refuses the client name '#ops'"))
		FX_DIAG(&c, &s);

	/* A long comment line does not split into bogus lines. */
	memset(comment, 'x', sizeof(comment));
	comment[0] = '#';
	comment[sizeof(comment) - 1] = 0;
	snprintf(text, sizeof(text), "%s\nlaptop %s\n", comment, client_pub);
	fx_write("s_long", text, 0600);
	ed_pair(&c, &s, "s_long");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s), "a 500-character comment line parses"))
		FX_DIAG(&c, &s);

	/* A malformed line: reported with file:line; a pinned peer still matches... */
	snprintf(text, sizeof(text), "broken-line\nlaptop %s\n", client_pub);
	fx_write("s_bad", text, 0600);
	ed_pair(&c, &s, "s_bad");
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s) && has(s.warn, "s_bad:1"),
		    "a malformed line is skipped with a file:line warning; a pinned peer matches"))
		FX_DIAG(&c, &s);
	/* ... but nothing is enrolled while a line cannot be read. */
	snprintf(text, sizeof(text), "laptop\n");
	fx_write("s_bad2", text, 0600);
	ed_pair(&c, &s, "s_bad2");
	s.cfg.flags |= SECX_CFG_TOFU;
	fx_handshake(&c, &s, NULL);
	f = fopen(fx_path("s_bad2"), "r");
	i = f ? (int)fread(text, 1, sizeof(text) - 1, f) : 0;
	text[i] = 0;
	if (f)
		fclose(f);
	if (!tap_ok(s.rc && c.rc && has(s.err, "s_bad2:1") && !strcmp(text, "laptop\n"),
		    "tofu with a malformed line refuses to enroll (the line may be this peer's pin)"))
		FX_DIAG(&c, &s);

	/* Enrollment is capped. */
	f = fopen(fx_path("s_full"), "w");
	for (i = 0; f && i < 1024; i++)
		fprintf(f, "peer%d %s\n", i, server_pub);
	if (f)
		fclose(f);
	ed_pair(&c, &s, "s_full");
	s.cfg.flags |= SECX_CFG_TOFU;
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(s.rc && c.rc && has(s.err, "1024"),
		    "tofu enrollment stops at 1024 pinned names"))
		FX_DIAG(&c, &s);

	/* Check-then-append: the append re-checks under the lock. */
	{
		uint8_t k1[32], k2[32];

		memset(k1, 1, sizeof(k1));
		memset(k2, 2, sizeof(k2));
		fx_write("s_race", "", 0600);
		tap_ok(hs_pin_add(fx_path("s_race"), "racer", k1) == 0 &&
		       hs_pin_add(fx_path("s_race"), "racer", k2) != 0 &&
		       hs_pin_add(fx_path("s_race"), "racer", k1) == 0,
		       "a pin added under the lock re-checks: a second key for one name is refused");
		{
			int lfd = open(fx_path("s_race"), O_RDONLY);
			time_t t0 = time(NULL);
			pid_t pid = fork();

			if (pid == 0) {	/* another process holds the lock */
				flock(lfd, LOCK_EX);
				sleep(5);
				_exit(0);
			}
			usleep(200000);
			tap_ok(hs_pin_add(fx_path("s_race"), "other", k2) != 0 &&
			       time(NULL) - t0 < 5,
			       "a known_peers lock held elsewhere delays a pin by 2 s at most (%s)",
			       secx_strerror());
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(lfd);
		}
	}

	/* A TOFU server that cannot write its file tells the client (no silent success). */
	ed_pair(&c, &s, "nodir/known");
	s.cfg.flags |= SECX_CFG_TOFU;
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(s.rc && c.rc && has(c.err, "internal error"),
		    "server-side failure after the client's Finished: the client gets internal_error"))
		FX_DIAG(&c, &s);
}

/* ---- hostile identities on the wire ---- */

struct raw {
	int fd;
	uint8_t buf[1024];
	size_t len;
};

static void *raw_writer(void *arg)
{
	struct raw *r = arg;
	uint8_t sink[4096];

	if (write(r->fd, r->buf, r->len) != (ssize_t)r->len)
		return NULL;
	while (read(r->fd, sink, sizeof(sink)) > 0)
		;
	return NULL;
}

static void test_hostile_identity(void)
{
	static const char forged[] = "x\nsecx-recv: received 1 file, peer 'admin'\x1b[2K";
	struct hs_client_hello ch = { .version = SECX_HS_VERSION, .auth = SECX_AUTH_PSK,
				      .n_suites = 1, .suites = { 1 } };
	struct fx_side s;
	struct raw r;
	pthread_t t;
	int sp[2];

	memset(ch.share, 9, sizeof(ch.share));
	ch.id_len = (uint8_t)strlen(forged);
	memcpy(ch.identity, forged, ch.id_len);
	fx_init(&s, SECX_AUTH_PSK);
	s.cfg.psk_file = fx_path("psk");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		exit(2);
	r.fd = sp[0];
	r.len = (size_t)hs_enc_client_hello(r.buf, sizeof(r.buf), &ch);
	pthread_create(&t, NULL, raw_writer, &r);
	s.fd = sp[1];
	s.rc = secx_server(s.fd, &s.cfg);
	snprintf(s.err, sizeof(s.err), "%s", secx_strerror());
	close(sp[1]);
	pthread_join(t, NULL);
	close(sp[0]);
	if (!tap_ok(s.rc && clean(s.err) && clean(s.warn) && !has(s.err, "peer 'admin'"),
		    "a PSK identity with a newline and ESC is refused and never printed raw"))
		tap_diag("rc=%d err='%s'", s.rc, s.err);
}

/* ---- PSK reflection (Selfie): one host, one PSK, both roles ---- */

static void test_psk_reflection(void)
{
	struct fx_side c, s;

	/* Host A's client wants B, but its connection is redirected to A's own server. */
	fx_init(&c, SECX_AUTH_PSK);
	fx_init(&s, SECX_AUTH_PSK);
	c.cfg.psk_file = s.cfg.psk_file = fx_path("psk");
	c.cfg.peer_name = "hostB";
	s.cfg.self_name = "hostA";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(c.rc && s.rc && has(c.err, "hostA"),
		    "psk reflection: a client expecting 'hostB' refuses its own host's server"))
		FX_DIAG(&c, &s);
	fx_init(&c, SECX_AUTH_PSK);
	fx_init(&s, SECX_AUTH_PSK);
	c.cfg.psk_file = s.cfg.psk_file = fx_path("psk");
	c.cfg.peer_name = "hostB";
	s.cfg.self_name = "hostB";
	fx_handshake(&c, &s, NULL);
	if (!tap_ok(fx_keys_match(&c, &s), "psk: the server named 'hostB' is accepted"))
		FX_DIAG(&c, &s);
	tap_ok(!cli(0, "h", "--psk", fx_path("psk"), "--peer-name", "hostB", NULL),
	       "psk client: --peer-name names the server and is accepted (%s)", secx_strerror());
}

/* ---- the socket after a failure ---- */

static void test_shutdown_after_failure(void)
{
	struct hs_alert al = { .code = HS_AL_INTERNAL_ERROR };
	struct fx_side c;
	struct raw r;
	pthread_t t;
	int sp[2], sent;

	fx_init(&c, SECX_AUTH_ANON);
	c.cfg.flags |= SECX_CFG_ALLOW_ANON;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		exit(2);
	r.fd = sp[0];
	r.len = (size_t)hs_enc_alert(r.buf, sizeof(r.buf), &al);
	pthread_create(&t, NULL, raw_writer, &r);
	c.rc = secx_client(sp[1], &c.cfg);
	sent = (int)send(sp[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(sp[1]);
	pthread_join(t, NULL);
	close(sp[0]);
	tap_ok(c.rc && sent < 0, "after a failed handshake (peer's alert) the socket is shut down "
	       "for writing (send returned %d)", sent);
}

/* ---- key files ---- */

static void test_key_modes(void)
{
	struct fx_side c, s;
	char text[200];

	snprintf(text, sizeof(text), "laptop %s\n", client_pub);
	fx_write("s_known", text, 0600);
	snprintf(text, sizeof(text), "server.test %s\n", server_pub);
	fx_write("c_known", text, 0600);
	chmod(fx_path("server.id"), 0644);
	ed_pair(&c, &s, "s_known");
	fx_handshake(&c, &s, NULL);
	chmod(fx_path("server.id"), 0600);
	if (!tap_ok(s.rc && has(s.err, "0644"), "an Ed25519 key readable by others is refused"))
		FX_DIAG(&c, &s);
	chmod(fx_path("server.key"), 0640);
	x509_pair(&c, &s);
	fx_handshake(&c, &s, NULL);
	chmod(fx_path("server.key"), 0600);
	if (!tap_ok(s.rc && has(s.err, "0640"), "an X.509 key readable by the group is refused"))
		FX_DIAG(&c, &s);
}

static void test_pubkey_of_public(void)
{
	char b64[48], fp[SECX_FP_LEN];
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f = fopen(fx_path("pub.pem"), "w");

	PEM_write_PUBKEY(f, k);
	fclose(f);
	EVP_PKEY_free(k);
	chmod(fx_path("pub.pem"), 0600);
	tap_ok(secx_key_public(fx_path("pub.pem"), b64, sizeof(b64), fp, sizeof(fp)) &&
	       has(secx_strerror(), "public key") && !has(secx_strerror(), "DECODER"),
	       "pubkey on a public key file says so (%s)", secx_strerror());
}

static void test_keylog_file(void)
{
	struct fx_side c, s;
	struct stat st;

	fx_write("keylog", "", 0644);
	setenv(SECX_KEYLOG_ENV, fx_path("keylog"), 1);
	fx_init(&c, SECX_AUTH_PSK);
	fx_init(&s, SECX_AUTH_PSK);
	c.cfg.psk_file = s.cfg.psk_file = fx_path("psk");
	fx_handshake(&c, &s, NULL);
	unsetenv(SECX_KEYLOG_ENV);
	if (!tap_ok(!stat(fx_path("keylog"), &st) && st.st_size == 0 &&
		    has(c.warn, "keylog"), "no secret is appended to a key log readable by others"))
		FX_DIAG(&c, &s);
}

static void setup_creds(void)
{
	EVP_PKEY *cak, *k;
	X509 *ca;

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
	X509_free(fx_cert("mallory", "mallory.example", "EC", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	X509_free(fx_cert("client", "client.test", "EC", 0, -1, 30, ca, cak, &k));
	EVP_PKEY_free(k);
	X509_free(fx_cert("selfsigned", "admin", "EC", 0, -1, 30, NULL, NULL, &k));
	EVP_PKEY_free(k);
	X509_free(ca);
	EVP_PKEY_free(cak);
}

int main(void)
{
	fx_mkdir();
	setup_creds();
	test_cli();
	test_x509();
	test_ed25519();
	test_hostile_identity();
	test_psk_reflection();
	test_shutdown_after_failure();
	test_key_modes();
	test_pubkey_of_public();
	test_keylog_file();
	return tap_done();
}
