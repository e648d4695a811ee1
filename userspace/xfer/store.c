// SPDX-License-Identifier: MIT
/*
 * The receiver's file handling.  A file is written to a temporary name in
 * the target directory and renamed to its own name only after its SHA-256
 * matched; any failure or signal removes the temporary file, so no partial
 * file is ever left under the real name.
 *
 * Paths are relative: every component a name (no NUL, not "." or "..", no
 * control characters, not our temporary prefix), none empty.  They are
 * resolved one component at a time from DIR's fd without following a
 * symlink, and the last one is created relative to its parent's fd, so no
 * path, and no symlink received earlier, can lead outside DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "xfer.h"

/* Paths are up to 4095 bytes, messages to the peer 512: cutting them is intended. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static int preallocate(struct xf_store *s, const struct xf_entry *h, char *why, size_t len);

#define TMP_PREFIX ".secx-part."
#define BLK		4096		/* hole granularity */
#define SYNC_EVERY	(32ULL << 20)	/* start write-back every 32 MiB */

static struct xf_store *cleanup_store;

/* One path component @c of @n bytes: a name as protocol 1 allowed them. */
static int bad_component(const char *path, const char *c, size_t n, char *why, size_t len)
{
	size_t i;

	if (!n)
		return snprintf(why, len, "refusing '%s': empty path component (leading, "
				"trailing or double '/', absolute path)", path), 1;
	if (n > XF_NAME_MAX)
		return snprintf(why, len, "refusing '%s': a path component is longer than %d "
				"bytes", path, XF_NAME_MAX), 1;
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return snprintf(why, len, "refusing '%s': path traversal ('.' or '..')", path), 1;
	if (n >= strlen(TMP_PREFIX) && !memcmp(c, TMP_PREFIX, strlen(TMP_PREFIX)))
		return snprintf(why, len, "refusing '%s': reserved name", path), 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f)
			return snprintf(why, len, "refusing a path with control characters"), 1;
	return 0;
}

static int bad_name(const struct xf_entry *h, char *why, size_t len)
{
	const char *p = h->name, *end = h->name + h->name_len, *slash;

	if (!h->name_len)
		return snprintf(why, len, "refusing an empty file name"), 1;
	if (memchr(h->name, 0, h->name_len))
		return snprintf(why, len, "refusing a file name with a NUL byte"), 1;
	if (h->name[0] == '/')
		return snprintf(why, len, "refusing '%s': absolute path", h->name), 1;
	for (;;) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (bad_component(h->name, p, (size_t)((slash ? slash : end) - p), why, len))
			return 1;
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

void xf_store_release(struct xf_store *s)
{
	if (s->pfd >= 0 && s->pfd != s->dirfd)
		close(s->pfd);
	s->pfd = -1;
	s->leaf = NULL;
}

/*
 * Walk @e's directory components from DIR's fd, one openat(O_NOFOLLOW |
 * O_DIRECTORY) each: a symlink (sent earlier or already there) or a file
 * in the middle of the path is "not a directory", never followed.
 */
int xf_store_resolve(struct xf_store *s, const struct xf_entry *e, char *why, size_t len)
{
	char comp[XF_NAME_MAX + 1];
	const char *p = e->name, *slash;
	int fd = s->dirfd, next;

	xf_store_release(s);
	if (bad_name(e, why, len))
		return -1;
	while ((slash = strchr(p, '/'))) {
		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = 0;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != s->dirfd)
			close(fd);
		if (next < 0) {
			snprintf(why, len, "refusing '%s': '%s' %s", e->name, comp,
				 errno == ENOTDIR || errno == ELOOP ?
				 "is not a directory (symlinks are never followed)" :
				 strerror(errno));
			return -1;
		}
		fd = next;
		p = slash + 1;
	}
	s->pfd = fd;
	s->leaf = p;
	return 0;
}

/* Everything that can be refused before a byte of the body moves. */
int xf_store_check(struct xf_store *s, const struct xf_entry *h, char *why, size_t len)
{
	struct statvfs vfs;
	struct stat st;
	char need[32], have[32];
	double avail;
	int exists = 0;

	if (!fstatat(s->pfd, s->leaf, &st, AT_SYMLINK_NOFOLLOW)) {
		exists = 1;
		if (!s->force || !S_ISREG(st.st_mode)) {
			snprintf(why, len, "refusing '%s': %s/%s exists%s", h->name, s->dir, h->name,
				 S_ISREG(st.st_mode) ? " (use --force on the receiver to overwrite)" :
				 " and is not a regular file");
			return -1;
		}
	}
	if (h->size == XF_STREAM)
		return 0;	/* unknown length: write errors are still caught */
	if (h->size > INT64_MAX) {
		snprintf(why, len, "refusing '%s': size %llu is not a file size", h->name,
			 (unsigned long long)h->size);
		return -1;
	}
	if (fstatvfs(s->dirfd, &vfs)) {
		snprintf(why, len, "cannot check free space in %s: %s", s->dir, strerror(errno));
		return -1;
	}
	/*
	 * With --force the old file is replaced by a rename once the new copy is
	 * complete and verified, so both exist at once: the whole size must be
	 * free, whatever the old file occupies.
	 */
	avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
	if ((double)h->size > avail) {
		xf_human(need, sizeof(need), (double)h->size);
		xf_human(have, sizeof(have), avail);
		snprintf(why, len, "refusing '%s': needs %s, only %s free in %s%s", h->name, need,
			 have, s->dir, exists ? " (the file it replaces is removed only after the "
			 "new copy is complete)" : "");
		return -1;
	}
	return 0;
}

int xf_store_open(struct xf_store *s, const struct xf_entry *h, char *why, size_t len)
{
	unsigned char r[6];
	int tries;

	for (tries = 0; tries < 16; tries++) {
		RAND_bytes(r, sizeof(r));
		snprintf(s->tmp, sizeof(s->tmp), TMP_PREFIX "%02x%02x%02x%02x%02x%02x",
			 r[0], r[1], r[2], r[3], r[4], r[5]);
		s->fd = openat(s->pfd, s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (s->fd >= 0 || errno != EEXIST)
			break;
	}
	if (s->fd < 0) {
		s->tmp[0] = 0;
		snprintf(why, len, "cannot create a file in %s: %s", s->dir, strerror(errno));
		return -1;
	}
	s->off = s->hole = s->hole_end = s->synced = 0;
	return h->size && h->size != XF_STREAM ? preallocate(s, h, why, len) : 0;
}

/*
 * The key of a resumable temp file: SHA-256 over the authenticated peer,
 * the path, the size and the mtime, so neither another sender nor another
 * version of the file meets it.  Its prefix is still verified by hash.
 */
int xf_store_open_resume(struct xf_store *s, const struct xf_entry *e, uint64_t *offset,
			 void *prefix, char *why, size_t len)
{
	uint8_t k[32], meta[20], buf[65536];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct stat st;
	uint64_t off = 0;
	ssize_t n;
	int i;

	*offset = 0;
	if (!md)
		return snprintf(why, len, "out of memory"), -1;
	for (i = 0; i < 8; i++) {
		meta[i] = (uint8_t)(e->size >> (56 - 8 * i));
		meta[8 + i] = (uint8_t)((uint64_t)e->mtime_sec >> (56 - 8 * i));
	}
	for (i = 0; i < 4; i++)
		meta[16 + i] = (uint8_t)(e->mtime_nsec >> (24 - 8 * i));
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, s->peer_key, strlen(s->peer_key) + 1);
	EVP_DigestUpdate(md, e->name, e->name_len + 1);
	EVP_DigestUpdate(md, meta, sizeof(meta));
	EVP_DigestFinal_ex(md, k, NULL);
	EVP_MD_CTX_free(md);
	snprintf(s->tmp, sizeof(s->tmp), TMP_PREFIX "r");
	for (i = 0; i < 12; i++)
		snprintf(s->tmp + strlen(s->tmp), 3, "%02x", k[i]);
	s->fd = openat(s->pfd, s->tmp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->fd < 0 || fstat(s->fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		snprintf(why, len, "refusing '%s': cannot use its partial file in %s: %s", e->name,
			 s->dir, s->fd < 0 ? strerror(errno) : "not our own plain file");
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		s->tmp[0] = 0;
		return -1;
	}
	s->keep = 1;
	while (off < (uint64_t)st.st_size && off < e->size) {
		size_t want = sizeof(buf);

		if (want > (uint64_t)st.st_size - off)
			want = (size_t)((uint64_t)st.st_size - off);
		if (want > e->size - off)
			want = (size_t)(e->size - off);
		n = pread(s->fd, buf, want, (off_t)off);
		if (n <= 0)
			break;
		EVP_DigestUpdate((EVP_MD_CTX *)prefix, buf, (size_t)n);
		off += (uint64_t)n;
	}
	*offset = off;
	s->off = s->hole = s->hole_end = s->synced = 0;
	return 0;
}

int xf_store_resume_at(struct xf_store *s, uint64_t start)
{
	if (ftruncate(s->fd, (off_t)start))
		return -1;
	s->off = s->synced = start;
	s->hole = s->hole_end = start;
	return 0;
}

/*
 * Reserve the blocks before the body moves, so a full or size-limited file
 * system refuses the file at once instead of after gigabytes.  fallocate()
 * itself, not posix_fallocate(): glibc would emulate it by writing zeros.
 */
static int preallocate(struct xf_store *s, const struct xf_entry *h, char *why, size_t len)
{
	char sz[32];
	int e;

	do
		e = fallocate(s->fd, 0, 0, (off_t)h->size) ? errno : 0;
	while (e == EINTR);
	if (!e || e == EOPNOTSUPP || e == ENOSYS)
		return 0;	/* not supported here: write errors are still caught */
	xf_human(sz, sizeof(sz), (double)h->size);
	if (e == ENOSPC)
		snprintf(why, len, "refusing '%s': not enough space in %s", h->name, s->dir);
	else if (e == EFBIG || e == EINVAL)
		snprintf(why, len, "refusing '%s': %s is too large for the file system of %s "
			 "or the receiver's file size limit", h->name, sz, s->dir);
	else
		snprintf(why, len, "refusing '%s': cannot reserve %s in %s: %s", h->name, sz,
			 s->dir, strerror(e));
	xf_store_discard(s);
	return -1;
}

/* The pending zero blocks become a hole (they already read as zeros). */
static int flush_hole(struct xf_store *s)
{
	uint64_t a = s->hole, b = s->hole_end;

	s->hole = s->hole_end = 0;
	if (a == b)
		return 0;
	if (!fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)a,
		       (off_t)(b - a)))
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	/* cannot punch: preallocated blocks read as zeros, others need writing */
	return 0;
}

static int is_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zero[BLK];

	return n == BLK && !memcmp(p, zero, BLK);
}

static int write_at(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	ssize_t w;

	while (n) {
		w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/*
 * Whole zero blocks (aligned in the file) are not written but left as a
 * hole, so a sparse source stays sparse (and a file of zeros gets sparse,
 * as with cp --sparse=always); the content is the same byte for byte.
 */
int xf_store_write(struct xf_store *s, const uint8_t *buf, size_t n)
{
	size_t i = 0, blk, run;
	int zero;

	while (i < n) {
		blk = BLK - (size_t)((s->off + i) % BLK);
		if (blk > n - i)
			blk = n - i;
		zero = is_zero(buf + i, blk);
		run = blk;
		while (i + run < n && is_zero(buf + i + run, n - i - run < BLK ? n - i - run : BLK)
		       == zero)
			run += n - i - run < BLK ? n - i - run : BLK;
		if (zero) {
			if (s->hole_end != s->off + i && flush_hole(s))
				return -1;
			if (s->hole == s->hole_end)
				s->hole = s->off + i;
			s->hole_end = s->off + i + run;
		} else if (flush_hole(s) || write_at(s->fd, buf + i, run, s->off + i)) {
			return -1;
		}
		i += run;
	}
	s->off += n;
	/* start write-back as we go, so the fsync before the verdict is short */
	if (s->off - s->synced >= SYNC_EVERY) {
		sync_file_range(s->fd, (off_t)s->synced, (off_t)(s->off - s->synced),
				SYNC_FILE_RANGE_WRITE);
		s->synced = s->off;
	}
	return 0;
}

/*
 * The hash matched: the size (a trailing hole), the mode, flush the data,
 * the real name, then flush the directory so the name survives a crash
 * before anyone is told the file is stored.
 */
static mode_t apply_umask(const struct xf_store *s, uint32_t mode)
{
	return (mode_t)(mode & 0777) & (s->preserve ? 0777 : (mode_t)~s->umask);
}

static void set_ts(struct timespec ts[2], int64_t sec, uint32_t nsec)
{
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = (time_t)sec;
	ts[1].tv_nsec = nsec;
}

/*
 * The hash matched: the size (a trailing hole), the mode, the mtime, flush
 * the data, the real name, then flush the directory so the name survives a
 * crash before anyone is told the file is stored.
 */
int xf_store_commit(struct xf_store *s, const struct xf_entry *h, char *why, size_t len)
{
	unsigned int flags = s->force ? 0 : RENAME_NOREPLACE;
	struct timespec ts[2];

	set_ts(ts, h->mtime_sec, h->mtime_nsec);
	if (flush_hole(s) || ftruncate(s->fd, (off_t)s->off) ||
	    fchmod(s->fd, apply_umask(s, h->mode)) || futimens(s->fd, ts) || fsync(s->fd) ||
	    renameat2(s->pfd, s->tmp, s->pfd, s->leaf, flags)) {
		snprintf(why, len, "cannot store '%s' in %s: %s", h->name, s->dir,
			 errno == EEXIST ? "it appeared meanwhile (use --force)" : strerror(errno));
		xf_store_discard(s);
		return -1;
	}
	close(s->fd);
	s->fd = -1;
	s->tmp[0] = 0;
	s->keep = 0;
	if (fsync(s->pfd)) {
		snprintf(why, len, "'%s' was renamed into %s but the directory cannot be flushed: %s",
			 h->name, s->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* A directory: created 0700 (or kept if one is there); its metadata after 'E'. */
int xf_store_mkdir(struct xf_store *s, const struct xf_entry *e, char *why, size_t len)
{
	struct xf_dir_meta *d;
	struct stat st;

	if (mkdirat(s->pfd, s->leaf, 0700) && (errno != EEXIST ||
	    fstatat(s->pfd, s->leaf, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))) {
		snprintf(why, len, "refusing directory '%s': %s", e->name,
			 errno == EEXIST || !errno ? "exists and is not a directory" :
			 strerror(errno));
		return -1;
	}
	if (s->n_dirs == s->cap_dirs) {
		size_t cap = s->cap_dirs ? 2 * s->cap_dirs : 64;

		d = realloc(s->dirs, cap * sizeof(*d));
		if (!d)
			return snprintf(why, len, "out of memory"), -1;
		s->dirs = d;
		s->cap_dirs = cap;
	}
	d = &s->dirs[s->n_dirs];
	d->path = strdup(e->name);
	if (!d->path)
		return snprintf(why, len, "out of memory"), -1;
	d->mode = e->mode;
	d->sec = e->mtime_sec;
	d->nsec = e->mtime_nsec;
	s->n_dirs++;
	if (fsync(s->pfd))
		return snprintf(why, len, "cannot flush the directory of '%s': %s", e->name,
				strerror(errno)), -1;
	return 0;
}

/* A symlink: its target stored as is, under a temporary name, then renamed. */
int xf_store_symlink(struct xf_store *s, const struct xf_entry *e, char *why, size_t len)
{
	unsigned int flags = s->force ? 0 : RENAME_NOREPLACE;
	struct timespec ts[2];
	struct stat st;
	unsigned char r[6];

	if (!fstatat(s->pfd, s->leaf, &st, AT_SYMLINK_NOFOLLOW) &&
	    (!s->force || S_ISDIR(st.st_mode)))
		return snprintf(why, len, "refusing '%s': %s/%s exists%s", e->name, s->dir, e->name,
				S_ISDIR(st.st_mode) ? " and is a directory" :
				" (use --force on the receiver to overwrite)"), -1;
	RAND_bytes(r, sizeof(r));
	snprintf(s->tmp, sizeof(s->tmp), TMP_PREFIX "%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5]);
	set_ts(ts, e->mtime_sec, e->mtime_nsec);
	if (symlinkat(e->link, s->pfd, s->tmp)) {
		s->tmp[0] = 0;
		return snprintf(why, len, "cannot create symlink '%s': %s", e->name,
				strerror(errno)), -1;
	}
	if (utimensat(s->pfd, s->tmp, ts, AT_SYMLINK_NOFOLLOW) ||
	    renameat2(s->pfd, s->tmp, s->pfd, s->leaf, flags)) {
		snprintf(why, len, "cannot store symlink '%s': %s", e->name,
			 errno == EEXIST ? "it appeared meanwhile (use --force)" : strerror(errno));
		unlinkat(s->pfd, s->tmp, 0);
		s->tmp[0] = 0;
		return -1;
	}
	s->tmp[0] = 0;
	if (fsync(s->pfd))
		return snprintf(why, len, "cannot flush the directory of '%s': %s", e->name,
				strerror(errno)), -1;
	return 0;
}

/* Last received first: a directory's children get their metadata before it. */
int xf_store_finish_dirs(struct xf_store *s, char *why, size_t len)
{
	struct xf_entry e = { .kind = 'd' };
	struct timespec ts[2];
	int ret = 0, fd;
	size_t i;

	for (i = s->n_dirs; i-- > 0;) {
		struct xf_dir_meta *d = &s->dirs[i];

		e.name_len = strlen(d->path);
		memcpy(e.name, d->path, e.name_len + 1);
		set_ts(ts, d->sec, d->nsec);
		if (xf_store_resolve(s, &e, why, len)) {
			ret = -1;
			continue;
		}
		fd = openat(s->pfd, s->leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, apply_umask(s, d->mode)) || futimens(fd, ts)) {
			snprintf(why, len, "cannot set the mode and mtime of directory '%s': %s",
				 d->path, strerror(errno));
			ret = -1;
		}
		if (fd >= 0)
			close(fd);
		xf_store_release(s);
	}
	for (i = 0; i < s->n_dirs; i++)
		free(s->dirs[i].path);
	free(s->dirs);
	s->dirs = NULL;
	s->n_dirs = s->cap_dirs = 0;
	return ret;
}

void xf_store_discard(struct xf_store *s)
{
	if (s->fd >= 0) {
		/* a kept partial file: its zero tail, so its size is what arrived */
		if (s->keep && s->tmp[0])
			flush_hole(s);
		close(s->fd);
	}
	if (s->tmp[0] && !s->keep)
		unlinkat(s->pfd, s->tmp, 0);
	s->fd = -1;
	s->tmp[0] = 0;
	s->keep = 0;
}

/* Signals must not leave the temporary file behind (async-signal-safe). */
static void on_signal(int sig)
{
	if (cleanup_store && cleanup_store->tmp[0] && !cleanup_store->keep)
		unlinkat(cleanup_store->pfd, cleanup_store->tmp, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* NULL: the store is gone (the handlers stay, with nothing to remove). */
void xf_store_install_cleanup(struct xf_store *s)
{
	cleanup_store = s;
	if (!s)
		return;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}
