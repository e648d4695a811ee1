// SPDX-License-Identifier: MIT
/*
 * Authentication options shared by secx-handshake, secx-send and
 * secx-recv, so every tool spells them the same way.  Keys are always
 * given as files, never on the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs.h"

const char secx_cli_auth_usage[] =
"Authentication (exactly one method, the same on both sides):\n"
"  --psk FILE [--psk-identity ID]   pre-shared key file, lines 'IDENTITY HEXSECRET', mode 0600\n""                                   (secx-handshake genpsk makes one; a PSK must be random)\n"
"  --key FILE --known-peers FILE    Ed25519 key (secx-handshake genkey) and pinned peers\n"
"        [--tofu] [--name NAME]     pin unknown peers on first use; name presented to peers\n"
"  --cert FILE --key FILE --ca FILE X.509 certificate chain, its key, CA bundle for the peer\n"
"                                   (client: --ca alone is enough; server: --ca asks for a\n"
"                                   client certificate)\n"
"  --anonymous                      no authentication at all (prints a warning)\n"
"Other:\n"
"  --peer-name NAME                 name the peer must authenticate as (client default: HOST,\n"
"                                   psk client: the server's --name, no default; x509 server:\n"
"                                   needs --ca; refused on a psk server and with --anonymous)\n"
"  --name NAME                      name presented (ed25519; psk server; default: host name)\n"
"  --suites LIST                    comma-separated suites in preference order\n"
"                                   (default: aes-128-gcm,aes-256-gcm,chacha20-poly1305)\n"
"  --timeout SECONDS                handshake timeout (default 10)\n";

static uint16_t cli_suites[32];
/* cfg->flags bit while parsing: --peer-name was given (not a dialled HOST). */
#define CLI_PEER_NAME_GIVEN	(1U << 31)

/* "--opt VALUE" or "--opt=VALUE"; NULL and an error if the value is missing. */
static const char *value(const char *opt, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *eq = strchr(a, '=');

	if (eq)
		return eq + 1;
	if (*i + 1 >= argc) {
		secx_err("option %s needs a value", opt);
		return NULL;
	}
	return argv[++*i];
}

static int set_timeout(struct secx_cfg *cfg, const char *v)
{
	char *end;
	double s = strtod(v, &end);

	if (*end || s <= 0 || s > 3600)
		return secx_err("invalid --timeout '%s' (seconds, up to 3600)", v);
	cfg->timeout_ms = (unsigned int)(s * 1000);
	return 1;
}

static int set_suites(struct secx_cfg *cfg, const char *v)
{
	int n = secx_suite_parse_list(v, cli_suites, 32);

	if (n < 0)
		return -1;
	cfg->suites = cli_suites;
	cfg->n_suites = (unsigned int)n;
	return 1;
}

int secx_cli_auth_opt(struct secx_cfg *cfg, int argc, char **argv, int *i)
{
	static const char *const with_value[] = {
		"--psk", "--psk-identity", "--key", "--known-peers", "--name", "--peer-name",
		"--cert", "--ca", "--suites", "--timeout",
	};
	const char *a = argv[*i], *v = NULL, *opt = NULL;
	size_t k, n;

	if (!strcmp(a, "--tofu")) {
		cfg->flags |= SECX_CFG_TOFU;
		return 1;
	}
	if (!strcmp(a, "--anonymous")) {
		cfg->flags |= SECX_CFG_ALLOW_ANON;
		return 1;
	}
	for (k = 0; k < sizeof(with_value) / sizeof(with_value[0]) && !opt; k++) {
		n = strlen(with_value[k]);
		if (!strncmp(a, with_value[k], n) && (a[n] == 0 || a[n] == '='))
			opt = with_value[k];
	}
	if (!opt)
		return 0;
	v = value(opt, argc, argv, i);
	if (!v)
		return -1;
	/* Names end up on the wire, in known_peers and in logs: checked here. */
	if (!strcmp(opt, "--peer-name") || !strcmp(opt, "--name") ||
	    !strcmp(opt, "--psk-identity")) {
		if (hs_check_name(opt, v))
			return -1;
	} else if (!*v) {
		return secx_err("option %s needs a non-empty value", opt);
	}
	if (!strcmp(opt, "--peer-name"))
		cfg->flags |= CLI_PEER_NAME_GIVEN;
	if (!strcmp(opt, "--psk")) cfg->psk_file = v;
	else if (!strcmp(opt, "--psk-identity")) cfg->psk_identity = v;
	else if (!strcmp(opt, "--key")) cfg->key_file = v;
	else if (!strcmp(opt, "--known-peers")) cfg->known_peers = v;
	else if (!strcmp(opt, "--name")) cfg->self_name = v;
	else if (!strcmp(opt, "--peer-name")) cfg->peer_name = v;
	else if (!strcmp(opt, "--cert")) cfg->cert_file = v;
	else if (!strcmp(opt, "--ca")) cfg->ca_file = v;
	else if (!strcmp(opt, "--suites")) return set_suites(cfg, v);
	else return set_timeout(cfg, v);
	return 1;
}

#ifdef SECX_TESTING
/*
 * SECX_NO_KERNEL=1, test builds of the tools only (userspace/Makefile's
 * build/t): host tests where secx.ko cannot be loaded.  The handshake
 * runs, no key reaches the kernel and the data is NOT encrypted.  The
 * shipped tools do not contain this code.
 */
static void test_mode(struct secx_cfg *cfg)
{
	const char *v = getenv("SECX_NO_KERNEL");

	if (!v || strcmp(v, "1"))
		return;
	cfg->flags |= SECX_CFG_NO_KERNEL;
	secx_warn(cfg, "SECX_NO_KERNEL=1: TEST MODE, keys are not installed and the data is "
		  "sent UNENCRYPTED");
}
#else
static void test_mode(struct secx_cfg *cfg)
{
}
#endif

int secx_cli_auth_finish(struct secx_cfg *cfg, int is_server)
{
	int psk = cfg->psk_file != NULL;
	int x509 = cfg->cert_file || cfg->ca_file;
	int ed = !x509 && (cfg->key_file || cfg->known_peers);
	int anon = (cfg->flags & SECX_CFG_ALLOW_ANON) != 0;
	int given = (cfg->flags & CLI_PEER_NAME_GIVEN) != 0;

	cfg->flags &= ~CLI_PEER_NAME_GIVEN;

	if (psk + x509 + ed + anon == 0)
		return secx_err("no authentication configured: use --psk, --key with "
				"--known-peers, --cert/--ca, or --anonymous");
	if (psk + x509 + ed + anon > 1)
		return secx_err("conflicting authentication options: choose one of --psk, "
				"--key/--known-peers, --cert/--ca, --anonymous");
	cfg->auth = psk ? SECX_AUTH_PSK : x509 ? SECX_AUTH_X509 :
		    ed ? SECX_AUTH_ED25519 : SECX_AUTH_ANON;
	if (ed && (!cfg->key_file || !cfg->known_peers))
		return secx_err("ed25519 authentication needs both --key and --known-peers");
	if (x509 && is_server && (!cfg->cert_file || !cfg->key_file))
		return secx_err("an x509 server needs --cert and --key");
	if (x509 && !is_server && !cfg->ca_file)
		return secx_err("an x509 client needs --ca to verify the server");
	if (cfg->psk_identity && !psk)
		return secx_err("--psk-identity needs --psk");
	if ((psk || anon) && cfg->peer_name) {
		/* psk client: --peer-name is the server's name, checked (reflection) */
		if (given && (anon || is_server))
			return secx_err("--peer-name cannot be enforced with %s: nothing in it "
					"authenticates a peer name", anon ? "--anonymous" :
					"--psk on a server");
		if (!given)
			cfg->peer_name = NULL;	/* the HOST dialled, often an address */
	}
	if (x509 && is_server && cfg->peer_name && !cfg->ca_file)
		return secx_err("--peer-name on an x509 server needs --ca: without a trust "
				"anchor no certificate name is verified");
	if ((cfg->flags & SECX_CFG_TOFU) && !ed)
		return secx_err("--tofu needs --key and --known-peers");
	if (cfg->self_name && !ed && !(psk && is_server))
		return secx_err("--name is presented only with --key/--known-peers, or by a "
				"--psk server");
	test_mode(cfg);
	/* Every credential loaded and checked now, before listening or connecting. */
	return secx_cfg_load(cfg, is_server);
}
