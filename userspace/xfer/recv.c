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

#define MAX_FILES 4096

/* Body into the temporary file, hashing as it comes. */
static int recv_body(int sock, struct xf_store *st, const struct xf_header *h,
		     EVP_MD_CTX *md, uint8_t *buf, int progress)
{
	struct xf_progress p;
	uint64_t done = 0;
	size_t want;
	ssize_t n;

	xf_progress_start(&p, h->name, h->size, progress);
	while (done < h->size) {
		want = h->size - done < XF_CHUNK ? (size_t)(h->size - done) : XF_CHUNK;
		n = read(sock, buf, want);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return xf_fail("receiving '%s': %s", h->name, n ? xf_io_error(errno) :
				       "the sender closed the connection mid-file");
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (xf_store_write(st, buf, (size_t)n)) {
			xf_fail("writing '%s' in %s: %s", h->name, st->dir, strerror(errno));
			xf_send_reply(sock, XF_IO_ERROR, xf_err);
			return -1;
		}
		done += (uint64_t)n;
		xf_progress_update(&p, done);
	}
	xf_progress_end(&p);
	return 0;
}

static int check_hash(int sock, EVP_MD_CTX *md, const struct xf_header *h,
		      struct xf_file_report *r)
{
	uint8_t mine[32], theirs[32];
	int e;

	EVP_DigestFinal_ex(md, mine, NULL);
	e = xf_read_full(sock, theirs, sizeof(theirs));
	if (e)
		return xf_fail("receiving the SHA-256 of '%s': %s", h->name,
			       e > 0 ? "the sender closed the connection" : xf_io_error(errno));
	xf_hex(r->sha256, mine, sizeof(mine));
	if (CRYPTO_memcmp(mine, theirs, sizeof(mine))) {
		xf_fail("SHA-256 mismatch for '%s': file discarded", h->name);
		xf_send_reply(sock, XF_BAD_HASH, xf_err);
		return -1;
	}
	return 0;
}

static int recv_one(int sock, struct xf_store *st, uint8_t *buf, int progress,
		    struct xf_file_report *r)
{
	char why[XF_MSG_MAX];
	struct xf_header h;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	double t0 = xf_now();
	int ret = -1;

	if (xf_recv_header(sock, &h)) {
		xf_fail("receiving a file header: %s", errno == EMSGSIZE ? "name too long" :
			errno ? xf_io_error(errno) : "the sender closed the connection");
		goto out;
	}
	if (xf_store_check(st, &h, why, sizeof(why)) || xf_store_open(st, &h, why, sizeof(why))) {
		xf_fail("%s", why);
		xf_send_reply(sock, XF_REFUSED, why);
		goto out;
	}
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		xf_fail("cannot set up SHA-256 (out of memory?)");
		goto out;
	}
	if (xf_send_reply(sock, XF_OK, "")) {
		xf_fail("accepting '%s': %s", h.name, xf_io_error(errno));
		goto out;
	}
	if (recv_body(sock, st, &h, md, buf, progress) || check_hash(sock, md, &h, r))
		goto out;
	if (xf_store_commit(st, &h, why, sizeof(why))) {
		xf_fail("%s", why);
		xf_send_reply(sock, XF_IO_ERROR, why);
		goto out;
	}
	if (xf_send_reply(sock, XF_OK, "")) {
		xf_fail("confirming '%s': %s", h.name, xf_io_error(errno));
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", h.name);
	r->size = h.size;
	r->seconds = xf_now() - t0;
	ret = 0;
out:
	xf_store_discard(st);
	EVP_MD_CTX_free(md);
	return ret;
}

/*
 * Files until 'E'; then the sender's close record (end of stream) is the
 * only thing that may follow.  Our close() then sends ours.
 */
static int session(int sock, struct xf_store *st, const struct xf_opts *o, struct xf_report *rep)
{
	uint8_t *buf = malloc(XF_CHUNK), type;
	int progress = !o->quiet && !o->json && isatty(2), r, ret = -1;
	double t0 = xf_now();

	if (!buf)
		return xf_fail("out of memory");
	for (;;) {
		r = xf_read_full(sock, &type, 1);
		if (r) {
			xf_fail("the sender stopped before the end of the transfer%s%s",
				r < 0 ? ": " : "", r < 0 ? xf_io_error(errno) : "");
			break;
		}
		if (type == XF_END) {
			ret = xf_await_close(sock, "sender");
			break;
		}
		if (type != XF_FILE || rep->n_files == MAX_FILES) {
			xf_fail("unexpected transfer message 0x%02x from the sender", type);
			break;
		}
		if (recv_one(sock, st, buf, progress, &rep->files[rep->n_files]))
			break;
		rep->bytes += rep->files[rep->n_files++].size;
	}
	rep->seconds = xf_now() - t0;
	free(buf);
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
			       .preserve = o->preserve, .umask = o->umask, .fd = -1 };
	int ret = -1;

	rep.files = calloc(MAX_FILES, sizeof(*rep.files));
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
			ret = xf_rekey_apply(sock, cfg) ? -1 : session(sock, &st, o, &rep);
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
			printf("secx-recv %s (transfer protocol 1)\n", XF_VERSION);
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
	if (secx_cli_auth_finish(cfg, 1))
		return xf_fail("%s", secx_strerror());
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
