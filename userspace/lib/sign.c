// SPDX-License-Identifier: MIT
/*
 * Signed files: statement and detached signature codecs, Ed25519 sign and
 * verify, the content and signer checks secx-verify runs, and the
 * per-thread transfer id of the last handshake.  Byte layouts:
 * Documentation/tools.rst, "Signed files".  Every input here (a signature
 * file, a blob from the network, known_peers) is hostile: lengths are
 * checked before use, nothing is trusted before the signature is.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hs.h"
#include "sign.h"

static void put16(uint8_t *p, unsigned int v) { p[0] = v >> 8; p[1] = v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v >> 32); put32(p + 4, (uint32_t)v); }
static unsigned int get16(const uint8_t *p) { return (unsigned int)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static int path_ok(const char *p, size_t n)
{
	return n >= 1 && n <= SECX_SIG_PATH_MAX && !memchr(p, 0, n);
}

int secx_sig_statement(const struct secx_sig_stmt *s, uint8_t *out, size_t cap)
{
	size_t pl = strnlen(s->path, sizeof(s->path)), rl = strnlen(s->receiver, sizeof(s->receiver));
	uint8_t *p = out;

	if (!path_ok(s->path, pl) || pl > SECX_SIG_PATH_MAX)
		return secx_err("cannot sign: the file path must be 1 to %d bytes",
				SECX_SIG_PATH_MAX);
	if (!hs_name_ok(s->receiver, rl))
		return secx_err("cannot sign: no valid receiver name");
	if (s->mtime_nsec >= 1000000000u)
		return secx_err("cannot sign: invalid mtime");
	if (cap < SECX_SIG_STMT_MAX)
		return secx_err("statement buffer too small");
	memcpy(p, SECX_SIG_DOMAIN, SECX_SIG_DOMAIN_LEN);	/* with its NUL */
	p += SECX_SIG_DOMAIN_LEN;
	put16(p, (unsigned int)pl);
	memcpy(p + 2, s->path, pl);
	p += 2 + pl;
	put64(p, s->size);
	memcpy(p + 8, s->sha256, 32);
	put64(p + 40, (uint64_t)s->mtime_sec);
	put32(p + 48, s->mtime_nsec);
	memcpy(p + 52, s->transfer_id, 32);
	p += 84;
	*p++ = (uint8_t)rl;
	memcpy(p, s->receiver, rl);
	p += rl;
	memcpy(p, s->signer, 32);
	p += 32;
	return (int)(p - out);
}

/* A statement's bytes into @s; exactly @len bytes, or -1. */
static int parse_statement(const uint8_t *b, size_t len, struct secx_sig_stmt *s)
{
	const uint8_t *end = b + len;
	size_t pl, rl;

	memset(s, 0, sizeof(*s));
	if (len < SECX_SIG_DOMAIN_LEN + 2 || memcmp(b, SECX_SIG_DOMAIN, SECX_SIG_DOMAIN_LEN))
		return secx_err("not a secx signing statement (wrong domain prefix)");
	b += SECX_SIG_DOMAIN_LEN;
	pl = get16(b);
	b += 2;
	if ((size_t)(end - b) < pl + 84 + 1 || !path_ok((const char *)b, pl))
		return secx_err("malformed statement: file path");
	memcpy(s->path, b, pl);
	b += pl;
	s->size = get64(b);
	memcpy(s->sha256, b + 8, 32);
	s->mtime_sec = (int64_t)get64(b + 40);
	s->mtime_nsec = get32(b + 48);
	memcpy(s->transfer_id, b + 52, 32);
	b += 84;
	rl = *b++;
	if (s->mtime_nsec >= 1000000000u)
		return secx_err("malformed statement: mtime");
	if ((size_t)(end - b) != rl + 32 || !hs_name_ok((const char *)b, rl))
		return secx_err("malformed statement: receiver name or length");
	memcpy(s->receiver, b, rl);
	memcpy(s->signer, b + rl, 32);
	return 0;
}

static EVP_PKEY *pub_key(const uint8_t pub[32])
{
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
}

int secx_sig_make(struct secx_sig_stmt *s, EVP_PKEY *key, uint8_t *blob, size_t *len)
{
	uint8_t stmt[SECX_SIG_STMT_MAX];
	size_t n = 32, sl = SECX_SIG_LEN;
	EVP_MD_CTX *m;
	int sn, ok;

	if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
		return secx_err("cannot sign: the identity is not an Ed25519 key");
	if (!EVP_PKEY_get_raw_public_key(key, s->signer, &n) || n != 32)
		return secx_err_ossl("Ed25519 public key");
	sn = secx_sig_statement(s, stmt, sizeof(stmt));
	if (sn < 0)
		return -1;
	if (*len < SECX_SIG_MAGIC_LEN + 2 + (size_t)sn + SECX_SIG_LEN)
		return secx_err("signature buffer too small");
	memcpy(blob, SECX_SIG_MAGIC, SECX_SIG_MAGIC_LEN);
	put16(blob + SECX_SIG_MAGIC_LEN, (unsigned int)sn);
	memcpy(blob + SECX_SIG_MAGIC_LEN + 2, stmt, (size_t)sn);
	m = EVP_MD_CTX_new();
	ok = m && EVP_DigestSignInit(m, NULL, NULL, NULL, key) > 0 &&
	     EVP_DigestSign(m, blob + SECX_SIG_MAGIC_LEN + 2 + sn, &sl, stmt, (size_t)sn) > 0 &&
	     sl == SECX_SIG_LEN;
	EVP_MD_CTX_free(m);
	if (!ok)
		return secx_err_ossl("Ed25519 signing");
	*len = SECX_SIG_MAGIC_LEN + 2 + (size_t)sn + SECX_SIG_LEN;
	return 0;
}

int secx_sig_open(const uint8_t *blob, size_t len, struct secx_sig_stmt *s)
{
	size_t sn;
	EVP_PKEY *k;
	EVP_MD_CTX *m;
	int ok;

	if (len > SECX_SIG_FILE_MAX)
		return secx_err("signature too large (%zu bytes, at most %d)", len,
				SECX_SIG_FILE_MAX);
	if (len < SECX_SIG_MAGIC_LEN + 2 || memcmp(blob, SECX_SIG_MAGIC, SECX_SIG_MAGIC_LEN))
		return secx_err("not a secx signature (no %s header)", SECX_SIG_MAGIC);
	sn = get16(blob + SECX_SIG_MAGIC_LEN);
	if (len != SECX_SIG_MAGIC_LEN + 2 + sn + SECX_SIG_LEN)
		return secx_err("truncated or padded signature (%zu bytes, the header says %zu)",
				len, SECX_SIG_MAGIC_LEN + 2 + sn + SECX_SIG_LEN);
	if (parse_statement(blob + SECX_SIG_MAGIC_LEN + 2, sn, s))
		return -1;
	k = pub_key(s->signer);
	if (!k)
		return secx_err("invalid signer key");
	m = EVP_MD_CTX_new();
	ok = m && EVP_DigestVerifyInit(m, NULL, NULL, NULL, k) > 0 &&
	     EVP_DigestVerify(m, blob + SECX_SIG_MAGIC_LEN + 2 + sn, SECX_SIG_LEN,
			      blob + SECX_SIG_MAGIC_LEN + 2, sn) == 1;
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(k);
	if (!ok)
		return secx_err("bad signature: the statement was not signed by the key it names");
	return 0;
}

int secx_sig_signer_name(const char *known_peers, const uint8_t pub[32], char *name,
			 size_t name_len)
{
	char line[1024], fp[SECX_FP_LEN], *save, *nm, *b64, *extra;
	uint8_t k[32];
	FILE *f;
	int found = 0;

	hs_fingerprint(pub, 32, fp, sizeof(fp));
	f = fopen(known_peers, "re");
	if (!f)
		return secx_err("cannot read known peers %s: %s", known_peers, strerror(errno));
	while (!found && fgets(line, sizeof(line), f)) {
		save = NULL;
		line[strcspn(line, "\r\n")] = 0;
		nm = strtok_r(line, " \t", &save);
		if (!nm || *nm == '#')
			continue;
		b64 = strtok_r(NULL, " \t", &save);
		extra = strtok_r(NULL, " \t", &save);
		if (!b64 || extra || !hs_name_ok(nm, strlen(nm)) || hs_b64_decode32(b64, k))
			continue;	/* not an entry: never a match */
		if (!CRYPTO_memcmp(k, pub, 32)) {
			snprintf(name, name_len, "%s", nm);
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : secx_err("signer %s is not in %s", fp, known_peers);
}

int secx_sig_check_content(const char *path, const struct secx_sig_stmt *s)
{
	uint8_t buf[65536], d[32];
	EVP_MD_CTX *m;
	struct stat st;
	uint64_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), ok;

	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return secx_err("cannot read %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return secx_err("%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size != s->size) {
		close(fd);
		return secx_err("size differs: %llu bytes, signed %llu",
				(unsigned long long)st.st_size, (unsigned long long)s->size);
	}
	m = EVP_MD_CTX_new();
	ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			EVP_MD_CTX_free(m);
			return secx_err("reading %s: %s", path, strerror(errno));
		}
		total += (uint64_t)n;
		ok = EVP_DigestUpdate(m, buf, (size_t)n);
	}
	ok = ok && EVP_DigestFinal_ex(m, d, NULL);
	EVP_MD_CTX_free(m);
	close(fd);
	if (!ok)
		return secx_err_ossl("SHA-256");
	if (total != s->size)
		return secx_err("size changed while reading");
	if (CRYPTO_memcmp(d, s->sha256, 32))
		return secx_err("contents differ: SHA-256 is not the signed one");
	return 0;
}

int secx_sig_read(const char *path, uint8_t *blob, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return secx_err("cannot read signature %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SECX_SIG_FILE_MAX) {
		close(fd);
		return secx_err("signature %s is not a regular file of at most %d bytes", path,
				SECX_SIG_FILE_MAX);
	}
	*len = 0;
	while (*len <= SECX_SIG_FILE_MAX) {
		n = read(fd, blob + *len, SECX_SIG_FILE_MAX + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (n < 0)
		return secx_err("reading signature %s: %s", path, strerror(errno));
	if (*len > SECX_SIG_FILE_MAX)
		return secx_err("signature %s grew over %d bytes", path, SECX_SIG_FILE_MAX);
	return 0;
}

int secx_sig_store(int dirfd, const char *name, const uint8_t *blob, size_t len, int force)
{
	char final[NAME_MAX + 1], tmp[64];
	uint8_t r[6];
	int fd, n;

	n = snprintf(final, sizeof(final), "%s%s", name, SECX_SIG_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(final))
		return secx_err("'%s%s' is too long a name", name, SECX_SIG_SUFFIX);
	if (!force && !faccessat(dirfd, final, F_OK, AT_SYMLINK_NOFOLLOW))
		return secx_err("%s exists (--force replaces it)", final);
	if (hs_random(r, sizeof(r)))
		return -1;
	snprintf(tmp, sizeof(tmp), ".secx-sig.%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
		 r[4], r[5]);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return secx_err("cannot create a signature file: %s", strerror(errno));
	if (write(fd, blob, len) != (ssize_t)len || fsync(fd)) {
		n = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return secx_err("writing %s: %s", final, strerror(n));
	}
	close(fd);
	/* without --force an existing name is never replaced, even in a race */
	if ((force ? renameat(dirfd, tmp, dirfd, final) :
		     renameat2(dirfd, tmp, dirfd, final, RENAME_NOREPLACE))) {
		n = errno;
		unlinkat(dirfd, tmp, 0);
		return secx_err("storing %s: %s", final, strerror(n));
	}
	if (fsync(dirfd))
		return secx_err("syncing the directory of %s: %s", final, strerror(errno));
	return 0;
}

/* The last successful handshake of this thread: its session and transfer id. */
static __thread const struct secx_session *tid_sess;
static __thread uint8_t tid[32];

void hs_transfer_id_set(const struct secx_session *s, const uint8_t id[32])
{
	tid_sess = s;
	memcpy(tid, id, 32);
}

int secx_transfer_id(const struct secx_session *s, uint8_t id[32])
{
	if (!s || s != tid_sess)
		return secx_err("no transfer id: not the session of this thread's last handshake");
	memcpy(id, tid, 32);
	return 0;
}
