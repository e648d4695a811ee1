// SPDX-License-Identifier: MIT
/*
 * Record codec (lib/record.c) against Documentation/protocol.rst: known
 * answers, round trips for every suite and size, and every rejection rule
 * with its errno.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/rand.h>

#include "record.h"
#include "tap.h"
#include "vectors.h"

#define NSUITES SECX_SUITE_MAX

static uint8_t rec[SECX_MAX_RECORD + 64], rec2[SECX_MAX_RECORD + 64];
static uint8_t data[SECX_MAX_DATA + 64], out[SECX_MAX_DATA + 64];

static const struct secx_suite_desc *suite(unsigned int id)
{
	return secx_suite_find(id);
}

static const char *sname(unsigned int id)
{
	return suite(id)->name;
}

/* Sender and receiver of one direction, keyed from the same secret. */
static void pair(unsigned int id, uint8_t salt, struct secx_rec_state *tx,
		 struct secx_rec_state *rx)
{
	uint8_t secret[SECX_MAX_SECRET_LEN];
	size_t i, n = suite(id)->hash_len;

	for (i = 0; i < n; i++)
		secret[i] = (uint8_t)(salt + 3 * i);
	if (secx_rec_init(tx, id, secret, n) || secx_rec_init(rx, id, secret, n)) {
		printf("Bail out! secx_rec_init failed for suite %u\n", id);
		exit(1);
	}
}

/* Seal @len bytes of data into rec; returns the record length (0 on error). */
static size_t seal_data(struct secx_rec_state *tx, size_t len)
{
	size_t n = sizeof(rec);

	return secx_rec_seal(tx, SECX_RT_DATA, data, len, NULL, rec, &n) ? 0 : n;
}

/* Open @r and expect @want; checks seq did not move and out is untouched on error. */
static int open_expect(struct secx_rec_state *rx, const uint8_t *r, size_t len, int want)
{
	uint64_t seq = rx->seq;
	size_t n = sizeof(out);
	uint8_t type = 0xee;
	int ret;

	out[0] = 0xa5;
	ret = secx_rec_open(rx, r, len, &type, out, &n);
	if (ret != want) {
		tap_diag("open returned %d, want %d (len %zu)", ret, want, len);
		return 0;
	}
	if (ret && (rx->seq != seq || type != 0xee || out[0] != 0xa5)) {
		tap_diag("state or output changed on error");
		return 0;
	}
	return 1;
}

/* ---- known answers (Documentation/protocol.rst "Test vectors") ---- */

static char *doc_text;	/* protocol.rst with all whitespace removed */

static void load_doc(const char *argv0)
{
	char path[4096];
	const char *slash = strrchr(argv0, '/');
	FILE *f = NULL;
	size_t cap = 1 << 20, n = 0;
	int c;

	/* argv0 is <userspace>/build/tests/test_record */
	if (slash) {
		snprintf(path, sizeof(path), "%.*s/../../../Documentation/protocol.rst",
			 (int)(slash - argv0), argv0);
		f = fopen(path, "r");
	}
	if (!f)
		f = fopen("../Documentation/protocol.rst", "r");
	if (!f)
		return;
	doc_text = malloc(cap);
	while (doc_text && (c = fgetc(f)) != EOF && n < cap - 1)
		if (c != ' ' && c != '\n' && c != '\t' && c != '\r')
			doc_text[n++] = (char)c;
	if (doc_text)
		doc_text[n] = 0;
	fclose(f);
}

static int in_doc(const char *hex)
{
	return doc_text && strstr(doc_text, hex);
}

/* CBC keys are shown as "enc key" and "mac key": look for both halves. */
static int key_in_doc(const struct secx_suite_desc *s, const char *hex)
{
	char half[2 * SECX_MAX_KEY_LEN + 1];
	size_t cut = 2 * (size_t)s->enc_key_len;

	if (s->kind != SECX_KIND_CBC_HMAC)
		return in_doc(hex);
	snprintf(half, sizeof(half), "%.*s", (int)cut, hex);
	return in_doc(half) && in_doc(hex + cut);
}

static int hex_eq(const uint8_t *got, size_t len, const char *want_hex)
{
	uint8_t want[SECX_MAX_RECORD];
	size_t n = vec_unhex(want_hex, want, sizeof(want));

	if (n != len) {
		tap_diag("length %zu, want %zu", len, n);
		return 0;
	}
	return tap_mem_eq(got, want, len);
}

static void test_vectors(void)
{
	uint8_t secret[SECX_MAX_SECRET_LEN], cbc_iv[SECX_CBC_IV_LEN], type, flags = VEC_KU_FLAGS;
	struct secx_rec_state tx, rx;
	size_t i, n, dlen = strlen(VEC_DATA);
	int ok;

	vec_unhex(VEC_CBC_IV, cbc_iv, sizeof(cbc_iv));
	for (i = 0; i < sizeof(vec_records) / sizeof(vec_records[0]); i++) {
		const struct vec_record *v = &vec_records[i];
		const struct secx_suite_desc *s = suite(v->suite);

		vec_secret(v->suite, secret, s->hash_len);
		ok = !secx_rec_init(&tx, v->suite, secret, s->hash_len) &&
		     hex_eq(tx.key, secx_suite_key_len(s), v->key) &&
		     hex_eq(tx.iv, SECX_IV_LEN, v->iv);
		tap_ok(ok, "vector %s: key schedule", s->name);
		tx.seq = VEC_SEQ;
		rx = tx;
		n = sizeof(rec);
		ok = !secx_rec_seal(&tx, SECX_RT_DATA, (const uint8_t *)VEC_DATA, dlen,
				    s->kind == SECX_KIND_CBC_HMAC ? cbc_iv : NULL, rec, &n) &&
		     hex_eq(rec, n, v->record);
		tap_ok(ok, "vector %s: record bytes", s->name);
		n = vec_unhex(v->record, rec, sizeof(rec));
		dlen = sizeof(out);
		ok = !secx_rec_open(&rx, rec, n, &type, out, &dlen) && type == SECX_RT_DATA &&
		     dlen == strlen(VEC_DATA) && !memcmp(out, VEC_DATA, dlen);
		dlen = strlen(VEC_DATA);
		tap_ok(ok, "vector %s: opens to the plaintext", s->name);
		tap_ok(key_in_doc(s, v->key) && in_doc(v->iv) && in_doc(v->record),
		       "vector %s: key, iv and record appear in protocol.rst", s->name);
	}

	vec_secret(VEC_KU_SUITE, secret, suite(VEC_KU_SUITE)->hash_len);
	secx_rec_init(&tx, VEC_KU_SUITE, secret, suite(VEC_KU_SUITE)->hash_len);
	rx = tx;
	n = sizeof(rec);
	ok = !secx_rec_seal(&tx, SECX_RT_KEY_UPDATE, &flags, 1, NULL, rec, &n) &&
	     hex_eq(rec, n, vec_ku.ku_record) && !secx_rec_rekey(&tx) &&
	     hex_eq(tx.secret, tx.secret_len, vec_ku.next_secret) &&
	     hex_eq(tx.key, 16, vec_ku.next_key) && hex_eq(tx.iv, SECX_IV_LEN, vec_ku.next_iv);
	tap_ok(ok, "vector key update: record, next secret, key, iv");
	ok = open_expect(&rx, rec, n, 0) && !secx_rec_rekey(&rx) && rx.seq == 0 &&
	     !memcmp(rx.key, tx.key, 16);
	n = sizeof(rec);
	ok = ok && !secx_rec_seal(&tx, SECX_RT_DATA, (const uint8_t *)VEC_DATA, dlen, NULL,
				   rec, &n) &&
	     hex_eq(rec, n, vec_ku.data_record) && open_expect(&rx, rec, n, 0);
	tap_ok(ok, "vector key update: first record under the next key");
	tap_ok(in_doc(vec_ku.ku_record) && in_doc(vec_ku.next_secret) &&
	       in_doc(vec_ku.next_key) && in_doc(vec_ku.next_iv) && in_doc(vec_ku.data_record),
	       "vector key update: all values appear in protocol.rst");
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

/* ---- round trips ---- */

static void test_round_trips(unsigned int id)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 4095, 16384 };
	struct secx_rec_state tx, rx;
	size_t i, n, dlen;
	uint8_t type;
	int ok;

	pair(id, 0x11, &tx, &rx);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		RAND_bytes(data, (int)sizes[i] + 1);
		n = seal_data(&tx, sizes[i]);
		dlen = sizeof(out);
		ok = n && n == secx_rec_size(id, sizes[i]) && rec[0] == 1 && rec[1] == 0 &&
		     ((size_t)rec[2] << 8 | rec[3]) == n - SECX_HDR_LEN &&
		     !secx_rec_open(&rx, rec, n, &type, out, &dlen) && type == SECX_RT_DATA &&
		     dlen == sizes[i] && !memcmp(out, data, dlen) &&
		     tx.seq == i + 1 && rx.seq == i + 1;
		tap_ok(ok, "%s: round trip of %zu bytes (record %zu)", sname(id), sizes[i], n);
	}
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

/* Control records: what each type may carry. */
static void test_types(unsigned int id)
{
	static const struct { uint8_t type; size_t len; uint8_t b; int want; } cases[] = {
		{ SECX_RT_CLOSE, 0, 0, 0 },
		{ SECX_RT_KEY_UPDATE, 1, 0, 0 },
		{ SECX_RT_KEY_UPDATE, 1, 1, 0 },
		{ SECX_RT_ALERT, 1, 42, 0 },
		{ SECX_RT_DATA, 1, 0, 0 },
		{ 0, 1, 0, -EBADMSG },
		{ 5, 1, 0, -EBADMSG },
		{ 0xff, 0, 0, -EBADMSG },
		{ SECX_RT_CLOSE, 1, 0, -EBADMSG },
		{ SECX_RT_KEY_UPDATE, 0, 0, -EBADMSG },
		{ SECX_RT_KEY_UPDATE, 2, 0, -EBADMSG },
		{ SECX_RT_KEY_UPDATE, 1, 2, -EBADMSG },
		{ SECX_RT_ALERT, 0, 0, -EBADMSG },
		{ SECX_RT_ALERT, 2, 0, -EBADMSG },
	};
	struct secx_rec_state tx, rx;
	size_t i, n, dlen;
	uint8_t type;
	int ok = 1;

	pair(id, 0x22, &tx, &rx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t payload[2] = { cases[i].b, 0 };

		n = sizeof(rec);
		rx.seq = tx.seq;
		if (secx_rec_seal(&tx, cases[i].type, payload, cases[i].len, NULL, rec, &n)) {
			ok = 0;
			continue;
		}
		dlen = sizeof(out);
		if (!open_expect(&rx, rec, n, cases[i].want)) {
			tap_diag("type %u len %zu byte %u", cases[i].type, cases[i].len, cases[i].b);
			ok = 0;
		} else if (!cases[i].want) {
			rx.seq--;
			ok &= !secx_rec_open(&rx, rec, n, &type, out, &dlen) &&
			      type == cases[i].type && dlen == cases[i].len &&
			      (!dlen || out[0] == cases[i].b);
		}
	}
	tap_ok(ok, "%s: control record payloads; unknown type or bad payload -> EBADMSG",
	       sname(id));
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

/* ---- rejections ---- */

/* Flip every bit of @len-byte records at @pos; header bits map to their errno. */
static int flip_bits(struct secx_rec_state *rx, const uint8_t *r, size_t len,
		     size_t from, size_t to, const char *what)
{
	size_t pos, bit;
	int ret, ok = 1;

	for (pos = from; pos < to && pos < len; pos++) {
		for (bit = 0; bit < 8; bit++) {
			uint64_t seq = rx->seq;
			size_t n = sizeof(out);
			uint8_t type;

			memcpy(rec2, r, len);
			rec2[pos] ^= (uint8_t)(1u << bit);
			ret = secx_rec_open(rx, rec2, len, &type, out, &n);
			if (ret >= 0 || rx->seq != seq ||
			    (pos < 2 && ret != -EPROTO) ||
			    (pos >= SECX_HDR_LEN && ret != -EBADMSG) ||
			    (pos >= 2 && pos < SECX_HDR_LEN && ret != -EBADMSG && ret != -EMSGSIZE)) {
				tap_diag("%s: flip of byte %zu bit %zu gave %d", what, pos, bit, ret);
				ok = 0;
			}
		}
	}
	return ok;
}

static void test_bit_flips(unsigned int id)
{
	const struct secx_suite_desc *s = suite(id);
	size_t iv_end = SECX_HDR_LEN + (s->kind == SECX_KIND_CBC_HMAC ? SECX_CBC_IV_LEN : 0);
	struct secx_rec_state tx, rx;
	size_t n, mid;
	int ok;

	pair(id, 0x33, &tx, &rx);
	RAND_bytes(data, 64);
	n = seal_data(&tx, 17);
	ok = n && flip_bits(&rx, rec, n, 0, SECX_HDR_LEN, "header");
	tap_ok(ok, "%s: every header bit flip rejected (EPROTO/EMSGSIZE/EBADMSG)", sname(id));
	ok = n && flip_bits(&rx, rec, n, SECX_HDR_LEN, n, "body");
	tap_ok(ok, "%s: every body bit flip of a 17-byte record -> EBADMSG", sname(id));
	ok = open_expect(&rx, rec, n, 0);
	tap_ok(ok, "%s: the untouched record still opens", sname(id));

	/* Large record: sample IV, ciphertext start/middle/end, tag start/end. */
	RAND_bytes(data, SECX_MAX_DATA);
	n = seal_data(&tx, SECX_MAX_DATA);
	mid = n / 2;
	ok = n && flip_bits(&rx, rec, n, 0, SECX_HDR_LEN, "header") &&
	     flip_bits(&rx, rec, n, SECX_HDR_LEN, iv_end + 2, "iv/ct start") &&
	     flip_bits(&rx, rec, n, mid, mid + 2, "ct middle") &&
	     flip_bits(&rx, rec, n, n - s->tag_len - 2, n - s->tag_len + 1, "ct end/tag start") &&
	     flip_bits(&rx, rec, n, n - 2, n, "tag end") && open_expect(&rx, rec, n, 0);
	tap_ok(ok, "%s: sampled bit flips of a 16384-byte record rejected", sname(id));
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

static void test_wrong_seq_key(unsigned int id)
{
	struct secx_rec_state tx, rx, other, tmp;
	size_t n;
	int ok;

	pair(id, 0x44, &tx, &rx);
	pair(id, 0x45, &other, &tmp);
	RAND_bytes(data, 100);
	n = seal_data(&tx, 100);
	rx.seq = 1;
	ok = open_expect(&rx, rec, n, -EBADMSG);
	rx.seq = 0;
	ok = ok && open_expect(&other, rec, n, -EBADMSG) && open_expect(&rx, rec, n, 0) &&
	     open_expect(&rx, rec, n, -EBADMSG);	/* replay: seq has moved on */
	tap_ok(ok, "%s: wrong seq, wrong key and replay -> EBADMSG", sname(id));

	/* Records must be opened in order. */
	n = seal_data(&tx, 10);
	memcpy(rec2, rec, n);
	ok = seal_data(&tx, 10) == n && open_expect(&rx, rec, n, -EBADMSG) &&
	     open_expect(&rx, rec2, n, 0) && open_expect(&rx, rec, n, 0);
	tap_ok(ok, "%s: reordered records rejected, in-order accepted", sname(id));
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
	secx_rec_wipe(&other);
	secx_rec_wipe(&tmp);
}

static void set_len(uint8_t *r, unsigned int body)
{
	r[2] = (uint8_t)(body >> 8);
	r[3] = (uint8_t)body;
}

static void test_framing(unsigned int id)
{
	const struct secx_suite_desc *s = suite(id);
	unsigned int min = secx_suite_min_body(s), max = secx_suite_max_body(s);
	struct secx_rec_state tx, rx;
	size_t n, rl = 0;
	int ok;

	pair(id, 0x55, &tx, &rx);
	RAND_bytes(data, 40);
	n = seal_data(&tx, 40);

	memcpy(rec2, rec, n);
	rec2[0] = 0x02;
	ok = open_expect(&rx, rec2, n, -EPROTO);
	rec2[0] = 0x00;
	ok = ok && open_expect(&rx, rec2, n, -EPROTO);
	tap_ok(ok, "%s: bad version -> EPROTO", sname(id));

	memcpy(rec2, rec, n);
	rec2[1] = 0x01;
	ok = open_expect(&rx, rec2, n, -EPROTO);
	rec2[1] = 0x80;
	ok = ok && open_expect(&rx, rec2, n, -EPROTO);
	tap_ok(ok, "%s: nonzero flags -> EPROTO", sname(id));

	memcpy(rec2, rec, n);
	set_len(rec2, max + 1);
	ok = open_expect(&rx, rec2, n, -EMSGSIZE) &&
	     secx_rec_check_header(&rx, rec2, &rl) == -EMSGSIZE;
	set_len(rec2, 0xffff);
	ok = ok && open_expect(&rx, rec2, n, -EMSGSIZE);
	set_len(rec2, max);
	ok = ok && secx_rec_check_header(&rx, rec2, &rl) == 0 && rl == SECX_HDR_LEN + max;
	tap_ok(ok, "%s: length max+1 (%u) and 0xffff -> EMSGSIZE, max accepted by framing",
	       sname(id), max + 1);

	memcpy(rec2, rec, n);
	set_len(rec2, min - 1);
	ok = open_expect(&rx, rec2, SECX_HDR_LEN + min - 1, -EBADMSG);
	set_len(rec2, 0);
	ok = ok && open_expect(&rx, rec2, SECX_HDR_LEN, -EBADMSG);
	set_len(rec2, min);
	ok = ok && secx_rec_check_header(&rx, rec2, &rl) == 0 && rl == SECX_HDR_LEN + min;
	tap_ok(ok, "%s: length min-1 (%u) and 0 -> EBADMSG", sname(id), min - 1);

	if (s->kind == SECX_KIND_CBC_HMAC) {
		unsigned int k;

		ok = 1;
		for (k = 1; k < SECX_CBC_BLOCK; k++) {
			set_len(rec2, min + k);
			ok &= secx_rec_check_header(&rx, rec2, &rl) == -EBADMSG;
			ok &= open_expect(&rx, rec2, SECX_HDR_LEN + min + k, -EBADMSG);
		}
		tap_ok(ok, "%s: ciphertext not a multiple of 16 -> EBADMSG", sname(id));
	}

	ok = open_expect(&rx, rec, n - 1, -EBADMSG) &&
	     open_expect(&rx, rec, n - s->tag_len, -EBADMSG) &&
	     open_expect(&rx, rec, SECX_HDR_LEN, -EBADMSG) &&
	     open_expect(&rx, rec, 3, -EBADMSG) && open_expect(&rx, rec, 0, -EBADMSG);
	memcpy(rec2, rec, n);
	rec2[n] = 0;
	ok = ok && open_expect(&rx, rec2, n + 1, -EBADMSG);
	/* header length shortened to a valid size, body cut accordingly */
	if (s->kind == SECX_KIND_AEAD) {
		set_len(rec2, (unsigned int)(n - SECX_HDR_LEN - 1));
		ok = ok && open_expect(&rx, rec2, n - 1, -EBADMSG);
	} else {
		set_len(rec2, (unsigned int)(n - SECX_HDR_LEN - SECX_CBC_BLOCK));
		ok = ok && open_expect(&rx, rec2, n - SECX_CBC_BLOCK, -EBADMSG);
	}
	ok = ok && open_expect(&rx, rec, n, 0);
	tap_ok(ok, "%s: truncated records and trailing bytes -> EBADMSG", sname(id));
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

/*
 * CBC: records with a valid MAC but bad padding, built with
 * secx_rec_seal_inner(); a well-padded control proves the construction.
 */
static void test_cbc_padding(unsigned int id)
{
	struct secx_rec_state tx, rx;
	uint8_t inner[SECX_MAX_DATA + 2 * SECX_CBC_BLOCK];
	size_t n, i, dlen;
	uint8_t type;
	int ok;

	pair(id, 0x66, &tx, &rx);

	/* control: type || 11 bytes || 4 x 0x03 */
	inner[0] = SECX_RT_DATA;
	memset(inner + 1, 'x', 11);
	memset(inner + 12, 3, 4);
	n = sizeof(rec);
	dlen = sizeof(out);
	ok = !secx_rec_seal_inner(&tx, inner, 16, NULL, rec, &n) &&
	     !secx_rec_open(&rx, rec, n, &type, out, &dlen) && dlen == 11;
	tap_ok(ok, "%s: hand-built padding accepted (control)", sname(id));

	/* one padding byte differs */
	inner[12] = 2;
	n = sizeof(rec);
	ok = !secx_rec_seal_inner(&tx, inner, 16, NULL, rec, &n) &&
	     open_expect(&rx, rec, n, -EBADMSG);
	rx.seq++;
	tap_ok(ok, "%s: inconsistent padding bytes (MAC valid) -> EBADMSG", sname(id));

	/* padding length 17: last byte 0x10, all 17 bytes 0x10 */
	memset(inner, 0x10, 32);
	inner[0] = SECX_RT_DATA;
	n = sizeof(rec);
	ok = !secx_rec_seal_inner(&tx, inner, 32, NULL, rec, &n) &&
	     open_expect(&rx, rec, n, -EBADMSG);
	rx.seq++;
	tap_ok(ok, "%s: padding longer than 16 (MAC valid) -> EBADMSG", sname(id));

	/* padding covers the whole block: no room for the type byte */
	memset(inner, 0x0f, 16);
	n = sizeof(rec);
	ok = !secx_rec_seal_inner(&tx, inner, 16, NULL, rec, &n) &&
	     open_expect(&rx, rec, n, -EBADMSG);
	rx.seq++;
	tap_ok(ok, "%s: padding without a type byte (MAC valid) -> EBADMSG", sname(id));

	/* 16400-byte ciphertext, 1 byte of padding: 16398 data bytes > 16384 */
	inner[0] = SECX_RT_DATA;
	memset(inner + 1, 'y', 16398);
	inner[16399] = 0;
	n = sizeof(rec);
	ok = !secx_rec_seal_inner(&tx, inner, 16400, NULL, rec, &n) &&
	     n == SECX_HDR_LEN + secx_suite_max_body(suite(id)) &&
	     open_expect(&rx, rec, n, -EMSGSIZE);
	rx.seq++;
	tap_ok(ok, "%s: maximum-length body carrying 16398 data bytes -> EMSGSIZE", sname(id));

	/* random explicit IVs: the same plaintext seals differently */
	tx.seq = 0;
	n = sizeof(rec);
	ok = !secx_rec_seal(&tx, SECX_RT_DATA, data, 14, NULL, rec, &n);
	tx.seq = 0;
	i = sizeof(rec2);
	ok = ok && !secx_rec_seal(&tx, SECX_RT_DATA, data, 14, NULL, rec2, &i) && i == n &&
	     memcmp(rec + SECX_HDR_LEN, rec2 + SECX_HDR_LEN, SECX_CBC_IV_LEN);
	tap_ok(ok, "%s: explicit IV is random when not given", sname(id));
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

static void test_seq_limit(unsigned int id)
{
	const struct secx_suite_desc *s = suite(id);
	uint8_t key[SECX_MAX_KEY_LEN] = { 7 }, iv[SECX_IV_LEN] = { 9 }, type;
	struct secx_rec_state tx, rx;
	size_t n = sizeof(rec), dlen = sizeof(out), n2 = sizeof(rec2);
	int ok;

	ok = !secx_rec_init_raw(&tx, id, key, secx_suite_key_len(s), iv, UINT64_MAX - 1) &&
	     !secx_rec_init_raw(&rx, id, key, secx_suite_key_len(s), iv, UINT64_MAX - 1) &&
	     !secx_rec_seal(&tx, SECX_RT_DATA, data, 5, NULL, rec, &n) &&
	     !secx_rec_open(&rx, rec, n, &type, out, &dlen) &&
	     secx_rec_seal(&tx, SECX_RT_DATA, data, 5, NULL, rec2, &n2) == -EKEYEXPIRED &&
	     tx.seq == UINT64_MAX;
	rx.seq = UINT64_MAX - 1;
	ok = ok && open_expect(&rx, rec, n, 0) && open_expect(&rx, rec, n, -EKEYEXPIRED);
	tap_ok(ok, "%s: seq 2^64-2 is the last one; then EKEYEXPIRED", sname(id));
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

/* "Usage limits": max_records records per key, the last may be KEY_UPDATE. */
static void test_usage_limit(unsigned int id)
{
	const struct secx_suite_desc *s = suite(id);
	struct secx_rec_state tx, rx;
	uint8_t flags = 0;
	size_t n = sizeof(rec), n2 = sizeof(rec2);
	int ok;

	pair(id, 0x99, &tx, &rx);
	tx.records = rx.records = s->max_records - 1;
	ok = !secx_rec_seal(&tx, SECX_RT_KEY_UPDATE, &flags, 1, NULL, rec, &n) &&
	     secx_rec_seal(&tx, SECX_RT_DATA, data, 1, NULL, rec2, &n2) == -EKEYEXPIRED &&
	     open_expect(&rx, rec, n, 0);
	rx.seq--;
	ok = ok && open_expect(&rx, rec, n, -EKEYEXPIRED) && !secx_rec_rekey(&tx) &&
	     !secx_rec_rekey(&rx) && tx.records == 0 && rx.records == 0;
	n = seal_data(&tx, 1);
	ok = ok && n && open_expect(&rx, rec, n, 0);
	tap_ok(ok, "%s: %llu records per key, then EKEYEXPIRED until rekey", sname(id),
	       (unsigned long long)s->max_records);
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

static void test_rekey(unsigned int id)
{
	const struct secx_suite_desc *s = suite(id);
	struct secx_rec_state tx, rx, old, raw;
	uint8_t flags = 1, type;
	size_t n, dlen = sizeof(out);
	int ok;

	pair(id, 0x77, &tx, &rx);
	RAND_bytes(data, 64);
	seal_data(&tx, 10);
	open_expect(&rx, rec, secx_rec_size(id, 10), 0);
	n = sizeof(rec);
	ok = !secx_rec_seal(&tx, SECX_RT_KEY_UPDATE, &flags, 1, NULL, rec, &n) &&
	     !secx_rec_rekey(&tx) && tx.seq == 0 &&
	     !secx_rec_open(&rx, rec, n, &type, out, &dlen) && type == SECX_RT_KEY_UPDATE &&
	     dlen == 1 && out[0] == 1;
	old = rx;
	ok = ok && !secx_rec_rekey(&rx) && rx.seq == 0 &&
	     !memcmp(tx.secret, rx.secret, s->hash_len) && memcmp(old.secret, rx.secret, s->hash_len);
	n = seal_data(&tx, 33);
	ok = ok && n && open_expect(&old, rec, n, -EBADMSG) && open_expect(&rx, rec, n, 0);
	tap_ok(ok, "%s: KEY_UPDATE then rekey on both sides; old key refused", sname(id));

	ok = !secx_rec_init_raw(&raw, id, tx.key, secx_suite_key_len(s), tx.iv, 0) &&
	     secx_rec_rekey(&raw) == -ENOKEY;
	tap_ok(ok, "%s: rekey without a secret -> ENOKEY", sname(id));
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
	secx_rec_wipe(&old);
	secx_rec_wipe(&raw);
}

static void test_crypto_info(unsigned int id)
{
	const struct secx_suite_desc *s = suite(id);
	uint8_t secret[SECX_MAX_SECRET_LEN], zero[32] = { 0 };
	struct secx_crypto_info ci;
	struct secx_rec_state st;
	int ok;

	memset(secret, 0x42, sizeof(secret));
	memset(&ci, 0xff, sizeof(ci));
	ok = !secx_rec_crypto_info(&ci, id, secret, s->hash_len) &&
	     !secx_rec_init(&st, id, secret, s->hash_len) &&
	     ci.version == SECX_ABI_VERSION && ci.suite == id &&
	     ci.key_len == secx_suite_key_len(s) && ci.secret_len == s->hash_len &&
	     ci.flags == 0 && ci.reserved0 == 0 && ci.seq == 0 &&
	     !memcmp(ci.iv, st.iv, SECX_IV_LEN) && !memcmp(ci.iv + SECX_IV_LEN, zero, 4) &&
	     !memcmp(ci.key, st.key, ci.key_len) &&
	     !memcmp(ci.key + ci.key_len, zero, SECX_MAX_KEY_LEN - ci.key_len > 32 ? 32 :
		     SECX_MAX_KEY_LEN - ci.key_len) &&
	     !memcmp(ci.secret, secret, s->hash_len) &&
	     !memcmp(ci.reserved, zero, sizeof(ci.reserved));
	tap_ok(ok, "%s: crypto_info from a secret matches the key schedule", sname(id));
	secx_rec_wipe(&st);
}

static void test_api_errors(void)
{
	uint8_t secret[64] = { 0 }, type;
	struct secx_rec_state tx, rx;
	size_t n, dlen;
	int ok;

	ok = secx_rec_init(&tx, 0, secret, 32) == -EINVAL &&
	     secx_rec_init(&tx, SECX_SUITE_MAX + 1, secret, 32) == -EINVAL &&
	     secx_rec_init(&tx, 1, secret, 31) == -EINVAL &&
	     secx_rec_init(&tx, 2, secret, 32) == -EINVAL &&
	     secx_rec_init_raw(&tx, 1, secret, 15, secret, 0) == -EINVAL &&
	     secx_rec_init_raw(&tx, 1, secret, 16, NULL, 0) == -EINVAL &&
	     secx_rec_init_raw(&tx, 4, secret, 48, NULL, 0) == 0 &&
	     secx_rec_size(0, 1) == 0 && secx_rec_size(1, SECX_MAX_DATA + 1) == 0;
	tap_ok(ok, "init: unknown suite, wrong secret/key length -> EINVAL");

	pair(1, 0x88, &tx, &rx);
	n = sizeof(rec);
	ok = secx_rec_seal(&tx, SECX_RT_DATA, data, SECX_MAX_DATA + 1, NULL, rec, &n) == -EMSGSIZE;
	n = secx_rec_size(1, 100) - 1;
	ok = ok && secx_rec_seal(&tx, SECX_RT_DATA, data, 100, NULL, rec, &n) == -ENOSPC &&
	     tx.seq == 0;
	n = seal_data(&tx, 100);
	dlen = 99;
	ok = ok && secx_rec_open(&rx, rec, n, &type, out, &dlen) == -ENOSPC && rx.seq == 0 &&
	     open_expect(&rx, rec, n, 0);
	tap_ok(ok, "seal over 16384 -> EMSGSIZE; small buffers -> ENOSPC, seq kept");
	secx_rec_wipe(&tx);
	secx_rec_wipe(&rx);
}

int main(int argc, char **argv)
{
	unsigned int id;

	load_doc(argc > 0 ? argv[0] : "");
	if (!doc_text)
		tap_diag("Documentation/protocol.rst not found");
	test_vectors();
	for (id = 1; id <= NSUITES; id++) {
		test_round_trips(id);
		test_types(id);
		test_bit_flips(id);
		test_wrong_seq_key(id);
		test_framing(id);
		if (suite(id)->kind == SECX_KIND_CBC_HMAC)
			test_cbc_padding(id);
		test_seq_limit(id);
		test_usage_limit(id);
		test_rekey(id);
		test_crypto_info(id);
	}
	test_api_errors();
	free(doc_text);
	return tap_done();
}
