// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input on the receive side.  Records are taken off the wire from a
 * secx sender (pair A: secx TX -> plain TCP) and written, intact, replayed,
 * reordered, cut or with one bit flipped, from plain TCP to a secx
 * receiver (pair B: plain TCP -> secx RX).  Every failure must be reported
 * with the errno protocol.rst gives, must stay reported, and must not let
 * a single byte of the bad record reach the application.
 *
 * The kernel's records are also compared byte for byte with the userspace
 * reference codec (userspace/lib/record.c), in both directions.
 */
#include <sys/epoll.h>

#include "lib.h"
#include "kselftest_harness.h"

FIXTURE(err)
{
	int a_tx, a_rx, b_tx, b_rx;
};

FIXTURE_VARIANT(err)
{
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(err, aes128gcm) { .suite = SECX_SUITE_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(err, aes256gcm) { .suite = SECX_SUITE_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(err, chacha20poly1305) { .suite = SECX_SUITE_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(err, aes128cbc_sha256) { .suite = SECX_SUITE_AES_128_CBC_HMAC_SHA256 };
FIXTURE_VARIANT_ADD(err, aes256cbc_sha512) { .suite = SECX_SUITE_AES_256_CBC_HMAC_SHA512 };

FIXTURE_SETUP(err)
{
	ASSERT_EQ(0, tcp_pair(AF_INET, &self->a_tx, &self->a_rx));
	ASSERT_EQ(0, attach_ulp(self->a_tx, SECX_ULP_NAME));
	ASSERT_EQ(0, set_keys(self->a_tx, SECX_TX, variant->suite, 1));
	ASSERT_EQ(0, make_receiver(variant->suite, 1, &self->b_tx, &self->b_rx));
}

FIXTURE_TEARDOWN(err)
{
	close(self->a_tx);
	close(self->a_rx);
	close(self->b_tx);
	close(self->b_rx);
}

TEST_F(err, relay_intact)
{
	uint8_t rec[MAXREC], buf[16];
	ssize_t n = capture(self->a_tx, self->a_rx, "relayed!", 8, rec);

	ASSERT_LT(0, n);
	ASSERT_EQ(0, write_all(self->b_tx, rec, n));
	EXPECT_EQ(8, read_all(self->b_rx, buf, 8));
	EXPECT_EQ(0, memcmp(buf, "relayed!", 8));
}

/* The kernel and the reference codec produce and accept the same records. */
TEST_F(err, matches_reference_codec)
{
	static const char msg[] = "SECURE_X interop";
	uint8_t rec[MAXREC], ref[MAXREC], out[MAXREC], type = 0, buf[32];
	const struct secx_suite_desc *s = secx_suite_find(variant->suite);
	struct secx_rec_state st;
	size_t ref_len = sizeof(ref), out_len = sizeof(out);
	ssize_t n;

	n = capture(self->a_tx, self->a_rx, msg, sizeof(msg), rec);
	ASSERT_EQ((ssize_t)secx_rec_size(variant->suite, sizeof(msg)), n);
	ref_state(&st, variant->suite, 1);
	if (s->kind == SECX_KIND_AEAD) {
		ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_DATA, (const uint8_t *)msg, sizeof(msg),
					   NULL, ref, &ref_len));
		EXPECT_EQ((size_t)n, ref_len);
		EXPECT_EQ(0, memcmp(rec, ref, n));
	} else {
		/* random explicit IV: open the kernel's record instead */
		ASSERT_EQ(0, secx_rec_open(&st, rec, n, &type, out, &out_len));
		EXPECT_EQ(SECX_RT_DATA, type);
		EXPECT_EQ(sizeof(msg), out_len);
		EXPECT_EQ(0, memcmp(out, msg, sizeof(msg)));
	}

	/* and the reference codec's record is accepted by the kernel */
	ref_state(&st, variant->suite, 1);
	ref_len = sizeof(ref);
	ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_DATA, (const uint8_t *)msg, sizeof(msg),
				   s->kind == SECX_KIND_AEAD ? NULL : (const uint8_t *)"0123456789abcdef",
				   ref, &ref_len));
	ASSERT_EQ(0, write_all(self->b_tx, ref, ref_len));
	EXPECT_EQ((ssize_t)sizeof(msg), read_all(self->b_rx, buf, sizeof(msg)));
	EXPECT_EQ(0, memcmp(buf, msg, sizeof(msg)));
	secx_rec_wipe(&st);
}

/* Every bit of the body of a small record, flipped one at a time. */
TEST_F(err, any_flipped_bit_is_ebadmsg)
{
	uint8_t rec[MAXREC];
	long long before = secx_stat("DecryptErrors");
	ssize_t n = capture(self->a_tx, self->a_rx, "x", 1, rec);
	int bit, failures = 0, tested = 0;

	ASSERT_LT(0, n);
	for (bit = SECX_HDR_LEN * 8; bit < n * 8; bit++) {
		int tx, rx, ret;

		ASSERT_EQ(0, make_receiver(variant->suite, 1, &tx, &rx));
		rec[bit / 8] ^= 1 << (bit % 8);
		ASSERT_EQ(0, write_all(tx, rec, n));
		rec[bit / 8] ^= 1 << (bit % 8);
		ret = expect_sticky(rx, EBADMSG);
		if (ret) {
			failures++;
			TH_LOG("bit %d: %d", bit, ret);
		}
		tested++;
		close(tx);
		close(rx);
	}
	EXPECT_EQ(0, failures);
	EXPECT_EQ(before + tested, secx_stat("DecryptErrors"));
}

TEST_F(err, tampered_after_good_records)
{
	uint8_t r1[MAXREC], r2[MAXREC], buf[16];
	ssize_t n1 = capture(self->a_tx, self->a_rx, "first", 5, r1);
	ssize_t n2 = capture(self->a_tx, self->a_rx, "second", 6, r2);

	ASSERT_LT(0, n1);
	ASSERT_LT(0, n2);
	r2[n2 - 1] ^= 0x80;
	ASSERT_EQ(0, write_all(self->b_tx, r1, n1));
	ASSERT_EQ(0, write_all(self->b_tx, r2, n2));
	EXPECT_EQ(5, recv(self->b_rx, buf, sizeof(buf), MSG_WAITALL));
	EXPECT_EQ(0, expect_sticky(self->b_rx, EBADMSG));
	/* the connection is poisoned both ways */
	EXPECT_EQ(-1, send(self->b_rx, "x", 1, MSG_NOSIGNAL));
}

TEST_F(err, replay_is_ebadmsg)
{
	uint8_t rec[MAXREC], buf[8];
	ssize_t n = capture(self->a_tx, self->a_rx, "once", 4, rec);

	ASSERT_EQ(0, write_all(self->b_tx, rec, n));
	ASSERT_EQ(0, write_all(self->b_tx, rec, n));
	EXPECT_EQ(4, recv(self->b_rx, buf, sizeof(buf), 0));
	EXPECT_EQ(0, expect_sticky(self->b_rx, EBADMSG));
}

TEST_F(err, reorder_is_ebadmsg)
{
	uint8_t r1[MAXREC], r2[MAXREC];
	ssize_t n1 = capture(self->a_tx, self->a_rx, "one", 3, r1);
	ssize_t n2 = capture(self->a_tx, self->a_rx, "two", 3, r2);

	ASSERT_EQ(0, write_all(self->b_tx, r2, n2));
	ASSERT_EQ(0, write_all(self->b_tx, r1, n1));
	EXPECT_EQ(0, expect_sticky(self->b_rx, EBADMSG));
}

TEST_F(err, wrong_key_is_ebadmsg)
{
	uint8_t rec[MAXREC];
	ssize_t n = capture(self->a_tx, self->a_rx, "secret", 6, rec);
	int tx, rx;

	ASSERT_EQ(0, make_receiver(variant->suite, 3, &tx, &rx));
	ASSERT_EQ(0, write_all(tx, rec, n));
	EXPECT_EQ(0, expect_sticky(rx, EBADMSG));
	close(tx);
	close(rx);
}

static void header_case(struct __test_metadata *_metadata, uint16_t suite,
			const uint8_t hdr[4], int want)
{
	uint8_t junk[64] = { 0 };
	int tx, rx;

	ASSERT_EQ(0, make_receiver(suite, 1, &tx, &rx));
	ASSERT_EQ(0, write_all(tx, hdr, 4));
	ASSERT_EQ(0, write_all(tx, junk, sizeof(junk)));
	EXPECT_EQ(0, expect_sticky(rx, want)) TH_LOG("header %02x %02x %02x %02x",
						     hdr[0], hdr[1], hdr[2], hdr[3]);
	close(tx);
	close(rx);
}

TEST_F(err, bad_headers)
{
	const struct secx_suite_desc *s = secx_suite_find(variant->suite);
	unsigned int max = secx_suite_max_body(s), min = secx_suite_min_body(s);
	uint8_t bad_version[4] = { 0x17, 0x00, 0x00, 0x40 };
	uint8_t bad_flags[4] = { 0x01, 0x80, 0x00, 0x40 };
	uint8_t too_long[4] = { 0x01, 0x00, (max + 1) >> 8, (max + 1) & 0xff };
	uint8_t too_short[4] = { 0x01, 0x00, (min - 1) >> 8, (min - 1) & 0xff };
	long long before = secx_stat("ProtocolErrors");

	header_case(_metadata, variant->suite, bad_version, EPROTO);
	header_case(_metadata, variant->suite, bad_flags, EPROTO);
	header_case(_metadata, variant->suite, too_long, EMSGSIZE);
	header_case(_metadata, variant->suite, too_short, EBADMSG);
	EXPECT_EQ(before + 4, secx_stat("ProtocolErrors"));
}

TEST_F(err, poll_waits_for_whole_record)
{
	uint8_t rec[MAXREC], buf[64];
	struct pollfd pfd = { .fd = self->b_rx, .events = POLLIN };
	struct epoll_event ev = { .events = EPOLLIN };
	ssize_t n = capture(self->a_tx, self->a_rx, "partial record", 14, rec);
	int ep = epoll_create1(0);

	ASSERT_LT(0, n);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->b_rx, &ev));
	ASSERT_EQ(0, write_all(self->b_tx, rec, n - 1));
	usleep(50000);
	EXPECT_EQ(0, poll(&pfd, 1, 100));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 100));
	EXPECT_EQ(-1, recv(self->b_rx, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, write_all(self->b_tx, rec + n - 1, 1));
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_EQ(14, recv(self->b_rx, buf, sizeof(buf), MSG_DONTWAIT));
	close(ep);
}

TEST_F(err, eof_without_close_is_truncation)
{
	uint8_t rec[MAXREC], buf[16];
	ssize_t n = capture(self->a_tx, self->a_rx, "data", 4, rec);
	long long before = secx_stat("Truncations");
	struct pollfd pfd = { .fd = self->b_rx, .events = POLLIN };

	ASSERT_EQ(0, write_all(self->b_tx, rec, n));
	ASSERT_EQ(0, shutdown(self->b_tx, SHUT_WR));
	EXPECT_EQ(4, read_all(self->b_rx, buf, 4));
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_EQ(0, expect_sticky(self->b_rx, ECONNABORTED));
	EXPECT_EQ(before + 1, secx_stat("Truncations"));
}

TEST_F(err, eof_inside_record_is_truncation)
{
	uint8_t rec[MAXREC];
	ssize_t n = capture(self->a_tx, self->a_rx, "cut short", 9, rec);

	ASSERT_EQ(0, write_all(self->b_tx, rec, n / 2));
	ASSERT_EQ(0, shutdown(self->b_tx, SHUT_WR));
	EXPECT_EQ(0, expect_sticky(self->b_rx, ECONNABORTED));
}

TEST_F(err, close_record_is_clean_eof)
{
	uint8_t rec[MAXREC], cls[MAXREC], buf[16];
	ssize_t n = capture(self->a_tx, self->a_rx, "last", 4, rec), c;

	ASSERT_EQ(0, shutdown(self->a_tx, SHUT_WR));
	c = read_record(self->a_rx, cls);
	ASSERT_LT(0, c);
	EXPECT_EQ(0, recv(self->a_rx, buf, sizeof(buf), 0));	/* TCP FIN follows */
	ASSERT_EQ(0, write_all(self->b_tx, rec, n));
	ASSERT_EQ(0, write_all(self->b_tx, cls, c));
	ASSERT_EQ(0, shutdown(self->b_tx, SHUT_WR));
	EXPECT_EQ(4, read_all(self->b_rx, buf, 4));
	EXPECT_EQ(0, recv(self->b_rx, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(self->b_rx, buf, sizeof(buf), 0));
}

TEST_F(err, data_after_close_is_eproto)
{
	uint8_t both[2 * MAXREC], buf[16];
	ssize_t c;

	ASSERT_EQ(0, shutdown(self->a_tx, SHUT_WR));
	c = read_record(self->a_rx, both);
	ASSERT_LT(0, c);
	memcpy(both + c, "trailing", 8);
	ASSERT_EQ(0, write_all(self->b_tx, both, c + 8));
	usleep(50000);
	EXPECT_EQ(-1, recv(self->b_rx, buf, sizeof(buf), 0));
	EXPECT_EQ(EPROTO, errno);
}

/* Records queued before SECX_RX is installed are parsed like any other. */
TEST_F(err, prequeued_records)
{
	uint8_t r1[MAXREC], r2[MAXREC], buf[32];
	ssize_t n1 = capture(self->a_tx, self->a_rx, "early ", 6, r1);
	ssize_t n2 = capture(self->a_tx, self->a_rx, "birds", 5, r2);
	struct pollfd pfd;
	int tx, rx;

	ASSERT_EQ(0, tcp_pair(AF_INET, &tx, &rx));
	ASSERT_EQ(0, attach_ulp(rx, SECX_ULP_NAME));
	ASSERT_EQ(0, write_all(tx, r1, n1));
	ASSERT_EQ(0, write_all(tx, r2, n2));
	usleep(100000);
	ASSERT_EQ(0, set_keys(rx, SECX_RX, variant->suite, 1));
	pfd = (struct pollfd){ .fd = rx, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_EQ(11, read_all(rx, buf, 11));
	EXPECT_EQ(0, memcmp(buf, "early birds", 11));
	close(tx);
	close(rx);
}

/* Records the kernel never sends, built with the reference codec. */
static void inject(struct __test_metadata *_metadata, uint16_t suite, uint8_t type,
		   const char *data, size_t len, int want)
{
	uint8_t rec[MAXREC];
	size_t rec_len = sizeof(rec);
	struct secx_rec_state st;
	int tx, rx;

	ref_state(&st, suite, 1);
	ASSERT_EQ(0, secx_rec_seal(&st, type, (const uint8_t *)data, len,
				   (const uint8_t *)"fedcba9876543210", rec, &rec_len));
	ASSERT_EQ(0, make_receiver(suite, 1, &tx, &rx));
	ASSERT_EQ(0, write_all(tx, rec, rec_len));
	EXPECT_EQ(0, expect_sticky(rx, want)) TH_LOG("inner type %u len %zu", type, len);
	close(tx);
	close(rx);
	secx_rec_wipe(&st);
}

TEST_F(err, invalid_control_records)
{
	inject(_metadata, variant->suite, 9, "x", 1, EBADMSG);
	inject(_metadata, variant->suite, 0, "", 0, EBADMSG);
	inject(_metadata, variant->suite, SECX_RT_CLOSE, "x", 1, EBADMSG);
	inject(_metadata, variant->suite, SECX_RT_ALERT, "\x01\x02", 2, EBADMSG);
	inject(_metadata, variant->suite, SECX_RT_ALERT, "", 0, EBADMSG);
	inject(_metadata, variant->suite, SECX_RT_ALERT, "\x28", 1, ECONNRESET);
}

TEST_F(err, empty_data_record_delivers_nothing)
{
	uint8_t rec[MAXREC], rec2[MAXREC], buf[8];
	size_t len = sizeof(rec), len2 = sizeof(rec2);
	struct secx_rec_state st;

	ref_state(&st, variant->suite, 1);
	ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_DATA, (const uint8_t *)"", 0,
				   (const uint8_t *)"0000000000000000", rec, &len));
	ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_DATA, (const uint8_t *)"ok", 2,
				   (const uint8_t *)"1111111111111111", rec2, &len2));
	ASSERT_EQ(0, write_all(self->b_tx, rec, len));
	ASSERT_EQ(0, write_all(self->b_tx, rec2, len2));
	EXPECT_EQ(2, read_all(self->b_rx, buf, 2));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	secx_rec_wipe(&st);
}

/* The sequence space never wraps: 2^64-1 is never used. */
TEST_F(err, sequence_exhaustion_is_ekeyexpired)
{
	struct secx_crypto_info info;
	uint8_t rec[MAXREC];
	ssize_t n = capture(self->a_tx, self->a_rx, "z", 1, rec);
	int tx, rx, c, s;

	fill_info(&info, variant->suite, 1);
	info.seq = UINT64_MAX;
	ASSERT_EQ(0, tcp_pair(AF_INET, &tx, &rx));
	ASSERT_EQ(0, attach_ulp(rx, SECX_ULP_NAME));
	ASSERT_EQ(0, setsockopt(rx, SOL_SECX, SECX_RX, &info, sizeof(info)));
	ASSERT_EQ(0, write_all(tx, rec, n));
	EXPECT_EQ(0, expect_sticky(rx, EKEYEXPIRED));

	ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
	ASSERT_EQ(0, attach_ulp(c, SECX_ULP_NAME));
	ASSERT_EQ(0, setsockopt(c, SOL_SECX, SECX_TX, &info, sizeof(info)));
	EXPECT_EQ(-1, send(c, "z", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EKEYEXPIRED, errno);
	close(tx);
	close(rx);
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
