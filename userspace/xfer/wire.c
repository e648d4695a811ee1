// SPDX-License-Identifier: MIT
/*
 * The transfer protocol's messages and exact I/O over the secured socket.
 * All integers big endian.  Documentation/tools.rst, "Transfer protocol".
 *
 *   entry   = 'N' || u8 kind || u16 path_len || path || u32 mode || u64 mtime_sec
 *             || u32 mtime_nsec || u64 size || u16 link_len || link
 *   body    = (u32 len || bytes)* || u32 0, then SHA-256 (32) || (0 | 'S' u16 len blob)
 *   end     = 'E'
 *   verdict = u8 status || u16 msg_len || msg
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "xfer.h"

/* Paths are up to 4095 bytes, messages to the peer 512: cutting them is intended. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

const char *xf_prog = "secx-xfer";
char xf_peer[96];
double xf_idle_s = XF_IDLE_DEFAULT;

/* What a failed read/write on a secx socket means, in words. */
const char *xf_io_error(int err)
{
	static char idle[96];

	switch (err) {
	case EAGAIN:
	case ETIMEDOUT:
		snprintf(idle, sizeof(idle), "no progress for %g s (--idle-timeout)", xf_idle_s);
		return idle;
	case ECONNABORTED:
		return "connection cut without a secx close record (truncated in transit?)";
	case EBADMSG:
		return "a record failed authentication: data was modified in transit";
	case EPIPE:
	case ECONNRESET:
		return "the peer closed the connection";
	default:
		return strerror(err);
	}
}

/* Small control messages must not wait for Nagle's algorithm. */
void xf_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/*
 * After the handshake every wait has a deadline: a read or a write (also
 * inside sendfile() and close()) that makes no progress for --idle-timeout
 * seconds fails with EAGAIN, unacknowledged data for that long aborts the
 * connection (TCP_USER_TIMEOUT), and keepalive probes find a vanished peer
 * while we wait for it.
 */
void xf_deadlines(int fd)
{
	struct timeval tv = { .tv_sec = (time_t)xf_idle_s,
			      .tv_usec = (suseconds_t)((xf_idle_s - (time_t)xf_idle_s) * 1e6) };
	unsigned int ms = (unsigned int)(xf_idle_s * 1000);
	int one = 1, idle = (int)(xf_idle_s / 3), intvl, cnt = 3;

	if (idle < 1)
		idle = 1;
	intvl = idle;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/*
 * The end of a transfer: the peer's close record is the only thing that
 * may still come (read returns 0).  Reading it before our own close()
 * means no unread record turns our close into a TCP reset, and a missing,
 * forged or late close is an error, not a silent success.
 */
int xf_await_close(int fd, const char *who)
{
	uint8_t b;
	ssize_t n;

	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return xf_fail("unexpected data from the %s after its end of the transfer", who);
	if (n < 0)
		return xf_fail("waiting for the %s to close: %s", who, xf_io_error(errno));
	return 0;
}

int xf_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == 0) {
			if (!got) {
				errno = 0;
				return 1;
			}
			errno = EPIPE;
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

/* All of @buf with send(@flags | MSG_NOSIGNAL); 0, or -1 (errno). */
static int send_all(int fd, const void *buf, size_t len, int flags)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, flags | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int xf_write_full(int fd, const void *buf, size_t len)
{
	return send_all(fd, buf, len, 0);
}

/* The same with MSG_MORE: more of the same message follows at once. */
int xf_write_more(int fd, const void *buf, size_t len)
{
	return send_all(fd, buf, len, MSG_MORE);
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

int xf_send_entry(int fd, const struct xf_entry *e, int more)
{
	uint8_t b[1 + 1 + 2 + XF_PATH_MAX + 4 + 8 + 4 + 8 + 2 + XF_PATH_MAX];
	size_t n = 0;

	b[n++] = XF_ENTRY;
	b[n++] = (uint8_t)e->kind;
	put_be(b + n, e->name_len, 2);
	n += 2;
	memcpy(b + n, e->name, e->name_len);
	n += e->name_len;
	put_be(b + n, e->mode & 0777, 4);
	put_be(b + n + 4, (uint64_t)e->mtime_sec, 8);
	put_be(b + n + 12, e->mtime_nsec, 4);
	put_be(b + n + 16, e->size, 8);
	put_be(b + n + 24, e->link_len, 2);
	n += 26;
	memcpy(b + n, e->link, e->link_len);
	n += e->link_len;
	return more ? xf_write_more(fd, b, n) : xf_write_full(fd, b, n);
}

static int proto_err(const char *what)
{
	snprintf(xf_err, sizeof(xf_err), "malformed entry from the sender: %s", what);
	errno = EPROTO;
	return -1;
}

int xf_recv_entry(int fd, struct xf_entry *e)
{
	uint8_t b[26];

	memset(e, 0, sizeof(*e));
	if (xf_read_full(fd, b, 3))
		return -1;
	e->kind = (char)b[0];
	if (e->kind != 'f' && e->kind != 'r' && e->kind != 'd' && e->kind != 'l')
		return proto_err("unknown kind");
	e->name_len = (size_t)get_be(b + 1, 2);
	if (!e->name_len || e->name_len > XF_PATH_MAX)
		return proto_err("path length out of range");
	if (xf_read_full(fd, e->name, e->name_len) || xf_read_full(fd, b, 26))
		return -1;
	e->mode = (uint32_t)get_be(b, 4) & 0777;
	e->mtime_sec = (int64_t)get_be(b + 4, 8);
	e->mtime_nsec = (uint32_t)get_be(b + 12, 4);
	e->size = get_be(b + 16, 8);
	e->link_len = (size_t)get_be(b + 24, 2);
	if (e->mtime_nsec >= 1000000000u)
		return proto_err("mtime_nsec out of range");
	if ((e->kind == 'd' || e->kind == 'l') && e->size)
		return proto_err("size on a directory or symlink");
	if (e->kind == 'r' && e->size == XF_STREAM)
		return proto_err("a resumable file of unknown length");
	if (e->kind != 'd' && e->kind != 'l' && e->size != XF_STREAM && e->size > INT64_MAX)
		return proto_err("size over 2^63-1");
	if (e->kind == 'l' ? !e->link_len || e->link_len > XF_PATH_MAX : e->link_len != 0)
		return proto_err("symlink target length out of range");
	if (xf_read_full(fd, e->link, e->link_len))
		return -1;
	if (memchr(e->link, 0, e->link_len))
		return proto_err("NUL in a symlink target");
	return 0;
}

int xf_send_offer(int fd, uint64_t offset, const uint8_t sha256[32])
{
	uint8_t b[1 + 8 + 32];

	b[0] = XF_OFFER;
	put_be(b + 1, offset, 8);
	memcpy(b + 9, sha256, 32);
	return xf_write_full(fd, b, sizeof(b));
}

int xf_send_u64(int fd, uint64_t v)
{
	uint8_t b[8];

	put_be(b, v, 8);
	return xf_write_more(fd, b, 8);
}

int xf_recv_u64(int fd, uint64_t *v)
{
	uint8_t b[8];

	if (xf_read_full(fd, b, 8))
		return -1;
	*v = get_be(b, 8);
	return 0;
}

int xf_send_chunk_len(int fd, uint32_t len)
{
	uint8_t b[4];

	put_be(b, len, 4);
	return xf_write_more(fd, b, 4);
}

int xf_send_trailer(int fd, const uint8_t sha256[32], const uint8_t *sig, size_t sig_len)
{
	uint8_t b[4 + 32 + 3 + XF_SIG_MAX];
	size_t n = 4 + 32;

	memset(b, 0, 4);
	memcpy(b + 4, sha256, 32);
	if (sig_len) {
		b[n++] = XF_SIG;
		put_be(b + n, sig_len, 2);
		memcpy(b + n + 2, sig, sig_len);
		n += 2 + sig_len;
	} else {
		b[n++] = 0;
	}
	return xf_write_full(fd, b, n);
}

int xf_send_reply(int fd, unsigned int status, const char *msg)
{
	uint8_t b[3 + XF_MSG_MAX];
	size_t len = strlen(msg);

	if (len > XF_MSG_MAX)
		len = XF_MSG_MAX;
	b[0] = (uint8_t)status;
	put_be(b + 1, len, 2);
	memcpy(b + 3, msg, len);
	return xf_write_full(fd, b, 3 + len);
}

int xf_recv_reply(int fd, unsigned int *status, char *msg, size_t msg_len)
{
	uint8_t b[3 + XF_MSG_MAX];
	size_t len;

	if (xf_read_full(fd, b, 3))
		return -1;
	len = (size_t)get_be(b + 1, 2);
	if (len > XF_MSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (xf_read_full(fd, b + 3, len))
		return -1;
	*status = b[0];
	if (len >= msg_len)
		len = msg_len - 1;
	memcpy(msg, b + 3, len);
	msg[len] = 0;
	return 0;
}
