// SPDX-License-Identifier: MIT
/*
 * The transfer protocol's messages and exact I/O over the secured socket.
 * All integers big endian.  Documentation/tools.rst, "Transfer protocol".
 *
 *   header  = 'F' || u16 name_len || name || u64 size || u32 mode
 *   end     = 'E'
 *   reply   = u8 status || u16 msg_len || msg
 *   trailer = SHA-256(body), 32 bytes
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "xfer.h"

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

int xf_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
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

int xf_send_header(int fd, const struct xf_header *h)
{
	uint8_t b[1 + 2 + XF_NAME_MAX + 8 + 4];
	size_t n = 0;

	b[n++] = XF_FILE;
	put_be(b + n, h->name_len, 2);
	n += 2;
	memcpy(b + n, h->name, h->name_len);
	n += h->name_len;
	put_be(b + n, h->size, 8);
	n += 8;
	put_be(b + n, h->mode, 4);
	n += 4;
	return xf_write_full(fd, b, n);
}

int xf_recv_header(int fd, struct xf_header *h)
{
	uint8_t b[12];

	memset(h, 0, sizeof(*h));
	if (xf_read_full(fd, b, 2))
		return -1;
	h->name_len = (size_t)get_be(b, 2);
	if (h->name_len > XF_NAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (xf_read_full(fd, h->name, h->name_len) || xf_read_full(fd, b, 12))
		return -1;
	h->size = get_be(b, 8);
	h->mode = (uint32_t)get_be(b + 8, 4);
	return 0;
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
