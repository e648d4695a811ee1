// SPDX-License-Identifier: MIT
/*
 * lib/conf.c's parser under hostile input, in-process (test_config.sh
 * runs the tools): every accepted form of a line, then 20000 random and
 * mutated files.  Each must be accepted or refused with one line that
 * names FILE:LINE (or the file), never crash, never read past a line.
 * ("\n" in the byte loop ends the line: its rest is an unknown key.)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "secx.h"
#include "tap.h"

static char path[64];

static void put(const void *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, b, n) != (ssize_t)n)
		exit(2);
	close(fd);
}

static int parses(const char *text)
{
	put(text, strlen(text));
	return secx_conf_check_file(path, SECX_CONF_SEND, 1) == 0;
}

int main(void)
{
	static const char *const good[] = {
		"idle-timeout 5\n", "idle-timeout=5\n", "idle-timeout = 5\n", "\tidle-timeout\t5\t\n",
		"# comment\n\n   \n", "identity /a path/with # hash\n", "rekey-bytes 0\n",
		"rekey-seconds 0\n", "tofu no\n", "suites aes-128-gcm,chacha20-poly1305\n",
		"name host.example\n", "idle-timeout 5", "",
	};
	static const char *const bad[] = {
		"idle-timeout 5\r\n", "unknown 1\n", "idle-timeout\n", "idle-timeout =\n",
		"idle-timeout 0\n", "idle-timeout nan\n", "idle-timeout 1e999\n",
		"rekey-bytes 1023\n", "rekey-bytes -1\n", "rekey-records 1\n", "rekey-seconds 1.5\n",
		"max-handshakes 0\n", "tofu maybe\n", "name a b\n", "name #x\n", "suites nope\n",
		"psk-identity \x7f\n", "=5\n", "idle-timeout 5\nidle-timeout 6\n",
	};
	static const char *const words[] = {
		"identity", "known-peers", "tofu", "psk", "psk-identity", "cert", "ca", "name",
		"suites", "timeout", "idle-timeout", "dir", "bind", "max-handshakes",
		"max-per-source", "rekey-bytes", "rekey-records", "rekey-seconds", "=", " ", "\t",
		"#", "\n", "0", "1024", "yes", "no", "/x", "aes-128-gcm", "1e3", "-1", "\x01", "é",
	};
	char buf[8192];
	unsigned int i, j, k, ok = 0, refused = 0, bad_msg = 0;
	size_t n;
	int fd;

	snprintf(path, sizeof(path), "/tmp/secx-conf-test.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return 2;
	close(fd);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		k = parses(good[i]), tap_ok(k, "accepted: '%.*s'", (int)strcspn(good[i], "\n"), good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		k = parses(bad[i]), tap_ok(!k && strstr(secx_strerror(), path) &&
		       strchr(secx_strerror(), ':'),
		       "refused with FILE:LINE: '%.*s' (%s)", (int)strcspn(bad[i], "\r\n"), bad[i],
		       secx_strerror() + (strstr(secx_strerror(), path) ? strlen(path) : 0));
	/* one byte of each value 0..255 inside a valid line */
	for (i = 0, k = 0; i < 256; i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "dir /a%cb\n", (char)i);
		put(buf, n);
		if ((secx_conf_check_file(path, SECX_CONF_SEND, 1) == 0) !=
		    (i == '\t' || i >= 0x20))
			k++;
	}
	tap_ok(k == 0, "every byte value: control bytes refused, the rest kept in a value");
	/* random files built from the grammar's words and random bytes */
	srand(12345);
	for (i = 0; i < 20000; i++) {
		n = 0;
		for (j = rand() % 40; j > 0 && n < sizeof(buf) - 64; j--) {
			if (rand() % 8) {
				const char *w = words[rand() % (sizeof(words) / sizeof(words[0]))];

				memcpy(buf + n, w, strlen(w));
				n += strlen(w);
			} else {
				buf[n++] = (char)(rand() % 256);
			}
			if (rand() % 3 == 0)
				buf[n++] = rand() % 2 ? ' ' : '\n';
		}
		put(buf, n);
		if (secx_conf_check_file(path, SECX_CONF_SEND | SECX_CONF_RECV, 1) == 0) {
			ok++;
		} else {
			refused++;
			if (!strstr(secx_strerror(), path) || strchr(secx_strerror(), '\n'))
				bad_msg++;
		}
	}
	tap_ok(bad_msg == 0, "20000 random files: %u accepted, %u refused, every refusal one "
	       "line naming the file", ok, refused);
	/* a 1023-byte line is fine, 1024 is not; 65536 bytes fine, 65537 not */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "dir ", 4);
	buf[1022] = '\n';
	put(buf, 1023);
	tap_ok(secx_conf_check_file(path, SECX_CONF_RECV, 1) == 0, "a 1022-byte line + newline is accepted");
	buf[1022] = 'a';
	buf[1023] = '\n';
	put(buf, 1024);
	tap_ok(secx_conf_check_file(path, SECX_CONF_RECV, 1) != 0, "a 1024-byte line is refused");
	{
		char *big = malloc(SECX_CONF_FILE_MAX + 1);

		memset(big, '\n', SECX_CONF_FILE_MAX + 1);
		fd = open(path, O_WRONLY | O_TRUNC);
		tap_ok(write(fd, big, SECX_CONF_FILE_MAX) == SECX_CONF_FILE_MAX &&
		       secx_conf_check_file(path, SECX_CONF_RECV, 1) == 0,
		       "65536 bytes of blank lines are accepted");
		tap_ok(write(fd, big, 1) == 1 && secx_conf_check_file(path, SECX_CONF_RECV, 1) != 0,
		       "65537 bytes are refused");
		close(fd);
		free(big);
	}
	unlink(path);
	tap_ok(secx_conf_check_file(path, SECX_CONF_RECV, 0) == 0 &&
	       secx_conf_check_file(path, SECX_CONF_RECV, 1) != 0,
	       "a missing file: empty when optional, an error when named (--config)");
	return tap_done();
}
