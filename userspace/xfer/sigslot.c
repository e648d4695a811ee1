// SPDX-License-Identifier: MIT
/*
 * The signature slot of the transfer protocol: an optional message after a
 * file's SHA-256 trailer (Documentation/tools.rst, "Transfer protocol";
 * its blob is defined in "Signed files"), wired to sign.c.
 *
 * Sender: with an Ed25519 identity every regular file is signed (the
 * receiver decides whether to keep the signature).  Receiver: only with
 * --keep-signatures is a signature checked, and then it is required; it
 * is written next to the file before the file gets its name, so a stored
 * file always has its signature beside it.
 */
#include <string.h>
#include <unistd.h>

#include "sign.h"
#include "xfer.h"

static int signing;			/* sender: xf_sign_begin() succeeded */
static int keeping;			/* receiver: --keep-signatures */
static uint8_t kept[XF_SIG_MAX];	/* receiver: this file's verified blob */
static size_t kept_len;

int xf_signature_sender(const struct secx_cfg *cfg, const struct secx_session *sess)
{
	signing = 0;
	if (cfg->auth != SECX_AUTH_ED25519)
		return 0;		/* nothing to sign with: no signatures */
	if (xf_sign_begin(cfg, sess))
		return -1;
	signing = 1;
	return 0;
}

int xf_signature_receiver(const struct secx_cfg *cfg, const struct secx_session *sess,
			  int keep)
{
	keeping = 0;
	if (!keep)
		return 0;
	if (xf_sign_expect(cfg, sess))
		return -1;
	keeping = 1;
	return 0;
}

/* 0 with *len = 0: no signature for @e.  Nonzero: the file fails. */
int xf_signature_make(const struct xf_entry *e, uint64_t size, const uint8_t sha256[32],
		      uint8_t *blob, size_t *len)
{
	struct timespec mtime = { .tv_sec = e->mtime_sec, .tv_nsec = e->mtime_nsec };

	*len = 0;
	if (!signing)
		return 0;
	*len = XF_SIG_MAX;
	return xf_sign_make(e->name, size, sha256, &mtime, blob, len);
}

/* Before a file's data: its .secxsig name must be free (--keep-signatures). */
int xf_signature_name_ok(int pfd, const char *leaf, int force, char *why, size_t why_len)
{
	return keeping ? xf_sign_name_ok(pfd, leaf, force, why, why_len) : 0;
}

/*
 * After the hash matched: 0 accepted (without --keep-signatures: ignored),
 * nonzero: the file is discarded (status 2).  xf_err says why.
 */
int xf_signature_received(const struct xf_entry *e, uint64_t size, const uint8_t sha256[32],
			  const uint8_t *blob, size_t len)
{
	int r;

	kept_len = 0;
	if (!keeping)
		return 0;
	xf_fail_quiet = 1;	/* the verdict and the summary carry the reason */
	r = xf_sign_accept(e->name, size, sha256, blob, len);
	xf_fail_quiet = 0;
	if (r)
		return -1;
	memcpy(kept, blob, len);
	kept_len = len;
	return 0;
}

/* Store the verified signature as LEAF.secxsig in @pfd: 0, or -1 (xf_err). */
int xf_signature_store(int pfd, const char *leaf, int force)
{
	if (!keeping)
		return 0;
	if (!kept_len)
		return xf_fail("'%s': no verified signature to store", leaf);
	if (secx_sig_store(pfd, leaf, kept, kept_len, force))
		return xf_fail("storing the signature of '%s': %s", leaf, secx_strerror());
	return 0;
}

/* The file did not get its name after all: its signature goes too. */
void xf_signature_unstore(int pfd, const char *leaf)
{
	char name[XF_NAME_MAX + sizeof(SECX_SIG_SUFFIX)];

	if (!keeping || !kept_len)
		return;
	snprintf(name, sizeof(name), "%s%s", leaf, SECX_SIG_SUFFIX);
	unlinkat(pfd, name, 0);
}
