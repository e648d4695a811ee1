/* SPDX-License-Identifier: MIT */
/*
 * secxctl: one function per subcommand, <name>_main(argc, argv) with argv[0]
 * the subcommand itself; each returns an exit status (0 ok, 1 failed,
 * 2 bad usage).
 */
#ifndef SECXCTL_H
#define SECXCTL_H

#include <stdbool.h>

#define SECXCTL_OK	0
#define SECXCTL_FAIL	1
#define SECXCTL_USAGE	2

extern bool secxctl_json;	/* --json anywhere on the command line */
extern const char *secxctl_prog;

int caps_main(int argc, char **argv);
int stats_main(int argc, char **argv);
int defaults_main(int argc, char **argv);
int monitor_main(int argc, char **argv);

/* main.c: "secxctl: <msg>" on stderr; returns @status. */
int secxctl_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Open the netlink family or print why not (NULL). */
struct secx_nl *secxctl_open(void);
const char *secxctl_suite_name(unsigned int id, char *buf, unsigned int len);

#endif /* SECXCTL_H */
