// SPDX-License-Identifier: MIT
/*
 * Print the known-answer vectors of Documentation/protocol.rst ("Test
 * vectors") in reStructuredText, computed by the reference codec from the
 * inputs in vectors.h.  `make -C userspace vectors` runs it; paste the
 * output into the document and the expected strings into vectors.h
 * (test_record fails until both agree).
 */
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "../lib/kdf.h"
#include "vectors.h"

static const char *const enum_names[] = {
	[SECX_SUITE_AES_128_GCM_SHA256]		= "SECX_SUITE_AES_128_GCM_SHA256",
	[SECX_SUITE_AES_256_GCM_SHA384]		= "SECX_SUITE_AES_256_GCM_SHA384",
	[SECX_SUITE_CHACHA20_POLY1305_SHA256]	= "SECX_SUITE_CHACHA20_POLY1305_SHA256",
	[SECX_SUITE_AES_128_CBC_HMAC_SHA256]	= "SECX_SUITE_AES_128_CBC_HMAC_SHA256",
	[SECX_SUITE_AES_256_CBC_HMAC_SHA512]	= "SECX_SUITE_AES_256_CBC_HMAC_SHA512",
};

/* "    label       hex..." wrapped at 32 bytes per line. */
static void field(const char *label, const uint8_t *p, size_t n)
{
	size_t i;

	printf("    %-11s ", label);
	if (!n)
		fputs("(empty)", stdout);
	for (i = 0; i < n; i++) {
		if (i && i % 32 == 0)
			printf("\n    %-11s ", "");
		printf("%02x", p[i]);
	}
	putchar('\n');
}

static void heading(const char *title, char ch)
{
	size_t i, n = strlen(title);

	printf("%s\n", title);
	for (i = 0; i < n; i++)
		putchar(ch);
	puts("\n");
}

/* Record split into its fields, then whole. */
static void record_fields(const struct secx_suite_desc *s, const uint8_t *rec, size_t len)
{
	size_t off = SECX_HDR_LEN;

	field("header", rec, SECX_HDR_LEN);
	if (s->kind == SECX_KIND_CBC_HMAC) {
		field("explicit IV", rec + off, SECX_CBC_IV_LEN);
		off += SECX_CBC_IV_LEN;
	}
	field("ciphertext", rec + off, len - off - s->tag_len);
	field("tag", rec + len - s->tag_len, s->tag_len);
	field("record", rec, len);
}

static int suite_vector(unsigned int id)
{
	const struct secx_suite_desc *s = secx_suite_find(id);
	uint8_t secret[SECX_MAX_SECRET_LEN], rec[SECX_MAX_RECORD], cbc_iv[SECX_CBC_IV_LEN];
	uint8_t nonce[SECX_IV_LEN], inner[64], seqb[SECX_SEQ_LEN];
	size_t dlen = strlen(VEC_DATA), n = sizeof(rec), ilen = 1 + dlen;
	struct secx_rec_state st;
	char title[128];

	vec_secret(id, secret, s->hash_len);
	if (secx_rec_init(&st, id, secret, s->hash_len))
		return -1;
	st.seq = VEC_SEQ;
	vec_unhex(VEC_CBC_IV, cbc_iv, sizeof(cbc_iv));
	snprintf(title, sizeof(title), "Suite %u: %s (%s)", id, s->name, enum_names[id]);
	heading(title, '-');
	printf("::\n\n");
	field("secret", secret, s->hash_len);
	if (s->kind == SECX_KIND_CBC_HMAC) {
		field("enc key", st.key, s->enc_key_len);
		field("mac key", st.key + s->enc_key_len, s->mac_key_len);
	} else {
		field("key", st.key, s->enc_key_len);
	}
	field("iv", st.iv, SECX_IV_LEN);
	secx_seq_encode(seqb, VEC_SEQ);
	field("seq", seqb, sizeof(seqb));
	inner[0] = SECX_RT_DATA;
	memcpy(inner + 1, VEC_DATA, dlen);
	if (s->kind == SECX_KIND_AEAD) {
		secx_nonce(nonce, st.iv, VEC_SEQ);
		field("nonce", nonce, sizeof(nonce));
	} else {
		memset(inner + ilen, (int)(15 - ilen % 16), 16 - ilen % 16);
		ilen += 16 - ilen % 16;
	}
	printf("    %-11s \"%s\" (%zu bytes, type DATA)\n", "data", VEC_DATA, dlen);
	field(s->kind == SECX_KIND_CBC_HMAC ? "inner+pad" : "inner", inner, ilen);
	if (secx_rec_seal(&st, SECX_RT_DATA, (const uint8_t *)VEC_DATA, dlen,
			  s->kind == SECX_KIND_CBC_HMAC ? cbc_iv : NULL, rec, &n))
		return -1;
	record_fields(s, rec, n);
	putchar('\n');
	secx_rec_wipe(&st);
	return 0;
}

static int key_update_vector(void)
{
	const struct secx_suite_desc *s = secx_suite_find(VEC_KU_SUITE);
	uint8_t secret[SECX_MAX_SECRET_LEN], rec[SECX_MAX_RECORD], flags = VEC_KU_FLAGS;
	size_t n = sizeof(rec);
	struct secx_rec_state st;
	char title[128];

	vec_secret(VEC_KU_SUITE, secret, s->hash_len);
	if (secx_rec_init(&st, VEC_KU_SUITE, secret, s->hash_len))
		return -1;
	snprintf(title, sizeof(title), "Key update (suite %u: %s)", VEC_KU_SUITE, s->name);
	heading(title, '-');
	printf("::\n\n");
	field("secret", secret, s->hash_len);
	field("key", st.key, s->enc_key_len);
	field("iv", st.iv, SECX_IV_LEN);
	printf("    %-11s 0000000000000000\n", "seq");
	printf("    %-11s 03%02x (KEY_UPDATE, flags 0x%02x: update requested)\n", "inner",
	       flags, flags);
	if (secx_rec_seal(&st, SECX_RT_KEY_UPDATE, &flags, 1, NULL, rec, &n) ||
	    secx_rec_rekey(&st))
		return -1;
	field("record", rec, n);
	printf("\nAfter sending (or receiving) it, that direction switches to the next secret"
	       "\nand its sequence number restarts at 0::\n\n");
	field("next secret", st.secret, s->hash_len);
	field("next key", st.key, s->enc_key_len);
	field("next iv", st.iv, SECX_IV_LEN);
	printf("    %-11s 0000000000000000\n", "seq");
	printf("    %-11s \"%s\" (%zu bytes, type DATA)\n", "data", VEC_DATA, strlen(VEC_DATA));
	n = sizeof(rec);
	if (secx_rec_seal(&st, SECX_RT_DATA, (const uint8_t *)VEC_DATA, strlen(VEC_DATA), NULL,
			  rec, &n))
		return -1;
	field("record", rec, n);
	putchar('\n');
	secx_rec_wipe(&st);
	return 0;
}

int main(void)
{
	unsigned int id;

	for (id = 1; id <= SECX_SUITE_MAX; id++)
		if (suite_vector(id)) {
			fprintf(stderr, "gen_vectors: suite %u failed\n", id);
			return 1;
		}
	if (key_update_vector()) {
		fprintf(stderr, "gen_vectors: key update vector failed\n");
		return 1;
	}
	return 0;
}
