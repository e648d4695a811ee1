// SPDX-License-Identifier: MIT
/*
 * secx-handshake listen [ADDR] PORT [AUTH] [--once] [--max-startups N] -- CMD [ARGS...]
 *
 * Accept loop; each connection gets its own process, which runs the
 * handshake and then becomes CMD, so a slow or hostile client never
 * blocks the next one.  At most --max-startups (default 10) handshakes
 * are in progress at once, each bounded by the handshake deadline
 * (--timeout); connections beyond that are closed at once, like sshd's
 * MaxStartups.  A child leaves the count when it execs CMD or exits: it
 * holds the write end of a close-on-exec pipe whose EOF the loop sees.
 * --once: handle one connection without forking.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "handshake.h"

#define MAX_STARTUPS_DEFAULT	10
#define MAX_STARTUPS_LIMIT	1000

/* Handshake on @fd, report it, then exec @cmd; never returns. */
static void serve(int fd, struct secx_cfg *cfg, char **cmd)
{
	struct secx_session sess = { 0 };
	char addr[80], peer[4 * SECX_NAME_MAX + 1];

	cfg->session = &sess;
	secx_sock_name(fd, 1, addr, sizeof(addr));
	if (secx_server(fd, cfg)) {
		fprintf(stderr, PROG ": %s: %s\n", addr, secx_strerror());
		_exit(1);
	}
	secx_escape(peer, sizeof(peer), sess.peer_name);
	if (peer[0])
		fprintf(stderr, PROG ": %s: peer '%s'%s%s, %s\n", addr, peer,
			sess.peer_fp[0] ? " " : "", sess.peer_fp, secx_suite_name(sess.suite));
	else
		fprintf(stderr, PROG ": %s: peer not named%s%s, %s\n", addr,
			sess.peer_fp[0] ? ", key " : "", sess.peer_fp, secx_suite_name(sess.suite));
	exec_over(fd, &sess, cmd);
}

struct startups {
	struct pollfd *p;	/* [0] the listening socket, then one pipe per handshake */
	unsigned int n, max;
};

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Fork a handshake for @fd, counted until the child execs or exits. */
static void start(struct startups *s, int lfd, int fd, struct secx_cfg *cfg, char **cmd)
{
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(lfd);
		close(pfd[0]);
		serve(fd, cfg, cmd);
	}
	close(pfd[1]);
	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		close(pfd[0]);
		return;
	}
	s->p[s->n].fd = pfd[0];
	s->p[s->n].events = POLLIN;
	s->n++;
}

static int accept_loop(int lfd, struct secx_cfg *cfg, char **cmd, int once, unsigned int max)
{
	struct startups s = { .n = 1, .max = max };
	time_t last_drop = 0;
	char addr[80];
	unsigned int i;
	int fd;

	s.p = calloc(max + 1, sizeof(*s.p));
	if (!s.p) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	s.p[0].fd = lfd;
	s.p[0].events = POLLIN;
	for (;;) {
		reap();
		if (poll(s.p, s.n, 1000) < 0 && errno != EINTR) {
			fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
			return 1;
		}
		for (i = 1; i < s.n; i++) {
			if (!s.p[i].revents)
				continue;
			close(s.p[i].fd);	/* EOF: that handshake is over */
			s.p[i--] = s.p[--s.n];
		}
		if (!(s.p[0].revents & POLLIN))
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			fprintf(stderr, PROG ": accept: %s\n", strerror(errno));
			return 1;
		}
		if (once) {
			close(lfd);
			serve(fd, cfg, cmd);
		}
		if (s.n - 1 >= s.max) {
			/* One line per second at most: a flood must not flood the log. */
			if (time(NULL) != last_drop) {
				secx_sock_name(fd, 1, addr, sizeof(addr));
				fprintf(stderr, PROG ": %s: dropped, %u handshakes in progress "
					"(--max-startups)\n", addr, s.max);
				last_drop = time(NULL);
			}
			close(fd);
			continue;
		}
		start(&s, lfd, fd, cfg, cmd);
		close(fd);
	}
}

int listen_main(int argc, char **argv)
{
	struct secx_cfg cfg = { 0 };
	const char *pos[2] = { NULL, NULL };
	unsigned long max = MAX_STARTUPS_DEFAULT;
	char name[80], *end;
	int i, n = 0, once = 0, lfd;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (parse_auth(&cfg, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--once")) {
			once = 1;
		} else if (!strcmp(argv[i], "--max-startups")) {
			if (i + 1 >= argc)
				usage_error("--max-startups needs a number");
			max = strtoul(argv[++i], &end, 10);
			if (*end || !argv[i][0] || max < 1 || max > MAX_STARTUPS_LIMIT)
				usage_error("invalid --max-startups '%s' (1..%d)", argv[i],
					    MAX_STARTUPS_LIMIT);
		} else if (argv[i][0] == '-') {
			usage_error("unknown option '%s'", argv[i]);
		} else if (n < 2) {
			pos[n++] = argv[i];
		} else {
			usage_error("unexpected argument '%s' (missing '--' before CMD?)", argv[i]);
		}
	}
	if (!n)
		usage_error("listen needs a PORT");
	if (i + 1 >= argc)
		usage_error("listen needs '-- CMD' to run for each connection");
	if (secx_cli_auth_finish(&cfg, 1))
		usage_error("%s", secx_strerror());
	lfd = secx_tcp_listen(n == 2 ? pos[0] : NULL, n == 2 ? pos[1] : pos[0]);
	if (lfd < 0) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	secx_sock_name(lfd, 0, name, sizeof(name));
	fprintf(stderr, PROG ": listening on %s\n", name);
	return accept_loop(lfd, &cfg, argv + i + 1, once, (unsigned int)max);
}
