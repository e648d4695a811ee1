// SPDX-License-Identifier: MIT
/*
 * secx-verify FILE [--sig SIGFILE] [--known-peers FILE]
 *
 * Check a file received with `secx-recv --keep-signatures` long after the
 * connection is gone: FILE.secxsig (or SIGFILE) must be a well-formed
 * signature whose Ed25519 signature over its statement is valid, whose
 * signer key is pinned in known_peers, and whose size and SHA-256 are
 * FILE's.  Documentation/tools.rst, "Signed files".
 * Exit status: 0 valid, 1 invalid (or unreadable), 2 usage error.
 * One line: stdout when valid, stderr otherwise.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hs.h"
#include "conf.h"
#include "sign.h"

#define PROG "secx-verify"
#define VERSION "0.1"

static void usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " FILE [--sig SIGFILE] [--known-peers FILE]\n"
		"       " PROG " -h | --help | --version\n\n"
		"Check FILE against its detached signature (default FILE" SECX_SIG_SUFFIX
		", as stored by\n"
		"secx-recv --keep-signatures) and the signer against known peers.\n"
		"  --sig SIGFILE        the signature file (default FILE" SECX_SIG_SUFFIX ")\n"
		"  --known-peers FILE   pinned peers, lines 'NAME BASE64KEY' (default\n"
		"                       ~/.config/secx/known_peers)\n\n"
		"Exit status: 0 valid, 1 invalid, 2 usage error.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	char esc[256];

	secx_escape(esc, sizeof(esc), arg ? arg : "");
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, esc);
	fprintf(stderr, " (see " PROG " --help)\n");
	return 2;
}

static int invalid(const char *file, const char *why)
{
	char esc[1024], reason[2048];

	secx_escape(esc, sizeof(esc), file);
	secx_escape(reason, sizeof(reason), why);	/* it may quote paths */
	fprintf(stderr, PROG ": %s: INVALID: %s\n", esc, reason);
	return 1;
}

int main(int argc, char **argv)
{
	static char kp_default[4096], sig_default[4200];
	const char *file = NULL, *sig = NULL, *kp = NULL;
	uint8_t blob[SECX_SIG_FILE_MAX + 1];
	char name[SECX_NAME_MAX + 1], fp[SECX_FP_LEN], id[17], path[2 * SECX_SIG_PATH_MAX];
	char recv[2 * SECX_NAME_MAX + 2], esc[1024], when[64];
	struct secx_sig_stmt st;
	struct tm tm;
	time_t t;
	size_t len;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf(PROG " " VERSION " (signature format %s)\n", SECX_SIG_MAGIC);
			return 0;
		} else if (!strcmp(argv[i], "--sig") || !strcmp(argv[i], "--known-peers")) {
			if (i + 1 >= argc || !argv[i + 1][0])
				return usage_error("option %s needs a file name", argv[i]);
			*(argv[i][2] == 's' ? &sig : &kp) = argv[i + 1];
			i++;
		} else if (!strcmp(argv[i], "--")) {
			if (i + 2 != argc || file)
				return usage_error("exactly one FILE%s", "");
			file = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("unknown option '%s'", argv[i]);
		} else if (file) {
			return usage_error("unexpected argument '%s' (one FILE at a time)", argv[i]);
		} else {
			file = argv[i];
		}
	}
	if (!file)
		return usage_error("missing FILE%s", "");
	if (!*file)
		return usage_error("empty FILE%s", "");
	if (!sig) {
		if ((size_t)snprintf(sig_default, sizeof(sig_default), "%s" SECX_SIG_SUFFIX, file) >=
		    sizeof(sig_default))
			return usage_error("FILE name too long%s", "");
		sig = sig_default;
	}
	if (!kp) {
		if (secx_conf_default_known_peers(kp_default, sizeof(kp_default)))
			return usage_error("no --known-peers and %s", secx_strerror());
		kp = kp_default;
	}
	if (secx_sig_read(sig, blob, &len) || secx_sig_open(blob, len, &st) ||
	    secx_sig_signer_name(kp, st.signer, name, sizeof(name)) ||
	    secx_sig_check_content(file, &st))
		return invalid(file, secx_strerror());
	hs_fingerprint(st.signer, 32, fp, sizeof(fp));
	hs_hex(id, sizeof(id), st.transfer_id, 8);
	secx_escape(path, sizeof(path), st.path);
	secx_escape(recv, sizeof(recv), st.receiver);
	secx_escape(esc, sizeof(esc), file);
	t = (time_t)st.mtime_sec;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(when, sizeof(when), "%lld", (long long)st.mtime_sec);
	printf("%s: valid: signed by %s %s as '%s', %llu bytes, mtime %s, for %s, "
	       "transfer %s\n", esc, name, fp, path, (unsigned long long)st.size, when, recv, id);
	return 0;
}
