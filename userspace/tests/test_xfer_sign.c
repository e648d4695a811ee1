// SPDX-License-Identifier: MIT
/*
 * xfer/sign.c, the glue the transfer protocol's signature slot calls: an
 * Ed25519 handshake over socketpair(), the sender signs a file with
 * xf_sign_begin/xf_sign_make on its thread, the receiver checks the blob
 * with xf_sign_expect/xf_sign_accept on its own; every mismatch refused.
 */
#include "hs_fixture.h"
#include "sign.h"
#include "hs.h"
#include "xfer.h"

const char *xf_prog = "test_xfer_sign";
char xf_peer[96];

static uint8_t blob[SECX_SIG_FILE_MAX], blob_other[SECX_SIG_FILE_MAX];
static size_t blob_len, other_len;
static int sender_rc = -1;
static const uint8_t sha[32] = { 1, 2, 3 };

static void *sender(void *arg)
{
	struct fx_side *c = arg;
	struct timespec mt = { 1700000000, 5 };

	c->rc = secx_client(c->fd, &c->cfg);
	blob_len = other_len = sizeof(blob);
	if (!c->rc)
		sender_rc = xf_sign_begin(&c->cfg, &c->sess) ||
			    xf_sign_make("a.txt", 3, sha, &mt, blob, &blob_len) ||
			    xf_sign_make("b.txt", 3, sha, &mt, blob_other, &other_len);
	xf_sign_end();
	close(c->fd);
	return NULL;
}

int main(void)
{
	char cpub[48], spub[48], fp[SECX_FP_LEN], line[256];
	struct fx_side c, s;
	uint8_t bad[SECX_SIG_FILE_MAX];
	pthread_t t;
	int p[2], rc;

	fx_mkdir();
	secx_key_generate(fx_path("client.id"));
	secx_key_generate(fx_path("server.id"));
	secx_key_public(fx_path("client.id"), cpub, sizeof(cpub), fp, sizeof(fp));
	secx_key_public(fx_path("server.id"), spub, sizeof(spub), fp, sizeof(fp));
	snprintf(line, sizeof(line), "server.test %s\n", spub);
	fx_write("c_known", line, 0644);
	snprintf(line, sizeof(line), "laptop %s\n", cpub);
	fx_write("s_known", line, 0644);
	fx_init(&c, SECX_AUTH_ED25519);
	fx_init(&s, SECX_AUTH_ED25519);
	c.cfg.key_file = fx_path("client.id");
	s.cfg.key_file = fx_path("server.id");
	c.cfg.known_peers = fx_path("c_known");
	s.cfg.known_peers = fx_path("s_known");
	c.cfg.peer_name = "server.test";
	c.cfg.self_name = "laptop";
	s.cfg.self_name = "server";
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p))
		return 2;
	c.fd = p[0];
	s.fd = p[1];
	pthread_create(&t, NULL, sender, &c);
	s.rc = secx_server(s.fd, &s.cfg);
	close(s.fd);
	pthread_join(t, NULL);
	tap_ok(!c.rc && !s.rc && !sender_rc, "ed25519 handshake; the sender signs two files");
	tap_ok(!xf_sign_expect(&s.cfg, &s.sess), "the receiver expects signatures");
	tap_ok(!xf_sign_accept("a.txt", 3, sha, blob, blob_len),
	       "a.txt's signature accepted (%s)", xf_err);
	tap_ok(xf_sign_accept("a.txt", 3, sha, blob_other, other_len) != 0,
	       "another file's signature refused (%s)", xf_err);
	tap_ok(xf_sign_accept("a.txt", 4, sha, blob, blob_len) != 0, "another size refused");
	memcpy(bad, sha, 32);
	bad[0] ^= 1;
	tap_ok(xf_sign_accept("a.txt", 3, bad, blob, blob_len) != 0, "another SHA-256 refused");
	tap_ok(xf_sign_accept("a.txt", 3, sha, NULL, 0) != 0 && strstr(xf_err, "without"),
	       "a missing signature refused (%s)", xf_err);
	memcpy(bad, blob, blob_len);
	bad[blob_len - 1] ^= 1;
	tap_ok(xf_sign_accept("a.txt", 3, sha, bad, blob_len) != 0, "a bad signature refused");
	{	/* a valid signature, but by a key that is not the sender's */
		struct secx_sig_stmt st;
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		size_t n = sizeof(bad);

		secx_sig_open(blob, blob_len, &st);
		secx_sig_make(&st, k, bad, &n);
		EVP_PKEY_free(k);
		tap_ok(xf_sign_accept("a.txt", 3, sha, bad, n) != 0 && strstr(xf_err, "not by the sender"),
		       "signed by someone else than the authenticated sender: refused (%s)", xf_err);
	}
	{	/* a valid signature by the sender, but from another connection */
		struct secx_sig_stmt st;
		EVP_PKEY *k = hs_key_load(fx_path("client.id"));
		size_t n = sizeof(bad);

		secx_sig_open(blob, blob_len, &st);
		st.transfer_id[0] ^= 1;
		secx_sig_make(&st, k, bad, &n);
		EVP_PKEY_free(k);
		tap_ok(xf_sign_accept("a.txt", 3, sha, bad, n) != 0 && strstr(xf_err, "transfer id"),
		       "the sender's signature from another connection: refused (%s)", xf_err);
	}
	xf_sign_end();
	tap_ok(xf_sign_accept("a.txt", 3, sha, blob, blob_len) != 0, "nothing accepted after xf_sign_end()");
	{	/* the sender cannot sign without an Ed25519 identity: fail closed */
		struct fx_side q;

		fx_init(&q, SECX_AUTH_PSK);
		rc = xf_sign_begin(&q.cfg, &q.sess);
		tap_ok(rc != 0, "xf_sign_begin with a PSK: refused (%s)", xf_err);
		rc = xf_sign_expect(&q.cfg, &q.sess);
		tap_ok(rc != 0, "xf_sign_expect with a PSK: refused (%s)", xf_err);
	}
	{	/* the names a receiver keeping signatures refuses before any data */
		char why[512], longname[256];
		int dfd;

		mkdir(fx_path("in"), 0700);
		dfd = open(fx_path("in"), O_RDONLY | O_DIRECTORY);
		fx_write("in/old.secxsig", "x", 0644);
		memset(longname, 'n', 250);
		longname[250] = 0;
		tap_ok(!xf_sign_name_ok(dfd, "new", 0, why, sizeof(why)), "a fresh name is fine");
		tap_ok(xf_sign_name_ok(dfd, "x.secxsig", 0, why, sizeof(why)) && strstr(why, "reserved"),
		       "a name ending in .secxsig is refused (%s)", why);
		tap_ok(xf_sign_name_ok(dfd, "old", 0, why, sizeof(why)) && strstr(why, "exists"),
		       "an existing NAME.secxsig without --force is refused (%s)", why);
		tap_ok(!xf_sign_name_ok(dfd, "old", 1, why, sizeof(why)), "... fine with --force");
		tap_ok(xf_sign_name_ok(dfd, longname, 1, why, sizeof(why)) && strstr(why, "no room"),
		       "a 250-byte name leaves no room for the suffix: refused");
		close(dfd);
	}
	return tap_done();
}
