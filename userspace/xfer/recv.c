// SPDX-License-Identifier: MIT
/*
 * secx-recv [--dir DIR] [--force] [--json] [--quiet] [--bind ADDR] [AUTH] PORT
 *
 * Listen, accept ONE connection, run the handshake as server, receive
 * files into DIR, exit.  Each file goes to a temporary name and gets its
 * real name only after the end-to-end SHA-256 matched.
 * Exit status: 0 all files stored, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xfer.h"

#define MAX_FILES 4096

struct opts {
	const char *dir, *bind, *port;
	int force, json, quiet;
};


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
		if (write(st->fd, buf, (size_t)n) != n) {
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

	EVP_DigestFinal_ex(md, mine, NULL);
	if (xf_read_full(sock, theirs, sizeof(theirs)))
		return xf_fail("receiving the SHA-256 of '%s': %s", h->name, xf_io_error(errno));
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
		     xf_io_error(errno));
		goto out;
	}
	if (xf_store_check(st, &h, why, sizeof(why)) || xf_store_open(st, &h, why, sizeof(why))) {
		xf_fail("%s", why);
		xf_send_reply(sock, XF_REFUSED, why);
		goto out;
	}
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) || xf_send_reply(sock, XF_OK, "") ||
	    recv_body(sock, st, &h, md, buf, progress) || check_hash(sock, md, &h, r))
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

/* Files until 'E'; then close, which sends the authenticated close record. */
static int session(int sock, struct xf_store *st, const struct opts *o, struct xf_report *rep)
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
			ret = 0;
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

static int serve(const struct opts *o, struct secx_cfg *cfg, struct xf_report *rep)
{
	struct xf_store st = { .dir = o->dir, .force = o->force, .fd = -1 };
	char name[80];
	int lfd, sock = -1, ret = -1;

	st.dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st.dirfd < 0)
		return xf_fail("cannot open directory %s: %s", o->dir, strerror(errno));
	xf_store_install_cleanup(&st);
	lfd = secx_tcp_listen(o->bind, o->port);
	if (lfd < 0) {
		xf_fail("%s", secx_strerror());
		goto out;
	}
	secx_sock_name(lfd, 0, name, sizeof(name));
	if (!o->quiet)
		fprintf(stderr, "%s: listening on %s\n", xf_prog, name);
	sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	if (sock < 0)
		xf_fail("accept: %s", strerror(errno));
	else if (secx_server(sock, cfg))
		xf_fail("%s", secx_strerror());
	else {
		xf_nodelay(sock);
		ret = session(sock, &st, o, rep);
	}
out:
	if (sock >= 0)
		close(sock);
	close(st.dirfd);
	return ret;
}

static int parse(int argc, char **argv, struct opts *o, struct secx_cfg *cfg)
{
	int i, r;

	for (i = 1; i < argc; i++) {
		r = secx_cli_auth_opt(cfg, argc, argv, &i);
		if (r < 0)
			return xf_fail("%s", secx_strerror());
		if (r)
			continue;
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			o->dir = argv[++i];
		else if (!strcmp(argv[i], "--bind") && i + 1 < argc)
			o->bind = argv[++i];
		else if (!strcmp(argv[i], "--force"))
			o->force = 1;
		else if (!strcmp(argv[i], "--json"))
			o->json = 1;
		else if (!strcmp(argv[i], "--quiet"))
			o->quiet = 1;
		else if (argv[i][0] == '-')
			return xf_fail("unknown or incomplete option '%s' (see --help)", argv[i]);
		else if (!o->port)
			o->port = argv[i];
		else
			return xf_fail("unexpected argument '%s'", argv[i]);
	}
	if (!o->port)
		return xf_fail("missing PORT (see --help)");
	if (secx_cli_auth_finish(cfg, 1))
		return xf_fail("%s", secx_strerror());
	return 0;
}

int main(int argc, char **argv)
{
	struct secx_session sess = { 0 };
	struct secx_cfg cfg = { .session = &sess };
	struct xf_report rep = { .tool = "secx-recv", .verb = "received", .sess = &sess };
	struct opts o = { .dir = "." };
	int r;

	xf_prog = "secx-recv";
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("Usage: secx-recv [--dir DIR] [--force] [--json] [--quiet] [--bind ADDR] "
		       "[AUTH] PORT\n\n%s", secx_cli_auth_usage);
		return 0;
	}
	if (parse(argc, argv, &o, &cfg))
		return 2;
	rep.files = calloc(MAX_FILES, sizeof(*rep.files));
	if (!rep.files)
		return 1;
	r = serve(&o, &cfg, &rep);
	rep.error = r ? xf_err : NULL;
	if (!o.quiet || o.json)
		xf_report(&rep, o.json);
	free(rep.files);
	return r ? 1 : 0;
}
