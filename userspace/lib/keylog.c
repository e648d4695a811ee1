// SPDX-License-Identifier: MIT
/*
 * SECXKEYLOGFILE: append each connection's traffic secrets for debugging
 * captures (e.g. a Wireshark dissector).  Off unless the variable is set.
 * Format (Documentation/handshake.rst, "Key log"), one line each:
 *
 *   SECX_SUITE <client_random> <suite name>
 *   SECX_CLIENT_TRAFFIC_SECRET <client_random> <client->server secret>
 *   SECX_SERVER_TRAFFIC_SECRET <client_random> <server->client secret>
 *
 * in lower-case hex; client_random identifies the connection.  The file
 * is created with mode 0600; an existing one must be a regular file owned
 * by us and closed to group and others, or nothing is written (warning).
 * Anyone who can read it can decrypt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hs.h"

/* Secrets go only to a regular file of ours that nobody else can read. */
static const char *key_log_unsafe(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != geteuid())
		return "owned by another user";
	if (st.st_mode & 077)
		return "accessible by group or others (chmod 600)";
	return NULL;
}

void hs_keylog(const struct secx_cfg *cfg, const uint8_t client_random[32],
	       const struct hs_keys *k)
{
	char cr[2 * SECX_HS_RANDOM_LEN + 1], cs[2 * HS_MAX_HASH + 1], ss[2 * HS_MAX_HASH + 1];
	char buf[600];
	const char *path = getenv(SECX_KEYLOG_ENV), *why;
	int fd, n;

	if (!path || !*path)
		return;
	hs_hex(cr, sizeof(cr), client_random, SECX_HS_RANDOM_LEN);
	hs_hex(cs, sizeof(cs), k->c_ap, k->hlen);
	hs_hex(ss, sizeof(ss), k->s_ap, k->hlen);
	n = snprintf(buf, sizeof(buf),
		     "SECX_SUITE %s %s\nSECX_CLIENT_TRAFFIC_SECRET %s %s\n"
		     "SECX_SERVER_TRAFFIC_SECRET %s %s\n", cr, k->suite->name, cr, cs, cr, ss);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		  0600);
	why = fd < 0 ? strerror(errno) : key_log_unsafe(fd);
	if (!why && (flock(fd, LOCK_EX) || write(fd, buf, (size_t)n) != n))
		why = strerror(errno);
	if (why)
		secx_warn(cfg, "not writing the key log %s: %s", path, why);
	else
		secx_warn(cfg, "traffic secrets written to %s=%s", SECX_KEYLOG_ENV, path);
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(cs, sizeof(cs));
	OPENSSL_cleanse(ss, sizeof(ss));
	OPENSSL_cleanse(buf, sizeof(buf));
}
