// SPDX-License-Identifier: MIT
/*
 * The receiver's file handling.  A file is written to a temporary name in
 * the target directory and renamed to its own name only after its SHA-256
 * matched; any failure or signal removes the temporary file, so no partial
 * file is ever left under the real name.
 *
 * Names are single path components: no '/', no NUL, not "." or "..", no
 * control characters, not our temporary prefix.  That rules out absolute
 * paths and traversal, and renameat() under the directory fd cannot leave
 * the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "xfer.h"

#define TMP_PREFIX ".secx-part."

static struct xf_store *cleanup_store;

static int bad_name(const struct xf_header *h, char *why, size_t len)
{
	size_t i;

	if (!h->name_len)
		return snprintf(why, len, "refusing an empty file name"), 1;
	if (memchr(h->name, 0, h->name_len))
		return snprintf(why, len, "refusing a file name with a NUL byte"), 1;
	if (strchr(h->name, '/'))
		return snprintf(why, len, "refusing '%s': path traversal or absolute path "
				"(file names must not contain '/')", h->name), 1;
	if (!strcmp(h->name, ".") || !strcmp(h->name, ".."))
		return snprintf(why, len, "refusing '%s': path traversal", h->name), 1;
	if (!strncmp(h->name, TMP_PREFIX, strlen(TMP_PREFIX)))
		return snprintf(why, len, "refusing '%s': reserved name", h->name), 1;
	for (i = 0; i < h->name_len; i++)
		if ((unsigned char)h->name[i] < 0x20 || h->name[i] == 0x7f)
			return snprintf(why, len, "refusing a file name with control characters"), 1;
	return 0;
}

/* Everything that can be refused before a byte of the body moves. */
int xf_store_check(struct xf_store *s, const struct xf_header *h, char *why, size_t len)
{
	struct statvfs vfs;
	struct stat st;
	char need[32], have[32];
	double avail;

	if (bad_name(h, why, len))
		return -1;
	if (!fstatat(s->dirfd, h->name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (!s->force || !S_ISREG(st.st_mode)) {
			snprintf(why, len, "refusing '%s': %s/%s exists%s", h->name, s->dir, h->name,
				 S_ISREG(st.st_mode) ? " (use --force on the receiver to overwrite)" :
				 " and is not a regular file");
			return -1;
		}
	}
	if (fstatvfs(s->dirfd, &vfs)) {
		snprintf(why, len, "cannot check free space in %s: %s", s->dir, strerror(errno));
		return -1;
	}
	avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
	if ((double)h->size > avail) {
		xf_human(need, sizeof(need), (double)h->size);
		xf_human(have, sizeof(have), avail);
		snprintf(why, len, "refusing '%s': needs %s, only %s free in %s", h->name, need,
			 have, s->dir);
		return -1;
	}
	return 0;
}

int xf_store_open(struct xf_store *s, const struct xf_header *h, char *why, size_t len)
{
	unsigned char r[6];
	int tries;

	for (tries = 0; tries < 16; tries++) {
		RAND_bytes(r, sizeof(r));
		snprintf(s->tmp, sizeof(s->tmp), TMP_PREFIX "%02x%02x%02x%02x%02x%02x",
			 r[0], r[1], r[2], r[3], r[4], r[5]);
		s->fd = openat(s->dirfd, s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (s->fd >= 0 || errno != EEXIST)
			break;
	}
	if (s->fd < 0) {
		s->tmp[0] = 0;
		snprintf(why, len, "cannot create a file in %s: %s", s->dir, strerror(errno));
		return -1;
	}
	if (h->size && posix_fallocate(s->fd, 0, (off_t)h->size) == ENOSPC) {
		snprintf(why, len, "refusing '%s': not enough space in %s", h->name, s->dir);
		xf_store_discard(s);
		return -1;
	}
	return 0;
}

/* The hash matched: permissions, flush, then the real name. */
int xf_store_commit(struct xf_store *s, const struct xf_header *h, char *why, size_t len)
{
	unsigned int flags = s->force ? 0 : RENAME_NOREPLACE;

	if (fchmod(s->fd, h->mode & 0777) || fsync(s->fd) ||
	    renameat2(s->dirfd, s->tmp, s->dirfd, h->name, flags)) {
		snprintf(why, len, "cannot store '%s' in %s: %s", h->name, s->dir,
			 errno == EEXIST ? "it appeared meanwhile (use --force)" : strerror(errno));
		xf_store_discard(s);
		return -1;
	}
	close(s->fd);
	s->fd = -1;
	s->tmp[0] = 0;
	return 0;
}

void xf_store_discard(struct xf_store *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->tmp[0])
		unlinkat(s->dirfd, s->tmp, 0);
	s->fd = -1;
	s->tmp[0] = 0;
}

/* Signals must not leave the temporary file behind (async-signal-safe). */
static void on_signal(int sig)
{
	if (cleanup_store && cleanup_store->tmp[0])
		unlinkat(cleanup_store->dirfd, cleanup_store->tmp, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

void xf_store_install_cleanup(struct xf_store *s)
{
	cleanup_store = s;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}
