/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the handshake host tests (test_hs_*.c): a temporary
 * directory, credentials generated at test time with OpenSSL (no private
 * key is committed), and a handshake over socketpair() with the client in
 * a thread, optionally through a relay that records or tampers with bytes.
 * Header-only: each test program includes it once.
 */
#ifndef SECX_TESTS_HS_FIXTURE_H
#define SECX_TESTS_HS_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "secx.h"
#include "tap.h"

static char fx_dir[256];

static __attribute__((unused)) const char *fx_path(const char *name)
{
	static char bufs[8][512];
	static int i;
	char *b = bufs[i++ % 8];

	snprintf(b, 512, "%s/%s", fx_dir, name);
	return b;
}

static __attribute__((unused)) void fx_write(const char *name, const char *text, int mode)
{
	int fd = open(fx_path(name), O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(name);
		exit(2);
	}
	fchmod(fd, (mode_t)mode);
	close(fd);
}

static __attribute__((unused)) void fx_rmdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", fx_dir);
}

static __attribute__((unused)) void fx_mkdir(void)
{
	snprintf(fx_dir, sizeof(fx_dir), "/tmp/secx-hs-test.XXXXXX");
	if (!mkdtemp(fx_dir)) {
		perror("mkdtemp");
		exit(2);
	}
	atexit(fx_rmdir);
}

/* ---- credentials ---- */

static EVP_PKEY *fx_keygen(const char *type)
{
	if (!strcmp(type, "RSA"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!strcmp(type, "EC"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

static void fx_save_key(EVP_PKEY *k, const char *name)
{
	FILE *f = fopen(fx_path(name), "w");

	if (!f || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)) {
		fprintf(stderr, "cannot write %s\n", name);
		exit(2);
	}
	fclose(f);
	chmod(fx_path(name), 0600);
}

static void fx_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e) {
		fprintf(stderr, "bad extension %s\n", value);
		exit(2);
	}
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/*
 * A certificate for CN=@cn (also the DNS SAN unless @ca), valid from
 * now+@from_days to now+@to_days, signed by @ikey/@issuer (NULL: self).
 * Writes @name.pem (and the key to @name.key); returns cert and key.
 */
static __attribute__((unused)) X509 *fx_cert(const char *name, const char *cn, const char *type, int ca,
		     long from_days, long to_days, X509 *issuer, EVP_PKEY *ikey, EVP_PKEY **key)
{
	static long serial = 1;
	char path[300], san[300];
	X509 *x = X509_new();
	EVP_PKEY *k = fx_keygen(type);
	const EVP_MD *md;
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	if (ca) {
		fx_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		fx_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		snprintf(san, sizeof(san), "DNS:%s", cn);
		fx_ext(x, issuer, NID_subject_alt_name, san);
	}
	fx_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (!ikey)
		ikey = k;
	md = EVP_PKEY_get_base_id(ikey) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	if (!X509_sign(x, ikey, md)) {
		fprintf(stderr, "cannot sign %s\n", name);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s.pem", name);
	f = fopen(fx_path(path), "w");
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s.key", name);
	fx_save_key(k, path);
	*key = k;
	return x;
}

/* ---- handshake over a socketpair ---- */

struct fx_side {
	struct secx_cfg cfg;
	struct secx_session sess;
	int rc;
	char err[512];
	char warn[1024];
	int fd;
};

static void fx_warn(void *arg, const char *msg)
{
	struct fx_side *s = arg;
	size_t n = strlen(s->warn);

	snprintf(s->warn + n, sizeof(s->warn) - n, "%s%s", n ? " | " : "", msg);
}

static __attribute__((unused)) void fx_init(struct fx_side *s, enum secx_auth auth)
{
	memset(s, 0, sizeof(*s));
	s->cfg.auth = auth;
	s->cfg.flags = SECX_CFG_NO_KERNEL | SECX_CFG_EXPORT_KEYS;
	s->cfg.timeout_ms = 5000;
	s->cfg.warn = fx_warn;
	s->cfg.warn_arg = s;
	s->cfg.session = &s->sess;
}

static void fx_run(struct fx_side *s, int server)
{
	s->rc = server ? secx_server(s->fd, &s->cfg) : secx_client(s->fd, &s->cfg);
	snprintf(s->err, sizeof(s->err), "%s", s->rc ? secx_strerror() : "");
	close(s->fd);
}

static void *fx_client_thread(void *arg)
{
	fx_run(arg, 0);
	return NULL;
}

/*
 * Relay between two socketpairs: records both directions and can flip one
 * byte at an offset of the client->server or server->client stream.
 */
struct fx_relay {
	int c, s;			/* relay's ends towards client and server */
	long flip_c2s, flip_s2c;	/* offset to xor with 0x01, or -1 */
	uint8_t c2s[65536], s2c[65536];
	size_t n_c2s, n_s2c;
};

static int fx_pump(int from, int to, uint8_t *log, size_t *n, long flip)
{
	uint8_t b[4096];
	ssize_t r = read(from, b, sizeof(b)), i;

	if (r <= 0)
		return -1;
	for (i = 0; i < r; i++) {
		if ((long)(*n + (size_t)i) == flip)
			b[i] ^= 0x01;
		if (*n + (size_t)i < 65536)
			log[*n + (size_t)i] = b[i];
	}
	*n += (size_t)r;
	return write(to, b, (size_t)r) == r ? 0 : -1;
}

static void *fx_relay_thread(void *arg)
{
	struct fx_relay *r = arg;
	struct pollfd p[2] = { { .fd = r->c, .events = POLLIN }, { .fd = r->s, .events = POLLIN } };

	while (poll(p, 2, 10000) > 0) {
		if (p[0].revents && fx_pump(r->c, r->s, r->c2s, &r->n_c2s, r->flip_c2s))
			break;
		if (p[1].revents && fx_pump(r->s, r->c, r->s2c, &r->n_s2c, r->flip_s2c))
			break;
	}
	close(r->c);
	close(r->s);
	return NULL;
}

/* Run client (thread) against server (this thread), optionally via @relay. */
static __attribute__((unused)) void fx_handshake(struct fx_side *c, struct fx_side *s,
						 struct fx_relay *relay)
{
	pthread_t tc, tr;
	int a[2], b[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a))
		exit(2);
	c->fd = a[0];
	s->fd = a[1];
	if (relay) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, b))
			exit(2);
		relay->c = a[1];
		relay->s = b[0];
		s->fd = b[1];
		pthread_create(&tr, NULL, fx_relay_thread, relay);
	}
	pthread_create(&tc, NULL, fx_client_thread, c);
	fx_run(s, 1);
	pthread_join(tc, NULL);
	if (relay)
		pthread_join(tr, NULL);
}

/* Both ends derived the same keys, crosswise, and the directions differ. */
static __attribute__((unused)) int fx_keys_match(const struct fx_side *c, const struct fx_side *s)
{
	const struct secx_crypto_info *ct = &c->sess.tx, *cr = &c->sess.rx;

	return c->rc == 0 && s->rc == 0 && ct->key_len && ct->secret_len &&
	       !memcmp(ct, &s->sess.rx, sizeof(*ct)) && !memcmp(cr, &s->sess.tx, sizeof(*cr)) &&
	       memcmp(ct->key, cr->key, ct->key_len) && memcmp(ct->iv, cr->iv, SECX_IV_LEN) &&
	       c->sess.suite == s->sess.suite && ct->suite == c->sess.suite;
}

/* tap_ok() with both error lines as diagnostics on failure. */
#define FX_DIAG(c, s) tap_diag("client rc=%d err='%s' warn='%s'; server rc=%d err='%s' warn='%s'", \
			       (c)->rc, (c)->err, (c)->warn, (s)->rc, (s)->err, (s)->warn)

#endif /* SECX_TESTS_HS_FIXTURE_H */
