// SPDX-License-Identifier: MIT
/*
 * Signed files, the transfer tools' side (issue 12 item 5;
 * Documentation/tools.rst "Signed files").  The transfer protocol carries
 * an opaque signature blob per file (<= SECX_SIG_FILE_MAX bytes); this
 * file makes it on the sender and checks and stores it on the receiver.
 * The protocol's hooks (xf_signature_make / xf_signature_received in
 * sigslot.c) call only these functions:
 *
 *   sender, after the handshake:   xf_sign_begin(cfg, sess)
 *   sender, per file:              xf_sign_make(path, size, sha256, mtime, blob, &len)
 *   receiver, after the handshake: xf_sign_expect(cfg, sess)
 *   receiver, per file header, with the other refusals before any data:
 *                                  xf_sign_name_ok(dirfd, name, force, why, len)
 *   receiver, per file, after the body's SHA-256 matched, before commit:
 *                                  xf_sign_accept(path, size, sha256, blob, len)
 *   receiver, before the file's rename (--keep-signatures), so a stored
 *   file always has its signature beside it:
 *                                  secx_sig_store(dirfd, name, blob, len, force)
 *
 * Everything fails closed: no Ed25519 identity on the sender means no
 * signature can be made (-1), and a receiver that keeps signatures must
 * refuse a file whose blob is missing or does not check out.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hs.h"
#include "sign.h"
#include "xfer.h"

static struct {
	EVP_PKEY *key;				/* sender: our Ed25519 identity */
	uint8_t transfer_id[32];
	char receiver[SECX_NAME_MAX + 1];	/* sender: the peer's (pinned) name */
	char signer_fp[SECX_FP_LEN];		/* receiver: the authenticated sender */
	int ready;
} sg;

int xf_sign_begin(const struct secx_cfg *cfg, const struct secx_session *sess)
{
	memset(&sg, 0, sizeof(sg));
	if (cfg->auth != SECX_AUTH_ED25519 || !cfg->key_file)
		return xf_fail("signed files need an Ed25519 identity (--key and --known-peers)");
	if (!sess->peer_name[0])
		return xf_fail("signed files need an authenticated receiver name");
	if (secx_transfer_id(sess, sg.transfer_id))
		return xf_fail("%s", secx_strerror());
	sg.key = hs_key_load(cfg->key_file);
	if (!sg.key || EVP_PKEY_get_id(sg.key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(sg.key);
		sg.key = NULL;
		return xf_fail("cannot sign with %s: not an Ed25519 key", cfg->key_file);
	}
	snprintf(sg.receiver, sizeof(sg.receiver), "%s", sess->peer_name);
	sg.ready = 1;
	return 0;
}

int xf_sign_make(const char *path, uint64_t size, const uint8_t sha256[32],
		 const struct timespec *mtime, uint8_t *blob, size_t *len)
{
	struct secx_sig_stmt s;

	if (!sg.ready || !sg.key)
		return xf_fail("signing %s: xf_sign_begin() did not succeed", path);
	memset(&s, 0, sizeof(s));
	if (strlen(path) > SECX_SIG_PATH_MAX)
		return xf_fail("cannot sign %s: the path is over %d bytes", path, SECX_SIG_PATH_MAX);
	snprintf(s.path, sizeof(s.path), "%s", path);
	s.size = size;
	memcpy(s.sha256, sha256, 32);
	s.mtime_sec = (int64_t)mtime->tv_sec;
	s.mtime_nsec = (uint32_t)mtime->tv_nsec;
	memcpy(s.transfer_id, sg.transfer_id, 32);
	snprintf(s.receiver, sizeof(s.receiver), "%s", sg.receiver);
	if (secx_sig_make(&s, sg.key, blob, len))
		return xf_fail("signing %s: %s", path, secx_strerror());
	return 0;
}

int xf_sign_expect(const struct secx_cfg *cfg, const struct secx_session *sess)
{
	memset(&sg, 0, sizeof(sg));
	if (cfg->auth != SECX_AUTH_ED25519 || !sess->peer_fp[0])
		return xf_fail("--keep-signatures needs Ed25519 authentication (--key and "
			       "--known-peers): the signer must be the authenticated sender");
	if (secx_transfer_id(sess, sg.transfer_id))
		return xf_fail("%s", secx_strerror());
	snprintf(sg.signer_fp, sizeof(sg.signer_fp), "%s", sess->peer_fp);
	sg.ready = 1;
	return 0;
}

int xf_sign_accept(const char *path, uint64_t size, const uint8_t sha256[32],
		   const uint8_t *blob, size_t len)
{
	struct secx_sig_stmt s;
	char fp[SECX_FP_LEN];

	if (!sg.ready)
		return xf_fail("signature of '%s': xf_sign_expect() did not succeed", path);
	if (!blob || !len)
		return xf_fail("'%s' arrived without a signature (--keep-signatures)", path);
	if (secx_sig_open(blob, len, &s))
		return xf_fail("signature of '%s': %s", path, secx_strerror());
	hs_fingerprint(s.signer, 32, fp, sizeof(fp));
	if (strcmp(fp, sg.signer_fp))
		return xf_fail("signature of '%s': signed by %s, not by the sender %s", path, fp,
			       sg.signer_fp);
	if (strcmp(s.path, path) || s.size != size || CRYPTO_memcmp(s.sha256, sha256, 32))
		return xf_fail("signature of '%s': it is about another file (name, size or "
			       "SHA-256 differ)", path);
	if (CRYPTO_memcmp(s.transfer_id, sg.transfer_id, 32))
		return xf_fail("signature of '%s': made for another connection (transfer id)",
			       path);
	/*
	 * s.receiver is the sender's name for us (its known_peers entry),
	 * which need not be the name we present: not compared.  The transfer
	 * id, which only the two ends of this connection could derive, is
	 * what binds the signature to us.
	 */
	return 0;
}

int xf_sign_name_ok(int dirfd, const char *name, int force, char *why, size_t why_len)
{
	size_t n = strlen(name), k = strlen(SECX_SIG_SUFFIX);
	char sig[NAME_MAX + 1];

	if (n >= k && !strcmp(name + n - k, SECX_SIG_SUFFIX)) {
		snprintf(why, why_len, "refusing '%s': names ending in %s are reserved for "
			 "signatures (--keep-signatures)", name, SECX_SIG_SUFFIX);
		return -1;
	}
	if (n + k > NAME_MAX) {
		snprintf(why, why_len, "refusing '%s': no room for its %s name", name,
			 SECX_SIG_SUFFIX);
		return -1;
	}
	snprintf(sig, sizeof(sig), "%s%s", name, SECX_SIG_SUFFIX);
	if (!force && !faccessat(dirfd, sig, F_OK, AT_SYMLINK_NOFOLLOW)) {
		snprintf(why, why_len, "refusing '%s': %s exists (use --force on the receiver "
			 "to overwrite)", name, sig);
		return -1;
	}
	return 0;
}

void xf_sign_end(void)
{
	EVP_PKEY_free(sg.key);
	OPENSSL_cleanse(&sg, sizeof(sg));
}
