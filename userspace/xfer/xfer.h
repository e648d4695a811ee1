/* SPDX-License-Identifier: MIT */
/*
 * secx-send / secx-recv: shared pieces.  The transfer protocol runs over
 * the secured socket (plaintext for us, records on the wire) and is
 * specified in Documentation/tools.rst, "Transfer protocol".
 */
#ifndef SECX_XFER_H
#define SECX_XFER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "secx.h"

#define XF_FILE		'F'
#define XF_END		'E'
#define XF_NAME_MAX	255
#define XF_MSG_MAX	512
#define XF_CHUNK	(1 << 20)

enum xf_status {
	XF_OK		= 0,
	XF_REFUSED	= 1,	/* name, existing file, space: nothing was written */
	XF_BAD_HASH	= 2,	/* end-to-end SHA-256 mismatch: file discarded */
	XF_IO_ERROR	= 3,	/* receiver could not write: file discarded */
};

struct xf_header {
	char name[XF_NAME_MAX + 1];
	size_t name_len;
	uint64_t size;
	uint32_t mode;
};

struct xf_file_report {
	char name[XF_NAME_MAX + 1];
	uint64_t size;
	char sha256[65];
	double seconds;
};

/* wire.c: exact I/O on the secured socket and the message codecs */
extern const char *xf_prog;

/* The last error, as one line; xf_fail() sets it, prints it and returns -1. */
extern char xf_err[1024];
int xf_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xf_nodelay(int fd);
int xf_read_full(int fd, void *buf, size_t len);	/* 0, 1 on clean EOF at start, -1 */
int xf_write_full(int fd, const void *buf, size_t len);
int xf_send_header(int fd, const struct xf_header *h);
int xf_recv_header(int fd, struct xf_header *h);	/* after the type byte */
int xf_send_reply(int fd, unsigned int status, const char *msg);
int xf_recv_reply(int fd, unsigned int *status, char *msg, size_t msg_len);
const char *xf_io_error(int err);

/* progress.c: progress line on a TTY, human units */
struct xf_progress {
	const char *name;
	uint64_t total;
	int enabled;
	struct timespec start, last;
};
double xf_now(void);
void xf_progress_start(struct xf_progress *p, const char *name, uint64_t total, int enabled);
void xf_progress_update(struct xf_progress *p, uint64_t done);
void xf_progress_end(struct xf_progress *p);
void xf_human(char *buf, size_t len, double bytes);

/* report.c: the summary, as one text line (stderr) or JSON (stdout) */
struct xf_report {
	const char *tool;
	const char *verb;		/* "sent" or "received" */
	const struct secx_session *sess;
	struct xf_file_report *files;
	unsigned int n_files;
	uint64_t bytes;
	double seconds;
	const char *error;
};
void xf_report(const struct xf_report *r, int json);
void xf_hex(char *out, const uint8_t *in, size_t n);

/* store.c: the receiver's side of a file: checks, temp file, commit */
struct xf_store {
	int dirfd;
	const char *dir;
	int force;
	int fd;				/* temp file, -1 if none */
	char tmp[XF_NAME_MAX + 32];
};
int xf_store_check(struct xf_store *s, const struct xf_header *h, char *why, size_t why_len);
int xf_store_open(struct xf_store *s, const struct xf_header *h, char *why, size_t why_len);
int xf_store_commit(struct xf_store *s, const struct xf_header *h, char *why, size_t why_len);
void xf_store_discard(struct xf_store *s);
void xf_store_install_cleanup(struct xf_store *s);

#endif
