/* SPDX-License-Identifier: MIT */
/*
 * libsecx: the secx handshake and the helpers the secx tools share.
 *
 * One call secures a connected TCP socket:
 *
 *	struct secx_cfg cfg = { .auth = SECX_AUTH_ED25519, .key_file = ...,
 *				.known_peers = ..., .peer_name = host };
 *	if (secx_client(fd, &cfg) < 0)
 *		fprintf(stderr, "%s\n", secx_strerror());
 *
 * On success the socket carries SECURE_X records: the secx ULP is attached,
 * TX and RX keys are installed in the kernel, and every later read/write on
 * @fd is plaintext for the application.  The application never sees a key.
 * The handshake reads exactly the bytes of its own messages, so no byte
 * after the handshake is ever consumed by userspace
 * (Documentation/handshake.rst, "Where records begin").
 *
 * Every function returns 0 (or a non-negative value) on success and -1 on
 * failure; secx_strerror() then returns one human-readable line describing
 * the failure (thread-local, valid until the next libsecx call that fails).
 */
#ifndef SECX_LIB_SECX_H
#define SECX_LIB_SECX_H

#include <stddef.h>
#include <stdint.h>

#include <linux/secx.h>

#define SECX_HS_VERSION		2	/* handshake protocol version on the wire */
#define SECX_HS_RANDOM_LEN	32
#define SECX_X25519_LEN		32
#define SECX_ED25519_PUB_LEN	32
#define SECX_FP_LEN		52	/* "SHA256:" + 43 base64 chars + NUL, rounded */
#define SECX_NAME_MAX		255	/* peer names, PSK identities */
#define SECX_DEFAULT_TIMEOUT_MS	10000
/* The one text for a missing module, wherever it is reported. */
#define SECX_MSG_NO_MODULE	"secx kernel module not loaded: run 'modprobe secx' as root"

/* How a side authenticates; both sides must be configured with the same one. */
enum secx_auth {
	SECX_AUTH_PSK		= 1,	/* identity + shared secret from a 0600 file */
	SECX_AUTH_ED25519	= 2,	/* raw Ed25519 keys pinned in a known-peers file */
	SECX_AUTH_X509		= 3,	/* certificates verified against a CA bundle */
	SECX_AUTH_ANON		= 4,	/* no authentication; needs SECX_CFG_ALLOW_ANON */
};

/* struct secx_cfg.flags */
#define SECX_CFG_TOFU		(1U << 0)  /* ed25519: pin an unknown peer's key on first use */
#define SECX_CFG_ALLOW_ANON	(1U << 1)  /* allow SECX_AUTH_ANON (a warning is still printed) */
#ifdef SECX_TESTING	/* test builds only (userspace/Makefile's build/t); never shipped */
#define SECX_CFG_NO_KERNEL	(1U << 2)  /* do not attach the ULP or install keys */
#define SECX_CFG_EXPORT_KEYS	(1U << 3)  /* copy the keys into cfg->session */
#endif

struct secx_creds;

struct secx_session;

struct secx_cfg {
	enum secx_auth auth;
	unsigned int flags;		/* SECX_CFG_* */
	/*
	 * Suites this side accepts, in its preference order; NULL/0 = the
	 * default policy (secx_default_suites()).  The client offers them in
	 * this order, the server picks the first of ITS list the client offered.
	 */
	const uint16_t *suites;
	unsigned int n_suites;
	unsigned int timeout_ms;	/* whole handshake; 0 = SECX_DEFAULT_TIMEOUT_MS */
	/*
	 * Client: the name of the server as dialled (pin name for ed25519,
	 * host name checked in the certificate for x509); required.
	 * Server: optional; x509 (only together with ca_file): the name the
	 * client certificate must carry; ed25519: the only name a client may
	 * present.  Refused with psk and anonymous (nothing authenticates a
	 * name there).  Names: 1..255 printable ASCII bytes, no space, not
	 * starting with '#'.
	 */
	const char *peer_name;
	const char *self_name;		/* ed25519: name we present (default: hostname) */
	const char *psk_file;		/* psk: "IDENTITY HEXSECRET" lines, mode 0600 */
	const char *psk_identity;	/* psk, client: which line (default: the first) */
	const char *key_file;		/* ed25519 / x509: our private key (PEM) */
	const char *known_peers;	/* ed25519: "NAME BASE64KEY" lines */
	const char *cert_file;		/* x509: our certificate chain (PEM, leaf first) */
	const char *ca_file;		/* x509: CA bundle to verify the peer with */
	/* Warnings (anonymous mode, key pinned on first use); NULL = stderr. */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
	struct secx_session *session;	/* optional: filled in on success */
	/* Set by secx_cfg_load(): credentials loaded once; NULL = per handshake. */
	struct secx_creds *creds;
};

/*
 * What the handshake agreed on.  peer_name is only ever an authenticated
 * name: the pinned name (ed25519), the subject of a certificate verified
 * against ca_file (x509, escaped with secx_escape()), the PSK identity;
 * "" when none was authenticated (anonymous, or an x509 server without a
 * CA, where peer_fp alone identifies the client's key).  Names received
 * on the wire are printable ASCII without spaces (checked on receipt).
 * tx/rx are filled only in test builds (SECX_CFG_EXPORT_KEYS).
 */
struct secx_session {
	uint16_t suite;				/* enum secx_suite */
	enum secx_auth auth;
	char peer_name[SECX_NAME_MAX + 1];
	char peer_fp[SECX_FP_LEN];		/* SHA256:... of the peer key/cert, "" if none */
	uint8_t client_random[SECX_HS_RANDOM_LEN];
	/* SECX_CFG_EXPORT_KEYS: exactly what is (or would be) given to the kernel. */
	struct secx_crypto_info tx;
	struct secx_crypto_info rx;
};

/*
 * Load and check every credential @cfg names, once, before listening or
 * connecting: the private key (Ed25519 or X.509, refused if group/other
 * may read it), the certificate chain and that the key matches it, the CA
 * bundle (parsed once, kept), the PSK file (syntax and mode; re-read per
 * handshake so keys can be rotated) and the option combination.  Sets
 * cfg->creds; the handshakes then use them.  0 or -1 (secx_strerror()).
 * secx_cfg_release() frees them.
 */
int secx_cfg_load(struct secx_cfg *cfg, int is_server);
void secx_cfg_release(struct secx_cfg *cfg);

/*
 * Copy @in to @out (@out_len bytes, always NUL-terminated) so it is safe
 * to print: bytes outside 0x20..0x7e and '\\' become \xHH / \\.  Every
 * untrusted string libsecx and the tools print goes through it.
 */
void secx_escape(char *out, size_t out_len, const char *in);

/* Run the handshake on connected stream socket @fd; 0 or -1 (see secx_strerror()). */
int secx_client(int fd, const struct secx_cfg *cfg);
int secx_server(int fd, const struct secx_cfg *cfg);

/* The last error of this thread, one line without a trailing newline. */
const char *secx_strerror(void);

/* Wipe the key material in @s (OPENSSL_cleanse). */
void secx_session_wipe(struct secx_session *s);

/* Suites. */
const char *secx_suite_name(unsigned int id);	/* "aes-128-gcm", NULL if unknown */
int secx_suite_by_name(const char *name);	/* id, or -1 */
/* Parse "a,b,c" into @out (at most @max); number of suites, or -1. */
int secx_suite_parse_list(const char *list, uint16_t *out, unsigned int max);
/* The default policy in preference order; returns its length. */
unsigned int secx_default_suites(const uint16_t **out);

/* Ed25519 identities (secx-handshake genkey / pubkey). */
int secx_key_generate(const char *path);	/* new key, PEM, mode 0600, O_EXCL */
/* Public key of the private key in @path as base64 (45 bytes with NUL). */
int secx_key_public(const char *path, char *b64, size_t b64_len, char *fp, size_t fp_len);
/* secx-handshake genpsk: "IDENTITY <64 hex>" (32 random bytes), mode 0600, O_EXCL. */
int secx_psk_generate(const char *path, const char *identity);

/*
 * Kernel hand-off, used by secx_client/secx_server; exposed so callers that
 * ran their own handshake can install keys the same way.
 * secx_attach() attaches the secx ULP (idempotent; the socket stays plain
 * TCP until keys are installed).  secx_install() attaches if needed, then
 * installs TX and RX and wipes @tx and @rx.
 */
int secx_attach(int fd);
int secx_install(int fd, struct secx_crypto_info *tx, struct secx_crypto_info *rx);

/*
 * SECXKEYLOGFILE: when set, each handshake appends its traffic secrets to
 * that file (mode 0600).  Format: Documentation/handshake.rst, "Key log".
 */
#define SECX_KEYLOG_ENV		"SECXKEYLOGFILE"

/* ---- Helpers shared by the tools (not needed by library users). ---- */

/* TCP: connected socket or listening socket; -1 with secx_strerror() set. */
int secx_tcp_connect(const char *host, const char *port, unsigned int timeout_ms);
int secx_tcp_listen(const char *addr, const char *port);
/* Print "ADDR:PORT" of a socket's local (@peer=0) or remote end into @buf. */
void secx_sock_name(int fd, int peer, char *buf, size_t len);

/*
 * Authentication options common to every tool.  Call for argv[*i]; if it is
 * one of ours, consume it (and its argument), advance *@i and return 1;
 * return 0 if not ours, -1 on a usage error (secx_strerror() set).
 *   --psk FILE  --psk-identity ID  --key FILE  --known-peers FILE  --tofu
 *   --name NAME  --peer-name NAME  --cert FILE  --ca FILE  --anonymous
 *   --suites LIST  --timeout SECONDS
 */
int secx_cli_auth_opt(struct secx_cfg *cfg, int argc, char **argv, int *i);
/* After all options: infer cfg->auth and check the combination; 0 or -1. */
int secx_cli_auth_finish(struct secx_cfg *cfg, int is_server);
/* The usage lines for the options above (for --help). */
extern const char secx_cli_auth_usage[];

#endif /* SECX_LIB_SECX_H */
