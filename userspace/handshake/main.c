// SPDX-License-Identifier: MIT
/*
 * secx-handshake: secure a TCP connection with the secx handshake, then
 * hand the socket (now carrying SECURE_X records) to a command.
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "conf.h"

#ifndef SECX_VERSION
#define SECX_VERSION "0.1"
#endif

static const char usage_text[] =
"Usage:\n"
"  " PROG " connect HOST PORT [AUTH] -- CMD [ARGS...]\n"
"  " PROG " listen [ADDR] PORT [AUTH] [--once] [--max-startups N] -- CMD [ARGS...]\n"
"  " PROG " --fd N [--server] [AUTH]\n"
"  " PROG " genkey [FILE]\n"
"  " PROG " pubkey FILE\n"
"  " PROG " genpsk IDENTITY FILE\n"
"  " PROG " --version | --help\n"
"\n"
"connect  connect, run the handshake as client, exec CMD with the socket on stdin/stdout\n"
"listen   accept connections; per connection: handshake as server, then CMD (forked);\n"
"         at most N (default 10) handshakes at once, each within --timeout\n"
"--fd N   secure the connected socket inherited as fd N (client, or --server), exit 0\n"
"genkey   write a new Ed25519 private key to FILE (mode 0600), print its public key;\n"
"         without FILE: the default identity ~/.config/secx/key (see --config)\n"
"pubkey   print the public key of FILE (for a known-peers line: NAME PUBKEY)\n"
"genpsk   write a new PSK line 'IDENTITY HEX' (32 random bytes) to FILE (mode 0600)\n"
"\n"
"Configuration: /etc/secx/config, then ~/.config/secx/config ($XDG_CONFIG_HOME), give\n"
"defaults for connect, listen and --fd; --config FILE reads only FILE, --no-config none.\n"
"\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "connect", connect_main },
	{ "listen", listen_main },
	{ "genkey", genkey_main },
	{ "pubkey", pubkey_main },
	{ "genpsk", genpsk_main },
	{ "--fd", fd_main },
};

static void usage(FILE *f)
{
	fputs(usage_text, f);
	fputs(secx_cli_auth_usage, f);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see " PROG " --help)\n");
	exit(2);
}

/* One AUTH option at argv[*i]: 1 consumed, 0 not an auth option; exits on errors. */
int parse_auth(struct secx_cfg *cfg, int argc, char **argv, int *i)
{
	int r = secx_cli_auth_opt(cfg, argc, argv, i);

	if (r < 0)
		usage_error("%s", secx_strerror());
	return r;
}

int main(int argc, char **argv)
{
	size_t k;

	if (argc < 2)
		usage_error("missing COMMAND (connect, listen, --fd, genkey, pubkey or genpsk)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf(PROG " %s (handshake protocol %d)\n", SECX_VERSION, SECX_HS_VERSION);
		return 0;
	}
	/* the config file applies to the commands that authenticate */
	if ((!strcmp(argv[1], "connect") || !strcmp(argv[1], "listen") ||
	     !strcmp(argv[1], "--fd")) &&
	    secx_conf_argv(SECX_CONF_HANDSHAKE, argv[1][0] == '-' ? 2 : 1, &argc, &argv))
		usage_error("%s", secx_strerror());
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(argv[1], commands[k].name))
			return commands[k].fn(argc - 1, argv + 1);
	usage_error("unknown command '%s'", argv[1]);
}
