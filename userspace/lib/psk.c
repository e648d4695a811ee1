// SPDX-License-Identifier: MIT
/*
 * Pre-shared keys.  The file holds one key per line:
 *
 *   # comment
 *   IDENTITY HEXSECRET
 *
 * IDENTITY is 1..255 printable ASCII bytes without spaces; HEXSECRET is
 * 16..64 bytes in hex.  The file must not be accessible by group or others
 * (mode 0600 or stricter): it is refused otherwise.  The client uses the
 * line named by --psk-identity, or the first one; the server looks up the
 * identity the client sent.  Documentation/handshake.rst, "PSK".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hs.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int unhex(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex), i;
	int hi, lo;

	if (n % 2 || n / 2 < HS_PSK_MIN || n / 2 > HS_PSK_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static FILE *open_private(const char *path)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		secx_err("cannot open PSK file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		secx_err("PSK file %s is not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & 077) {
		secx_err("PSK file %s has mode %04o: it must not be accessible by group or "
			 "others (chmod 600 %s)", path, (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/*
 * Find @identity (NULL: the first entry); copy the identity found into
 * @id_out (SECX_NAME_MAX + 1 bytes) and the secret into @secret.
 * Returns 0, 1 if the identity is not in the file, -1 on error.
 */
int hs_psk_load(const char *path, const char *identity, char *id_out,
		uint8_t *secret, size_t *secret_len)
{
	char line[SECX_NAME_MAX + 2 * HS_PSK_MAX + 16], *id, *hex, *save;
	char iobuf[4096];	/* our own stdio buffer, so it can be wiped */
	int lineno = 0, ret = 1;
	FILE *f = open_private(path);

	if (!f)
		return -1;
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	while (ret == 1 && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			ret = secx_err("%s:%d: line too long", path, lineno);
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		save = NULL;
		id = strtok_r(line, " \t", &save);
		if (!id || *id == '#')
			continue;
		hex = strtok_r(NULL, " \t", &save);
		if (!hex || strtok_r(NULL, " \t", &save) || !hs_name_ok(id, strlen(id)) ||
		    unhex(hex, secret, secret_len)) {
			ret = secx_err("%s:%d: malformed line (expected IDENTITY HEXSECRET, "
				       "%d..%d bytes)", path, lineno, HS_PSK_MIN, HS_PSK_MAX);
			break;
		}
		if (identity && strcmp(identity, id))
			continue;
		strcpy(id_out, id);
		ret = 0;
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	OPENSSL_cleanse(iobuf, sizeof(iobuf));
	if (ret == 1 && !identity)
		ret = secx_err("PSK file %s has no key", path);
	if (ret)
		OPENSSL_cleanse(secret, HS_PSK_MAX);
	return ret;
}
