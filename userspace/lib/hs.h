/* SPDX-License-Identifier: MIT */
/*
 * libsecx internals: the handshake's message codec, transcript, key
 * schedule and authentication helpers.  One prototype block per .c file.
 * Byte layouts: Documentation/handshake.rst.  Not installed; tools include
 * only secx.h.
 */
#ifndef SECX_LIB_HS_H
#define SECX_LIB_HS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "secx.h"
#include "suites.h"

/* handshake.rst "Framing" */
#define HS_HDR_LEN		3	/* type(1) || length(2, big endian) */
#define HS_MAX_BODY		16384	/* hard limit on one message body */
#define HS_MAX_MSG		(HS_HDR_LEN + HS_MAX_BODY)
#define HS_MAX_MSGS		8	/* messages in one handshake, both directions */
#define HS_MAX_SUITES		32	/* offered by a client */
#define HS_MAX_CERTS		8	/* certificates in one Identity */
#define HS_MAX_SIG		1024	/* signature bytes (RSA-8192 fits) */
#define HS_MAGIC		"SECX"
#define HS_MAGIC_LEN		4
#define HS_MAX_HASH		64
#define HS_PSK_MIN		16
#define HS_PSK_MAX		64
#define HS_PIN_MAX_ENTRIES	1024	/* trust on first use enrolls no more */

/* Test hooks exist only in -DSECX_TESTING builds (userspace/Makefile). */
#ifdef SECX_TESTING
#define HS_NO_KERNEL(cfg)	((cfg)->flags & SECX_CFG_NO_KERNEL)
#define HS_EXPORT_KEYS(cfg)	((cfg)->flags & SECX_CFG_EXPORT_KEYS)
#define HS_CFG_FLAGS		(SECX_CFG_TOFU | SECX_CFG_ALLOW_ANON | SECX_CFG_NO_KERNEL | \
				 SECX_CFG_EXPORT_KEYS)
#else
#define HS_NO_KERNEL(cfg)	0
#define HS_EXPORT_KEYS(cfg)	0
#define HS_CFG_FLAGS		(SECX_CFG_TOFU | SECX_CFG_ALLOW_ANON)
#endif

/* Credentials loaded once (secx_cfg_load()) or per handshake. */
struct secx_creds {
	int server;
	EVP_PKEY *key;			/* our signing key (ed25519, x509) */
	uint8_t *der[HS_MAX_CERTS];	/* x509: our chain, DER, leaf first */
	size_t der_len[HS_MAX_CERTS];
	unsigned int n_der;
	void *ca;			/* x509: X509_STORE of ca_file */
};

enum hs_type {
	HS_CLIENT_HELLO	= 1,
	HS_SERVER_HELLO	= 2,
	HS_IDENTITY	= 3,
	HS_VERIFY	= 4,
	HS_FINISHED	= 5,
	HS_CONFIRM	= 6,
	HS_ALERT	= 7,
	HS_ENCRYPTED	= 8,	/* version 2: everything after ServerHello but Alert */
};
#define HS_ENC_TAG		16
#define HS_ENC_OVERHEAD		(HS_HDR_LEN + HS_ENC_TAG)

/* handshake.rst "Alert" */
enum hs_alert_code {
	HS_AL_PROTOCOL_VERSION		= 1,
	HS_AL_DECODE_ERROR		= 2,
	HS_AL_UNEXPECTED_MESSAGE	= 3,
	HS_AL_NO_COMMON_SUITE		= 4,
	HS_AL_AUTH_MISMATCH		= 5,
	HS_AL_UNKNOWN_PSK_IDENTITY	= 6,
	HS_AL_BAD_FINISHED		= 7,
	HS_AL_UNKNOWN_PEER		= 8,
	HS_AL_PEER_KEY_CHANGED		= 9,
	HS_AL_BAD_CERTIFICATE		= 10,
	HS_AL_CERTIFICATE_REQUIRED	= 11,
	HS_AL_BAD_SIGNATURE		= 12,
	HS_AL_INTERNAL_ERROR		= 13,
	HS_AL_MAX			= HS_AL_INTERNAL_ERROR,
};

struct hs_client_hello {
	uint16_t version;
	uint8_t random[SECX_HS_RANDOM_LEN];
	uint8_t auth;
	uint8_t n_suites;
	uint16_t suites[HS_MAX_SUITES];
	uint8_t share[SECX_X25519_LEN];
	uint8_t id_len;
	char identity[SECX_NAME_MAX + 1];	/* NUL-terminated copy */
};

struct hs_server_hello {
	uint16_t version;
	uint8_t random[SECX_HS_RANDOM_LEN];
	uint16_t suite;
	uint8_t share[SECX_X25519_LEN];
};

/* Identity, ed25519 method */
struct hs_id_ed25519 {
	uint8_t name_len;
	char name[SECX_NAME_MAX + 1];
	uint8_t pub[SECX_ED25519_PUB_LEN];
};

/* Identity, psk method (server only): its name */
struct hs_id_psk {
	uint8_t name_len;
	char name[SECX_NAME_MAX + 1];
};

/* Identity, x509 method: pointers into the message buffer */
struct hs_id_x509 {
	unsigned int n;
	const uint8_t *der[HS_MAX_CERTS];
	uint16_t len[HS_MAX_CERTS];
};

struct hs_verify {
	uint16_t sig_len;
	const uint8_t *sig;
};

struct hs_alert {
	uint8_t code;
	uint8_t detail_len;
	uint8_t detail[255];
};

/* err.c */
int secx_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int secx_err_ossl(const char *what);
void secx_warn(const struct secx_cfg *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *hs_alert_name(unsigned int code);
const char *hs_type_name(unsigned int type);
const char *hs_auth_name(unsigned int auth);
void hs_hex(char *out, size_t out_len, const uint8_t *in, size_t n);
/* A name (peer name, --name, PSK identity): 1..255 bytes 0x21..0x7e, no leading '#'. */
int hs_name_ok(const char *s, size_t len);
/* 0, or -1 with "invalid @what '<escaped>': ..." set. */
int hs_check_name(const char *what, const char *s);

/* msg.c: encoders return the whole message length (header included) or -1 */
int hs_msg_header(const uint8_t hdr[HS_HDR_LEN], unsigned int *type, size_t *len);
int hs_enc_client_hello(uint8_t *out, size_t cap, const struct hs_client_hello *m);
int hs_enc_server_hello(uint8_t *out, size_t cap, const struct hs_server_hello *m);
int hs_enc_id_ed25519(uint8_t *out, size_t cap, const struct hs_id_ed25519 *m);
int hs_enc_id_x509(uint8_t *out, size_t cap, const struct hs_id_x509 *m);
int hs_enc_id_psk(uint8_t *out, size_t cap, const struct hs_id_psk *m);
int hs_enc_verify(uint8_t *out, size_t cap, const uint8_t *sig, size_t sig_len);
int hs_enc_mac(uint8_t *out, size_t cap, unsigned int type, const uint8_t *mac, size_t len);
int hs_enc_alert(uint8_t *out, size_t cap, const struct hs_alert *m);
/* parsers take the body only and return 0, or -1 with secx_err() set */
int hs_parse_client_hello(const uint8_t *b, size_t len, struct hs_client_hello *m);
int hs_parse_server_hello(const uint8_t *b, size_t len, struct hs_server_hello *m);
int hs_parse_id_ed25519(const uint8_t *b, size_t len, struct hs_id_ed25519 *m);
int hs_parse_id_x509(const uint8_t *b, size_t len, struct hs_id_x509 *m);
int hs_parse_id_psk(const uint8_t *b, size_t len, struct hs_id_psk *m);
int hs_parse_verify(const uint8_t *b, size_t len, struct hs_verify *m);
int hs_parse_mac(const uint8_t *b, size_t len, size_t hash_len, const uint8_t **mac);
int hs_parse_alert(const uint8_t *b, size_t len, struct hs_alert *m);

/* io.c: exact-length socket I/O under one deadline for the whole handshake */
struct hs_io {
	int fd;
	unsigned int timeout_ms;
	struct timespec deadline;
};
void hs_io_init(struct hs_io *io, int fd, unsigned int timeout_ms);
int hs_io_write(struct hs_io *io, const uint8_t *buf, size_t len);
int hs_io_read(struct hs_io *io, uint8_t *buf, size_t len, const char *waiting_for);

/* transcript.c: every handshake byte except alerts, in wire order */
struct hs_transcript {
	uint8_t *buf;
	size_t len;
};
int hs_transcript_init(struct hs_transcript *t);
int hs_transcript_add(struct hs_transcript *t, const uint8_t *msg, size_t len);
int hs_transcript_hash(const struct hs_transcript *t, const char *md, uint8_t *out);
void hs_transcript_free(struct hs_transcript *t);

/* keysched.c: handshake.rst "Key schedule" */
struct hs_keys {
	const struct secx_suite_desc *suite;
	size_t hlen;
	uint8_t hs[HS_MAX_HASH];	/* handshake secret */
	uint8_t c_hs[HS_MAX_HASH];
	uint8_t s_hs[HS_MAX_HASH];
	uint8_t ms[HS_MAX_HASH];	/* main secret */
	uint8_t c_ap[HS_MAX_HASH];	/* client -> server traffic secret */
	uint8_t s_ap[HS_MAX_HASH];	/* server -> client traffic secret */
	uint8_t exp[HS_MAX_HASH];	/* exporter secret: the transfer id */
};
int hs_keys_handshake(struct hs_keys *k, const struct secx_suite_desc *suite,
		      const uint8_t *psk, size_t psk_len, const uint8_t dh[SECX_X25519_LEN],
		      const uint8_t *th_sh);
int hs_keys_mac(const struct hs_keys *k, const char *which, const uint8_t *th,
		uint8_t *mac);
int hs_keys_traffic(struct hs_keys *k, const uint8_t *th_cf);
/* Expand-Label(exp, "transfer id", "", 32): lib/sign.h secx_transfer_id() */
int hs_keys_transfer_id(const struct hs_keys *k, uint8_t id[32]);
void hs_keys_wipe(struct hs_keys *k);

/* kex.c: X25519 and suite choice */
#ifdef SECX_TESTING
extern void (*secx_test_rand)(uint8_t *buf, size_t len);
#endif
int hs_random(uint8_t *buf, size_t len);
int hs_x25519_public(const uint8_t priv[SECX_X25519_LEN], uint8_t pub[SECX_X25519_LEN]);
int hs_x25519_keygen(uint8_t priv[SECX_X25519_LEN], uint8_t pub[SECX_X25519_LEN]);
int hs_x25519(const uint8_t priv[SECX_X25519_LEN], const uint8_t peer[SECX_X25519_LEN],
	      uint8_t out[SECX_X25519_LEN]);
unsigned int hs_suite_select(const uint16_t *mine, unsigned int n_mine,
			     const uint16_t *offered, unsigned int n_offered);
void hs_suite_list_str(char *out, size_t len, const uint16_t *ids, unsigned int n);

/* auth.c: signatures over the transcript, X.509 chain checks */
int hs_sig_input(uint8_t *out, int server, const uint8_t *th, size_t hlen);
int hs_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len);
int hs_verify_sig(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *sig,
		  size_t sig_len);
int hs_x509_verify(const struct hs_id_x509 *id, void *ca_store, const char *name,
		   int peer_is_server, EVP_PKEY **peer_key, char *subject, size_t subj_len);
void *hs_x509_load_ca(const char *ca_file);
void hs_x509_free_ca(void *store);
int hs_x509_load_chain(const char *path, uint8_t **ders, size_t *lens, unsigned int *n);

/* key.c: key files and fingerprints */
EVP_PKEY *hs_key_load(const char *path);	/* refuses group/other-accessible files */
int hs_fingerprint(const uint8_t *data, size_t len, char *fp, size_t fp_len);
int hs_b64_encode(const uint8_t *in, size_t len, char *out, size_t out_len);
int hs_b64_decode32(const char *in, uint8_t out[32]);

/* pin.c: known peers (name -> Ed25519 key) */
enum hs_pin_result { HS_PIN_MATCH, HS_PIN_UNKNOWN, HS_PIN_CHANGED };
struct hs_pin_scan {
	int result;			/* enum hs_pin_result */
	uint8_t pinned[32];		/* HS_PIN_CHANGED: one of the keys pinned */
	unsigned int entries;		/* lines holding a pin */
	unsigned int bad;		/* lines that cannot be read */
	int first_bad;			/* line number of the first of them */
};
/* -1 (error set) if the file cannot be read; malformed lines warn via @cfg. */
int hs_pin_check(const struct secx_cfg *cfg, const char *path, const char *name,
		 const uint8_t pub[32], struct hs_pin_scan *scan);
/* Append under flock after re-checking; -1 if that would break a pin or the cap. */
int hs_pin_add(const char *path, const char *name, const uint8_t pub[32]);

/* psk.c */
int hs_psk_load(const char *path, const char *identity, char *id_out,
		uint8_t *secret, size_t *secret_len);

/* creds.c: option checks and loading credentials */
int hs_cfg_check(const struct secx_cfg *cfg, int server);
int hs_creds_load(const struct secx_cfg *cfg, int server, struct secx_creds **out);
void hs_creds_free(struct secx_creds *c);

/* hsenc.c: version 2's Encrypted messages, one key/iv/seq per direction */
struct hs_dir {
	uint8_t key[32];
	uint8_t iv[12];
	uint64_t seq;
};

/* hs.c: state and steps shared by hs_client.c and hs_server.c */
struct hs_state {
	const struct secx_cfg *cfg;
	int server;
	int received_any;		/* a first message arrived (garbage detection) */
	int alerted;			/* an Alert was sent or received */
	int tofu_pending;		/* pin the peer's key once the handshake succeeds */
	struct hs_io io;
	struct hs_transcript tr;
	uint8_t in[HS_MAX_MSG];		/* the message being received */
	uint8_t flight[2 * HS_MAX_MSG];	/* messages sent together in one write */
	size_t flight_len;
	const uint16_t *policy;		/* our suites, our preference order */
	unsigned int n_policy;
	const struct secx_suite_desc *suite;
	uint8_t x_priv[SECX_X25519_LEN];
	uint8_t x_pub[SECX_X25519_LEN];
	uint8_t psk[HS_PSK_MAX];
	size_t psk_len;
	char psk_id[SECX_NAME_MAX + 1];
	const struct secx_creds *cr;	/* cfg->creds, or own_creds */
	struct secx_creds *own_creds;	/* loaded for this handshake only */
	EVP_PKEY *key;			/* cr->key, borrowed */
	uint8_t peer_pub[SECX_ED25519_PUB_LEN];
	int enc;			/* messages are Encrypted from here on */
	struct hs_dir tx, rx;
	struct hs_keys keys;
	struct secx_session sess;
};
/* Where the next outgoing message is encoded, and the room left. */
#define HS_OUT(st)	((st)->flight + (st)->flight_len)
#define HS_OUT_CAP(st)	(sizeof((st)->flight) - (st)->flight_len - HS_ENC_OVERHEAD)
struct hs_state *hs_new(int fd, const struct secx_cfg *cfg, int server);
void hs_free(struct hs_state *st);
int hs_send(struct hs_state *st, int len);
int hs_flush(struct hs_state *st);
int hs_recv(struct hs_state *st, unsigned int type, const uint8_t **body, size_t *len);
int hs_alert(struct hs_state *st, unsigned int code, const uint8_t *detail, size_t len);
int hs_th(struct hs_state *st, uint8_t *th);
int hs_derive_handshake(struct hs_state *st, const uint8_t peer_share[SECX_X25519_LEN]);
int hs_send_finished(struct hs_state *st, const char *which, unsigned int type);
int hs_recv_finished(struct hs_state *st, const char *which, unsigned int type);
int hs_load_own_key(struct hs_state *st);
int hs_self_name(const struct secx_cfg *cfg, char *out, size_t len);
int hs_send_identity(struct hs_state *st);
int hs_recv_identity(struct hs_state *st);
int hs_pin_pending(struct hs_state *st);
int hs_complete(struct hs_state *st, int fd);
int hs_fail(struct hs_state *st, int fd);
int hs_attach_early(int fd);
int hs_peer_alert_error(struct hs_state *st, const struct hs_alert *al);

int hs_enc_start(struct hs_state *st);
int hs_seal(struct hs_state *st, uint8_t *msg, size_t len);
int hs_open(struct hs_state *st, uint8_t *buf, size_t body_len, size_t *inner_len);

/* keylog.c */
void hs_keylog(const struct secx_cfg *cfg, const uint8_t client_random[32],
	       const struct hs_keys *k);

#endif /* SECX_LIB_HS_H */
