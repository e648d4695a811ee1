/* SPDX-License-Identifier: MIT */
/* secx-handshake: one file per subcommand, prototypes grouped by file. */
#ifndef SECX_HANDSHAKE_H
#define SECX_HANDSHAKE_H

#include "secx.h"

#define PROG "secx-handshake"

/* main.c */
void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
int parse_auth(struct secx_cfg *cfg, int argc, char **argv, int *i);

/* exec.c: run CMD with the secured socket as stdin and stdout */
void exec_over(int fd, const struct secx_session *s, char **cmd) __attribute__((noreturn));

/* connect.c, listen.c, fd.c, keys.c */
int connect_main(int argc, char **argv);
int listen_main(int argc, char **argv);
int fd_main(int argc, char **argv);
int genkey_main(int argc, char **argv);
int pubkey_main(int argc, char **argv);
int genpsk_main(int argc, char **argv);

#endif
