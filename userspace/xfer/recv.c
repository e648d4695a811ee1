// SPDX-License-Identifier: MIT
/*
 * secx-recv [OPTIONS] [AUTH] PORT
 *
 * A service: listen, and for each connection fork a child that runs the
 * handshake as server and receives files into DIR; serve until SIGTERM,
 * SIGINT or SIGHUP.  With --once: one connection, in this process, and its
 * result is the exit status (for scripts).  Each file goes to a temporary
 * name and gets its real name only after the end-to-end SHA-256 matched.
 *
 * Unauthenticated connections are bounded (service.c): at most
 * --max-handshakes at once, --max-per-source from one address, each
 * killed at the pre-authentication deadline.  One failed or hostile
 * connection is one log line and never stops the service.
 *
 * Exit status: 0 all files stored (--once) or stopped by a signal
 * (service), 1 failure, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xfer.h"

/* Paths are up to 4095 bytes, messages to the peer 512: cutting them is intended. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* What happens to a file's body: stored, written to stdout, or dropped. */
enum sink { SINK_STORE, SINK_STDOUT, SINK_DROP };

struct rx {
	int sock;
	struct xf_store *st;
	const struct xf_opts *o;
	struct xf_report *rep;
	size_t cap;
	uint8_t *buf;
	int progress;
	unsigned int n_files;		/* file entries seen (--stdout takes one) */
	unsigned int n_failed;		/* entries not stored */
	int early;			/* this file's verdict went out mid-body */
	char first[XF_MSG_MAX + 1];	/* the first failure, for the summary */
};

/* A verdict; a failure is remembered (first one) and logged. */
static int verdict(struct rx *x, unsigned int status, const char *msg)
{
	if (status != XF_OK) {
		if (!x->n_failed++)
			snprintf(x->first, sizeof(x->first), "%s", msg);
	}
	if (xf_send_reply(x->sock, status, msg))
		return xf_fail("sending a verdict: %s", xf_io_error(errno));
	return 0;
}

static int proto_fail(struct rx *x, const char *fmt, const char *arg)
{
	char msg[XF_MSG_MAX];

	snprintf(msg, sizeof(msg), fmt, arg);
	xf_fail("%s", msg);
	xf_send_reply(x->sock, XF_PROTO, msg);
	return -1;
}

static int write_out(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A file part: chunks into @sink, hashing; then the SHA-256 and the
 * optional signature.  @status: in XF_OK (or the verdict already sent);
 * out, the verdict to send (XF_OK: hash verified).  0, or -1 for a
 * protocol or connection error (the transfer ends).
 */
static int recv_file_part(struct rx *x, const struct xf_entry *e, enum sink sink,
			  unsigned int *status, char *why, size_t why_len, uint64_t start,
			  const EVP_MD_CTX *seed)
{
	uint8_t mine[32], theirs[33], hdr[4], sig[XF_SIG_MAX];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct xf_progress p;
	uint64_t done = start;
	uint32_t len;
	size_t sig_len = 0;
	int e2, ret = -1;

	if (!md ||
	    !(seed ? EVP_MD_CTX_copy_ex(md, seed) : EVP_DigestInit_ex(md, EVP_sha256(), NULL))) {
		xf_fail("cannot set up SHA-256 (out of memory?)");
		goto out;
	}
	xf_progress_start(&p, e->name, e->size == XF_STREAM ? 0 : e->size,
			  x->progress && sink != SINK_DROP);
	for (;;) {
		e2 = xf_read_full(x->sock, hdr, 4);
		if (e2)
			goto cut;
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		      (uint32_t)hdr[2] << 8 | hdr[3];
		if (!len)
			break;
		if (len > XF_CHUNK) {
			proto_fail(x, "malformed body of '%s': chunk over 1 MiB", e->name);
			goto out;
		}
		if (e->size != XF_STREAM && len > e->size - done) {
			proto_fail(x, "malformed body of '%s': longer than its size", e->name);
			goto out;
		}
		e2 = xf_read_full(x->sock, x->buf, len);
		if (e2)
			goto cut;
		done += len;
		if (*status != XF_OK || sink == SINK_DROP)
			continue;
		EVP_DigestUpdate(md, x->buf, len);
		if (sink == SINK_STORE ? xf_store_write(x->st, x->buf, len) :
		    write_out(1, x->buf, len)) {
			snprintf(why, why_len, "writing '%s' %s%s: %s", e->name,
				 sink == SINK_STORE ? "in " : "to", sink == SINK_STORE ?
				 x->st->dir : " standard output", strerror(errno));
			*status = XF_IO_ERROR;
			x->early = 1;
			/* say so now: the sender may stop this body early */
			if (verdict(x, XF_IO_ERROR, why))
				goto out;
		}
		xf_progress_update(&p, done);
	}
	xf_progress_end(&p);
	e2 = xf_read_full(x->sock, theirs, sizeof(theirs));
	if (e2)
		goto cut;
	if (theirs[32] == XF_SIG) {
		if (xf_read_full(x->sock, hdr, 2))
			goto cut;
		sig_len = (size_t)hdr[0] << 8 | hdr[1];
		if (sig_len > XF_SIG_MAX) {
			proto_fail(x, "malformed signature of '%s': over 1024 bytes", e->name);
			goto out;
		}
		if (xf_read_full(x->sock, sig, sig_len))
			goto cut;
	} else if (theirs[32]) {
		proto_fail(x, "malformed trailer of '%s': unknown signature byte", e->name);
		goto out;
	}
	ret = 0;
	if (*status != XF_OK || sink == SINK_DROP)
		goto out;
	EVP_DigestFinal_ex(md, mine, NULL);
	xf_hex(x->rep->files[x->rep->n_files].sha256, mine, sizeof(mine));
	if (e->size != XF_STREAM && done != e->size) {
		snprintf(why, why_len, "'%s' ended after %llu of %llu bytes: file discarded",
			 e->name, (unsigned long long)done, (unsigned long long)e->size);
		*status = XF_IO_ERROR;
	} else if (CRYPTO_memcmp(mine, theirs, sizeof(mine))) {
		snprintf(why, why_len, "SHA-256 mismatch for '%s': file discarded", e->name);
		*status = XF_BAD_HASH;
	} else if (xf_signature_received(e, done, mine, sig, sig_len)) {
		snprintf(why, why_len, "%s: file discarded", xf_err);
		*status = XF_BAD_HASH;
	}
	x->rep->files[x->rep->n_files].size = done;
	goto out;
cut:
	xf_fail("receiving '%s': %s", e->name, e2 < 0 ? xf_io_error(errno) :
		"the sender closed the connection mid-file");
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/*
 * Kind 'r': offer what a kept partial file holds (only with --resume and an
 * authenticated peer; otherwise 0 bytes), read where the sender starts.
 * 0; 1 refused (@why); -1 the transfer ends.
 */
static int resume(struct rx *x, const struct xf_entry *e, uint64_t *start, EVP_MD_CTX **prefix,
		  char *why, size_t wl)
{
	EVP_MD_CTX *tmp = EVP_MD_CTX_new();
	uint8_t digest[32];
	uint64_t offset = 0;

	*prefix = EVP_MD_CTX_new();
	if (!tmp || !*prefix || !EVP_DigestInit_ex(*prefix, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(tmp);
		return xf_fail("cannot set up SHA-256 (out of memory?)");
	}
	if (x->o->resume && x->st->peer_key[0] &&
	    xf_store_open_resume(x->st, e, &offset, *prefix, why, wl)) {
		EVP_MD_CTX_free(tmp);
		return 1;
	}
	EVP_MD_CTX_copy_ex(tmp, *prefix);
	EVP_DigestFinal_ex(tmp, digest, NULL);
	EVP_MD_CTX_free(tmp);
	if (xf_send_offer(x->sock, offset, digest))
		return xf_fail("sending a resume offer: %s", xf_io_error(errno));
	if (xf_recv_u64(x->sock, start))
		return xf_fail("receiving where '%s' resumes: %s", e->name,
			       errno ? xf_io_error(errno) : "the sender closed the connection");
	if (*start != 0 && *start != offset)
		return proto_fail(x, "malformed resume of '%s': not 0 or the offer", e->name);
	if (!*start) {
		EVP_DigestInit_ex(*prefix, EVP_sha256(), NULL);
		if (x->o->resume && x->st->peer_key[0] && xf_store_resume_at(x->st, 0)) {
			snprintf(why, wl, "cannot restart '%s' in %s: %s", e->name, x->st->dir,
				 strerror(errno));
			return 1;
		}
	} else if (xf_store_resume_at(x->st, *start)) {
		snprintf(why, wl, "cannot resume '%s' in %s: %s", e->name, x->st->dir,
			 strerror(errno));
		return 1;
	}
	return 0;
}

/* A regular file entry: refuse early, or receive, verify, store. */
static int recv_file(struct rx *x, const struct xf_entry *e, int resolved, char *why, size_t wl)
{
	unsigned int status = XF_OK;
	enum sink sink = x->o->to_stdout ? SINK_STDOUT : SINK_STORE;
	struct xf_file_report *r = &x->rep->files[x->rep->n_files];
	double t0 = xf_now();
	EVP_MD_CTX *prefix = NULL;
	uint64_t start = 0;
	int r2;

	x->n_files++;
	if (x->o->to_stdout && x->n_files > 1) {
		snprintf(why, wl, "refusing '%s': --stdout takes one file", e->name);
		status = XF_REFUSED;
	} else if (sink == SINK_STORE && (!resolved || xf_store_check(x->st, e, why, wl) ||
		   xf_signature_name_ok(x->st->pfd, x->st->leaf, x->o->force, why, wl) ||
		   (e->kind == 'f' || !x->st->peer_key[0] || !x->o->resume ?
		    xf_store_open(x->st, e, why, wl) : 0))) {
		status = XF_REFUSED;
	} else if (e->kind == 'r' && sink != SINK_STORE) {
		snprintf(why, wl, "refusing '%s': a resumable file cannot go to standard output",
			 e->name);
		status = XF_REFUSED;
	}
	if (status != XF_OK) {
		sink = SINK_DROP;
		if (verdict(x, status, why))
			return -1;
		if (e->kind == 'r')
			return 0;	/* no file part follows a refused 'r' */
	}
	if (e->kind == 'r') {
		r2 = resume(x, e, &start, &prefix, why, wl);
		if (r2) {
			xf_store_discard(x->st);
			EVP_MD_CTX_free(prefix);
			return r2 < 0 ? -1 : verdict(x, XF_REFUSED, why);
		}
	}
	r2 = recv_file_part(x, e, sink, &status, why, wl, start, prefix);
	EVP_MD_CTX_free(prefix);
	if (status == XF_BAD_HASH)
		x->st->keep = 0;	/* a partial file that does not verify goes */
	if (r2) {
		xf_store_discard(x->st);
		return -1;
	}
	if (sink == SINK_DROP || x->early) {
		/* the verdict went out already (refused, or a write error) */
		xf_store_discard(x->st);
		x->early = 0;
		return 0;
	}
	/* the signature first: a stored file always has it beside it */
	if (status == XF_OK && sink == SINK_STORE &&
	    xf_signature_store(x->st->pfd, x->st->leaf, x->o->force)) {
		snprintf(why, wl, "%s", xf_err);
		status = XF_IO_ERROR;
	} else if (status == XF_OK && sink == SINK_STORE && xf_store_commit(x->st, e, why, wl)) {
		xf_signature_unstore(x->st->pfd, x->st->leaf);
		status = XF_IO_ERROR;
	}
	if (status != XF_OK)
		xf_store_discard(x->st);
	if (verdict(x, status, status == XF_OK ? "" : why))
		return -1;
	if (status == XF_OK) {
		snprintf(r->name, sizeof(r->name), "%s", e->name);
		r->seconds = xf_now() - t0;
		x->rep->bytes += r->size;
		x->rep->n_files++;
	}
	return 0;
}

static int recv_entry(struct rx *x)
{
	char why[XF_MSG_MAX];
	struct xf_entry e;
	int resolved, r = 0;

	if (xf_recv_entry(x->sock, &e)) {
		if (errno == EPROTO)
			return proto_fail(x, "%s", xf_err);
		return xf_fail("receiving an entry: %s", errno ? xf_io_error(errno) :
			       "the sender closed the connection");
	}
	if (x->rep->n_files == x->cap) {
		size_t cap = 2 * x->cap;
		struct xf_file_report *f = realloc(x->rep->files, cap * sizeof(*f));

		if (!f)
			return xf_fail("out of memory");
		memset(f + x->cap, 0, (cap - x->cap) * sizeof(*f));
		x->rep->files = f;
		x->cap = cap;
	}
	resolved = !xf_store_resolve(x->st, &e, why, sizeof(why));
	if (e.kind == 'f' || e.kind == 'r') {
		r = recv_file(x, &e, resolved, why, sizeof(why));
	} else if (x->o->to_stdout) {
		snprintf(why, sizeof(why), "refusing '%s': --stdout takes one regular file, "
			 "not a %s", e.name, e.kind == 'd' ? "directory" : "symlink");
		r = verdict(x, XF_REFUSED, why);
	} else if (!resolved || (e.kind == 'd' ? xf_store_mkdir(x->st, &e, why, sizeof(why)) :
				 xf_store_symlink(x->st, &e, why, sizeof(why)))) {
		r = verdict(x, XF_REFUSED, why);
	} else {
		r = verdict(x, XF_OK, "");
	}
	xf_store_release(x->st);
	return r;
}

/*
 * Entries until 'E'; then the directories' metadata, and the sender's
 * close record (end of stream) is the only thing that may follow.  Our
 * close() then sends ours.
 */
static int session(int sock, struct xf_store *st, const struct xf_opts *o, struct xf_report *rep)
{
	struct rx x = { .sock = sock, .st = st, .o = o, .rep = rep, .cap = 64,
			.progress = !o->quiet && !o->json && isatty(2) };
	char why[XF_MSG_MAX];
	uint8_t type;
	int r, ret = -1;
	double t0 = xf_now();

	x.buf = malloc(XF_CHUNK);
	if (!x.buf)
		return xf_fail("out of memory");
	for (;;) {
		r = xf_read_full(sock, &type, 1);
		if (r) {
			xf_fail("the sender stopped before the end of the transfer%s%s",
				r < 0 ? ": " : "", r < 0 ? xf_io_error(errno) : "");
			break;
		}
		if (type == XF_END) {
			if (xf_store_finish_dirs(st, why, sizeof(why)) && !x.n_failed++)
				snprintf(x.first, sizeof(x.first), "%s", why);
			ret = xf_await_close(sock, "sender");
			break;
		}
		if (type == XF_OLD_FILE) {
			proto_fail(&x, "%s",
				   "transfer protocol 1 is not supported (update the sender)");
			break;
		}
		if (type != XF_ENTRY) {
			char hex[8];

			snprintf(hex, sizeof(hex), "0x%02x", type);
			proto_fail(&x, "unexpected transfer message %s from the sender", hex);
			break;
		}
		if (recv_entry(&x))
			break;
	}
	if (!ret && o->to_stdout && !rep->n_files && !x.n_failed++)
		snprintf(x.first, sizeof(x.first), "--stdout: the sender sent no file");
	if (!ret && x.n_failed) {
		if (x.n_failed == 1)
			xf_fail("%s", x.first);
		else
			xf_fail("%u entries not stored; the first: %s", x.n_failed, x.first);
		ret = -1;
	}
	rep->seconds = xf_now() - t0;
	free(x.buf);
	if (ret)
		xf_store_finish_dirs(st, why, sizeof(why));
	return ret;
}

/*
 * One accepted connection, start to end: handshake, files, report.
 * @authed_fd (service children) gets one byte once the peer authenticated,
 * which lifts the pre-authentication limits for this connection.
 */
static int connection(int sock, const struct xf_opts *o, struct secx_cfg *cfg, int authed_fd)
{
	struct secx_session sess = { 0 };
	struct xf_report rep = { .tool = "secx-recv", .verb = "received", .sess = &sess };
	struct xf_store st = { .dirfd = o->dirfd, .dir = o->dir, .force = o->force,
			       .preserve = o->preserve, .umask = o->umask, .fd = -1, .pfd = -1,
			       .resume = o->resume };
	int ret = -1;

	rep.files = calloc(64, sizeof(*rep.files));
	if (!rep.files)
		return xf_fail("out of memory");
	xf_store_install_cleanup(&st);
	cfg->session = &sess;
	if (secx_server(sock, cfg)) {
		xf_fail("%s", secx_strerror());
	} else {
		if (authed_fd >= 0 && write(authed_fd, "A", 1) != 1)
			xf_fail("cannot tell the service the peer is authenticated: %s",
				strerror(errno));
		else {
			xf_nodelay(sock);
			xf_deadlines(sock);
			/* the owner of resumable partial files: who authenticated, by what key */
			if (sess.auth != SECX_AUTH_ANON && (sess.peer_name[0] || sess.peer_fp[0]))
				snprintf(st.peer_key, sizeof(st.peer_key), "%d/%s/%s",
					 (int)sess.auth, sess.peer_name, sess.peer_fp);
			ret = xf_rekey_apply(sock, cfg) ||
			      xf_signature_receiver(cfg, &sess, o->keep_sigs) ? -1 :
			      session(sock, &st, o, &rep);
			xf_rekey_count(sock, cfg, &rep);
		}
	}
	close(sock);
	xf_store_install_cleanup(NULL);
	secx_session_wipe(&sess);
	rep.error = ret ? xf_err : NULL;
	if (!o->quiet || o->json)
		xf_report(&rep, o->json);
	free(rep.files);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: secx-recv [--dir DIR] [--force] [-p] [--json] [--quiet] [--bind ADDR] [--once]\n"
"                 [--stdout] [--keep-signatures]\n"
"                 [--idle-timeout SECONDS] [--max-handshakes N] [--max-per-source N]\n"
"                 [--rate-per-source N]\n"
"                 [AUTH] PORT\n"
"       (PORT omitted under systemd socket activation: LISTEN_FDS)\n"
"       secx-recv -h | --help | --version\n\n"
"Serves senders until SIGTERM/SIGINT/SIGHUP (one process per connection).\n"
"  --dir DIR               store files here (default: the current directory)\n"
"  --force                 replace existing regular files\n"
"  -p, --preserve-mode     apply the sender's permission bits as they are\n"
"                          (default: the sender's bits minus this umask)\n"
"  --json                  one JSON object per connection on stdout\n"
"  --quiet                 no listening line, progress or summary line\n"
"  --bind ADDR             listen on ADDR only (default: all, IPv6 and IPv4)\n"
"  --once                  one connection, no fork, its result is the exit status\n"
"  --keep-signatures       require each file's Ed25519 signature by the sender\n"
"                          and store it as NAME.secxsig (check: secx-verify)\n"
"  --resume                keep a partial file (keyed by the authenticated peer,\n"
"                          path, size, mtime) so a sender's --resume continues it\n"
"  --stdout                one file's body to standard output, not DIR (implies\n"
"                          --once; exit 0 only if its SHA-256 verified)\n"
"  --idle-timeout SECONDS  after the handshake, fail when the sender makes no\n"
"                          progress for this long (default %g; keepalive too)\n"
"  --max-handshakes N      unauthenticated connections at once (default %d)\n"
"  --max-per-source N      of them from one source (default %d)\n"
"  --rate-per-source N     new connections a minute from one source, bursts\n"
"                          of N (default %d; 0: no limit); a source is an\n"
"                          IPv4 address or an IPv6 /64\n"
"  --timeout SECONDS       pre-authentication deadline (default %g)\n"
XF_REKEY_USAGE "\n%s",
		XF_IDLE_DEFAULT, XF_MAX_HS_DEFAULT, XF_MAX_SRC_DEFAULT, XF_RATE_SRC_DEFAULT,
		XF_PREAUTH_DEFAULT_MS / 1000.0, secx_cli_auth_usage);
}

static int count_opt(const char *opt, int argc, char **argv, int *i, unsigned int *out,
		     double lo, double hi)
{
	double d;

	if (xf_opt_number(opt, *i + 1 < argc ? argv[++*i] : NULL, lo, hi, &d))
		return -1;
	if (d != (unsigned int)d)
		return xf_fail("invalid %s '%s' (a whole number)", opt, argv[*i]);
	*out = (unsigned int)d;
	return 0;
}

/* 0 parsed, 1 done (--help, --version), -1 usage error (printed). */
static int parse(int argc, char **argv, struct xf_opts *o, struct secx_cfg *cfg)
{
	int i, r;

	for (i = 1; i < argc; i++) {
		r = secx_cli_auth_opt(cfg, argc, argv, &i);
		if (r < 0)
			return xf_fail("%s", secx_strerror());
		if (!r)
			r = xf_rekey_opt(argc, argv, &i);
		if (r < 0)
			return -1;
		if (r)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(argv[i], "--version")) {
			printf("secx-recv %s (transfer protocol 2)\n", XF_VERSION);
			return 1;
		} else if (!strcmp(argv[i], "--dir") || !strcmp(argv[i], "--bind")) {
			if (i + 1 >= argc || !argv[i + 1][0])
				return xf_fail("option %s needs a value", argv[i]);
			*(argv[i][2] == 'd' ? &o->dir : &o->bind) = argv[i + 1];
			i++;
		} else if (!strcmp(argv[i], "--force")) {
			o->force = 1;
		} else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--preserve-mode")) {
			o->preserve = 1;
		} else if (!strcmp(argv[i], "--json")) {
			o->json = 1;
		} else if (!strcmp(argv[i], "--quiet")) {
			o->quiet = 1;
		} else if (!strcmp(argv[i], "--once")) {
			o->once = 1;
		} else if (!strcmp(argv[i], "--keep-signatures")) {
			o->keep_sigs = 1;
		} else if (!strcmp(argv[i], "--resume")) {
			o->resume = 1;
		} else if (!strcmp(argv[i], "--stdout")) {
			o->to_stdout = o->once = 1;
		} else if (!strcmp(argv[i], "--idle-timeout")) {
			if (xf_opt_number("--idle-timeout", i + 1 < argc ? argv[++i] : NULL, 0.1, 86400,
					  &xf_idle_s))
				return -1;
		} else if (!strcmp(argv[i], "--max-handshakes")) {
			if (count_opt(argv[i], argc, argv, &i, &o->max_hs, 1, XF_MAX_CHILDREN))
				return -1;
		} else if (!strcmp(argv[i], "--max-per-source")) {
			if (count_opt(argv[i], argc, argv, &i, &o->max_src, 1, XF_MAX_CHILDREN))
				return -1;
		} else if (!strcmp(argv[i], "--rate-per-source")) {
			if (count_opt(argv[i], argc, argv, &i, &o->rate_src, 0, XF_RATE_SRC_MAX))
				return -1;
		} else if (argv[i][0] == '-') {
			return xf_fail("unknown option '%s' (see --help)", argv[i]);
		} else if (!o->port) {
			o->port = argv[i];
		} else {
			return xf_fail("unexpected argument '%s' (only one PORT)", argv[i]);
		}
	}
	if (!o->port && o->activated_fd < 0)
		return xf_fail("missing PORT (usage: secx-recv [OPTIONS] [AUTH] PORT; see --help)");
	if (o->port && o->activated_fd >= 0)
		return xf_fail("PORT '%s' given, but systemd passed the listening socket", o->port);
	if (o->port && !o->port[0])
		return xf_fail("empty PORT");
	if (o->to_stdout && o->json)
		return xf_fail("--stdout and --json both want standard output");
	if (o->keep_sigs && o->to_stdout)
		return xf_fail("--keep-signatures stores NAME.secxsig beside the file: not with "
			       "--stdout");
	if (secx_cli_auth_finish(cfg, 1))
		return xf_fail("%s", secx_strerror());
	/* fail closed: a signature can only be bound to an Ed25519 sender */
	if (o->keep_sigs && cfg->auth != SECX_AUTH_ED25519)
		return xf_fail("--keep-signatures needs Ed25519 authentication (--key and "
			       "--known-peers): the signer must be the authenticated sender");
	if (!cfg->timeout_ms)
		cfg->timeout_ms = XF_PREAUTH_DEFAULT_MS;
	return 0;
}

int main(int argc, char **argv)
{
	struct secx_cfg cfg = { 0 };
	struct xf_opts o = { .dir = ".", .max_hs = XF_MAX_HS_DEFAULT,
			     .max_src = XF_MAX_SRC_DEFAULT, .rate_src = XF_RATE_SRC_DEFAULT };
	int r;

	xf_prog = "secx-recv";
	/* a vanished sender is an error line, never a signal */
	signal(SIGPIPE, SIG_IGN);
	/* a file size limit is EFBIG from preallocation, not a kill */
	signal(SIGXFSZ, SIG_IGN);
	o.activated_fd = xf_activated_fd();
	if (secx_conf_argv(SECX_CONF_RECV, 0, &argc, &argv)) {
		fprintf(stderr, "%s: %s\n", xf_prog, secx_strerror());
		return 2;
	}
	r = parse(argc, argv, &o, &cfg);
	if (r)
		return r > 0 ? 0 : 2;
	if (xf_kernel_suites(&cfg))
		return 1;
	o.umask = umask(0);
	umask(o.umask);
	o.dirfd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o.dirfd < 0) {
		xf_fail("cannot open directory %s: %s", o.dir, strerror(errno));
		return 1;
	}
	return xf_serve(&o, &cfg, connection) ? 1 : 0;
}
