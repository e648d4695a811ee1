// SPDX-License-Identifier: MIT
/*
 * Signed files (lib/sign.c; Documentation/tools.rst "Signed files"):
 * statement layout, sign/verify, every way a signature must fail (modified
 * file, each statement field modified, wrong key, unknown signer,
 * truncated, padded and huge signature files), storing NAME.secxsig, the
 * transfer id both ends of a handshake derive, and secx-verify's exit
 * status and single line.
 */
#include <dirent.h>
#include <limits.h>
#include <sys/wait.h>

#include "hs_fixture.h"
#include "sign.h"
#include "hs.h"

#define PSK_LINE "alice 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"

static EVP_PKEY *alice, *mallory;
static char alice_b64[48], mallory_b64[48];

static void b64_of(EVP_PKEY *k, char *out)
{
	uint8_t pub[32];
	size_t n = 32;

	EVP_PKEY_get_raw_public_key(k, pub, &n);
	hs_b64_encode(pub, 32, out, 48);
}

static void write_file(const char *name, const void *data, size_t len)
{
	int fd = open(fx_path(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		exit(2);
	close(fd);
}

/* A statement about fx_path("data") as it is now. */
static void stmt_for(struct secx_sig_stmt *s, const char *data, size_t len)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "dir/data");
	s->size = len;
	EVP_Digest(data, len, s->sha256, NULL, EVP_sha256(), NULL);
	s->mtime_sec = 1700000000;
	s->mtime_nsec = 123456789;
	memset(s->transfer_id, 0x5a, 32);
	snprintf(s->receiver, sizeof(s->receiver), "bob");
}

static void test_layout(void)
{
	struct secx_sig_stmt s;
	uint8_t b[SECX_SIG_STMT_MAX];
	int n;

	stmt_for(&s, "x", 1);
	memset(s.signer, 0xee, 32);
	n = secx_sig_statement(&s, b, sizeof(b));
	/* 20 + 2 + 8 ("dir/data") + 8 + 32 + 12 + 32 + 1 + 3 ("bob") + 32 */
	tap_ok(n == 150 && !memcmp(b, "secx-signed-file-v1\0\0\x08" "dir/data", 30) &&
	       b[30 + 7] == 1 && b[30 + 8 + 32 + 7] == 0 && b[30 + 8 + 32 + 8 + 3] == 0x15 &&
	       b[30 + 52 + 32] == 3 && !memcmp(b + 30 + 52 + 33, "bob", 3) && b[149] == 0xee,
	       "statement layout: domain, be16 path, be64 size, sha256, be64+be32 mtime, "
	       "id, u8 receiver, signer (%d bytes)", n);
	tap_ok(SECX_SIG_MAX <= SECX_SIG_FILE_MAX && SECX_SIG_FILE_MAX == 1024,
	       "the largest signature (%d bytes) fits the 1024-byte slot", (int)SECX_SIG_MAX);
	s.path[0] = 0;
	tap_ok(secx_sig_statement(&s, b, sizeof(b)) < 0, "an empty path cannot be signed");
	stmt_for(&s, "x", 1);
	snprintf(s.receiver, sizeof(s.receiver), "#bob");
	tap_ok(secx_sig_statement(&s, b, sizeof(b)) < 0, "a '#' receiver name cannot be signed");
	stmt_for(&s, "x", 1);
	s.mtime_nsec = 1000000000;
	tap_ok(secx_sig_statement(&s, b, sizeof(b)) < 0, "mtime_nsec >= 10^9 cannot be signed");
}

static void test_sign_verify(void)
{
	static const char data[] = "the file's contents\n";
	struct secx_sig_stmt s, got;
	uint8_t blob[SECX_SIG_FILE_MAX + 64], bad[SECX_SIG_FILE_MAX + 64];
	size_t len = sizeof(blob), i, off;
	uint8_t apub[32];
	size_t an = 32;
	char name[64];
	int all;
	static const struct { const char *field; size_t off; } fields[] = {
		{ "domain prefix", 0 }, { "path length", 20 }, { "path", 22 },
		{ "size", 30 }, { "sha256", 38 }, { "mtime seconds", 70 },
		{ "mtime nanoseconds", 78 }, { "transfer id", 82 },
		{ "receiver length", 114 }, { "receiver", 115 }, { "signer key", 118 },
	};

	write_file("data", data, sizeof(data) - 1);
	stmt_for(&s, data, sizeof(data) - 1);
	all = !secx_sig_make(&s, alice, blob, &len);
	tap_ok(all && len == 8 + 2 + 150 + 64, "sign: %zu bytes (magic, be16 length, statement, Ed25519 signature)", len);
	EVP_PKEY_get_raw_public_key(alice, apub, &an);
	tap_ok(!memcmp(s.signer, apub, 32), "the signer field is the signing key");
	tap_ok(!secx_sig_open(blob, len, &got) && !memcmp(&got, &s, sizeof(s)),
	       "a valid signature opens to the same statement");
	tap_ok(!secx_sig_check_content(fx_path("data"), &got), "the unmodified file matches");
	tap_ok(!secx_sig_signer_name(fx_path("known"), got.signer, name, sizeof(name)) &&
	       !strcmp(name, "alice"), "the signer is alice in known_peers");

	/* the file changed: same size, one byte; and one byte longer */
	write_file("data", "The file's contents\n", sizeof(data) - 1);
	tap_ok(secx_sig_check_content(fx_path("data"), &got) &&
	       strstr(secx_strerror(), "SHA-256"), "a modified file fails (%s)", secx_strerror());
	write_file("data", "the file's contents\n\n", sizeof(data));
	tap_ok(secx_sig_check_content(fx_path("data"), &got) && strstr(secx_strerror(), "size"),
	       "a longer file fails (%s)", secx_strerror());
	write_file("data", data, sizeof(data) - 1);

	/* each statement field, and the signature itself, modified */
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memcpy(bad, blob, len);
		bad[10 + fields[i].off] ^= 0x01;
		tap_ok(secx_sig_open(bad, len, &got) != 0, "statement field %s modified: refused (%s)",
		       fields[i].field, secx_strerror());
	}
	all = 1;
	for (off = 0; off < len; off++) {
		memcpy(bad, blob, len);
		bad[off] ^= 0x80;
		if (!secx_sig_open(bad, len, &got))
			all = 0;
	}
	tap_ok(all, "every one of the %zu bytes flipped: refused", len);

	/* wrong key: mallory signs a statement that names alice as signer */
	{
		struct secx_sig_stmt m = s;
		uint8_t mb[SECX_SIG_FILE_MAX];
		size_t ml = sizeof(mb);

		secx_sig_make(&m, mallory, mb, &ml);
		memcpy(mb + 10 + 118, apub, 32);	/* claim alice */
		tap_ok(secx_sig_open(mb, ml, &got) != 0 && strstr(secx_strerror(), "bad signature"),
		       "signed by another key than the one named: refused");
		ml = sizeof(mb);
		secx_sig_make(&m, mallory, mb, &ml);
		tap_ok(!secx_sig_open(mb, ml, &got) &&
		       secx_sig_signer_name(fx_path("known"), got.signer, name, sizeof(name)) &&
		       strstr(secx_strerror(), "is not in"),
		       "a valid signature by a key not in known_peers: unknown signer (%s)",
		       secx_strerror());
		tap_ok(secx_sig_signer_name(fx_path("known.comments"), got.signer, name,
					    sizeof(name)) != 0,
		       "malformed and commented known_peers lines never match");
	}

	/* truncated, padded, huge */
	all = 1;
	for (i = 0; i < len; i++)
		if (!secx_sig_open(blob, i, &got))
			all = 0;
	tap_ok(all, "every truncation (0..%zu bytes) refused", len - 1);
	memcpy(bad, blob, len);
	bad[len] = 0;
	tap_ok(secx_sig_open(bad, len + 1, &got) != 0, "a trailing byte is refused");
	memcpy(bad, blob, len);
	bad[8] = 0xff, bad[9] = 0xff;
	tap_ok(secx_sig_open(bad, len, &got) != 0, "a statement length of 65535 is refused");
	write_file("data.secxsig", blob, len - 1);
	tap_ok(!secx_sig_read(fx_path("data.secxsig"), bad, &i) && i == len - 1 &&
	       secx_sig_open(bad, i, &got) != 0, "a truncated signature file is read and refused");
	{
		size_t big = 4 << 20;
		uint8_t *h = calloc(1, big);

		memcpy(h, blob, len);
		write_file("huge.secxsig", h, big);
		free(h);
		tap_ok(secx_sig_read(fx_path("huge.secxsig"), bad, &i) != 0 &&
		       strstr(secx_strerror(), "at most 1024"),
		       "a 4 MiB signature file is refused before reading it (%s)", secx_strerror());
	}
	tap_ok(secx_sig_read(fx_path("."), bad, &i) != 0, "a directory is not a signature file");
	write_file("data.secxsig", blob, len);
}

static void test_store(void)
{
	uint8_t blob[8] = "SECXSIG1", back[64];
	size_t n;
	char longname[256];
	int dfd = open(fx_dir, O_RDONLY | O_DIRECTORY);

	mkdir(fx_path("st"), 0700);
	close(dfd);
	dfd = open(fx_path("st"), O_RDONLY | O_DIRECTORY);
	tap_ok(!secx_sig_store(dfd, "f", blob, 8, 0) && !secx_sig_read(fx_path("st/f.secxsig"),
	       back, &n) && n == 8, "store: NAME.secxsig written");
	tap_ok(secx_sig_store(dfd, "f", blob, 4, 0) != 0 && strstr(secx_strerror(), "exists"),
	       "an existing NAME.secxsig is kept without --force (%s)", secx_strerror());
	tap_ok(!secx_sig_store(dfd, "f", blob, 4, 1) &&
	       !secx_sig_read(fx_path("st/f.secxsig"), back, &n) && n == 4,
	       "--force replaces it");
	memset(longname, 'a', 250);
	longname[250] = 0;
	tap_ok(secx_sig_store(dfd, longname, blob, 4, 0) != 0,
	       "a name that leaves no room for .secxsig is refused");
	symlink("/nonexistent-target", fx_path("st/g.secxsig"));
	tap_ok(secx_sig_store(dfd, "g", blob, 4, 0) != 0, "a dangling symlink NAME.secxsig counts as existing");
	{
		DIR *d = fdopendir(dfd);
		struct dirent *e;
		int tmp = 0;

		while (d && (e = readdir(d)))
			if (!strncmp(e->d_name, ".secx-sig", 9))
				tmp++;
		tap_ok(tmp == 0, "no temporary file left behind");
		if (d)
			closedir(d);
	}
}

static uint8_t client_id[32];
static int client_id_rc = -1;

static void *client_with_id(void *arg)
{
	struct fx_side *c = arg;

	c->rc = secx_client(c->fd, &c->cfg);
	if (!c->rc)
		client_id_rc = secx_transfer_id(&c->sess, client_id);
	close(c->fd);
	return NULL;
}

static void test_transfer_id(void)
{
	uint8_t sid[32], first[32];
	struct secx_session other;
	struct fx_side c, s;
	pthread_t t;
	int p[2], k, same = 1, differ = 1;

	for (k = 0; k < 2; k++) {
		fx_init(&c, SECX_AUTH_PSK);
		fx_init(&s, SECX_AUTH_PSK);
		c.cfg.psk_file = s.cfg.psk_file = fx_path("psk");
		client_id_rc = -1;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p))
			exit(2);
		c.fd = p[0];
		s.fd = p[1];
		pthread_create(&t, NULL, client_with_id, &c);
		s.rc = secx_server(s.fd, &s.cfg);
		close(s.fd);
		pthread_join(t, NULL);
		if (s.rc || c.rc || client_id_rc || secx_transfer_id(&s.sess, sid) ||
		    memcmp(sid, client_id, 32))
			same = 0;
		if (k == 0)
			memcpy(first, sid, 32);
		else if (!memcmp(first, sid, 32))
			differ = 0;
	}
	tap_ok(same, "both ends of a handshake derive the same transfer id");
	tap_ok(differ, "two handshakes have different transfer ids");
	tap_ok(secx_transfer_id(&other, sid) != 0,
	       "no transfer id for a session that is not this thread's last handshake");
}

static char tbuild[PATH_MAX];
static int verify_one_line;

static int one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl && !nl[1];
}

/* secx-verify: exit status and one line */
static int run_verify(const char *args, char *out, size_t len)
{
	char cmd[PATH_MAX + 2048];
	FILE *f;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s/secx-verify' %s 2>&1", fx_dir, tbuild, args);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, len - 1, f) : 0;
	out[n] = 0;
	st = f ? pclose(f) : -1;
	verify_one_line = one_line(out);
	out[strcspn(out, "\n")] = 0;	/* keep TAP lines whole */
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_tool(void)
{
	char out[4096], args[1024];
	int rc;

	if (!realpath(getenv("SECX_TBUILD") ? getenv("SECX_TBUILD") : "build/t", tbuild)) {
		tap_ok(0, "secx-verify: no test build (SECX_TBUILD)");
		return;
	}
	rc = run_verify("data --known-peers known", out, sizeof(out));
	tap_ok(rc == 0 && verify_one_line && strstr(out, "valid: signed by alice") &&
	       strstr(out, "'dir/data'") && strstr(out, "for bob"),
	       "secx-verify FILE: exit 0, one line naming the signer (%d: %s)", rc, out);
	write_file("data", "The file's contents\n", 20);
	rc = run_verify("data --known-peers known", out, sizeof(out));
	tap_ok(rc == 1 && verify_one_line && strstr(out, "INVALID"),
	       "secx-verify on a modified file: exit 1, one line (%d: %s)", rc, out);
	rc = run_verify("data --known-peers known.other", out, sizeof(out));
	tap_ok(rc == 1 && verify_one_line && strstr(out, "is not in"),
	       "secx-verify with the signer unknown: exit 1 (%d: %s)", rc, out);
	rc = run_verify("data --sig huge.secxsig --known-peers known", out, sizeof(out));
	tap_ok(rc == 1 && verify_one_line, "secx-verify with a huge signature: exit 1 (%s)", out);
	rc = run_verify("", out, sizeof(out));
	tap_ok(rc == 2 && verify_one_line && strstr(out, "missing FILE"),
	       "secx-verify without FILE: exit 2 naming FILE (%s)", out);
	rc = run_verify("a b", out, sizeof(out));
	tap_ok(rc == 2 && verify_one_line, "secx-verify with two files: exit 2 (%s)", out);
	rc = run_verify("data --known-peers", out, sizeof(out));
	tap_ok(rc == 2 && verify_one_line && strstr(out, "--known-peers"),
	       "secx-verify --known-peers without a value: exit 2 (%s)", out);
	rc = run_verify("''", out, sizeof(out));
	tap_ok(rc == 2 && verify_one_line, "secx-verify '': exit 2 (%s)", out);
	rc = run_verify("--help", out, sizeof(out));
	tap_ok(rc == 0 && strstr(out, "Usage"), "secx-verify --help: exit 0");
	rc = run_verify("--version", out, sizeof(out));
	tap_ok(rc == 0 && verify_one_line, "secx-verify --version: exit 0, one line");
	snprintf(args, sizeof(args), "$(printf 'x\\033[31m') --known-peers known");
	rc = run_verify(args, out, sizeof(out));
	tap_ok(rc == 1 && verify_one_line && !strchr(out, '\033'),
	       "a file name with an escape sequence is printed escaped (%s)", out);
}

int main(void)
{
	char line[128];

	fx_mkdir();
	fx_write("psk", PSK_LINE, 0600);
	alice = fx_keygen("ED25519");
	mallory = fx_keygen("ED25519");
	b64_of(alice, alice_b64);
	b64_of(mallory, mallory_b64);
	snprintf(line, sizeof(line), "# peers\nalice %s\n", alice_b64);
	fx_write("known", line, 0644);
	snprintf(line, sizeof(line), "carol %s\n", mallory_b64);
	fx_write("known.other", line, 0644);
	{
		char c[512];

		snprintf(c, sizeof(c), "# alice %s\nalice %s extra\n#alice\n\n x%s\n", mallory_b64,
			 mallory_b64, mallory_b64);
		fx_write("known.comments", c, 0644);
	}
	test_layout();
	test_sign_verify();
	test_store();
	test_transfer_id();
	test_tool();
	EVP_PKEY_free(alice);
	EVP_PKEY_free(mallory);
	return tap_done();
}
