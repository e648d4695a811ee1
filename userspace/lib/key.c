// SPDX-License-Identifier: MIT
/*
 * Key files and fingerprints: Ed25519 identities for `secx-handshake
 * genkey`/`pubkey`, private keys of any type for X.509, and the
 * "SHA256:<base64>" fingerprints every message prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "hs.h"

/*
 * Open a private key file: a regular file that group and others cannot
 * access (like ssh, a readable key is refused rather than used).
 */
static FILE *open_key(const char *path)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		secx_err("cannot open key file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		secx_err("key file %s is not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & 077) {
		secx_err("key file %s has mode %04o: a private key must not be accessible by "
			 "group or others (chmod 600 %s)", path,
			 (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		secx_err("%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* Does @path hold a public key (PEM)?  For a clearer message than OpenSSL's. */
static int is_public_key(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return k != NULL;
}

EVP_PKEY *hs_key_load(const char *path)
{
	char iobuf[8192];	/* our own stdio buffer, so it can be wiped */
	EVP_PKEY *k;
	FILE *f = open_key(path);

	if (!f)
		return NULL;
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	OPENSSL_cleanse(iobuf, sizeof(iobuf));
	if (k)
		return k;
	if (is_public_key(path))
		secx_err("%s holds a public key: a private key file is needed here (for "
			 "known_peers, the public key is the base64 that 'pubkey' prints)", path);
	else
		secx_err_ossl(path);
	return NULL;
}

/* Standard base64 with padding; -1 if @out is too small. */
int hs_b64_encode(const uint8_t *in, size_t len, char *out, size_t out_len)
{
	if (out_len < 4 * ((len + 2) / 3) + 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return 0;
}

/* Decode exactly 32 bytes from 44 base64 characters ("...="). */
int hs_b64_decode32(const char *in, uint8_t out[32])
{
	uint8_t buf[33];
	int n;

	if (strlen(in) != 44 || in[43] != '=' || in[42] == '=')
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, 44);
	if (n != 33)
		return -1;
	memcpy(out, buf, 32);
	return 0;
}

/* "SHA256:" + unpadded base64 of SHA-256(@data). */
int hs_fingerprint(const uint8_t *data, size_t len, char *fp, size_t fp_len)
{
	uint8_t d[32];
	char b64[48];
	char *eq;

	if (!EVP_Digest(data, len, d, NULL, EVP_sha256(), NULL) ||
	    hs_b64_encode(d, sizeof(d), b64, sizeof(b64)))
		return secx_err("cannot compute a fingerprint");
	eq = strchr(b64, '=');
	if (eq)
		*eq = 0;
	snprintf(fp, fp_len, "SHA256:%s", b64);
	return 0;
}

int secx_key_generate(const char *path)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f = NULL;
	int fd, ret = -1;

	if (!k)
		return secx_err_ossl("Ed25519 key generation");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		secx_err("cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		secx_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))
		secx_err_ossl(path);
	else
		ret = 0;
	if (fclose(f) && !ret)
		ret = secx_err("%s: %s", path, strerror(errno));
	if (ret)
		unlink(path);
out:
	EVP_PKEY_free(k);
	return ret;
}

int secx_key_public(const char *path, char *b64, size_t b64_len, char *fp, size_t fp_len)
{
	uint8_t pub[SECX_ED25519_PUB_LEN];
	size_t n = sizeof(pub);
	EVP_PKEY *k = hs_key_load(path);
	int ret = -1;

	if (!k)
		return -1;
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519)
		secx_err("%s is not an Ed25519 private key", path);
	else if (!EVP_PKEY_get_raw_public_key(k, pub, &n))
		secx_err_ossl(path);
	else if (hs_b64_encode(pub, sizeof(pub), b64, b64_len))
		secx_err("buffer too small");
	else
		ret = hs_fingerprint(pub, sizeof(pub), fp, fp_len);
	EVP_PKEY_free(k);
	return ret;
}

int secx_psk_generate(const char *path, const char *identity)
{
	uint8_t secret[32];
	char hex[2 * sizeof(secret) + 1], line[SECX_NAME_MAX + sizeof(hex) + 2];
	int fd, n, ret = -1;

	if (hs_check_name("PSK identity", identity))
		return -1;
	if (RAND_priv_bytes(secret, sizeof(secret)) != 1)
		return secx_err_ossl("random number generator");
	hs_hex(hex, sizeof(hex), secret, sizeof(secret));
	n = snprintf(line, sizeof(line), "%s %s\n", identity, hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		secx_err("cannot create %s: %s", path, strerror(errno));
	} else if (write(fd, line, (size_t)n) != n || fsync(fd)) {
		secx_err("cannot write %s: %s", path, strerror(errno));
		unlink(path);
	} else {
		ret = 0;
	}
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(line, sizeof(line));
	return ret;
}
