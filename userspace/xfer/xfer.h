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
#include "conf.h"

#define XF_ENTRY	'N'
#define XF_OLD_FILE	'F'	/* protocol 1: refused with XF_PROTO */
#define XF_END		'E'
#define XF_SIG		'S'
#define XF_OFFER	'O'	/* resume offer, receiver -> sender, kind 'r' */
#define XF_NAME_MAX	255	/* one path component */
#define XF_PATH_MAX	4095	/* a relative path; also a symlink target */
#define XF_MSG_MAX	512
#define XF_SIG_MAX	1024
#define XF_CHUNK	(1 << 20)
#define XF_STREAM	UINT64_MAX	/* size of a body of unknown length */
#define XF_WIN_FILES	64		/* entries without a verdict, at most */
#define XF_WIN_BYTES	(64ULL << 20)	/* their announced body bytes, at most */
#define XF_VERSION	"0.3"
#define XF_PROTO_VERSION 2
#define XF_PORT_DEFAULT	"7000"	/* secx-send without PORT; the systemd units' */
#define XF_IDLE_DEFAULT	30.0	/* --idle-timeout, seconds */

enum xf_status {
	XF_OK		= 0,
	XF_REFUSED	= 1,	/* name, existing file, space: nothing was written */
	XF_BAD_HASH	= 2,	/* end-to-end SHA-256 mismatch: file discarded */
	XF_IO_ERROR	= 3,	/* receiver could not write, short body: discarded */
	XF_PROTO	= 4,	/* malformed message: the transfer ends */
};

/* One entry of the transfer (Documentation/tools.rst, "Transfer protocol"). */
struct xf_entry {
	char kind;				/* 'f', 'r' (resumable 'f'), 'd', 'l' */
	char name[XF_PATH_MAX + 1];		/* the relative path, NUL-terminated */
	size_t name_len;
	uint64_t size;				/* 'f': bytes or XF_STREAM */
	uint32_t mode;				/* permission bits only */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	char link[XF_PATH_MAX + 1];		/* 'l': the target, NUL-terminated */
	size_t link_len;
};

struct xf_file_report {
	char name[XF_PATH_MAX + 1];	/* NUL-terminated path, any bytes but NUL */
	uint64_t size;
	char sha256[65];
	double seconds;
};

/* wire.c: exact I/O on the secured socket and the message codecs */
extern const char *xf_prog;
extern char xf_peer[96];	/* "ADDR:PORT: " prefix of a service's lines, or "" */
extern double xf_idle_s;	/* --idle-timeout */

/* The last error, as one line; xf_fail() sets it, prints it and returns -1. */
extern char xf_err[1024];
int xf_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int xf_fail_quiet;	/* nonzero: xf_fail() only sets xf_err */
void xf_nodelay(int fd);
/* 0; 1 on a clean end of stream before the first byte (errno 0); -1 */
int xf_read_full(int fd, void *buf, size_t len);
int xf_write_full(int fd, const void *buf, size_t len);
int xf_write_more(int fd, const void *buf, size_t len);	/* MSG_MORE */
/* Entry header (and nothing of the body); @more: MSG_MORE. */
int xf_send_entry(int fd, const struct xf_entry *e, int more);
/* After the type byte; -1 with errno EPROTO (malformed, xf_err says why) or I/O. */
int xf_recv_entry(int fd, struct xf_entry *e);
/* Body framing: a chunk's length, the end (be32 0) + SHA-256 + sig. */
int xf_send_chunk_len(int fd, uint32_t len);
int xf_send_trailer(int fd, const uint8_t sha256[32], const uint8_t *sig, size_t sig_len);
int xf_send_offer(int fd, uint64_t offset, const uint8_t sha256[32]);
int xf_send_u64(int fd, uint64_t v);
int xf_recv_u64(int fd, uint64_t *v);
int xf_send_reply(int fd, unsigned int status, const char *msg);
int xf_recv_reply(int fd, unsigned int *status, char *msg, size_t msg_len);
const char *xf_io_error(int err);
/* After the handshake: --idle-timeout on every wait, TCP keepalive. */
void xf_deadlines(int fd);
/* Read until the peer's close record; 0 clean, -1 (xf_fail'ed with @who). */
int xf_await_close(int fd, const char *who);

/* caps.c: narrow cfg's suites to those secx.ko can install; 0 or -1 */
int xf_kernel_suites(struct secx_cfg *cfg);

/* opts.c: options both tools parse themselves (not in lib/cli.c) */
int xf_opt_number(const char *opt, const char *v, double min, double max, double *out);
/* One line, printable: control bytes and invalid UTF-8 as \xNN. */
void xf_escape_line(char *out, size_t len, const char *in);
int xf_is_utf8(const char *s);

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
	int rekeys_known;		/* rekey.c: tx/rx_rekeys read from the socket */
	uint32_t tx_rekeys, rx_rekeys;
};
void xf_report(const struct xf_report *r, int json);
void xf_hex(char *out, const uint8_t *in, size_t n);

/* sigslot.c: the optional signature after a file's trailer ("Signed files") */
/* Sender, after the handshake: sign every file if we have an Ed25519 key. */
int xf_signature_sender(const struct secx_cfg *cfg, const struct secx_session *sess);
/* Receiver, after the handshake: require and keep signatures if @keep. */
int xf_signature_receiver(const struct secx_cfg *cfg, const struct secx_session *sess,
			  int keep);
/* @size: the body's length (a stream's as sent); *len = 0: no signature. */
int xf_signature_make(const struct xf_entry *e, uint64_t size, const uint8_t sha256[32],
		      uint8_t *blob, size_t *len);
int xf_signature_name_ok(int pfd, const char *leaf, int force, char *why, size_t why_len);
/* After the hash matched; @len 0: none came. */
int xf_signature_received(const struct xf_entry *e, uint64_t size, const uint8_t sha256[32],
			  const uint8_t *blob, size_t len);
int xf_signature_store(int pfd, const char *leaf, int force);
void xf_signature_unstore(int pfd, const char *leaf);

/* store.c: the receiver's side of an entry: path, checks, temp file, commit */
struct xf_dir_meta {
	char *path;
	uint32_t mode;
	int64_t sec;
	uint32_t nsec;
};

struct xf_store {
	int dirfd;			/* DIR */
	int pfd;			/* the entry's parent directory, -1 if none */
	const char *leaf;		/* the entry's last component */
	struct xf_dir_meta *dirs;	/* directories received, applied after 'E' */
	size_t n_dirs, cap_dirs;
	const char *dir;
	int force;
	int preserve;			/* -p: the sender's permission bits as they are */
	int resume;			/* --resume: keyed temp files kept on failure */
	int keep;			/* this temp file survives a failure */
	char peer_key[2 * SECX_NAME_MAX + 80];	/* authenticated peer, "" if none */
	unsigned int umask;		/* the receiver's umask, applied without -p */
	int fd;				/* temp file, -1 if none */
	char tmp[XF_NAME_MAX + 32];
	uint64_t off;			/* bytes of the body written so far */
	uint64_t hole, hole_end;	/* zero blocks not written yet: [hole, hole_end) */
	uint64_t synced;		/* written back up to here (sync_file_range) */
};
/* Validate @e->name and open its parent (s->pfd, s->leaf); 0 or -1 (@why). */
int xf_store_resolve(struct xf_store *s, const struct xf_entry *e, char *why, size_t why_len);
int xf_store_check(struct xf_store *s, const struct xf_entry *h, char *why, size_t why_len);
int xf_store_open(struct xf_store *s, const struct xf_entry *h, char *why, size_t why_len);
/*
 * Kind 'r' with --resume: open (or create) the temp file keyed by the peer,
 * path, size and mtime; *offset = the bytes it holds, @prefix (initialised)
 * has hashed them.  0 or -1 (@why).
 */
int xf_store_open_resume(struct xf_store *s, const struct xf_entry *e, uint64_t *offset,
			 void *prefix, char *why, size_t why_len);
/* The sender's answer: continue at @start (0: start over). */
int xf_store_resume_at(struct xf_store *s, uint64_t start);
/* Body bytes in order; all-zero blocks become holes.  0 or -1 (errno). */
int xf_store_write(struct xf_store *s, const uint8_t *buf, size_t n);
int xf_store_commit(struct xf_store *s, const struct xf_entry *h, char *why, size_t why_len);
int xf_store_mkdir(struct xf_store *s, const struct xf_entry *e, char *why, size_t why_len);
int xf_store_symlink(struct xf_store *s, const struct xf_entry *e, char *why, size_t why_len);
/* After 'E': directories' modes and mtimes, last received first; 0 or -1 (@why). */
int xf_store_finish_dirs(struct xf_store *s, char *why, size_t why_len);
void xf_store_release(struct xf_store *s);	/* the entry's parent fd */
void xf_store_discard(struct xf_store *s);
void xf_store_install_cleanup(struct xf_store *s);

/* service.c: secx-recv's listener, connections and their limits */
#define XF_MAX_HS_DEFAULT	16	/* --max-handshakes */
#define XF_MAX_SRC_DEFAULT	4	/* --max-per-source */
#define XF_RATE_SRC_DEFAULT	60	/* --rate-per-source: new connections a minute */
#define XF_RATE_SRC_MAX		100000
#define XF_PREAUTH_DEFAULT_MS	SECX_DEFAULT_TIMEOUT_MS	/* --timeout: 10 s, as the handshake */
#define XF_MAX_CHILDREN		256	/* connections at once, authenticated or not */

struct xf_opts {
	const char *dir, *bind, *port;
	int dirfd;
	int force, preserve, json, quiet, once;
	int to_stdout;			/* --stdout: one file's body to fd 1 */
	int resume;			/* --resume: keep keyed partial files */
	int keep_sigs;			/* --keep-signatures */
	unsigned int umask;
	unsigned int max_hs, max_src;
	unsigned int rate_src;		/* --rate-per-source, 0: no limit */
	int activated_fd;		/* listening socket from systemd, or -1 */
};
int xf_activated_fd(void);
/* A connection handler: 0 transfer complete, -1 failed (already logged). */
typedef int (*xf_conn_fn)(int sock, const struct xf_opts *o, struct secx_cfg *cfg,
			  int authed_fd);
int xf_serve(const struct xf_opts *o, struct secx_cfg *cfg, xf_conn_fn conn);

/* ---- rekey.c: --rekey-bytes/--rekey-records/--rekey-seconds (issue 12 item 6) ---- */
#define XF_REKEY_MIN_BYTES	1024		/* Documentation/api.rst, SECX_REKEY_LIMITS */
#define XF_REKEY_MIN_RECORDS	2
#define XF_REKEY_MAX		4611686018427387904.0	/* 2^62 */
#define XF_REKEY_MAX_SECONDS	2147483		/* INT_MAX / HZ for HZ up to 1000 */
struct xf_rekey {
	unsigned int set;		/* bit 0 bytes, 1 records, 2 seconds */
	uint64_t bytes, records;
	uint32_t seconds;
};
extern struct xf_rekey xf_rekey;
/* One option at argv[*i]: 1 consumed, 0 not ours, -1 usage error (printed). */
int xf_rekey_opt(int argc, char **argv, int *i);
/* After the handshake: set the budgets given; 0 or -1 (printed). */
int xf_rekey_apply(int sock, const struct secx_cfg *cfg);
/* Before close: key updates so far, both directions, into @r. */
void xf_rekey_count(int sock, const struct secx_cfg *cfg, struct xf_report *r);
#define XF_REKEY_USAGE \
"  --rekey-bytes N         update the TX key after N bytes under one key (0: none;\n" \
"                          at least 1024; default: the namespace's, secxctl defaults)\n" \
"  --rekey-records N       ... after N records (0: none; at least 2)\n" \
"  --rekey-seconds N       ... after N seconds (0: none)\n" \
"  --config FILE           read only FILE (default: /etc/secx/config, then\n" \
"                          ~/.config/secx/config); --no-config: no file\n"

/* ---- sign.c: signed files (issue 12 item 5); the protocol hooks call these ---- */
/* Sender: once after the handshake (Ed25519 identity needed); 0 or -1 (printed). */
int xf_sign_begin(const struct secx_cfg *cfg, const struct secx_session *sess);
/* Sender: the blob for one file (@*len: capacity in, length out, <= 1024). */
int xf_sign_make(const char *path, uint64_t size, const uint8_t sha256[32],
		 const struct timespec *mtime, uint8_t *blob, size_t *len);
/* Receiver: once after the handshake (needs Ed25519: the signer is the peer). */
int xf_sign_expect(const struct secx_cfg *cfg, const struct secx_session *sess);
/* Receiver: @blob is a valid signature by the sender about exactly this file. */
int xf_sign_accept(const char *path, uint64_t size, const uint8_t sha256[32],
		   const uint8_t *blob, size_t len);
/* Receiver, at the file header: NAME.secxsig can be stored (@why: refusal). */
int xf_sign_name_ok(int dirfd, const char *name, int force, char *why, size_t why_len);
void xf_sign_end(void);

#endif
