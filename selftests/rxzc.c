// SPDX-License-Identifier: GPL-2.0
/*
 * The zero-copy receive path (kmod/rxzc.c) for every suite: records written
 * by the userspace reference codec from plain TCP to a secx receiver are
 * read with buffers of exactly the record's size, one byte smaller, split
 * over many TCP segments, tampered with, and (CBC suites) with bad padding
 * under a valid MAC.  RxZeroCopyRecords in /proc/net/secx_stat says which
 * records took the path.  Whatever fails, the reader's buffer never holds
 * plaintext of the failed record.
 */
#include "lib.h"
#include "kselftest_harness.h"

#define ZC_STAT "RxZeroCopyRecords"
#define MARK 0x5a	/* the plaintext of records that must not be delivered */
#define FILL 0xa5	/* what the reader's buffer held before the call */

FIXTURE(zc)
{
	int tx, rx;
	struct secx_rec_state ref;
	uint8_t rec[MAXREC];
	uint8_t data[SECX_MAX_DATA + 64];
	uint8_t buf[SECX_MAX_DATA + 64];
};

FIXTURE_VARIANT(zc)
{
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(zc, aes128gcm) { .suite = SECX_SUITE_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(zc, aes256gcm) { .suite = SECX_SUITE_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(zc, chacha20poly1305) { .suite = SECX_SUITE_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(zc, aes128cbc_sha256) { .suite = SECX_SUITE_AES_128_CBC_HMAC_SHA256 };
FIXTURE_VARIANT_ADD(zc, aes256cbc_sha512) { .suite = SECX_SUITE_AES_256_CBC_HMAC_SHA512 };

FIXTURE_SETUP(zc)
{
	ASSERT_EQ(0, make_receiver(variant->suite, 1, &self->tx, &self->rx));
	ref_state(&self->ref, variant->suite, 1);
	ASSERT_LE(0, secx_stat(ZC_STAT));
}

FIXTURE_TEARDOWN(zc)
{
	secx_rec_wipe(&self->ref);
	close(self->tx);
	close(self->rx);
}

static bool is_cbc(uint16_t suite)
{
	return secx_suite_find(suite)->kind == SECX_KIND_CBC_HMAC;
}

/* Seal @len bytes of @data as one DATA record; its length, or -1. */
static ssize_t seal(struct secx_rec_state *st, const uint8_t *data, size_t len, uint8_t *rec)
{
	size_t n = MAXREC;

	if (secx_rec_seal(st, SECX_RT_DATA, data, len, NULL, rec, &n))
		return -1;
	return n;
}

/*
 * Does rxzc.c take a record of @len data bytes read into @room bytes?
 * AEAD: when the data fit.  CBC: when the plaintext (type || data || pad)
 * has two blocks or more and all but the type and the last block fit.
 */
static bool zc_expected(uint16_t suite, size_t len, size_t room)
{
	size_t ct = (SECX_TYPE_LEN + len) / SECX_CBC_BLOCK * SECX_CBC_BLOCK + SECX_CBC_BLOCK;

	if (!is_cbc(suite))
		return len && len <= room;
	return ct >= 2 * SECX_CBC_BLOCK && ct - SECX_TYPE_LEN - SECX_CBC_BLOCK <= room;
}

/* No byte of @buf is @mark, and every byte is FILL or zero. */
static int no_plaintext(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != FILL && buf[i] != 0)
			return -1;
	return 0;
}

/* Every size, read with a buffer of exactly that size, at odd offsets. */
TEST_F(zc, exact_buffer_every_size)
{
	static const size_t sizes[] = { 1, 14, 15, 16, 31, 32, 100, 4095, 4096, 4097,
					10000, 16383, 16384 };
	long long before = secx_stat(ZC_STAT), want = 0;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], off = i % 7;
		ssize_t n;

		fill_pattern(self->data, len, 100 + i);
		n = seal(&self->ref, self->data, len, self->rec);
		ASSERT_LT(0, n);
		ASSERT_EQ(0, write_all(self->tx, self->rec, n));
		memset(self->buf, FILL, sizeof(self->buf));
		ASSERT_EQ((ssize_t)len, recv(self->rx, self->buf + off, len, MSG_WAITALL));
		EXPECT_EQ(0, memcmp(self->buf + off, self->data, len)) TH_LOG("size %zu", len);
		/* nothing written past what recv returned */
		EXPECT_EQ(FILL, self->buf[off + len]) TH_LOG("size %zu", len);
		want += zc_expected(variant->suite, len, len);
	}
	EXPECT_EQ(before + want, secx_stat(ZC_STAT));
}

/*
 * A buffer one byte smaller than the record: the data arrive whole and in
 * order over two reads.  CBC suites still take the path for a full record
 * (the last plaintext block is decrypted aside, the byte that does not fit
 * is kept for the next read); AEAD suites copy.
 */
TEST_F(zc, buffer_one_byte_smaller)
{
	static const size_t sizes[] = { 16384, 16383, 4096, 100, 31, 2 };
	long long before = secx_stat(ZC_STAT), want = 0;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		ssize_t n;

		fill_pattern(self->data, len, 200 + i);
		n = seal(&self->ref, self->data, len, self->rec);
		ASSERT_LT(0, n);
		ASSERT_EQ(0, write_all(self->tx, self->rec, n));
		memset(self->buf, FILL, sizeof(self->buf));
		ASSERT_EQ((ssize_t)len - 1, recv(self->rx, self->buf, len - 1, MSG_WAITALL));
		EXPECT_EQ(FILL, self->buf[len - 1]);
		ASSERT_EQ(1, recv(self->rx, self->buf + len - 1, 16, 0));
		EXPECT_EQ(0, memcmp(self->buf, self->data, len)) TH_LOG("size %zu", len);
		EXPECT_EQ(FILL, self->buf[len]);
		want += zc_expected(variant->suite, len, len - 1);
	}
	EXPECT_EQ(before + want, secx_stat(ZC_STAT));
}

/* Write @n bytes of @rec in segments of @seg bytes, 1 ms apart. */
static int write_segments(int fd, const uint8_t *rec, size_t n, size_t seg)
{
	size_t off = 0;
	int one = 1;

	if (setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -1;
	while (off < n) {
		size_t chunk = n - off < seg ? n - off : seg;

		if (send(fd, rec + off, chunk, 0) != (ssize_t)chunk)
			return -1;
		off += chunk;
		usleep(1000);
	}
	return 0;
}

/*
 * One full record in a dozen TCP segments (so in many skb fragments), read
 * after it is all there: decrypted from all of them into the buffer.
 */
TEST_F(zc, record_in_many_segments)
{
	long long before = secx_stat(ZC_STAT);
	size_t len = SECX_MAX_DATA;
	ssize_t n;

	fill_pattern(self->data, len, 7);
	n = seal(&self->ref, self->data, len, self->rec);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, write_segments(self->tx, self->rec, n, 1500));
	memset(self->buf, FILL, sizeof(self->buf));
	ASSERT_EQ((ssize_t)len, recv(self->rx, self->buf, len, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(self->buf, self->data, len));
	EXPECT_EQ(before + 1, secx_stat(ZC_STAT));
}

/*
 * In 509-byte segments: more fragments than rxzc.c maps (SECX_RXZC_SRC_SG),
 * so the copying path takes it; the same bytes either way.
 */
TEST_F(zc, record_in_tiny_segments)
{
	long long before = secx_stat(ZC_STAT);
	size_t len = SECX_MAX_DATA;
	ssize_t n;

	fill_pattern(self->data, len, 8);
	n = seal(&self->ref, self->data, len, self->rec);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, write_segments(self->tx, self->rec, n, 509));
	memset(self->buf, FILL, sizeof(self->buf));
	ASSERT_EQ((ssize_t)len, recv(self->rx, self->buf, len, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(self->buf, self->data, len));
	TH_LOG("records on the zero-copy path: %lld", secx_stat(ZC_STAT) - before);
}

struct rest {
	int fd;
	const uint8_t *rec;
	size_t n;
};

/* Child: after a pause, the rest of a record. */
static int send_rest(void *arg)
{
	struct rest *r = arg;

	usleep(200 * 1000);
	return write_all(r->fd, r->rec, r->n) ? 1 : 0;
}

/*
 * A reader that finds half a record queued (as every recv() that drains
 * the complete records before it does) waits for the rest and takes the
 * record on the zero-copy path, rather than pulling the half out of TCP
 * into the record buffer and copying it twice.
 */
TEST_F(zc, reader_waits_for_rest_of_record)
{
	long long before = secx_stat(ZC_STAT);
	size_t len = 12000;
	struct rest r;
	pid_t pid;
	ssize_t n;

	fill_pattern(self->data, len, 11);
	n = seal(&self->ref, self->data, len, self->rec);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, write_all(self->tx, self->rec, n / 2));
	usleep(50 * 1000);
	r = (struct rest){ .fd = self->tx, .rec = self->rec + n / 2, .n = n - n / 2 };
	pid = run_child(send_rest, &r);
	ASSERT_LT(0, pid);
	memset(self->buf, FILL, sizeof(self->buf));
	ASSERT_EQ((ssize_t)len, recv(self->rx, self->buf, sizeof(self->buf), 0));
	EXPECT_EQ(0, memcmp(self->buf, self->data, len));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(before + 1, secx_stat(ZC_STAT));
}

/* MSG_PEEK, then the read: the same bytes, the record left in place. */
TEST_F(zc, peek_then_read)
{
	size_t len = 5000;
	ssize_t n;

	fill_pattern(self->data, len, 9);
	n = seal(&self->ref, self->data, len, self->rec);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, write_all(self->tx, self->rec, n));
	memset(self->buf, FILL, sizeof(self->buf));
	ASSERT_EQ((ssize_t)len, recv(self->rx, self->buf, len, MSG_PEEK | MSG_WAITALL));
	EXPECT_EQ(0, memcmp(self->buf, self->data, len));
	memset(self->buf, FILL, sizeof(self->buf));
	ASSERT_EQ((ssize_t)len, recv(self->rx, self->buf, len, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(self->buf, self->data, len));
}

/*
 * A flipped bit in the ciphertext or the tag: EBADMSG, sticky, and the
 * reader's buffer holds no plaintext, whether the record was read with a
 * buffer that fits it (zero-copy path), with MSG_PEEK or with a smaller
 * buffer (decrypted from TCP into the record buffer).
 */
TEST_F(zc, tampered_record_leaves_no_plaintext)
{
	static const int where[] = { 0, 1, 2 };	/* first body byte, middle, last */
	static const char * const modes[] = { "fits", "peek", "small buffer" };
	unsigned int i, m;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		for (m = 0; m < 3; m++) {
			long long zc = secx_stat(ZC_STAT), errs = secx_stat("DecryptErrors");
			size_t len = 9000;
			ssize_t n, at;
			int tx, rx;

			ASSERT_EQ(0, make_receiver(variant->suite, 1, &tx, &rx));
			/* the reference sender starts at sequence 0 each time */
			secx_rec_wipe(&self->ref);
			ref_state(&self->ref, variant->suite, 1);
			memset(self->data, MARK, len);
			n = seal(&self->ref, self->data, len, self->rec);
			ASSERT_LT(0, n);
			at = where[i] == 0 ? SECX_HDR_LEN : where[i] == 1 ? n / 2 : n - 1;
			self->rec[at] ^= 0x04;
			ASSERT_EQ(0, write_all(tx, self->rec, n));
			usleep(20 * 1000);
			memset(self->buf, FILL, sizeof(self->buf));
			EXPECT_EQ(-1, recv(rx, self->buf, m == 2 ? 100 : len,
					   m == 1 ? MSG_PEEK : 0));
			EXPECT_EQ(EBADMSG, errno);
			EXPECT_EQ(0, no_plaintext(self->buf, sizeof(self->buf)))
				TH_LOG("byte %zd, %s", at, modes[m]);
			EXPECT_EQ(0, expect_sticky(rx, EBADMSG));
			EXPECT_EQ(errs + 1, secx_stat("DecryptErrors"));
			EXPECT_EQ(zc + (m == 0), secx_stat(ZC_STAT))
				TH_LOG("byte %zd, %s", at, modes[m]);
			close(tx);
			close(rx);
		}
	}
}

/*
 * CBC suites: padding that the MAC vouches for but protocol.rst forbids
 * (p + 1 bytes of value p, 1..16 of them, after the type byte) is EBADMSG
 * with nothing delivered, on the zero-copy path (large records) and the
 * copying one (one block).  A record whose data exceed 16384 bytes is
 * EMSGSIZE, also with nothing delivered.
 */
struct bad_inner {
	const char *what;
	size_t inner_len;	/* multiple of 16 */
	uint8_t last;		/* value of the last byte */
	int spoil;		/* offset from the end of a byte set to last ^ 1, or 0 */
	int err;
	bool zc;
};

static const struct bad_inner bad_inners[] = {
	{ "good (control)", 4096, 6, 0, 0, true },
	{ "pad byte differs", 4096, 6, 4, EBADMSG, true },
	{ "first pad byte differs", 4096, 6, 7, EBADMSG, true },
	{ "pad longer than a block", 4096, 16, 0, EBADMSG, true },
	{ "pad 0xff", 4096, 0xff, 0, EBADMSG, true },
	{ "one block, all padding", 16, 15, 0, EBADMSG, false },
	{ "one block, pad 16", 16, 16, 0, EBADMSG, false },
	{ "16398 data bytes", 16400, 0, 0, EMSGSIZE, true },
	{ "16397 data bytes", 16400, 1, 0, EMSGSIZE, true },
	{ "16384 data bytes, largest pad", 16400, 14, 0, 0, true },
};

TEST(cbc_bad_padding)
{
	static const uint16_t suites[] = { SECX_SUITE_AES_128_CBC_HMAC_SHA256,
					   SECX_SUITE_AES_256_CBC_HMAC_SHA512 };
	static uint8_t inner[SECX_MAX_DATA + 2 * SECX_CBC_BLOCK], rec[MAXREC],
		buf[SECX_MAX_DATA + 64];
	unsigned int s, i;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < sizeof(bad_inners) / sizeof(bad_inners[0]); i++) {
			const struct bad_inner *b = &bad_inners[i];
			long long zc = secx_stat(ZC_STAT), errs = secx_stat("DecryptErrors");
			size_t n = sizeof(rec), pad = (size_t)b->last + 1, data, j;
			struct secx_rec_state ref;
			int tx, rx;
			ssize_t got;

			ASSERT_EQ(0, make_receiver(suites[s], 1, &tx, &rx));
			ref_state(&ref, suites[s], 1);
			inner[0] = SECX_RT_DATA;
			memset(inner + 1, MARK, b->inner_len - 1);
			for (j = 1; j <= pad && j < b->inner_len; j++)
				inner[b->inner_len - j] = b->last;
			if (b->spoil)
				inner[b->inner_len - b->spoil] = b->last ^ 1;
			ASSERT_EQ(0, secx_rec_seal_inner(&ref, inner, b->inner_len, NULL, rec, &n));
			secx_rec_wipe(&ref);
			ASSERT_EQ(0, write_all(tx, rec, n));
			data = b->inner_len - 1 - (pad < b->inner_len ? pad : 0);
			memset(buf, FILL, sizeof(buf));
			/* room for any padding, so the zero-copy path applies */
			got = recv(rx, buf, b->err ? sizeof(buf) : data, MSG_WAITALL);
			if (!b->err) {
				EXPECT_EQ((ssize_t)data, got) TH_LOG("%s", b->what);
				for (j = 0; j < data; j++)
					if (buf[j] != MARK)
						break;
				EXPECT_EQ(data, j) TH_LOG("%s", b->what);
				EXPECT_EQ(errs, secx_stat("DecryptErrors"));
			} else {
				EXPECT_EQ(-1, got) TH_LOG("%s", b->what);
				EXPECT_EQ(b->err, errno) TH_LOG("%s", b->what);
				EXPECT_EQ(0, no_plaintext(buf, sizeof(buf))) TH_LOG("%s", b->what);
				EXPECT_EQ(0, expect_sticky(rx, b->err)) TH_LOG("%s", b->what);
				if (b->err == EBADMSG)
					EXPECT_EQ(errs + 1, secx_stat("DecryptErrors"));
			}
			EXPECT_EQ(zc + b->zc, secx_stat(ZC_STAT)) TH_LOG("%s, suite %u",
									 b->what, suites[s]);
			close(tx);
			close(rx);
		}
	}
}

TEST_HARNESS_MAIN
