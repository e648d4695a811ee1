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
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hs.h"

EVP_PKEY *hs_key_load(const char *path)
{
	char iobuf[8192];	/* our own stdio buffer, so it can be wiped */
	EVP_PKEY *k;
	FILE *f = fopen(path, "re");

	if (!f) {
		secx_err("cannot open key file %s: %s", path, strerror(errno));
		return NULL;
	}
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	OPENSSL_cleanse(iobuf, sizeof(iobuf));
	if (!k)
		secx_err_ossl(path);
	return k;
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
