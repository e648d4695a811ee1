// SPDX-License-Identifier: MIT
/*
 * secx-handshake listen [ADDR] PORT [AUTH] [--once] -- CMD [ARGS...]
 *
 * Accept loop; each connection gets its own process, which runs the
 * handshake and then becomes CMD, so a slow or hostile client never
 * blocks the next one.  --once: handle one connection without forking.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handshake.h"

/* Handshake on @fd, report it, then exec @cmd; never returns. */
static void serve(int fd, struct secx_cfg *cfg, char **cmd)
{
	struct secx_session sess = { 0 };
	char addr[80];

	cfg->session = &sess;
	secx_sock_name(fd, 1, addr, sizeof(addr));
	if (secx_server(fd, cfg)) {
		fprintf(stderr, PROG ": %s: %s\n", addr, secx_strerror());
		_exit(1);
	}
	fprintf(stderr, PROG ": %s: peer '%s'%s%s, %s\n", addr, sess.peer_name,
		sess.peer_fp[0] ? " " : "", sess.peer_fp, secx_suite_name(sess.suite));
	exec_over(fd, &sess, cmd);
}

static int accept_loop(int lfd, struct secx_cfg *cfg, char **cmd, int once)
{
	pid_t pid;
	int fd;

	signal(SIGCHLD, SIG_IGN);	/* children are reaped automatically */
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, PROG ": accept: %s\n", strerror(errno));
			return 1;
		}
		if (once) {
			close(lfd);
			serve(fd, cfg, cmd);
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			serve(fd, cfg, cmd);
		}
		if (pid < 0)
			fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		close(fd);
	}
}

int listen_main(int argc, char **argv)
{
	struct secx_cfg cfg = { 0 };
	const char *pos[2] = { NULL, NULL };
	char name[80];
	int i, n = 0, once = 0, lfd;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (parse_auth(&cfg, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--once"))
			once = 1;
		else if (argv[i][0] == '-')
			usage_error("unknown option '%s'", argv[i]);
		else if (n < 2)
			pos[n++] = argv[i];
		else
			usage_error("unexpected argument '%s' (missing '--' before CMD?)", argv[i]);
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
	return accept_loop(lfd, &cfg, argv + i + 1, once);
}
