// SPDX-License-Identifier: MIT
/*
 * Known peers: the pinned Ed25519 key of each peer name.
 *
 *   # comment
 *   NAME BASE64KEY
 *
 * NAME is printable ASCII without spaces (the host a client dialled, or
 * the name a client presents); BASE64KEY is the 32-byte raw public key
 * as printed by `secx-handshake pubkey`.  A name may appear on several
 * lines (key rollover): any of its keys matches.  A missing file is an
 * empty one.  Documentation/handshake.rst, "Pinned Ed25519 keys".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hs.h"

#define PIN_LINE_MAX	(SECX_NAME_MAX + 64)

/* Split one line; 1 if it holds an entry, 0 if blank/comment, -1 if malformed. */
static int parse_line(char *line, char **name, uint8_t key[32])
{
	char *save = NULL, *b64, *extra;

	line[strcspn(line, "\r\n")] = 0;
	*name = strtok_r(line, " \t", &save);
	if (!*name || **name == '#')
		return 0;
	b64 = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (!b64 || extra || strlen(*name) > SECX_NAME_MAX || hs_b64_decode32(b64, key))
		return -1;
	return 1;
}

int hs_pin_check(const char *path, const char *name, const uint8_t pub[32],
		 uint8_t pinned[32])
{
	char line[PIN_LINE_MAX + 2], *n;
	int result = HS_PIN_UNKNOWN, lineno = 0, r;
	uint8_t key[32];
	FILE *f = fopen(path, "r");

	if (!f)
		return errno == ENOENT ? HS_PIN_UNKNOWN :
			secx_err("cannot read known peers %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		r = parse_line(line, &n, key);
		if (r < 0) {
			fclose(f);
			return secx_err("%s:%d: malformed line (expected NAME BASE64KEY)",
					path, lineno);
		}
		if (r == 0 || strcmp(n, name))
			continue;
		if (!CRYPTO_memcmp(key, pub, 32)) {
			result = HS_PIN_MATCH;
			break;
		}
		memcpy(pinned, key, 32);
		result = HS_PIN_CHANGED;
	}
	fclose(f);
	return result;
}

int hs_pin_add(const char *path, const char *name, const uint8_t pub[32])
{
	char b64[48], line[PIN_LINE_MAX];
	int fd, n, ret = 0;

	if (hs_b64_encode(pub, 32, b64, sizeof(b64)))
		return secx_err("internal error: base64");
	n = snprintf(line, sizeof(line), "%s %s\n", name, b64);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return secx_err("cannot write known peers %s: %s", path, strerror(errno));
	flock(fd, LOCK_EX);
	if (write(fd, line, (size_t)n) != n || fsync(fd))
		ret = secx_err("cannot write known peers %s: %s", path, strerror(errno));
	close(fd);
	return ret;
}
