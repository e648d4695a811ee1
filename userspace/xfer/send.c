// SPDX-License-Identifier: MIT
/*
 * secx-send [AUTH] [--json] [--quiet] [--idle-timeout S] FILE... HOST PORT
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
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "xfer.h"

struct src {
	const char *path;
	int fd;
	struct xf_header h;
};

static int quiet, json;

static void usage(FILE *f)
{
	fprintf(f, "Usage: secx-send [AUTH] [--json] [--quiet] [--idle-timeout SECONDS] "
		"[--rekey-bytes N]\n                 [--rekey-records N] [--rekey-seconds N] "
		"[--config FILE | --no-config] FILE... HOST PORT\n"
		"       secx-send -h | --help | --version\n\n"
		"  --json                  summary as one JSON object on stdout\n"
		"  --quiet                 no progress and no summary line\n"
		"  --idle-timeout SECONDS  after the handshake, fail when the receiver makes no\n"
		"                          progress for this long (default %g; keepalive too)\n"
		XF_REKEY_USAGE "\n%s", XF_IDLE_DEFAULT, secx_cli_auth_usage);
}

/*
 * A send failed: the receiver may have said why before it closed (a
 * refusal or its I/O error).  Look briefly; NULL if it did not.
 */
static const char *receiver_reason(int sock, char *msg, size_t len)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	unsigned int status;

	if (poll(&p, 1, 500) != 1 || xf_recv_reply(sock, &status, msg, len) || status == XF_OK)
		return NULL;
	return msg;
}

static int send_failed(int sock, const struct src *s)
{
	char msg[XF_MSG_MAX + 1];
	const char *io = xf_io_error(errno), *why = receiver_reason(sock, msg, sizeof(msg));

	if (why)
		return xf_fail("receiver stopped %s: %s", s->path, why);
	return xf_fail("sending %s: %s", s->path, io);
}

/* Open every file before connecting: a typo fails before any byte is sent. */
static int open_sources(struct src *s, int n)
{
	struct stat st;
	char tmp[4096];
	int i;

	for (i = 0; i < n; i++) {
		s[i].fd = open(s[i].path, O_RDONLY | O_CLOEXEC);
		if (s[i].fd < 0 || fstat(s[i].fd, &st))
			return xf_fail("cannot open %s: %s", s[i].path, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return xf_fail("%s is not a regular file", s[i].path);
		snprintf(tmp, sizeof(tmp), "%s", s[i].path);
		snprintf(s[i].h.name, sizeof(s[i].h.name), "%s", basename(tmp));
		s[i].h.name_len = strlen(s[i].h.name);
		s[i].h.size = (uint64_t)st.st_size;
		s[i].h.mode = st.st_mode & 0777;
	}
	return 0;
}

/* Body: hash each chunk as read, then sendfile() the same range. */
static int send_body(int sock, struct src *s, EVP_MD_CTX *md, uint8_t *buf)
{
	struct xf_progress p;
	off_t off = 0, end;
	ssize_t n;
	size_t chunk;

	xf_progress_start(&p, s->h.name, s->h.size, !quiet && !json && isatty(2));
	while ((uint64_t)off < s->h.size) {
		chunk = s->h.size - (uint64_t)off < XF_CHUNK ? s->h.size - (uint64_t)off : XF_CHUNK;
		n = pread(s->fd, buf, chunk, off);
		if (n != (ssize_t)chunk)
			return xf_fail("%s changed size while being sent", s->path);
		EVP_DigestUpdate(md, buf, chunk);
		end = off + (off_t)chunk;
		while (off < end) {
			n = sendfile(sock, s->fd, &off, (size_t)(end - off));
			if (n < 0 && errno != EINTR)
				return send_failed(sock, s);
			if (n == 0)
				return xf_fail("%s changed size while being sent", s->path);
		}
		xf_progress_update(&p, (uint64_t)off);
	}
	xf_progress_end(&p);
	return 0;
}

static int expect_ok(int sock, const struct src *s, const char *stage)
{
	char msg[XF_MSG_MAX + 1];
	unsigned int status;

	if (xf_recv_reply(sock, &status, msg, sizeof(msg)))
		return xf_fail("%s: no answer from the receiver %s: %s", s->path, stage,
			       errno ? xf_io_error(errno) : "the receiver closed the connection");
	if (status != XF_OK)
		return xf_fail("receiver refused %s: %s", s->path, msg);
	return 0;
}

static int send_one(int sock, struct src *s, uint8_t *buf, struct xf_file_report *r)
{
	uint8_t digest[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	double t0 = xf_now();
	int ret = -1;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		xf_fail("cannot set up SHA-256 (out of memory?)");
		goto out;
	}
	if (xf_send_header(sock, &s->h)) {
		send_failed(sock, s);
		goto out;
	}
	if (expect_ok(sock, s, "before the data") || send_body(sock, s, md, buf))
		goto out;
	EVP_DigestFinal_ex(md, digest, NULL);
	if (xf_write_full(sock, digest, sizeof(digest))) {
		send_failed(sock, s);
		goto out;
	}
	if (expect_ok(sock, s, "after the data"))
		goto out;
	snprintf(r->name, sizeof(r->name), "%s", s->h.name);
	r->size = s->h.size;
	xf_hex(r->sha256, digest, sizeof(digest));
	r->seconds = xf_now() - t0;
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/*
 * 'E', our close record (shutdown), then the receiver's close record:
 * only a clean end of stream from it is success (Documentation/tools.rst,
 * "Transfer protocol", "Closing").
 */
static int finish(int sock)
{
	uint8_t end = XF_END;

	if (xf_write_full(sock, &end, 1))
		return xf_fail("finishing: %s", xf_io_error(errno));
	if (shutdown(sock, SHUT_WR))
		return xf_fail("sending the close record: %s", xf_io_error(errno));
	return xf_await_close(sock, "receiver");
}

static int transfer(struct secx_cfg *cfg, struct src *srcs, int n, const char *host,
		    const char *port, struct xf_report *rep)
{
	uint8_t *buf = malloc(XF_CHUNK);
	double t0;
	int sock, i, ret = -1;

	if (!buf)
		return xf_fail("out of memory");
	sock = secx_tcp_connect(host, port, cfg->timeout_ms);
	if (sock < 0 || secx_client(sock, cfg)) {
		xf_fail("%s", secx_strerror());
		goto out;
	}
	xf_nodelay(sock);
	xf_deadlines(sock);
	if (xf_rekey_apply(sock, cfg))
		goto out;
	t0 = xf_now();
	for (i = 0; i < n; i++) {
		if (send_one(sock, &srcs[i], buf, &rep->files[i]))
			goto out;
		rep->n_files++;
		rep->bytes += srcs[i].h.size;
	}
	ret = finish(sock);
	rep->seconds = xf_now() - t0;
	xf_rekey_count(sock, cfg, rep);
out:
	if (sock >= 0)
		close(sock);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	struct secx_session sess = { 0 };
	struct secx_cfg cfg = { .session = &sess };
	struct xf_report rep = { .tool = "secx-send", .verb = "sent", .sess = &sess };
	struct src *srcs = calloc((size_t)argc, sizeof(*srcs));
	const char **pos = calloc((size_t)argc, sizeof(*pos));
	int i, n = 0, r;

	xf_prog = "secx-send";
	signal(SIGPIPE, SIG_IGN);
	if (!srcs || !pos)
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
			printf("secx-send %s (transfer protocol 1)\n", XF_VERSION);
			return 0;
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
			pos[n++] = argv[i];
		}
	}
	if (n < 3) {
		static const char *const missing[] = {
			"FILE, HOST and PORT", "HOST and PORT after FILE", "PORT after FILE HOST",
		};

		fprintf(stderr, "%s: missing %s (usage: secx-send [OPTIONS] FILE... HOST PORT; "
			"see --help)\n", xf_prog, missing[n]);
		return 2;
	}
	if (!cfg.peer_name)
		cfg.peer_name = pos[n - 2];
	if (secx_cli_auth_finish(&cfg, 0)) {
		fprintf(stderr, "%s: %s\n", xf_prog, secx_strerror());
		return 2;
	}
	for (i = 0; i < n - 2; i++)
		srcs[i].path = pos[i];
	rep.files = calloc((size_t)n, sizeof(*rep.files));
	r = !rep.files || open_sources(srcs, n - 2) || xf_kernel_suites(&cfg) || transfer(&cfg, srcs, n - 2, pos[n - 2], pos[n - 1], &rep);
	rep.error = r ? xf_err : NULL;
	if (!quiet || json)
		xf_report(&rep, json);
	for (i = 0; i < n - 2; i++)
		if (srcs[i].fd > 0)
			close(srcs[i].fd);
	free(rep.files);
	free(srcs);
	free(pos);
	return r ? 1 : 0;
}
