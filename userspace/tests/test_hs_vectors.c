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

/* ChaCha20-Poly1305 open of one Encrypted message @m, independently of lib/hsenc.c. */
static int open_msg(const uint8_t key[32], const uint8_t iv[12], uint64_t seq, const uint8_t *m,
		    uint8_t *out, size_t *out_len)
{
	size_t body = msg_len(m) - HS_HDR_LEN, len;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t n[12];
	int o, ok, i;

	if (m[0] != 8 || body < 16 + HS_HDR_LEN) {
		EVP_CIPHER_CTX_free(c);
		return 0;
	}
	len = body - 16;
	memcpy(n, iv, 12);
	for (i = 0; i < 8; i++)
		n[11 - i] ^= (uint8_t)(seq >> (8 * i));
	ok = EVP_DecryptInit_ex(c, EVP_chacha20_poly1305(), NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
	     EVP_DecryptInit_ex(c, NULL, NULL, key, n) &&
	     EVP_DecryptUpdate(c, NULL, &o, m, HS_HDR_LEN) &&
	     EVP_DecryptUpdate(c, out, &o, m + HS_HDR_LEN, (int)len) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(m + HS_HDR_LEN + len)) &&
	     EVP_DecryptFinal_ex(c, out + len, &o) > 0;
	EVP_CIPHER_CTX_free(c);
	*out_len = len;
	return ok && msg_len(out) == len;
}

/*
 * Recompute from the recorded handshake (psk: server Identity, anonymous:
 * none): c2s = CH Enc(cFin); s2c = SH [Enc(Identity)] Enc(sFin) Enc(Confirm).
 * With @print, print every wire message and the inner message it carries.
 */
static int recompute(const struct vec *v, const struct fx_relay *r, const struct fx_side *c,
		     const uint8_t *psk, size_t psk_len, uint8_t *c_ap, uint8_t *s_ap)
{
	const struct secx_suite_desc *s = secx_suite_find(v->suite);
	const char *md = s->hash_alg;
	size_t L = s->hash_len, ch = msg_len(r->c2s), sh = msg_len(r->s2c), n = 0, k;
	uint8_t tr[4096], cpriv[32], spub[32], dh[32], early[64], der[64], hs[64], ms[64];
	uint8_t c_hs[64], s_hs[64], t[64], m[64], zeros[64] = { 0 };
	uint8_t ck[32], civ[12], sk[32], siv[12], in[4096];
	const uint8_t *sp = r->s2c + sh, *cp = r->c2s + ch;
	const char *names[] = { "server Identity", "server Finished", "Confirm" };
	uint64_t sseq = 0;
	int ok, i, first = psk_len ? 0 : 1;

	for (i = 0; i < 32; i++)
		cpriv[i] = (uint8_t)(32 + i);		/* the counter's second draw */
	memcpy(spub, r->s2c + HS_HDR_LEN + 4 + 2 + 32 + 2, 32);
	ok = !hs_x25519(cpriv, spub, dh);
	memcpy(tr, r->c2s, ch);
	memcpy(tr + ch, r->s2c, sh);
	n = ch + sh;
	extract(md, L, NULL, psk_len ? psk : zeros, psk_len ? psk_len : L, early);
	xlabel(md, L, early, "derived", NULL, 0, der, L);
	extract(md, L, der, dh, 32, hs);
	th(md, tr, n, t);
	xlabel(md, L, hs, "c hs", t, L, c_hs, L);
	xlabel(md, L, hs, "s hs", t, L, s_hs, L);
	xlabel(md, L, c_hs, "hs key", NULL, 0, ck, 32);
	xlabel(md, L, c_hs, "hs iv", NULL, 0, civ, 12);
	xlabel(md, L, s_hs, "hs key", NULL, 0, sk, 32);
	xlabel(md, L, s_hs, "hs iv", NULL, 0, siv, 12);
	if (print_mode) {
		printf("== %s ==\n", v->name);
		hex("ClientHello:\n    ", r->c2s, ch);
		hex("ServerHello:\n    ", r->s2c, sh);
	}
	/* server: [Identity] Finished */
	for (i = first; i < 2 && ok; i++) {
		ok = open_msg(sk, siv, sseq++, sp, in, &k);
		if (print_mode) {
			printf("Encrypted (%s):\n    ", names[i]);
			hex("", sp, msg_len(sp));
			printf("  inner %s:\n    ", names[i]);
			hex("", in, k);
		}
		if (i == 1) {	/* server Finished over TH(..message before it) */
			th(md, tr, n, t);
			mac(md, L, s_hs, "finished", t, m);
			ok = ok && k == HS_HDR_LEN + L && in[0] == 5 && !memcmp(m, in + HS_HDR_LEN, L);
		} else {
			ok = ok && in[0] == 3;
		}
		memcpy(tr + n, in, k);
		n += k;
		sp += msg_len(sp);
	}
	/* client Finished */
	ok = ok && open_msg(ck, civ, 0, cp, in, &k);
	if (print_mode) {
		hex("Encrypted (client Finished):\n    ", cp, msg_len(cp));
		hex("  inner client Finished:\n    ", in, k);
	}
	th(md, tr, n, t);
	mac(md, L, c_hs, "finished", t, m);
	ok = ok && in[0] == 5 && !memcmp(m, in + HS_HDR_LEN, L);
	memcpy(tr + n, in, k);
	n += k;
	th(md, tr, n, t);
	/* Confirm */
	ok = ok && open_msg(sk, siv, sseq, sp, in, &k);
	if (print_mode) {
		hex("Encrypted (Confirm):\n    ", sp, msg_len(sp));
		hex("  inner Confirm:\n    ", in, k);
	}
	mac(md, L, s_hs, "confirm", t, m);
	ok = ok && in[0] == 6 && !memcmp(m, in + HS_HDR_LEN, L);
	xlabel(md, L, hs, "derived", NULL, 0, der, L);
	extract(md, L, der, zeros, L, ms);
	xlabel(md, L, ms, "c ap", t, L, c_ap, L);
	xlabel(md, L, ms, "s ap", t, L, s_ap, L);
	xlabel(md, L, c_ap, "key", NULL, 0, m, s->enc_key_len + s->mac_key_len);
	ok = ok && !memcmp(m, c->sess.tx.key, s->enc_key_len + s->mac_key_len);
	xlabel(md, L, c_ap, "iv", NULL, 0, m, 12);
	ok = ok && !memcmp(m, c->sess.tx.iv, 12);
	if (print_mode) {
		hex("c_ap (client->server traffic secret):\n    ", c->sess.tx.secret,
		    c->sess.tx.secret_len);
		hex("s_ap (server->client traffic secret):\n    ", c->sess.rx.secret,
		    c->sess.rx.secret_len);
		hex("client->server key:\n    ", c->sess.tx.key, c->sess.tx.key_len);
		hex("client->server iv:\n    ", c->sess.tx.iv, 12);
		hex("server->client key:\n    ", c->sess.rx.key, c->sess.rx.key_len);
		hex("server->client iv:\n    ", c->sess.rx.iv, 12);
		hex("x25519 shared secret:\n    ", dh, 32);
		hex("early secret:\n    ", early, L);
		hex("handshake secret:\n    ", hs, L);
		hex("c_hs:\n    ", c_hs, L);
		hex("s_hs:\n    ", s_hs, L);
		hex("client hs key / iv:\n    ", ck, 32);
		hex("    ", civ, 12);
		hex("server hs key / iv:\n    ", sk, 32);
		hex("    ", siv, 12);
		hex("main secret:\n    ", ms, L);
		hex("TH(..client Finished):\n    ", t, L);
	}
	return ok;
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
		s.cfg.self_name = "server1";	/* the name in its Identity */
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
	.c2s_sha256 = "1493f4686a023e3b34678c662ea5bd73099fa9fd22c91d48d98d38a80c10dd92",
	.s2c_sha256 = "069783dc13ff8b1a503ec323ff5a7520ba27201b69bf137532330ceadaf3b334",
	.c_ap = "f6c18bb1a96f8e4f916a0c9757558b4dcb51ea7dfbe9b2e96a383bffb43caa63",
	.s_ap = "96e33728333d22e4c357ca7afd3300d4faa1885c03a099bd29fa58e5088f4f0f",
	.c_key = "501616a8d55dc3bed6a74f7f18a11ff0",
	.c_iv = "8ab4dcb2e55d1c267fdaa6c7",
};

static const struct vec anon_vec = {
	.name = "anonymous, aes-256-gcm",
	.suite = SECX_SUITE_AES_256_GCM_SHA384,
	.c2s_sha256 = "c728d2580c1e9b5d31cc4875075e8b2cb712dbc6a3b78385c0b8f827366b4927",
	.s2c_sha256 = "eae57b021cf0eb2757d6d5316e1c827a313e8040feeca815b401714856fbc4f2",
	.c_ap = "84f32ae137aa904f2da88925be7dba39efe2c51f0dd4187a53657588261e153b"
		"e95ef4196059a966cc291deecf53dd8c",
	.s_ap = "e31e0cc89c4767ae2c1a9d1815e2d9d3dfddc82bde69c11b76337e23b7c02033"
		"02cf20a5fd46b746fade3074a17a7cbf",
	.c_key = "a9cbe2157617dd053d795f7c6dc89bc8d6bfa2b65e3def2f371b8267c969c5e5",
	.c_iv = "878710b2fc08cec1442af510",
};

int main(int argc, char **argv)
{
	print_mode = argc > 1 && !strcmp(argv[1], "--print");
	fx_mkdir();
	run(&psk_vec, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	run(&anon_vec, NULL);
	return tap_done();
}
