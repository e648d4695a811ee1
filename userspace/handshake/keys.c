// SPDX-License-Identifier: MIT
/*
 * secx-handshake genkey FILE / pubkey FILE
 *
 * genkey writes a new Ed25519 private key (PEM, mode 0600, never
 * overwriting) and prints its public key like pubkey does.  pubkey prints
 * the base64 public key on stdout (what a known-peers line needs after the
 * peer's name) and its fingerprint on stderr.  genpsk writes a PSK file
 * line "IDENTITY HEX" with 32 random bytes (mode 0600, never overwriting):
 * a PSK must be uniformly random, as anyone who records one handshake can
 * test guesses of it offline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "handshake.h"
#include "conf.h"
#include "hs.h"

static int print_pub(const char *path)
{
	char b64[48], fp[SECX_FP_LEN];

	if (secx_key_public(path, b64, sizeof(b64), fp, sizeof(fp))) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	printf("%s\n", b64);
	fprintf(stderr, "%s\n", fp);
	return 0;
}

/* The default identity's directory: created 0700, an existing one kept as it is. */
static int default_key(char *path, size_t len)
{
	char dir[4096], *slash;

	if (secx_conf_default_key(path, len) || secx_conf_dir(dir, sizeof(dir)))
		return -1;
	for (slash = strchr(dir + 1, '/'); ; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = 0;
		if (mkdir(dir, 0700) && errno != EEXIST)
			return secx_err("cannot create %s: %s", dir, strerror(errno));
		if (!slash)
			return 0;
		*slash = '/';
	}
}

int genkey_main(int argc, char **argv)
{
	char path[4096] = "";

	if (argc > 2)
		usage_error("unexpected argument '%s' (usage: genkey [FILE])", argv[2]);
	if (argc == 2 && !argv[1][0])
		usage_error("empty FILE (usage: genkey [FILE])");
	if (argc == 1 && default_key(path, sizeof(path))) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	if (secx_key_generate(argc == 2 ? argv[1] : path)) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	if (argc == 1)
		fprintf(stderr, PROG ": wrote %s\n", path);
	return print_pub(argc == 2 ? argv[1] : path);
}

int pubkey_main(int argc, char **argv)
{
	if (argc != 2)
		usage_error(argc < 2 ? "pubkey needs FILE" : "unexpected argument '%s' (usage: pubkey FILE)", argv[argc - 1]);
	return print_pub(argv[1]);
}

int genpsk_main(int argc, char **argv)
{
	if (argc != 3)
		usage_error(argc < 3 ? "genpsk needs IDENTITY and FILE" : "unexpected argument '%s' (usage: genpsk IDENTITY FILE)", argv[argc - 1]);
	if (secx_psk_generate(argv[2], argv[1])) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	return 0;
}
