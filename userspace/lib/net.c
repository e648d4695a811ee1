// SPDX-License-Identifier: MIT
/* TCP helpers shared by the tools: connect with a timeout, listen, names. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs.h"

/* Non-blocking connect bounded by @timeout_ms, then back to blocking. */
static int connect_one(const struct addrinfo *ai, unsigned int timeout_ms)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, err = 0, fl;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		err = errno;
	} else {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, (int)timeout_ms) != 1)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
	}
	if (err) {
		close(fd);
		return -err;
	}
	fcntl(fd, F_SETFL, fl);
	return fd;
}

int secx_tcp_connect(const char *host, const char *port, unsigned int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int r, fd = -ECONNREFUSED;

	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		return secx_err("cannot resolve %s port %s: %s", host, port, gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_one(ai, timeout_ms ? timeout_ms : SECX_DEFAULT_TIMEOUT_MS);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return secx_err("cannot connect to %s port %s: %s", host, port, strerror(-fd));
	return fd;
}

static int listen_on(const char *addr, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int r, fd, one = 1, zero = 0;

	r = getaddrinfo(addr, port, &hints, &res);
	if (r)
		return secx_err("cannot resolve %s port %s: %s", addr ? addr : "*", port,
				gai_strerror(r));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (res->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 16)) {
			r = errno;
			close(fd);
			fd = -1;
			errno = r;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return secx_err("cannot listen on %s port %s: %s", addr ? addr : "*", port,
				strerror(errno));
	return fd;
}

/* No address: the IPv6 wildcard in dual-stack mode, or IPv4 where IPv6 is off. */
int secx_tcp_listen(const char *addr, const char *port)
{
	int fd;

	if (addr)
		return listen_on(addr, port);
	fd = listen_on("::", port);
	return fd >= 0 ? fd : listen_on("0.0.0.0", port);
}

void secx_sock_name(int fd, int peer, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
	int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &sl) :
		       getsockname(fd, (struct sockaddr *)&ss, &sl);

	if (!r)
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, len, ss.ss_family == AF_INET6 && !r ? "[%s]:%s" : "%s:%s", host, port);
}
