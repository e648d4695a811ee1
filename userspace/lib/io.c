// SPDX-License-Identifier: MIT
/*
 * Exact-length socket I/O for the handshake, under one deadline.
 *
 * hs_io_read() asks the kernel for no more than the bytes still missing
 * from the current message, so userspace never holds a byte that belongs
 * to the record stream that follows the handshake
 * (Documentation/handshake.rst, "Where records begin").
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hs.h"

void hs_io_init(struct hs_io *io, int fd, unsigned int timeout_ms)
{
	io->fd = fd;
	io->timeout_ms = timeout_ms ? timeout_ms : SECX_DEFAULT_TIMEOUT_MS;
	clock_gettime(CLOCK_MONOTONIC, &io->deadline);
	io->deadline.tv_sec += io->timeout_ms / 1000;
	io->deadline.tv_nsec += (long)(io->timeout_ms % 1000) * 1000000L;
	if (io->deadline.tv_nsec >= 1000000000L) {
		io->deadline.tv_sec++;
		io->deadline.tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left before the deadline, 0 if passed. */
static int remaining_ms(const struct hs_io *io)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(io->deadline.tv_sec - now.tv_sec) * 1000 +
	     (io->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)(ms > 0x7fffffff ? 0x7fffffff : ms) : 0;
}

/* Wait for @events; 0 when ready, -1 with the error set on timeout or failure. */
static int wait_for(struct hs_io *io, short events, const char *what)
{
	struct pollfd p = { .fd = io->fd, .events = events };
	int n;

	for (;;) {
		n = poll(&p, 1, remaining_ms(io));
		if (n > 0)
			return 0;
		if (n == 0)
			return secx_err("handshake timed out after %u.%03u s %s",
					io->timeout_ms / 1000, io->timeout_ms % 1000, what);
		if (errno != EINTR)
			return secx_err("poll: %s", strerror(errno));
	}
}

int hs_io_write(struct hs_io *io, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len) {
		if (wait_for(io, POLLOUT, "sending a handshake message"))
			return -1;
		n = send(io->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return secx_err("peer closed the connection during the handshake");
			return secx_err("send: %s", strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int hs_io_read(struct hs_io *io, uint8_t *buf, size_t len, const char *waiting_for)
{
	char what[96];
	ssize_t n;

	snprintf(what, sizeof(what), "waiting for %s", waiting_for);
	while (len) {
		if (wait_for(io, POLLIN, what))
			return -1;
		n = recv(io->fd, buf, len, MSG_DONTWAIT);
		if (n == 0)
			return secx_err("peer closed the connection during the handshake (%s)",
					what);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET)
				return secx_err("connection reset by peer during the handshake (%s)",
						what);
			return secx_err("recv: %s", strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
