// SPDX-License-Identifier: MIT
/*
 * Handshake test vectors (Documentation/handshake.rst, "Test vectors").
 *
 * A handshake with deterministic randomness runs through a recording relay.
 * The test then (1) recomputes the whole key schedule from the recorded
 * bytes with OpenSSL's own HKDF (EVP_KDF "HKDF", not lib/kdf.c) and checks
 * the Finished/Confirm MACs on the wire and the traffic secrets against
 * it, so the code and the spec agree, and (2) compares everything with
 * the frozen values below, which the spec prints.
 * `test_hs_vectors --print` prints the vectors for the spec.
 */
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "hs.h"
#include "hs_fixture.h"

static int print_mode;
static uint8_t rng_next;

/* Randomness = 00 01 02 ...: client random, client X25519, server random, server X25519. */
static void counter_rand(uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = rng_next++;
}

/* ---- an independent key schedule ---- */

static void hkdf(const char *md, int mode, const uint8_t *salt, size_t salt_len,
		 const uint8_t *key, size_t key_len, const uint8_t *info, size_t info_len,
		 uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[6], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt_len)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	if (info_len)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, p) <= 0)
		memset(out, 0xee, out_len);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
}

static void extract(const char *md, size_t L, const uint8_t *salt, const uint8_t *ikm,
		    size_t ikm_len, uint8_t *out)
{
	static const uint8_t zeros[64];

	hkdf(md, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt ? salt : zeros, L, ikm, ikm_len, NULL, 0,
	     out, L);
}

/* HkdfLabel = u16 len || u8 n || "secx " label || u8 ctx_len || ctx */
static void xlabel(const char *md, size_t L, const uint8_t *secret, const char *label,
		   const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len)
{
	uint8_t info[300];
	size_t n = 0, ll = strlen(label);

	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(5 + ll);
	memcpy(info + n, "secx ", 5);
	memcpy(info + n + 5, label, ll);
	n += 5 + ll;
	info[n++] = (uint8_t)ctx_len;
	memcpy(info + n, ctx, ctx_len);
	n += ctx_len;
	hkdf(md, EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, secret, L, info, n, out, out_len);
}

static void mac(const char *md, size_t L, const uint8_t *base, const char *label,
		const uint8_t *th, uint8_t *out)
{
	uint8_t key[64];
	size_t n;

	xlabel(md, L, base, label, NULL, 0, key, L);
	EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, L, th, L, out, L, &n);
}

static void th(const char *md, const uint8_t *tr, size_t len, uint8_t *out)
{
	EVP_Digest(tr, len, out, NULL, EVP_get_digestbyname(md), NULL);
}

/* ---- one vector ---- */

struct vec {
	const char *name;
	uint16_t suite;
	const char *c2s_sha256;		/* SHA-256 of each direction's bytes */
	const char *s2c_sha256;
	const char *c_ap, *s_ap;	/* traffic secrets */
	const char *c_key, *c_iv;	/* client -> server key and iv */
};

static size_t msg_len(const uint8_t *m)
{
	return HS_HDR_LEN + ((size_t)m[1] << 8 | m[2]);
}

static void hex(const char *label, const uint8_t *b, size_t n)
{
	size_t i;

	printf("%s", label);
	for (i = 0; i < n; i++)
		printf("%s%02x", i && i % 32 == 0 ? "\n    " : "", b[i]);
	printf("\n");
}

static int eq_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[64];

	return want && tap_unhex(want, w, sizeof(w)) == n && tap_mem_eq(got, w, n);
}

/* Recompute from the recorded PSK handshake: CH SH sFin | cFin | Confirm. */
static int recompute(const struct vec *v, const struct fx_relay *r, const struct fx_side *c,
		     const uint8_t *psk, size_t psk_len, uint8_t *c_ap, uint8_t *s_ap)
{
	const struct secx_suite_desc *s = secx_suite_find(v->suite);
	const char *md = s->hash_alg;
	size_t L = s->hash_len, ch = msg_len(r->c2s), sh = msg_len(r->s2c);
	size_t sf = msg_len(r->s2c + sh), cf = msg_len(r->c2s + ch);
	uint8_t tr[4096], cpriv[32], spub[32], dh[32], early[64], der[64], hs[64], ms[64];
	uint8_t c_hs[64], s_hs[64], t[64], m[64], zeros[64] = { 0 };
	int ok;

	for (size_t i = 0; i < 32; i++)
		cpriv[i] = (uint8_t)(32 + i);		/* the counter's second draw */
	memcpy(spub, r->s2c + HS_HDR_LEN + 4 + 2 + 32 + 2, 32);
	ok = !hs_x25519(cpriv, spub, dh);
	memcpy(tr, r->c2s, ch);
	memcpy(tr + ch, r->s2c, sh);
	extract(md, L, NULL, psk_len ? psk : zeros, psk_len ? psk_len : L, early);
	xlabel(md, L, early, "derived", NULL, 0, der, L);
	extract(md, L, der, dh, 32, hs);
	th(md, tr, ch + sh, t);
	xlabel(md, L, hs, "c hs", t, L, c_hs, L);
	xlabel(md, L, hs, "s hs", t, L, s_hs, L);
	mac(md, L, s_hs, "finished", t, m);
	ok = ok && !memcmp(m, r->s2c + sh + HS_HDR_LEN, L);
	memcpy(tr + ch + sh, r->s2c + sh, sf);
	th(md, tr, ch + sh + sf, t);
	mac(md, L, c_hs, "finished", t, m);
	ok = ok && !memcmp(m, r->c2s + ch + HS_HDR_LEN, L);
	memcpy(tr + ch + sh + sf, r->c2s + ch, cf);
	th(md, tr, ch + sh + sf + cf, t);
	mac(md, L, s_hs, "confirm", t, m);
	ok = ok && !memcmp(m, r->s2c + sh + sf + HS_HDR_LEN, L);
	xlabel(md, L, hs, "derived", NULL, 0, der, L);
	extract(md, L, der, zeros, L, ms);
	xlabel(md, L, ms, "c ap", t, L, c_ap, L);
	xlabel(md, L, ms, "s ap", t, L, s_ap, L);
	xlabel(md, L, c_ap, "key", NULL, 0, m, s->enc_key_len + s->mac_key_len);
	ok = ok && !memcmp(m, c->sess.tx.key, s->enc_key_len + s->mac_key_len);
	xlabel(md, L, c_ap, "iv", NULL, 0, m, 12);
	ok = ok && !memcmp(m, c->sess.tx.iv, 12);
	if (print_mode) {
		hex("x25519 shared secret:\n    ", dh, 32);
		hex("early secret:\n    ", early, L);
		hex("handshake secret:\n    ", hs, L);
		hex("c_hs:\n    ", c_hs, L);
		hex("s_hs:\n    ", s_hs, L);
		hex("main secret:\n    ", ms, L);
		hex("TH(..client Finished):\n    ", t, L);
	}
	return ok;
}

static void print_vector(const struct vec *v, const struct fx_relay *r, const struct fx_side *c)
{
	size_t ch = msg_len(r->c2s), sh = msg_len(r->s2c), sf = msg_len(r->s2c + sh);

	printf("== %s ==\n", v->name);
	hex("ClientHello:\n    ", r->c2s, ch);
	hex("ServerHello:\n    ", r->s2c, sh);
	hex("server Finished:\n    ", r->s2c + sh, sf);
	hex("client Finished:\n    ", r->c2s + ch, r->n_c2s - ch);
	hex("Confirm:\n    ", r->s2c + sh + sf, r->n_s2c - sh - sf);
	hex("c_ap (client->server traffic secret):\n    ", c->sess.tx.secret, c->sess.tx.secret_len);
	hex("s_ap (server->client traffic secret):\n    ", c->sess.rx.secret, c->sess.rx.secret_len);
	hex("client->server key:\n    ", c->sess.tx.key, c->sess.tx.key_len);
	hex("client->server iv:\n    ", c->sess.tx.iv, 12);
	hex("server->client key:\n    ", c->sess.rx.key, c->sess.rx.key_len);
	hex("server->client iv:\n    ", c->sess.rx.iv, 12);
}

static void run(const struct vec *v, const char *psk_hex)
{
	static struct fx_relay r;
	uint8_t psk[64], c_ap[64], s_ap[64], d[32];
	size_t psk_len = psk_hex ? tap_unhex(psk_hex, psk, sizeof(psk)) : 0;
	struct fx_side c, s;
	char line[200];
	size_t L;

	memset(&r, 0, sizeof(r));
	r.flip_c2s = r.flip_s2c = -1;
	fx_init(&c, psk_hex ? SECX_AUTH_PSK : SECX_AUTH_ANON);
	fx_init(&s, psk_hex ? SECX_AUTH_PSK : SECX_AUTH_ANON);
	c.cfg.flags |= SECX_CFG_ALLOW_ANON;
	s.cfg.flags |= SECX_CFG_ALLOW_ANON;
	if (psk_hex) {
		snprintf(line, sizeof(line), "client1 %s\n", psk_hex);
		fx_write("psk", line, 0600);
		c.cfg.psk_file = s.cfg.psk_file = fx_path("psk");
		s.cfg.self_name = "server1";	/* the name in its ServerHello */
	}
	c.cfg.suites = s.cfg.suites = &v->suite;
	c.cfg.n_suites = s.cfg.n_suites = 1;
	rng_next = 0;
	secx_test_rand = counter_rand;
	fx_handshake(&c, &s, &r);
	secx_test_rand = NULL;
	if (!tap_ok(fx_keys_match(&c, &s), "%s: handshake completes", v->name)) {
		FX_DIAG(&c, &s);
		return;
	}
	L = c.sess.tx.secret_len;
	if (print_mode)
		print_vector(v, &r, &c);
	tap_ok(recompute(v, &r, &c, psk, psk_len, c_ap, s_ap) &&
	       !memcmp(c_ap, c.sess.tx.secret, L) && !memcmp(s_ap, c.sess.rx.secret, L),
	       "%s: MACs on the wire and traffic keys match an independent key schedule", v->name);
	EVP_Digest(r.c2s, r.n_c2s, d, NULL, EVP_sha256(), NULL);
	if (print_mode)
		hex("SHA-256(client->server bytes): ", d, 32);
	tap_ok(eq_hex(d, 32, v->c2s_sha256), "%s: client->server bytes as frozen", v->name);
	EVP_Digest(r.s2c, r.n_s2c, d, NULL, EVP_sha256(), NULL);
	if (print_mode)
		hex("SHA-256(server->client bytes): ", d, 32);
	tap_ok(eq_hex(d, 32, v->s2c_sha256), "%s: server->client bytes as frozen", v->name);
	tap_ok(eq_hex(c.sess.tx.secret, L, v->c_ap) && eq_hex(c.sess.rx.secret, L, v->s_ap),
	       "%s: traffic secrets as frozen", v->name);
	tap_ok(eq_hex(c.sess.tx.key, c.sess.tx.key_len, v->c_key) &&
	       eq_hex(c.sess.tx.iv, 12, v->c_iv), "%s: client->server key and iv as frozen",
	       v->name);
}

static const struct vec psk_vec = {
	.name = "psk, aes-128-gcm",
	.suite = SECX_SUITE_AES_128_GCM_SHA256,
	.c2s_sha256 = "975d7103e53394fee8a55678b7f0a85c0a57ba9c55677fcde34bcf6e1a0e4a0a",
	.s2c_sha256 = "1d2499db55dccd745ba48c383600e6642ee3788b06e868654d4a8ffbcadc8fc3",
	.c_ap = "28e598a995c978423cced572b9ff30937aaa3a5882213df3f534620f5417f8a6",
	.s_ap = "b0ed68c701cf87a28a5d4e7e2288b1f9590ecc3f9c8e7c72607d0e5a3348aa1d",
	.c_key = "98bd444add70435d9065d0f2c29bfacf",
	.c_iv = "6ecee76410757fa180b13a05",
};

static const struct vec anon_vec = {
	.name = "anonymous, aes-256-gcm",
	.suite = SECX_SUITE_AES_256_GCM_SHA384,
	.c2s_sha256 = "d9908fe75a03be11ad61beb2e1f8173c2a87131d780822e517ea84ed190bfea7",
	.s2c_sha256 = "73600df8cff3a245a811e3e20ecfc10ccc346818c5408b53a68fa57d180b78ac",
	.c_ap = "2c827ba150767cdced330ece82d780b201258237c232c348b9b981ca42713562"
		"8e7a346be608b7a1e266857975891acd",
	.s_ap = "0b3b72bb2149d66bdebfa5cff46b2b4f960586b73ed1a6deb6425ae3a0328a69"
		"7772b442937768790b2b6065c7b8ec10",
	.c_key = "9025c8cb28fc23ecdac2fcedea61da3dcdbd142447994a95b118cef578c4df5c",
	.c_iv = "66bdc6d19632eb328afb61f1",
};

int main(int argc, char **argv)
{
	print_mode = argc > 1 && !strcmp(argv[1], "--print");
	fx_mkdir();
	run(&psk_vec, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	run(&anon_vec, NULL);
	return tap_done();
}
