// SPDX-License-Identifier: MIT
/* secx-handshake connect HOST PORT [AUTH] -- CMD [ARGS...] */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "handshake.h"

int connect_main(int argc, char **argv)
{
	struct secx_session sess = { 0 };
	struct secx_cfg cfg = { .session = &sess };
	const char *host = NULL, *port = NULL;
	int i, fd;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (parse_auth(&cfg, argc, argv, &i))
			continue;
		if (argv[i][0] == '-')
			usage_error("unknown option '%s'", argv[i]);
		if (!host)
			host = argv[i];
		else if (!port)
			port = argv[i];
		else
			usage_error("unexpected argument '%s' (missing '--' before CMD?)", argv[i]);
	}
	if (!host || !port)
		usage_error("connect needs HOST and PORT");
	if (i + 1 >= argc)
		usage_error("connect needs '-- CMD' to run over the secured connection");
	if (!cfg.peer_name)
		cfg.peer_name = host;
	if (secx_cli_auth_finish(&cfg, 0))
		usage_error("%s", secx_strerror());
	fd = secx_tcp_connect(host, port, cfg.timeout_ms);
	if (fd < 0 || secx_client(fd, &cfg)) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	exec_over(fd, &sess, argv + i + 1);
}
