/* SPDX-License-Identifier: MIT */
/*
 * Signed files (Documentation/tools.rst, "Signed files"): the signing
 * statement, the detached signature (FILE.secxsig, also the blob the
 * transfer protocol carries) and their checks.  Ed25519 through OpenSSL.
 * Internal to the tools: not part of libsecx's public API.
 */
#ifndef SECX_SIGN_H
#define SECX_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "secx.h"

#define SECX_SIG_DOMAIN		"secx-signed-file-v1"	/* + its NUL: 20 bytes */
#define SECX_SIG_DOMAIN_LEN	20
#define SECX_SIG_MAGIC		"SECXSIG1"
#define SECX_SIG_MAGIC_LEN	8
#define SECX_SIG_SUFFIX		".secxsig"
#define SECX_SIG_PATH_MAX	512	/* bytes of the file path in a statement */
#define SECX_SIG_LEN		64	/* Ed25519 */
#define SECX_SIG_STMT_MAX	(SECX_SIG_DOMAIN_LEN + 2 + SECX_SIG_PATH_MAX + 8 + 32 + 12 + \
				 32 + 1 + SECX_NAME_MAX + 32)
#define SECX_SIG_MAX		(SECX_SIG_MAGIC_LEN + 2 + SECX_SIG_STMT_MAX + SECX_SIG_LEN)
/* The whole signature file / blob: never more than this (<= 1024). */
#define SECX_SIG_FILE_MAX	1024

/* What the sender signs about one file. */
struct secx_sig_stmt {
	char path[SECX_SIG_PATH_MAX + 1];	/* as sent: 1..512 bytes, no NUL */
	uint64_t size;
	uint8_t sha256[32];
	int64_t mtime_sec;			/* the sender's st_mtim */
	uint32_t mtime_nsec;			/* < 1000000000 */
	uint8_t transfer_id[32];		/* secx_transfer_id() of the connection */
	char receiver[SECX_NAME_MAX + 1];	/* the receiver's authenticated name */
	uint8_t signer[32];			/* the signer's Ed25519 public key */
};

/* The statement's bytes into @out (@cap >= SECX_SIG_STMT_MAX): length, or -1. */
int secx_sig_statement(const struct secx_sig_stmt *s, uint8_t *out, size_t cap);
/*
 * Sign @s with @key (Ed25519; s->signer is set from it) into @blob
 * (@*len in: its capacity, out: the length used, at most SECX_SIG_MAX).
 * 0 or -1 (secx_strerror()).
 */
int secx_sig_make(struct secx_sig_stmt *s, EVP_PKEY *key, uint8_t *blob, size_t *len);
/*
 * Parse @blob and check its signature by the key it names; 0 with @s
 * filled, or -1 with the reason (secx_strerror()).  Trailing bytes,
 * unknown magic, out-of-range fields and bad signatures are all refused.
 * Says nothing about whether the signer is trusted: secx_sig_signer_name().
 */
int secx_sig_open(const uint8_t *blob, size_t len, struct secx_sig_stmt *s);
/* The name known_peers (@path) gives @pub: 0, or -1 (not there, unreadable). */
int secx_sig_signer_name(const char *known_peers, const uint8_t pub[32], char *name,
			 size_t name_len);
/* FILE's size and SHA-256 against @s: 0 the same, -1 otherwise (reason set). */
int secx_sig_check_content(const char *path, const struct secx_sig_stmt *s);
/* Read a signature file, at most SECX_SIG_FILE_MAX bytes: 0 or -1. */
int secx_sig_read(const char *path, uint8_t *blob, size_t *len);
/*
 * Store @blob as NAME.secxsig in @dirfd (temporary file, fsync, rename,
 * directory fsync): an existing NAME.secxsig is replaced only with
 * @force.  0 or -1.
 */
int secx_sig_store(int dirfd, const char *name, const uint8_t *blob, size_t len, int force);

/*
 * The transfer id of the handshake that filled @s on this thread (see
 * Documentation/handshake.rst, "Key schedule": an exporter value both
 * sides derive, unique per connection, bound to its authenticated
 * transcript).  0, or -1 if @s is not the session of this thread's last
 * successful handshake.
 */
int secx_transfer_id(const struct secx_session *s, uint8_t id[32]);
/* hs.c, at the end of a successful handshake. */
void hs_transfer_id_set(const struct secx_session *s, const uint8_t id[32]);

#endif
