// SPDX-License-Identifier: MIT
/*
 * Hand the secured socket to CMD as stdin and stdout, with what the
 * handshake established in the environment:
 *   SECX_PEER, SECX_PEER_FINGERPRINT, SECX_SUITE, SECX_PEER_ADDR
 * SECX_PEER is only ever an authenticated name ("" when none was: an
 * x509 server without --ca, anonymous); libsecx checked names received on
 * the wire (printable ASCII, no spaces) and escaped certificate subjects.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handshake.h"

/* CMD starts with default signal dispositions and nothing blocked. */
static void reset_signals(void)
{
	sigset_t none;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void exec_over(int fd, const struct secx_session *s, char **cmd)
{
	char addr[80];

	secx_sock_name(fd, 1, addr, sizeof(addr));
	setenv("SECX_PEER", s->peer_name, 1);
	setenv("SECX_PEER_FINGERPRINT", s->peer_fp, 1);
	setenv("SECX_SUITE", secx_suite_name(s->suite) ? secx_suite_name(s->suite) : "", 1);
	setenv("SECX_PEER_ADDR", addr, 1);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0) {
		fprintf(stderr, PROG ": dup2: %s\n", strerror(errno));
		_exit(1);
	}
	if (fd > 1)
		close(fd);
	reset_signals();
	execvp(cmd[0], cmd);
	fprintf(stderr, PROG ": cannot run %s: %s\n", cmd[0], strerror(errno));
	_exit(127);
}
