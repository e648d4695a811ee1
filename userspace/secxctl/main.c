// SPDX-License-Identifier: MIT
/*
 * secxctl: inspect and tune the secx kernel module through its generic
 * netlink family.  A thin main: global options, then the subcommand table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "secx.h"
#include "nl.h"
#include "secxctl.h"

#define SECXCTL_VERSION "0.1"

bool secxctl_json;
const char *secxctl_prog = "secxctl";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *description;
} commands[] = {
	{ "caps", caps_main, "",
	  "what this kernel supports: ABI version, suites, features, budget bounds" },
	{ "stats", stats_main, "",
	  "counters of this network namespace (as /proc/net/secx_stat)" },
	{ "defaults", defaults_main, "[ show | set { bytes N | records N | seconds N }... ]",
	  "rekey budgets new sockets of this network namespace start with" },
	{ "monitor", monitor_main, "[ --count N ]",
	  "print key updates and receive errors as they happen, one line each" },
};

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "Usage: %s [ --json ] COMMAND [ ARGS ]\n"
		"       %s { --help | --version }\n\nCommands:\n", secxctl_prog, secxctl_prog);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s %s\n      %s\n", commands[i].name, commands[i].args,
			commands[i].description);
	fprintf(f, "\nOptions:\n  --json     machine-readable output (caps, stats, defaults, "
		"monitor)\n\nExit status: 0 success, 1 failure, 2 bad usage. See secxctl(8).\n");
}

int secxctl_error(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", secxctl_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

struct secx_nl *secxctl_open(void)
{
	struct secx_nl *nl = secx_nl_open();

	if (!nl)
		secxctl_error(SECXCTL_FAIL, "%s", secx_strerror());
	return nl;
}

const char *secxctl_suite_name(unsigned int id, char *buf, unsigned int len)
{
	const char *name = secx_suite_name(id);

	if (name)
		return name;
	snprintf(buf, len, "unknown(%u)", id);
	return buf;
}

int main(int argc, char **argv)
{
	unsigned int i;
	int j, n = 0;

	/* Global options may come anywhere; strip them, keep the rest in order. */
	for (j = 1; j < argc; j++) {
		if (!strcmp(argv[j], "--json") || !strcmp(argv[j], "-j")) {
			secxctl_json = true;
		} else if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
			usage(stdout);
			return SECXCTL_OK;
		} else if (!strcmp(argv[j], "--version") || !strcmp(argv[j], "-V")) {
			printf("secxctl %s (secx ABI %d, netlink family \"%s\" version %d)\n",
			       SECXCTL_VERSION, SECX_ABI_VERSION, SECX_GENL_NAME,
			       SECX_GENL_VERSION);
			return SECXCTL_OK;
		} else {
			argv[++n] = argv[j];
		}
	}
	argc = n + 1;
	if (argc < 2)
		return secxctl_error(SECXCTL_USAGE, "missing COMMAND (caps, stats, defaults or "
				     "monitor; see %s --help)", secxctl_prog);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	secxctl_error(SECXCTL_USAGE, "invalid command '%s'", argv[1]);
	usage(stderr);
	return SECXCTL_USAGE;
}
