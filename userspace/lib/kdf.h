/* SPDX-License-Identifier: MIT */
/* HKDF (RFC 5869) and secx's HKDF-Expand-Label, on OpenSSL libcrypto. */
#ifndef SECX_LIB_KDF_H
#define SECX_LIB_KDF_H

#include <stddef.h>
#include <stdint.h>

/* @md is an OpenSSL digest name: "sha256", "sha384", "sha512". 0 on success, -1 on error. */
int secx_hkdf_extract(const char *md, const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len, uint8_t *prk, size_t *prk_len);
int secx_hkdf_expand(const char *md, const uint8_t *prk, size_t prk_len,
		     const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
int secx_hkdf_expand_label(const char *md, const uint8_t *secret, size_t secret_len,
			   const char *label, const uint8_t *ctx, size_t ctx_len,
			   uint8_t *out, size_t out_len);

#endif
