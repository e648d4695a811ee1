// SPDX-License-Identifier: MIT
/*
 * Known peers: the pinned Ed25519 key of each peer name.
 *
 *   # comment
 *   NAME BASE64KEY
 *
 * NAME is 1..255 printable ASCII bytes without spaces, not starting with
 * '#' (the host a client dialled, or the name a client presents);
 * BASE64KEY is the 32-byte raw public key as printed by `secx-handshake
 * pubkey`.  A name may appear on several lines (key rollover): any of its
 * keys matches.  A missing file is an empty one.  Lines have no length
 * limit.  A line that cannot be read is skipped with a file:line warning
 * and blocks trust on first use while it is there (it may be the pin of
 * the peer now asking to be enrolled).  Documentation/handshake.rst,
 * "Pinned Ed25519 keys".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hs.h"

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
	if (!b64 || extra || !hs_name_ok(*name, strlen(*name)) || hs_b64_decode32(b64, key))
		return -1;
	return 1;
}

static void scan_file(const struct secx_cfg *cfg, FILE *f, const char *path, const char *name,
		      const uint8_t pub[32], struct hs_pin_scan *scan)
{
	char *line = NULL, *n;
	size_t cap = 0;
	uint8_t key[32];
	int lineno = 0, r;

	memset(scan, 0, sizeof(*scan));
	scan->result = HS_PIN_UNKNOWN;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		r = parse_line(line, &n, key);
		if (r < 0) {
			if (!scan->bad++)
				scan->first_bad = lineno;
			if (cfg)
				secx_warn(cfg, "%s:%d: malformed line skipped (expected NAME "
					  "BASE64KEY)", path, lineno);
			continue;
		}
		if (r == 0)
			continue;
		scan->entries++;
		if (strcmp(n, name) || scan->result == HS_PIN_MATCH)
			continue;
		if (!CRYPTO_memcmp(key, pub, 32)) {
			scan->result = HS_PIN_MATCH;
		} else {
			memcpy(scan->pinned, key, 32);
			scan->result = HS_PIN_CHANGED;
		}
	}
	free(line);
}

int hs_pin_check(const struct secx_cfg *cfg, const char *path, const char *name,
		 const uint8_t pub[32], struct hs_pin_scan *scan)
{
	FILE *f = fopen(path, "re");

	if (!f) {
		memset(scan, 0, sizeof(*scan));
		scan->result = HS_PIN_UNKNOWN;
		return errno == ENOENT ? 0 :
			secx_err("cannot read known peers %s: %s", path, strerror(errno));
	}
	scan_file(cfg, f, path, name, pub, scan);
	fclose(f);
	return 0;
}

/* flock(LOCK_EX), but a process holding the lock cannot stall us past 2 s. */
static int lock_bounded(int fd)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 200; i++) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		nanosleep(&tick, NULL);
	}
	errno = ETIMEDOUT;
	return -1;
}

/*
 * Append "NAME KEY" under an exclusive flock, after reading the file
 * again under that lock: another handshake may have pinned the name in
 * the meantime (then only the same key is accepted), a line may have been
 * damaged, or the cap reached.
 */
int hs_pin_add(const char *path, const char *name, const uint8_t pub[32])
{
	struct hs_pin_scan scan;
	char b64[48], *line = NULL, last;
	const char *nl = "";
	struct stat sb;
	FILE *f = NULL;
	int fd, n, ret = -1;

	if (!hs_name_ok(name, strlen(name)))
		return hs_check_name("peer name", name);
	if (hs_b64_encode(pub, 32, b64, sizeof(b64)))
		return secx_err("internal error: base64");
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return secx_err("cannot write known peers %s: %s", path, strerror(errno));
	if (lock_bounded(fd)) {
		secx_err("cannot lock known peers %s: %s", path, strerror(errno));
		goto out;
	}
	f = fdopen(dup(fd), "r");
	if (!f) {
		secx_err("cannot read known peers %s: %s", path, strerror(errno));
		goto out;
	}
	scan_file(NULL, f, path, name, pub, &scan);
	if (scan.result == HS_PIN_MATCH) {
		ret = 0;
	} else if (scan.result == HS_PIN_CHANGED) {
		secx_err("'%s' was pinned with another key in %s meanwhile; refusing", name, path);
	} else if (scan.bad) {
		secx_err("%s:%d: line cannot be read; not pinning '%s'", path, scan.first_bad, name);
	} else if (scan.entries >= HS_PIN_MAX_ENTRIES) {
		secx_err("%s already holds %u pins: trust on first use enrolls no more", path,
			 HS_PIN_MAX_ENTRIES);
	} else {
		/* A last line without its newline must not swallow ours. */
		if (!fstat(fd, &sb) && sb.st_size > 0 &&
		    pread(fd, &last, 1, sb.st_size - 1) == 1 && last != '\n')
			nl = "\n";
		n = asprintf(&line, "%s%s %s\n", nl, name, b64);
		if (n < 0 || write(fd, line, (size_t)n) != n || fsync(fd))
			secx_err("cannot write known peers %s: %s", path, strerror(errno));
		else
			ret = 0;
	}
out:
	if (f)
		fclose(f);
	free(line);
	close(fd);
	return ret;
}
