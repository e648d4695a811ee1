// SPDX-License-Identifier: MIT
/*
 * secx-send [AUTH] [--json] [--quiet] [--idle-timeout S] FILE... HOST [PORT]
 *
 * Connect, run the handshake as client, then per file: header, wait for
 * the receiver's go, body through sendfile() on the secx socket (the
 * kernel encrypts), SHA-256 trailer, wait for the receiver's verdict.
 * Then 'E', our close record, and the receiver's close record.
 * Exit status: 0 all files stored, 1 failure, 2 usage error.
 * SIGPIPE is ignored: a vanished receiver is an error line, not a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xfer.h"

/* Paths are up to 4095 bytes, messages to the peer 512: cutting them is intended. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

struct src {
	const char *path;		/* local path (owned by argv or the walk) */
	char *owned;			/* the walk's copy of it, freed at the end */
	int fd;				/* explicit FILE: opened before connecting */
	int skipped;			/* could not be opened: never sent */
	int follow;			/* a FILE argument: a symlink to a file is fine */
	uint64_t sent_size;		/* body bytes sent */
	char sha256[65];
	double t0;
	struct xf_entry h;
};

static int quiet, json, resume_opt;
static const char *stdin_name = "stdin";
static struct src *srcs;
static size_t n_srcs, cap_srcs;

static void usage(FILE *f)
{
	fprintf(f, "Usage: secx-send [AUTH] [--json] [--quiet] [--idle-timeout SECONDS] [-r]\n"
		"                 [--stdin-name NAME] [--resume] [--rekey-bytes N] [--rekey-records N]\n"
		"                 [--rekey-seconds N] [--config FILE | --no-config]\n"
		"                 FILE|DIR|-... HOST [PORT]\n"
		"       secx-send -h | --help | --version\n\n"
		"  -r, --recursive         send directories as trees (files, directories,\n"
		"                          symlinks as links; never follows a symlink)\n"
		"  -                       send standard input (a stream of unknown length)\n"
		"  --stdin-name NAME       the path standard input is stored under (\"stdin\")\n"
		"  --resume                continue files the receiver (--resume) kept from an\n"
		"                          interrupted transfer, once their prefix hash matches\n"
		"  --json                  summary as one JSON object on stdout\n"
		"  --quiet                 no progress and no summary line\n"
		"  --idle-timeout SECONDS  after the handshake, fail when the receiver makes no\n"
		"                          progress for this long (default %g; keepalive too)\n"
		XF_REKEY_USAGE "\n%s", XF_IDLE_DEFAULT, secx_cli_auth_usage);
}

static struct src *add_src(void)
{
	if (n_srcs == cap_srcs) {
		size_t cap = cap_srcs ? 2 * cap_srcs : 64;
		struct src *n = realloc(srcs, cap * sizeof(*n));

		if (!n)
			return NULL;
		srcs = n;
		cap_srcs = cap;
	}
	memset(&srcs[n_srcs], 0, sizeof(*srcs));
	srcs[n_srcs].fd = -1;
	return &srcs[n_srcs++];
}

static void fill_meta(struct xf_entry *h, const struct stat *st)
{
	h->mode = st->st_mode & 0777;
	h->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	h->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
}

static int set_name(struct xf_entry *h, const char *name)
{
	size_t n = strlen(name);

	if (!n || n > XF_PATH_MAX)
		return xf_fail("cannot send '%s': the path is empty or longer than %d bytes", name,
			       XF_PATH_MAX);
	memcpy(h->name, name, n + 1);
	h->name_len = n;
	return 0;
}

/* The tree walk: @top is the name DIR gets on the receiver. */
static const char *walk_root, *walk_top;
static size_t walk_root_len;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char rel[XF_PATH_MAX + 2];
	struct src *s;
	ssize_t n;

	(void)ftw;
	if (type == FTW_NS || type == FTW_DNR)
		return xf_fail("cannot read %s: %s", path, strerror(errno)), -1;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode)) {
		if (!quiet)
			fprintf(stderr, "%s: warning: skipping %s (not a file, directory or "
				"symlink)\n", xf_prog, path);
		return 0;
	}
	if ((size_t)snprintf(rel, sizeof(rel), "%s%s", walk_top, path + walk_root_len) >=
	    sizeof(rel) - 1)
		return xf_fail("cannot send %s: the path is longer than %d bytes", path,
			       XF_PATH_MAX), -1;
	s = add_src();
	if (!s || !(s->owned = strdup(path)))
		return xf_fail("out of memory"), -1;
	s->path = s->owned;
	if (set_name(&s->h, rel))
		return -1;
	fill_meta(&s->h, st);
	s->h.kind = S_ISREG(st->st_mode) ? 'f' : S_ISDIR(st->st_mode) ? 'd' : 'l';
	if (s->h.kind == 'f')
		s->h.size = (uint64_t)st->st_size;
	if (s->h.kind == 'l') {
		n = readlink(path, s->h.link, XF_PATH_MAX);
		if (n <= 0)
			return xf_fail("cannot read symlink %s: %s", path,
				       n ? strerror(errno) : "empty target"), -1;
		s->h.link[n] = 0;
		s->h.link_len = (size_t)n;
	}
	return 0;
}

/* DIR's own name on the receiver: its last component (of the real path for "."). */
static int add_tree(const char *dir)
{
	char buf[4096], *top;
	size_t n = strlen(dir);
	int r;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, dir);
	walk_root = buf;
	walk_root_len = strlen(buf);
	top = strrchr(buf, '/');
	top = top ? top + 1 : buf;
	if (!strcmp(top, ".") || !strcmp(top, "..") || !*top) {
		static char real[4096];

		if (!realpath(buf, real) || !strcmp(real, "/"))
			return xf_fail("cannot send %s as a tree: it has no name", dir);
		top = strrchr(real, '/') + 1;
	}
	walk_top = top;
	r = nftw(buf, walk_one, 64, FTW_PHYS);
	if (r > 0 || (r < 0 && !xf_err[0]))
		return xf_fail("walking %s: %s", dir, strerror(errno));
	return r ? -1 : 0;
}

/*
 * Every argument before connecting: a FILE is opened now (a typo fails
 * before any byte is sent), a DIR (with -r) walked, '-' is standard input.
 */
static int add_sources(const char **pos, int n, int recursive)
{
	char tmp[4096];
	struct stat st;
	struct src *s;
	int i;

	for (i = 0; i < n; i++) {
		if (!strcmp(pos[i], "-")) {
			s = add_src();
			if (!s)
				return xf_fail("out of memory");
			s->path = "standard input";
			s->fd = 0;
			s->h.kind = 'f';
			s->h.size = XF_STREAM;
			s->h.mode = 0644;
			s->h.mtime_sec = (int64_t)time(NULL);
			if (set_name(&s->h, stdin_name))
				return -1;
			continue;
		}
		if (lstat(pos[i], &st))
			return xf_fail("cannot open %s: %s", pos[i], strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			if (!recursive)
				return xf_fail("%s is a directory (use -r to send it as a tree)",
					       pos[i]);
			if (add_tree(pos[i]))
				return -1;
			continue;
		}
		s = add_src();
		if (!s)
			return xf_fail("out of memory");
		s->path = pos[i];
		s->fd = open(pos[i], O_RDONLY | O_CLOEXEC);
		if (s->fd < 0 || fstat(s->fd, &st))
			return xf_fail("cannot open %s: %s", pos[i], strerror(errno));
		if (!S_ISREG(st.st_mode))
			return xf_fail("%s is not a regular file", pos[i]);
		snprintf(tmp, sizeof(tmp), "%s", pos[i]);
		if (set_name(&s->h, basename(tmp)))
			return -1;
		s->h.kind = 'f';
		s->h.size = (uint64_t)st.st_size;
		fill_meta(&s->h, &st);
		/* checked; opened again when its turn comes, so 10 000 FILEs need no 10 000 fds */
		close(s->fd);
		s->fd = -1;
		s->follow = 1;
	}
	return 0;
}

/* ---- the pipeline: entries out, verdicts in as they come ---- */

struct pipe_state {
	int sock;
	size_t sent;			/* entries sent */
	size_t done;			/* verdicts read: entries [0, done) */
	uint64_t bytes;			/* announced body bytes of [done, sent) */
	unsigned int n_failed;
	char first[XF_MSG_MAX + 200];	/* the first failure */
	struct xf_report *rep;
};

static void entry_failed(struct pipe_state *ps, const struct src *s, const char *why)
{
	if (!ps->n_failed++)
		snprintf(ps->first, sizeof(ps->first), "receiver refused %s: %s", s->path, why);
}

/* One verdict, for entry ps->done; 0, or -1 (the transfer ends). */
static int read_verdict_st(struct pipe_state *ps, int first)
{
	char msg[XF_MSG_MAX + 1];
	unsigned int status;
	struct src *s;
	uint8_t b[2];
	size_t len;

	while (srcs[ps->done].skipped)
		ps->done++;
	s = &srcs[ps->done];
	if (first >= 0) {
		/* the status byte was read already (a resume's answer) */
		status = (unsigned int)first;
		if (xf_read_full(ps->sock, b, 2))
			goto io;
		len = (size_t)b[0] << 8 | b[1];
		if (len > XF_MSG_MAX || xf_read_full(ps->sock, msg, len))
			goto io;
		msg[len] = 0;
	} else if (xf_recv_reply(ps->sock, &status, msg, sizeof(msg))) {
io:
		return xf_fail("%s: no answer from the receiver: %s", s->path,
			       errno ? xf_io_error(errno) : "the receiver closed the connection");
	}
	if (status >= XF_PROTO)
		return xf_fail("receiver ended the transfer at %s: %s", s->path, msg);
	if (s->h.kind == 'f' && s->h.size != XF_STREAM)
		ps->bytes -= s->h.size;
	if (status != XF_OK) {
		entry_failed(ps, s, msg);
	} else if (s->h.kind == 'f') {
		struct xf_file_report *r = &ps->rep->files[ps->rep->n_files++];

		snprintf(r->name, sizeof(r->name), "%s", s->h.name);
		memcpy(r->sha256, s->sha256, sizeof(r->sha256));
		r->size = s->sent_size;
		r->seconds = xf_now() - s->t0;
		ps->rep->bytes += r->size;
	}
	ps->done++;
	return 0;
}

/* Entries sent whose verdict is still out (skipped ones passed over). */
static int waiting(struct pipe_state *ps)
{
	while (ps->done < ps->sent && srcs[ps->done].skipped)
		ps->done++;
	return ps->done < ps->sent;
}

static int read_verdict(struct pipe_state *ps)
{
	return read_verdict_st(ps, -1);
}

/* Verdicts that are there already, without waiting. */
static int drain(struct pipe_state *ps)
{
	struct pollfd p = { .fd = ps->sock, .events = POLLIN };

	while (waiting(ps) && poll(&p, 1, 0) == 1)
		if (read_verdict(ps))
			return -1;
	return 0;
}

/* Has entry @i been refused already (its verdict read, not OK)? */
static int refused(const struct pipe_state *ps, size_t i)
{
	return ps->done > i;
}

/*
 * A write failed: the receiver may have said why before it closed (a
 * refusal, its I/O error, a protocol error).  Look briefly for a verdict
 * that is not OK; one line either way.
 */
static int send_failed(struct pipe_state *ps, const struct src *s)
{
	struct pollfd p = { .fd = ps->sock, .events = POLLIN };
	char msg[XF_MSG_MAX + 1];
	unsigned int status;
	int e = errno;

	if (ps->n_failed)
		return xf_fail("%s", ps->first);
	while (waiting(ps) && poll(&p, 1, 500) == 1 &&
	       !xf_recv_reply(ps->sock, &status, msg, sizeof(msg))) {
		if (status != XF_OK)
			return xf_fail("receiver stopped %s: %s", srcs[ps->done].path, msg);
		ps->done++;
	}
	return xf_fail("sending %s: %s", s->path, xf_io_error(e));
}

/*
 * Kind 'r': the receiver offers the first OFFSET bytes it kept, with their
 * SHA-256; we hash our own first OFFSET bytes (into @md, which goes on to
 * hash the whole file) and start there only if they match, else at 0.
 * 0 go on from *start; 1 refused (its verdict read); -1 the transfer ends.
 */
static int resume_answer(struct pipe_state *ps, struct src *s, EVP_MD_CTX *md, uint8_t *buf,
			 uint64_t *start)
{
	uint8_t b[40], mine[32];
	EVP_MD_CTX *tmp;
	uint64_t offset, off = 0;
	ssize_t n;

	if (xf_read_full(ps->sock, b, 1))
		return xf_fail("%s: no answer from the receiver: %s", s->path,
			       errno ? xf_io_error(errno) : "the receiver closed the connection");
	if (b[0] != XF_OFFER) {
		if (read_verdict_st(ps, b[0]))
			return -1;
		return 1;
	}
	if (xf_read_full(ps->sock, b, 40))
		return xf_fail("%s: receiving the resume offer: %s", s->path,
			       errno ? xf_io_error(errno) : "the receiver closed the connection");
	offset = (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
		 (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
		 (uint64_t)b[6] << 8 | b[7];
	while (offset && offset <= s->h.size && off < offset) {
		size_t want = offset - off < XF_CHUNK ? (size_t)(offset - off) : XF_CHUNK;

		n = pread(s->fd, buf, want, (off_t)off);
		if (n <= 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
	}
	*start = 0;
	tmp = EVP_MD_CTX_new();
	if (offset && off == offset && tmp && EVP_MD_CTX_copy_ex(tmp, md) &&
	    EVP_DigestFinal_ex(tmp, mine, NULL) && !CRYPTO_memcmp(mine, b + 8, 32))
		*start = offset;
	EVP_MD_CTX_free(tmp);
	if (!*start)
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	else if (!quiet && !json)
		fprintf(stderr, "%s: resuming %s at %llu bytes (the receiver's copy of them "
			"verified by SHA-256)\n", xf_prog, s->path, (unsigned long long)*start);
	if (xf_send_u64(ps->sock, *start))
		return send_failed(ps, s);
	return 0;
}

/* Body of a regular file: hash each chunk as read, then sendfile() the same range. */
static int send_file_body(struct pipe_state *ps, struct src *s, size_t idx, EVP_MD_CTX *md,
			  uint8_t *buf, off_t start)
{
	struct xf_progress p;
	off_t off = start, end;
	ssize_t n;
	size_t chunk;

	xf_progress_start(&p, s->h.name, s->h.size, !quiet && !json && isatty(2));
	while ((uint64_t)off < s->h.size) {
		if (drain(ps))
			return -1;
		if (refused(ps, idx))
			break;		/* end the body early: the receiver drops it */
		chunk = s->h.size - (uint64_t)off < XF_CHUNK ? s->h.size - (uint64_t)off : XF_CHUNK;
		n = pread(s->fd, buf, chunk, off);
		if (n <= 0)
			break;		/* shrank: a short body, the receiver discards it */
		chunk = (size_t)n;
		EVP_DigestUpdate(md, buf, chunk);
		if (xf_send_chunk_len(ps->sock, (uint32_t)chunk))
			return send_failed(ps, s);
		end = off + (off_t)chunk;
		while (off < end) {
			n = sendfile(ps->sock, s->fd, &off, (size_t)(end - off));
			if (n < 0 && errno != EINTR)
				return send_failed(ps, s);
			if (n == 0)
				return xf_fail("%s changed size while being sent", s->path);
		}
		xf_progress_update(&p, (uint64_t)off);
	}
	xf_progress_end(&p);
	s->sent_size = (uint64_t)off;
	return 0;
}

/*
 * Standard input, chunk by chunk.  From a pipe: tee() duplicates up to a
 * chunk into a private pipe (for the hash), splice() moves the same bytes
 * from stdin into the socket without copying them through us (sendfile()
 * cannot read a pipe).  Otherwise read() and write().
 */
static int send_stream_body(struct pipe_state *ps, struct src *s, size_t idx, EVP_MD_CTX *md,
			    uint8_t *buf)
{
	struct stat st;
	int hp[2] = { -1, -1 }, is_pipe = !fstat(0, &st) && S_ISFIFO(st.st_mode), ret = -1;
	uint64_t total = 0;
	ssize_t n, m, k;

	if (is_pipe && (pipe2(hp, O_CLOEXEC) || fcntl(hp[1], F_SETPIPE_SZ, XF_CHUNK) < 0))
		is_pipe = fcntl(hp[1], F_GETPIPE_SZ) > 0 && hp[0] >= 0;
	for (;;) {
		if (drain(ps))
			goto out;
		if (refused(ps, idx))
			break;
		if (is_pipe) {
			do
				n = tee(0, hp[1], XF_CHUNK, 0);
			while (n < 0 && errno == EINTR);
		} else {
			do
				n = read(0, buf, XF_CHUNK);
			while (n < 0 && errno == EINTR);
		}
		if (n < 0) {
			xf_fail("reading standard input: %s", strerror(errno));
			goto out;
		}
		if (!n)
			break;
		if (xf_send_chunk_len(ps->sock, (uint32_t)n)) {
			send_failed(ps, s);
			goto out;
		}
		if (!is_pipe) {
			EVP_DigestUpdate(md, buf, (size_t)n);
			if (xf_write_more(ps->sock, buf, (size_t)n)) {
				send_failed(ps, s);
				goto out;
			}
		} else {
			for (m = 0; m < n; m += k) {
				k = splice(0, NULL, ps->sock, NULL, (size_t)(n - m), SPLICE_F_MORE);
				if (k < 0 && errno == EINTR) {
					k = 0;
					continue;
				}
				if (k <= 0) {
					send_failed(ps, s);
					goto out;
				}
			}
			for (m = 0; m < n; m += k) {
				k = read(hp[0], buf, (size_t)(n - m));
				if (k < 0 && errno == EINTR) {
					k = 0;
					continue;
				}
				if (k <= 0) {
					xf_fail("hashing standard input: %s", strerror(errno));
					goto out;
				}
				EVP_DigestUpdate(md, buf, (size_t)k);
			}
		}
		total += (uint64_t)n;
	}
	s->sent_size = total;
	ret = 0;
out:
	if (hp[0] >= 0)
		close(hp[0]);
	if (hp[1] >= 0)
		close(hp[1]);
	return ret;
}

static int send_entry(struct pipe_state *ps, size_t idx, uint8_t *buf)
{
	struct src *s = &srcs[idx];
	uint8_t digest[32], sig[XF_SIG_MAX];
	size_t sig_len = XF_SIG_MAX;
	EVP_MD_CTX *md = NULL;
	struct stat st;
	uint64_t start = 0;
	int ret = -1, r, resumable = resume_opt && s->h.kind == 'f' && s->h.size != XF_STREAM;

	if (s->h.kind == 'f' && s->fd < 0) {
		/* opened now: still a regular file (a tree's: not a symlink now) */
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC | (s->follow ? 0 : O_NOFOLLOW));
		if (s->fd < 0 || fstat(s->fd, &st) || !S_ISREG(st.st_mode)) {
			if (!ps->n_failed++)
				snprintf(ps->first, sizeof(ps->first), "cannot open %s: %s",
					 s->path, s->fd < 0 ? strerror(errno) :
					 "no longer a regular file");
			if (s->fd >= 0)
				close(s->fd);
			s->fd = -1;
			s->skipped = 1;
			ps->sent++;
			return 1;	/* skipped, not sent */
		}
	}
	if (s->h.kind == 'f' && s->h.size != XF_STREAM)
		ps->bytes += s->h.size;
	if (resumable) {
		/* the receiver's offer comes next: no verdict may be in between */
		while (waiting(ps))
			if (read_verdict(ps))
				return -1;
		s->h.kind = 'r';
	}
	s->t0 = xf_now();
	r = xf_send_entry(ps->sock, &s->h, s->h.kind == 'f');
	if (resumable)
		s->h.kind = 'f';
	if (r)
		return send_failed(ps, s);
	ps->sent++;
	if (s->h.kind != 'f')
		return 0;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		xf_fail("cannot set up SHA-256 (out of memory?)");
		goto out;
	}
	if (resumable) {
		r = resume_answer(ps, s, md, buf, &start);
		if (r) {
			ret = r > 0 ? 0 : -1;	/* refused: no file part */
			goto out;
		}
	}
	if (s->h.size == XF_STREAM ? send_stream_body(ps, s, idx, md, buf) :
	    send_file_body(ps, s, idx, md, buf, (off_t)start))
		goto out;
	EVP_DigestFinal_ex(md, digest, NULL);
	if (xf_signature_make(&s->h, s->h.size == XF_STREAM ? s->sent_size : s->h.size,
			      digest, sig, &sig_len) || sig_len > XF_SIG_MAX)
		goto out;	/* xf_err says why */
	if (xf_send_trailer(ps->sock, digest, sig, sig_len)) {
		send_failed(ps, s);
		goto out;
	}
	xf_hex(s->sha256, digest, sizeof(digest));
	ret = 0;
out:
	if (s->fd > 0)
		close(s->fd);
	s->fd = -1;
	EVP_MD_CTX_free(md);
	return ret;
}

/*
 * 'E', the verdicts still out, our close record (shutdown), then the
 * receiver's close record: only a clean end of stream from it is success
 * (Documentation/tools.rst, "Transfer protocol", "Closing").
 */
static int finish(struct pipe_state *ps)
{
	uint8_t end = XF_END;

	if (xf_write_full(ps->sock, &end, 1))
		return xf_fail("finishing: %s", xf_io_error(errno));
	while (waiting(ps))
		if (read_verdict(ps))
			return -1;
	if (shutdown(ps->sock, SHUT_WR))
		return xf_fail("sending the close record: %s", xf_io_error(errno));
	return xf_await_close(ps->sock, "receiver");
}

static int transfer(struct secx_cfg *cfg, const char *host, const char *port,
		    struct xf_report *rep)
{
	struct pipe_state ps = { .rep = rep };
	uint8_t *buf = malloc(XF_CHUNK);
	double t0;
	size_t i;
	int r, ret = -1;

	if (!buf)
		return xf_fail("out of memory");
	ps.sock = secx_tcp_connect(host, port, cfg->timeout_ms);
	if (ps.sock < 0 || secx_client(ps.sock, cfg)) {
		xf_fail("%s", secx_strerror());
		goto out;
	}
	xf_nodelay(ps.sock);
	xf_deadlines(ps.sock);
	if (xf_rekey_apply(ps.sock, cfg) || xf_signature_sender(cfg, cfg->session))
		goto out;
	t0 = xf_now();
	for (i = 0; i < n_srcs; i++) {
		/* the window: at most 64 entries and 64 MiB without a verdict */
		while (waiting(&ps) && (ps.sent - ps.done >= XF_WIN_FILES ||
		       (srcs[i].h.kind == 'f' && srcs[i].h.size != XF_STREAM &&
			ps.bytes + srcs[i].h.size > XF_WIN_BYTES)))
			if (read_verdict(&ps))
				goto out;
		r = send_entry(&ps, i, buf);
		if (r < 0)
			goto out;
	}
	if (finish(&ps))
		goto out;
	rep->seconds = xf_now() - t0;
	xf_rekey_count(ps.sock, cfg, rep);
	if (ps.n_failed) {
		if (ps.n_failed == 1)
			xf_fail("%s", ps.first);
		else
			xf_fail("%u of %zu entries not stored; the first: %s", ps.n_failed, n_srcs,
				ps.first);
		goto out;
	}
	ret = 0;
out:
	if (ps.sock >= 0)
		close(ps.sock);
	free(buf);
	return ret;
}

/* A port number: 1 to 65535, digits only. */
static int is_port(const char *w)
{
	unsigned long v = 0;
	size_t k;

	for (k = 0; w[k]; k++) {
		if (w[k] < '0' || w[k] > '9' || k >= 5)
			return 0;
		v = v * 10 + (unsigned long)(w[k] - '0');
	}
	return k && v >= 1 && v <= 65535;
}

int main(int argc, char **argv)
{
	const char *host, *port = XF_PORT_DEFAULT;
	struct secx_session sess = { 0 };
	struct secx_cfg cfg = { .session = &sess };
	struct xf_report rep = { .tool = "secx-send", .verb = "sent", .sess = &sess };
	const char **pos = calloc((size_t)argc, sizeof(*pos));
	int i, n = 0, r, recursive = 0, n_stdin = 0;
	size_t k;

	xf_prog = "secx-send";
	signal(SIGPIPE, SIG_IGN);
	if (!pos)
		return 1;
	if (secx_conf_argv(SECX_CONF_SEND, 0, &argc, &argv)) {
		fprintf(stderr, "%s: %s\n", xf_prog, secx_strerror());
		return 2;
	}
	for (i = 1; i < argc; i++) {
		r = secx_cli_auth_opt(&cfg, argc, argv, &i);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", xf_prog, secx_strerror());
			return 2;
		}
		if (!r)
			r = xf_rekey_opt(argc, argv, &i);
		if (r < 0)
			return 2;
		if (r)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("secx-send %s (transfer protocol %d)\n", XF_VERSION,
			       XF_PROTO_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--resume")) {
			resume_opt = 1;
		} else if (!strcmp(argv[i], "-r") || !strcmp(argv[i], "--recursive")) {
			recursive = 1;
		} else if (!strcmp(argv[i], "--stdin-name")) {
			if (i + 1 >= argc || !argv[i + 1][0]) {
				fprintf(stderr, "%s: option --stdin-name needs a value\n", xf_prog);
				return 2;
			}
			stdin_name = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "--idle-timeout")) {
			if (xf_opt_number("--idle-timeout", i + 1 < argc ? argv[++i] : NULL, 0.1,
					  86400, &xf_idle_s))
				return 2;
		} else if (!strcmp(argv[i], "--")) {
			while (++i < argc)
				pos[n++] = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: unknown option '%s' (see --help)\n", xf_prog, argv[i]);
			return 2;
		} else {
			n_stdin += !strcmp(argv[i], "-");
			pos[n++] = argv[i];
		}
	}
	if (n_stdin > 1) {
		fprintf(stderr, "%s: '-' (standard input) given more than once\n", xf_prog);
		return 2;
	}
	/*
	 * FILE... HOST [PORT]: a last word that is a port number is PORT;
	 * otherwise it is HOST and PORT is XF_PORT_DEFAULT (secx-recv's
	 * systemd units listen there).
	 */
	if (n >= 1 && is_port(pos[n - 1])) {
		port = pos[--n];
		if (n < 2) {
			fprintf(stderr, "%s: missing %s before PORT (usage: secx-send [OPTIONS] "
				"FILE... HOST [PORT]; see --help)\n", xf_prog,
				n ? "HOST" : "FILE and HOST");
			return 2;
		}
	} else if (n < 2) {
		fprintf(stderr, "%s: missing %s (usage: secx-send [OPTIONS] FILE... HOST [PORT]; "
			"see --help)\n", xf_prog, n ? "HOST after FILE" : "FILE and HOST");
		return 2;
	}
	host = pos[n - 1];
	if (!cfg.peer_name)
		cfg.peer_name = host;
	if (secx_cli_auth_finish(&cfg, 0)) {
		fprintf(stderr, "%s: %s\n", xf_prog, secx_strerror());
		return 2;
	}
	r = add_sources(pos, n - 1, recursive);
	if (!r) {
		rep.files = calloc(n_srcs + 1, sizeof(*rep.files));
		r = !rep.files || xf_kernel_suites(&cfg) ||
		    transfer(&cfg, host, port, &rep);
	}
	rep.error = r ? xf_err : NULL;
	if (!quiet || json)
		xf_report(&rep, json);
	for (k = 0; k < n_srcs; k++) {
		if (srcs[k].fd > 0)
			close(srcs[k].fd);
		free(srcs[k].owned);
	}
	free(rep.files);
	free(srcs);
	free(pos);
	return r ? 1 : 0;
}
