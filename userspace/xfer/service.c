// SPDX-License-Identifier: MIT
/*
 * secx-recv as a service: the listener and its children.
 *
 * The parent only accepts, counts and reaps; every connection runs in a
 * forked child, so nothing a peer sends can stop or block the service.
 * Until a child reports (one byte on its pipe) that the peer passed the
 * handshake, the connection is "unauthenticated" and counts against
 * --max-handshakes and --max-per-source; and every new connection spends a
 * token of its source's --rate-per-source bucket.  Over a limit a new
 * connection is closed at once, with one log line.  A "source" is an IPv4
 * address or an IPv6 /64: one host usually holds a whole /64, so counting
 * IPv6 addresses one by one would limit nothing.  The child enforces the
 * pre-authentication deadline (the handshake --timeout); the parent kills a
 * child still unauthenticated one second after it, as a backstop.
 * SIGTERM, SIGINT or SIGHUP stop the service: children get SIGTERM (each
 * removes its temporary file), the parent waits for them and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xfer.h"

struct kid {
	pid_t pid;		/* 0: free slot */
	int fd;			/* read end of its pipe, -1 once closed */
	int authed;
	double deadline;	/* pre-authentication, for the backstop */
	char host[64];		/* source: IPv4 address or IPv6 /64, for the limits */
	char addr[80];		/* "HOST:PORT" for log lines */
};

static struct kid kids[XF_MAX_CHILDREN];
static volatile sig_atomic_t stop_sig;

/*
 * --rate-per-source: a token bucket per source, N tokens, refilled at N a
 * minute.  The table is bounded; when it is full the bucket idle longest is
 * reused (a full bucket again is what it would have refilled to anyway,
 * unless an attacker with more than XF_RATE_SLOTS sources cycles them:
 * --max-handshakes still bounds what they get at once).
 */
#define XF_RATE_SLOTS	1024
struct rate {
	char src[64];		/* "" : free */
	double tokens, last;
};
static struct rate rates[XF_RATE_SLOTS];

/* @src's bucket; a free one, or the one idle longest, if it has none. */
static struct rate *rate_slot(const char *src, unsigned int per_min, double now)
{
	struct rate *victim = &rates[0];
	int k;

	for (k = 0; k < XF_RATE_SLOTS; k++)
		if (rates[k].src[0] && !strcmp(rates[k].src, src))
			return &rates[k];
	for (k = 0; k < XF_RATE_SLOTS; k++) {
		if (!rates[k].src[0]) {
			victim = &rates[k];
			break;
		}
		if (rates[k].last < victim->last)
			victim = &rates[k];
	}
	snprintf(victim->src, sizeof(victim->src), "%s", src);
	victim->tokens = per_min;
	victim->last = now;
	return victim;
}

/* Take a token of @src's bucket: 0 taken, -1 the bucket is empty. */
static int rate_take(unsigned int per_min, const char *src, double now)
{
	struct rate *r;

	if (!per_min)
		return 0;
	r = rate_slot(src, per_min, now);
	r->tokens += (now - r->last) * per_min / 60.0;
	if (r->tokens > per_min)
		r->tokens = per_min;
	r->last = now;
	if (r->tokens < 1)
		return -1;
	r->tokens -= 1;
	return 0;
}

static void on_stop(int sig)
{
	stop_sig = sig;
}

static void on_child(int sig)
{
	(void)sig;	/* only interrupts ppoll() */
}

/* One escaped log line about the connection from @addr. */
static void svc_log(const char *addr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void svc_log(const char *addr, const char *fmt, ...)
{
	char raw[512], line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	xf_escape_line(line, sizeof(line), raw);
	fprintf(stderr, "%s: %s%s%s\n", xf_prog, addr ? addr : "", addr ? ": " : "", line);
}

/* From accept()'s address: the peer may be gone (reset) by the time we log. */
static void peer_names(const struct sockaddr_storage *ss, socklen_t sl, char *host, size_t hl,
		       char *addr, size_t al)
{
	char port[8] = "?", *h = host;

	snprintf(host, hl, "?");
	getnameinfo((const struct sockaddr *)ss, sl, host, (socklen_t)hl, port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV);
	/* an IPv4 peer on the dual-stack socket: count and log it as IPv4 */
	if (!strncmp(host, "::ffff:", 7) && strchr(host, '.'))
		memmove(h, h + 7, strlen(h + 7) + 1);
	snprintf(addr, al, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

/* The source the limits count: the IPv4 address, or the IPv6 /64. */
static void source_of(const struct sockaddr_storage *ss, const char *host, char *src, size_t len)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	const uint8_t *b = a6->sin6_addr.s6_addr;

	if (ss->ss_family != AF_INET6 || strchr(host, '.')) {
		snprintf(src, len, "%s", host);
		return;
	}
	snprintf(src, len, "%x:%x:%x:%x::/64", b[0] << 8 | b[1], b[2] << 8 | b[3],
		 b[4] << 8 | b[5], b[6] << 8 | b[7]);
}

static void reap(void)
{
	pid_t pid;
	int st, k;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (k = 0; k < XF_MAX_CHILDREN; k++) {
			if (kids[k].pid != pid)
				continue;
			if (kids[k].fd >= 0)
				close(kids[k].fd);
			kids[k].pid = 0;
			kids[k].fd = -1;
			if (WIFSIGNALED(st) && WTERMSIG(st) != SIGTERM && WTERMSIG(st) != SIGKILL)
				svc_log(kids[k].addr, "connection handler killed by signal %d",
					WTERMSIG(st));
		}
	}
}

/* A child's pipe is readable: 'A' = authenticated, end of file = exiting. */
static void kid_event(struct kid *c)
{
	char b;
	ssize_t n = read(c->fd, &b, 1);

	if (n == 1 && b == 'A') {
		c->authed = 1;
		return;
	}
	if (n < 0 && errno == EINTR)
		return;
	close(c->fd);
	c->fd = -1;
}

static int over_limit(const struct xf_opts *o, const char *host, const char *addr)
{
	unsigned int total = 0, hs = 0, src = 0;
	int k;

	for (k = 0; k < XF_MAX_CHILDREN; k++) {
		if (!kids[k].pid)
			continue;
		total++;
		if (kids[k].authed)
			continue;
		hs++;
		src += !strcmp(kids[k].host, host);
	}
	if (total >= XF_MAX_CHILDREN)
		svc_log(addr, "refused: %u connections in progress (the most secx-recv serves)",
			total);
	else if (hs >= o->max_hs)
		svc_log(addr, "refused: %u unauthenticated connections in progress "
			"(--max-handshakes %u)", hs, o->max_hs);
	else if (src >= o->max_src)
		svc_log(addr, "refused: %u unauthenticated connections from %s in progress "
			"(--max-per-source %u)", src, host, o->max_src);
	else if (rate_take(o->rate_src, host, xf_now()))
		svc_log(addr, "refused: more than %u new connections a minute from %s "
			"(--rate-per-source %u)", o->rate_src, host, o->rate_src);
	else
		return 0;
	return 1;
}

static void start_child(int lfd, int sock, const struct xf_opts *o, struct secx_cfg *cfg,
			xf_conn_fn conn, const sigset_t *orig, const char *host,
			const char *addr)
{
	struct kid *c = NULL;
	int p[2], k;
	pid_t pid;

	for (k = 0; k < XF_MAX_CHILDREN && !c; k++)
		if (!kids[k].pid)
			c = &kids[k];
	if (!c || pipe2(p, O_CLOEXEC)) {
		svc_log(addr, "refused: %s", c ? strerror(errno) : "no free slot");
		close(sock);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(lfd);
		close(p[0]);
		for (k = 0; k < XF_MAX_CHILDREN; k++)
			if (kids[k].pid && kids[k].fd >= 0)
				close(kids[k].fd);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, orig, NULL);
		snprintf(xf_peer, sizeof(xf_peer), "%s: ", addr);
		exit(conn(sock, o, cfg, p[1]) ? 1 : 0);
	}
	close(sock);
	close(p[1]);
	if (pid < 0) {
		svc_log(addr, "refused: fork: %s", strerror(errno));
		close(p[0]);
		return;
	}
	c->pid = pid;
	c->fd = p[0];
	c->authed = 0;
	c->deadline = xf_now() + cfg->timeout_ms / 1000.0 + 1;
	snprintf(c->host, sizeof(c->host), "%s", host);
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
}

static void accept_one(int lfd, const struct xf_opts *o, struct secx_cfg *cfg, xf_conn_fn conn,
		       const sigset_t *orig)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64], src[64], addr[80];
	int sock = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

	if (sock < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		svc_log(NULL, "accept: %s", strerror(errno));
		/* out of descriptors or memory: the backlog waits, we do not spin */
		poll(NULL, 0, 100);
		return;
	}
	peer_names(&ss, sl, host, sizeof(host), addr, sizeof(addr));
	source_of(&ss, host, src, sizeof(src));
	if (over_limit(o, src, addr)) {
		close(sock);
		return;
	}
	start_child(lfd, sock, o, cfg, conn, orig, src, addr);
}

/* Unauthenticated past the deadline (plus a second): the backstop. */
static double expire(void)
{
	double now = xf_now(), next = INFINITY;
	int k;

	for (k = 0; k < XF_MAX_CHILDREN; k++) {
		if (!kids[k].pid || kids[k].authed)
			continue;
		if (kids[k].deadline <= now) {
			kill(kids[k].pid, SIGKILL);
			svc_log(kids[k].addr, "no authentication by the deadline: dropped");
			kids[k].deadline = INFINITY;
		} else if (kids[k].deadline < next) {
			next = kids[k].deadline;
		}
	}
	return next - now;
}

static void stop_children(void)
{
	double until = xf_now() + 10;
	int k, left;

	for (k = 0; k < XF_MAX_CHILDREN; k++)
		if (kids[k].pid)
			kill(kids[k].pid, SIGTERM);
	for (;;) {
		reap();
		for (k = 0, left = 0; k < XF_MAX_CHILDREN; k++)
			left += kids[k].pid != 0;
		if (!left)
			return;
		if (xf_now() > until) {
			for (k = 0; k < XF_MAX_CHILDREN; k++)
				if (kids[k].pid)
					kill(kids[k].pid, SIGKILL);
			until = INFINITY;
		}
		poll(NULL, 0, 20);
	}
}

/*
 * systemd socket activation (sd_listen_fds(3) protocol, no libsystemd):
 * LISTEN_PID is us and LISTEN_FDS >= 1, so fd 3 is our listening socket.
 * The variables are removed so children do not see them.  -1 if not
 * activated.
 */
int xf_activated_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int on = 0, fd = -1;
	socklen_t len = sizeof(on);

	if (pid && fds && strtol(pid, NULL, 10) == (long)getpid() && atoi(fds) >= 1 &&
	    !getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) && on) {
		fd = 3;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return fd;
}

static int listen_socket(const struct xf_opts *o)
{
	char name[80];
	int lfd = o->activated_fd >= 0 ? o->activated_fd : secx_tcp_listen(o->bind, o->port);

	if (lfd < 0)
		return xf_fail("%s", secx_strerror());
	secx_sock_name(lfd, 0, name, sizeof(name));
	if (!o->quiet)
		fprintf(stderr, "%s: listening on %s%s\n", xf_prog, name,
			o->activated_fd >= 0 ? " (socket activation)" : "");
	return lfd;
}

/* --once: one connection, in this process, its result is ours. */
static int serve_once(const struct xf_opts *o, struct secx_cfg *cfg, xf_conn_fn conn)
{
	int lfd = listen_socket(o), sock;

	if (lfd < 0)
		return -1;
	sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	if (sock < 0)
		return xf_fail("accept: %s", strerror(errno));
	return conn(sock, o, cfg, -1);
}

int xf_serve(const struct xf_opts *o, struct secx_cfg *cfg, xf_conn_fn conn)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct pollfd pf[1 + XF_MAX_CHILDREN];
	int map[1 + XF_MAX_CHILDREN];
	sigset_t block, orig;
	struct timespec ts;
	double wait;
	int lfd, k, n, np;

	if (o->once)
		return serve_once(o, cfg, conn);
	for (k = 0; k < XF_MAX_CHILDREN; k++)
		kids[k].fd = -1;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	lfd = listen_socket(o);
	if (lfd < 0)
		return -1;
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	while (!stop_sig) {
		np = 0;
		pf[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (k = 0; k < XF_MAX_CHILDREN; k++) {
			if (kids[k].pid && kids[k].fd >= 0) {
				map[np] = k;
				pf[np++] = (struct pollfd){ .fd = kids[k].fd, .events = POLLIN };
			}
		}
		wait = expire();
		if (wait > 3600)
			wait = 3600;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		n = ppoll(pf, (nfds_t)np, &ts, &orig);
		if (n < 0 && errno != EINTR) {
			xf_fail("poll: %s", strerror(errno));
			break;
		}
		for (k = 1; n > 0 && k < np; k++)
			if (pf[k].revents && kids[map[k]].fd >= 0)
				kid_event(&kids[map[k]]);
		reap();
		if (n > 0 && (pf[0].revents & POLLIN) && !stop_sig)
			accept_one(lfd, o, cfg, conn, &orig);
	}
	close(lfd);
	if (stop_sig && !o->quiet)
		svc_log(NULL, "stopping on signal %d", (int)stop_sig);
	stop_children();
	return stop_sig ? 0 : -1;
}
