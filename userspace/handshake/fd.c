// SPDX-License-Identifier: MIT
/*
 * secx-handshake --fd N [--server] [AUTH]
 *
 * Secure a connected socket the caller passed down as fd N, then exit 0.
 * The caller shares the socket (same open file), so once we exit it reads
 * and writes plaintext through the kernel record layer.  The caller must
 * not touch the socket until we have exited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "handshake.h"

int fd_main(int argc, char **argv)
{
	struct secx_cfg cfg = { 0 };
	struct stat st;
	char *end;
	long fd;
	int i, server = 0;

	if (argc < 2)
		usage_error("--fd needs a file descriptor number");
	fd = strtol(argv[1], &end, 10);
	if (*end || fd < 0 || fd > 1 << 20)
		usage_error("invalid file descriptor '%s'", argv[1]);
	for (i = 2; i < argc; i++) {
		if (parse_auth(&cfg, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--server"))
			server = 1;
		else if (!strcmp(argv[i], "--client"))
			server = 0;
		else
			usage_error("unexpected argument '%s'", argv[i]);
	}
	if (secx_cli_auth_finish(&cfg, server))
		usage_error("%s", secx_strerror());
	if (fstat((int)fd, &st) || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, PROG ": fd %ld is not an open socket\n", fd);
		return 1;
	}
	if (!server && !cfg.peer_name && cfg.auth != SECX_AUTH_PSK && cfg.auth != SECX_AUTH_ANON) {
		fprintf(stderr, PROG ": --fd as client needs --peer-name (the server's name)\n");
		return 2;
	}
	if (server ? secx_server((int)fd, &cfg) : secx_client((int)fd, &cfg)) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	return 0;
}
