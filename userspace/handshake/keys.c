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
#include <stdio.h>

#include "handshake.h"

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

int genkey_main(int argc, char **argv)
{
	if (argc != 2)
		usage_error("usage: genkey FILE");
	if (secx_key_generate(argv[1])) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	return print_pub(argv[1]);
}

int pubkey_main(int argc, char **argv)
{
	if (argc != 2)
		usage_error("usage: pubkey FILE");
	return print_pub(argv[1]);
}

int genpsk_main(int argc, char **argv)
{
	if (argc != 3)
		usage_error("usage: genpsk IDENTITY FILE");
	if (secx_psk_generate(argv[2], argv[1])) {
		fprintf(stderr, PROG ": %s\n", secx_strerror());
		return 1;
	}
	return 0;
}
