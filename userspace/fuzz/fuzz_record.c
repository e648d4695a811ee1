// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the record receive path: secx_hdr_decode()
 * (kmod/common/wire.h, shared with secx.ko) and secx_rec_open().
 *
 * Input: byte 0 selects the suite (1 + byte % 5), the rest is one record,
 * opened at seq 0 under a fixed traffic secret per suite.  Invariants:
 *   - header decode returns a known code, and a body length inside the
 *     suite's limits on success; secx_rec_check_header() maps it to the
 *     errno Documentation/protocol.rst gives;
 *   - open returns 0, -EBADMSG, -EPROTO or -EMSGSIZE, and moves seq only on
 *     success;
 *   - an accepted record is canonical: sealing its type and data again
 *     (same seq, same CBC IV) yields exactly the input bytes.
 *
 * Built with -DSECX_LIBFUZZER it is a libFuzzer target (`make fuzz`).
 * Otherwise main() is a deterministic driver that feeds random inputs and
 * mutations of valid records (every mutation must be rejected) and prints
 * TAP; `make check` runs it.  Usage: fuzz_record [iterations [seed]], or
 * fuzz_record --corpus DIR to write valid records as libFuzzer seeds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

static struct secx_rec_state states[SECX_SUITE_MAX + 1];
static const uint8_t *cur_input;
static size_t cur_size;

static void fail(const char *why)
{
	size_t i;

	printf("not ok - fuzz_record invariant: %s\n# input (%zu bytes): ", why, cur_size);
	for (i = 0; i < cur_size && i < 256; i++)
		printf("%02x", cur_input[i]);
	printf("%s\n", cur_size > 256 ? "..." : "");
	fflush(stdout);
	abort();
}

#define CHECK(cond, why) do { if (!(cond)) fail(why); } while (0)

static void setup(void)
{
	uint8_t secret[SECX_MAX_SECRET_LEN];
	unsigned int id, i;

	if (states[1].suite)
		return;
	for (id = 1; id <= SECX_SUITE_MAX; id++) {
		const struct secx_suite_desc *s = secx_suite_find(id);

		for (i = 0; i < s->hash_len; i++)
			secret[i] = (uint8_t)(0x5a ^ (i * 7) ^ id);
		CHECK(!secx_rec_init(&states[id], id, secret, s->hash_len), "setup");
	}
}

/* The shared header decoder against every suite's limits. */
static void check_header(const uint8_t *hdr)
{
	unsigned int id, body;
	size_t rec_len;
	int r, e;

	for (id = 1; id <= SECX_SUITE_MAX; id++) {
		const struct secx_suite_desc *s = states[id].suite;
		unsigned int min = secx_suite_min_body(s), max = secx_suite_max_body(s);

		body = 0;
		r = secx_hdr_decode(hdr, min, max, &body);
		CHECK(r >= SECX_HDR_OK && r <= SECX_HDR_TOO_LONG, "hdr_decode code");
		CHECK(r != SECX_HDR_OK || (body >= min && body <= max), "hdr_decode length");
		CHECK(max <= SECX_MAX_REC_BODY, "suite max over SECX_MAX_REC_BODY");
		e = secx_rec_check_header(&states[id], hdr, &rec_len);
		switch (r) {
		case SECX_HDR_OK:
			CHECK(e == 0 || (e == -EBADMSG && s->kind == SECX_KIND_CBC_HMAC),
			      "check_header on a good header");
			CHECK(e || rec_len == SECX_HDR_LEN + body, "check_header length");
			break;
		case SECX_HDR_BAD_VERSION:
		case SECX_HDR_BAD_FLAGS:
			CHECK(e == -EPROTO, "bad version/flags not EPROTO");
			break;
		case SECX_HDR_TOO_SHORT:
			CHECK(e == -EBADMSG, "short not EBADMSG");
			break;
		default:
			CHECK(e == -EMSGSIZE, "long not EMSGSIZE");
		}
	}
}

/* Seal the opened content again: must give back the very same record. */
static void check_canonical(unsigned int id, const uint8_t *rec, size_t len,
			    uint8_t type, const uint8_t *data, size_t dlen)
{
	static uint8_t again[SECX_MAX_RECORD];
	struct secx_rec_state st = states[id];
	size_t n = sizeof(again);
	const uint8_t *iv = st.suite->kind == SECX_KIND_CBC_HMAC ? rec + SECX_HDR_LEN : NULL;

	CHECK(!secx_rec_seal(&st, type, data, dlen, iv, again, &n), "re-seal failed");
	CHECK(n == len && !memcmp(again, rec, len), "accepted record is not canonical");
}

static int fuzz_one(const uint8_t *data, size_t size)
{
	static uint8_t out[SECX_MAX_DATA];
	struct secx_rec_state st;
	size_t out_len = sizeof(out);
	unsigned int id;
	uint8_t type = 0;
	int ret;

	setup();
	if (!size)
		return -EINVAL;
	cur_input = data;
	cur_size = size;
	id = 1 + data[0] % SECX_SUITE_MAX;
	st = states[id];
	if (size - 1 >= SECX_HDR_LEN)
		check_header(data + 1);
	ret = secx_rec_open(&st, data + 1, size - 1, &type, out, &out_len);
	switch (ret) {
	case 0:
		CHECK(st.seq == 1, "seq did not advance");
		CHECK(type >= SECX_RT_DATA && type <= SECX_RT_ALERT, "bad type accepted");
		CHECK(out_len <= SECX_MAX_DATA, "oversize data accepted");
		check_canonical(id, data + 1, size - 1, type, out, out_len);
		break;
	case -EBADMSG:
	case -EPROTO:
	case -EMSGSIZE:
		CHECK(st.seq == 0, "seq moved on error");
		break;
	default:
		fail("unexpected return code");
	}
	secx_rec_wipe(&st);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	return 0;
}

#ifndef SECX_LIBFUZZER
/* ---- standalone driver ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic for a given seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

#define POOL_MAX 64
static struct { uint8_t *buf; size_t len; } pool[POOL_MAX];
static unsigned int pool_len;

/* Valid records of every suite and type: the seeds mutations start from. */
static void build_pool(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 16384 };
	static const uint8_t ctl[][3] = {	/* type, length, payload byte */
		{ SECX_RT_CLOSE, 0, 0 }, { SECX_RT_KEY_UPDATE, 1, 1 }, { SECX_RT_ALERT, 1, 40 },
	};
	static uint8_t data[SECX_MAX_DATA];
	unsigned int id, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rnd();
	for (id = 1; id <= SECX_SUITE_MAX; id++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 3; i++) {
			struct secx_rec_state st = states[id];
			uint8_t *b = malloc(1 + SECX_MAX_RECORD);
			size_t n = SECX_MAX_RECORD;
			int r;

			if (!b || pool_len == POOL_MAX)
				abort();
			b[0] = (uint8_t)(id - 1);
			if (i < sizeof(sizes) / sizeof(sizes[0]))
				r = secx_rec_seal(&st, SECX_RT_DATA, data, sizes[i], NULL, b + 1, &n);
			else
				r = secx_rec_seal(&st, ctl[i - 7][0], &ctl[i - 7][2], ctl[i - 7][1],
						  NULL, b + 1, &n);
			if (r)
				abort();
			pool[pool_len].buf = b;
			pool[pool_len++].len = n + 1;
		}
	}
}

static void mutate(uint8_t *b, size_t *len, size_t cap)
{
	size_t pos = *len > 1 ? 1 + rnd() % (*len - 1) : 0;
	unsigned int v;

	switch (rnd() % 7) {
	case 0:	/* one bit */
		b[pos] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	case 1:	/* one byte */
		b[pos] = (uint8_t)rnd();
		break;
	case 2:	/* bit in the header, where framing decisions are made */
		b[1 + rnd() % SECX_HDR_LEN] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	case 3:	/* truncate */
		*len -= 1 + rnd() % (*len > 8 ? 8 : *len - 1 ? *len - 1 : 1);
		if (!*len)
			*len = 1;
		break;
	case 4:	/* append */
		if (*len < cap)
			b[(*len)++] = (uint8_t)rnd();
		break;
	case 5:	/* header length +-k, body unchanged */
		v = ((unsigned int)b[3] << 8 | b[4]) + (unsigned int)(rnd() % 33) - 16;
		b[3] = (uint8_t)(v >> 8);
		b[4] = (uint8_t)v;
		break;
	default: /* other suite */
		b[0] = (uint8_t)(b[0] + 1 + rnd() % (SECX_SUITE_MAX - 1));
		break;
	}
}

/* Write the pool as seed files for libFuzzer: valid records reach the crypto. */
static int write_corpus(const char *dir)
{
	char path[4096];
	unsigned int k;
	FILE *f;

	for (k = 0; k < pool_len; k++) {
		snprintf(path, sizeof(path), "%s/seed-%02u", dir, k);
		f = fopen(path, "wb");
		if (!f || fwrite(pool[k].buf, 1, pool[k].len, f) != pool[k].len) {
			perror(path);
			return 1;
		}
		fclose(f);
	}
	return 0;
}

static int same_input(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && a[0] % SECX_SUITE_MAX == b[0] % SECX_SUITE_MAX &&
	       !memcmp(a + 1, b + 1, alen - 1);
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 + SECX_MAX_RECORD + 16];
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5ec5f022ULL;
	unsigned long i, mutated = 0, forged = 0, pristine = 0, good = 0, rejected = 0;
	clock_t t0 = clock();
	size_t len;
	unsigned long codes[3] = { 0 };
	unsigned int k, m;
	int ret;

	rng_state = seed ? seed : 1;
	setup();
	build_pool();
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	for (i = 0; i < iters; i++) {
		unsigned int mode = (unsigned int)(rnd() % 16);

		if (mode == 0) {		/* pristine: must be accepted */
			k = (unsigned int)(rnd() % pool_len);
			pristine++;
			good += fuzz_one(pool[k].buf, pool[k].len) == 0;
		} else if (mode < 4) {		/* random bytes */
			len = 1 + rnd() % 96;
			for (k = 0; k < len; k++)
				buf[k] = (uint8_t)rnd();
			if (mode == 3 && len > 5) {	/* with a plausible header */
				buf[1] = SECX_WIRE_VERSION;
				buf[2] = 0;
				buf[3] = (uint8_t)((len - 5) >> 8);
				buf[4] = (uint8_t)(len - 5);
			}
			rejected += fuzz_one(buf, len) != 0;
		} else {			/* mutated valid record */
			k = (unsigned int)(rnd() % pool_len);
			len = pool[k].len;
			memcpy(buf, pool[k].buf, len);
			for (m = 1 + (unsigned int)(rnd() % 3); m; m--)
				mutate(buf, &len, sizeof(buf));
			if (same_input(buf, len, pool[k].buf, pool[k].len))
				continue;
			mutated++;
			ret = fuzz_one(buf, len);
			codes[ret == -EBADMSG ? 0 : ret == -EPROTO ? 1 : 2]++;
			if (ret == 0) {
				forged++;
				printf("# accepted mutation of pool record %u\n", k);
			}
		}
	}
	printf("ok 1 - fuzz_record: %lu inputs (seed 0x%llx), no crash or invariant failure\n",
	       iters, (unsigned long long)seed);
	printf("%sok 2 - fuzz_record: %lu of %lu mutated records accepted (want 0)\n",
	       forged ? "not " : "", forged, mutated);
	printf("%sok 3 - fuzz_record: %lu of %lu pristine records accepted and canonical\n",
	       good != pristine ? "not " : "", good, pristine);
	printf("# mutations: %lu EBADMSG, %lu EPROTO, %lu EMSGSIZE\n", codes[0], codes[1],
	       codes[2]);
	printf("# %lu random inputs rejected; %.1f s CPU\n", rejected,
	       (double)(clock() - t0) / CLOCKS_PER_SEC);
	printf("1..3\n");
	return forged || good != pristine;
}
#endif /* SECX_LIBFUZZER */
