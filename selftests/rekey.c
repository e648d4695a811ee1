// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel key updates: on request (SECX_KEY_UPDATE, or the peer's), on
 * byte, record and time budgets (SECX_REKEY_LIMITS), and before the end of
 * the sequence space; during send, sendfile and splice; in both directions
 * at once over 1 GiB; and the failures: tampered KEY_UPDATE, records under
 * the old key, no secret, invalid budgets.  The derivation is checked
 * against the userspace reference codec.
 */
#include <sys/sendfile.h>

#include "lib.h"
#include "kselftest_harness.h"

FIXTURE(rk)
{
	int c, s;
};

FIXTURE_VARIANT(rk)
{
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(rk, aes128gcm) { .suite = SECX_SUITE_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(rk, aes256gcm) { .suite = SECX_SUITE_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(rk, chacha20poly1305) { .suite = SECX_SUITE_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(rk, aes128cbc_sha256) { .suite = SECX_SUITE_AES_128_CBC_HMAC_SHA256 };
FIXTURE_VARIANT_ADD(rk, aes256cbc_sha512) { .suite = SECX_SUITE_AES_256_CBC_HMAC_SHA512 };

FIXTURE_SETUP(rk)
{
	ASSERT_EQ(0, tcp_pair(AF_INET, &self->c, &self->s));
	ASSERT_EQ(0, secx_keys_both(self->c, self->s, variant->suite));
}

FIXTURE_TEARDOWN(rk)
{
	close(self->c);
	close(self->s);
}

static int key_update(int fd, uint32_t flags)
{
	return setsockopt(fd, SOL_SECX, SECX_KEY_UPDATE, &flags, sizeof(flags)) ? -errno : 0;
}

static int set_limits(int fd, uint64_t bytes, uint64_t records, uint32_t seconds)
{
	struct secx_rekey_limits l = {
		.version = SECX_ABI_VERSION, .bytes = bytes, .records = records,
		.seconds = seconds,
	};

	return setsockopt(fd, SOL_SECX, SECX_REKEY_LIMITS, &l, sizeof(l)) ? -errno : 0;
}

static struct secx_info info_of(int fd)
{
	struct secx_info si = { 0 };

	get_info(fd, &si);
	return si;
}

static int echo_ok(int tx, int rx, const char *msg)
{
	char buf[64];
	size_t len = strlen(msg);

	if (write_all(tx, msg, len) || read_all(rx, buf, len) != (ssize_t)len)
		return -1;
	return memcmp(buf, msg, len) ? -1 : 0;
}

TEST_F(rk, update_on_request)
{
	long long before = secx_stat("TxRekeys");

	ASSERT_EQ(0, echo_ok(self->c, self->s, "before"));
	ASSERT_EQ(0, key_update(self->c, SECX_KU_TX));
	ASSERT_EQ(0, echo_ok(self->c, self->s, "after"));
	EXPECT_EQ(1, info_of(self->c).tx_epoch);
	EXPECT_EQ(0, info_of(self->c).tx_seq - 1);	/* "after" was seq 0 */
	EXPECT_EQ(1, info_of(self->s).rx_epoch);
	EXPECT_EQ(0, info_of(self->s).tx_epoch);
	EXPECT_LE(before + 1, secx_stat("TxRekeys"));
	ASSERT_EQ(0, key_update(self->c, SECX_KU_TX));
	ASSERT_EQ(0, key_update(self->c, SECX_KU_TX));
	ASSERT_EQ(0, echo_ok(self->c, self->s, "twice more"));
	EXPECT_EQ(3, info_of(self->s).rx_epoch);
}

TEST_F(rk, peer_asked_to_update)
{
	int i;

	ASSERT_EQ(0, key_update(self->c, SECX_KU_TX | SECX_KU_REQUEST_PEER));
	ASSERT_EQ(0, echo_ok(self->c, self->s, "ping"));
	/* the peer answers by itself, without anything to send */
	for (i = 0; i < 100 && info_of(self->s).tx_epoch == 0; i++)
		usleep(10000);
	EXPECT_EQ(1, info_of(self->s).tx_epoch);
	ASSERT_EQ(0, echo_ok(self->s, self->c, "pong"));
	EXPECT_EQ(1, info_of(self->c).rx_epoch);
	/* an answer is not answered again */
	usleep(100000);
	EXPECT_EQ(1, info_of(self->c).tx_epoch);
	ASSERT_EQ(0, echo_ok(self->c, self->s, "done"));
}

enum how { BY_SEND, BY_SENDFILE, BY_SPLICE };

struct stream {
	int fd;
	enum how how;
	const uint8_t *buf;
	size_t len;
	int repeat;
};

static int stream_send(void *arg)
{
	struct stream *st = arg;
	char path[] = "/tmp/secx-rekey-XXXXXX";
	int fd = -1, p[2], r;

	if (st->how != BY_SEND) {
		fd = mkstemp(path);
		unlink(path);
		if (fd < 0 || write(fd, st->buf, st->len) != (ssize_t)st->len || pipe(p))
			return 1;
	}
	for (r = 0; r < st->repeat; r++) {
		off_t off = 0;
		loff_t loff = 0;
		size_t left = st->len;

		switch (st->how) {
		case BY_SEND:
			if (write_all(st->fd, st->buf, st->len))
				return 1;
			break;
		case BY_SENDFILE:
			while ((size_t)off < st->len)
				if (sendfile(st->fd, fd, &off, st->len - off) <= 0)
					return 1;
			break;
		case BY_SPLICE:
			while (left) {
				ssize_t in = splice(fd, &loff, p[1], NULL, left, SPLICE_F_MORE);

				if (in <= 0)
					return 1;
				while (in > 0) {
					ssize_t out = splice(p[0], NULL, st->fd, NULL, in, SPLICE_F_MORE);

					if (out <= 0)
						return 1;
					in -= out;
					left -= out;
				}
			}
			break;
		}
	}
	return 0;
}

/* Receive @len * @repeat bytes and compare with @expect, chunk by chunk. */
static int stream_check(int fd, const uint8_t *expect, size_t len, int repeat)
{
	size_t total = len * repeat, got = 0, chunk = 256 << 10;
	uint8_t *buf = malloc(chunk);
	int bad = 0;

	while (got < total) {
		size_t want = chunk < total - got ? chunk : total - got;
		size_t off = got % len;
		ssize_t n;

		if (want > len - off)
			want = len - off;
		n = recv(fd, buf, want, 0);
		if (n <= 0) {
			bad = 1;
			break;
		}
		if (memcmp(buf, expect + off, n))
			bad = 1;
		got += n;
	}
	free(buf);
	return bad;
}

/* 8 MiB in full records with a 1 MiB budget: 64 records per key. */
static void budget_run(struct __test_metadata *_metadata, int c, int s, enum how how)
{
	size_t len = 8 << 20;
	uint8_t *buf = malloc(len);
	struct stream st = { .fd = c, .how = how, .buf = buf, .len = len, .repeat = 1 };
	uint32_t before = info_of(c).tx_epoch;
	pid_t pid;

	fill_pattern(buf, len, how);
	ASSERT_EQ(0, set_limits(c, 1 << 20, 0, 0));
	pid = run_child(stream_send, &st);
	EXPECT_EQ(0, stream_check(s, buf, len, 1));
	EXPECT_EQ(0, wait_child(pid));
	/* records 0..511; a key update before records 64, 128, ... 448 */
	EXPECT_EQ(before + 7, info_of(c).tx_epoch);
	EXPECT_EQ(info_of(c).tx_epoch, info_of(s).rx_epoch);
	free(buf);
}

TEST_F(rk, byte_budget_send)
{
	budget_run(_metadata, self->c, self->s, BY_SEND);
}

TEST_F(rk, byte_budget_sendfile)
{
	budget_run(_metadata, self->c, self->s, BY_SENDFILE);
}

TEST_F(rk, byte_budget_splice)
{
	budget_run(_metadata, self->c, self->s, BY_SPLICE);
}

TEST_F(rk, record_budget)
{
	char buf[100];
	int i;

	memset(buf, 'r', sizeof(buf));
	ASSERT_EQ(0, set_limits(self->c, 0, 10, 0));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(100, send(self->c, buf, 100, 0));
		ASSERT_EQ(100, read_all(self->s, buf, 100));
	}
	/* a key protects 10 records: 9 data records and its KEY_UPDATE */
	EXPECT_EQ(11, info_of(self->c).tx_epoch);
	EXPECT_EQ(11, info_of(self->s).rx_epoch);
}

TEST_F(rk, time_budget_idle_then_busy)
{
	ASSERT_EQ(0, set_limits(self->c, 0, 0, 1));
	ASSERT_EQ(0, echo_ok(self->c, self->s, "busy"));
	EXPECT_EQ(0, info_of(self->c).tx_epoch);
	usleep(1300000);
	/* idle: nothing is sent just because time passed */
	EXPECT_EQ(0, info_of(self->c).tx_epoch);
	ASSERT_EQ(0, echo_ok(self->c, self->s, "busy again"));
	EXPECT_EQ(1, info_of(self->c).tx_epoch);
	EXPECT_EQ(1, info_of(self->s).rx_epoch);
	ASSERT_EQ(0, echo_ok(self->c, self->s, "soon after"));
	EXPECT_EQ(1, info_of(self->c).tx_epoch);
}

TEST_F(rk, limits_round_trip_and_validation)
{
	struct secx_rekey_limits l = { .version = SECX_ABI_VERSION, .bytes = 4096 }, g;
	socklen_t len = sizeof(g);

	ASSERT_EQ(0, setsockopt(self->c, SOL_SECX, SECX_REKEY_LIMITS, &l, sizeof(l)));
	ASSERT_EQ(0, getsockopt(self->c, SOL_SECX, SECX_REKEY_LIMITS, &g, &len));
	EXPECT_EQ(0, memcmp(&l, &g, sizeof(l)));
#define BAD(mut) do {								\
		struct secx_rekey_limits b = l;					\
		mut;								\
		EXPECT_EQ(-1, setsockopt(self->c, SOL_SECX, SECX_REKEY_LIMITS,	\
					 &b, sizeof(b))) TH_LOG(#mut);		\
		EXPECT_EQ(EINVAL, errno);					\
	} while (0)
	BAD(b.version = 7);
	BAD(b.flags = 1);
	BAD(b.reserved0 = 1);
	BAD(b.reserved1 = 1);
	BAD(b.bytes = 100);
	BAD(b.records = 1);
	BAD(b.seconds = 0x7fffffff);
#undef BAD
	EXPECT_EQ(-1, setsockopt(self->c, SOL_SECX, SECX_REKEY_LIMITS, &l, sizeof(l) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, key_update(self->c, 0));
	EXPECT_EQ(-EINVAL, key_update(self->c, 0x80));
}

TEST_F(rk, tampered_key_update)
{
	uint8_t rec[MAXREC];
	int a_tx, a_rx, b_tx, b_rx;
	ssize_t n;

	ASSERT_EQ(0, tcp_pair(AF_INET, &a_tx, &a_rx));
	ASSERT_EQ(0, attach_ulp(a_tx, SECX_ULP_NAME));
	ASSERT_EQ(0, set_keys(a_tx, SECX_TX, variant->suite, 1));
	ASSERT_EQ(0, make_receiver(variant->suite, 1, &b_tx, &b_rx));
	ASSERT_EQ(0, key_update(a_tx, SECX_KU_TX));
	n = read_record(a_rx, rec);
	ASSERT_LT(0, n);
	rec[n - 2] ^= 0x01;
	ASSERT_EQ(0, write_all(b_tx, rec, n));
	EXPECT_EQ(0, expect_sticky(b_rx, EBADMSG));
	EXPECT_EQ(0, info_of(b_rx).rx_epoch);
	close(a_tx);
	close(a_rx);
	close(b_tx);
	close(b_rx);
}

/* The reference codec's key update is the kernel's, and the old key dies. */
TEST_F(rk, reference_codec_update)
{
	struct secx_crypto_info info;
	struct secx_rec_state st;
	uint8_t rec[MAXREC], buf[16];
	size_t len;
	int tx, rx;

	fill_info(&info, variant->suite, 1);
	for (int ok = 1; ok >= 0; ok--) {
		ref_state(&st, variant->suite, 1);
		memcpy(st.secret, info.secret, info.secret_len);
		st.secret_len = info.secret_len;
		ASSERT_EQ(0, make_receiver(variant->suite, 1, &tx, &rx));
		len = sizeof(rec);
		ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_KEY_UPDATE, (const uint8_t *)"", 1,
					   (const uint8_t *)"0123456789abcdef", rec, &len));
		ASSERT_EQ(0, write_all(tx, rec, len));
		if (ok)
			ASSERT_EQ(0, secx_rec_rekey(&st));
		len = sizeof(rec);
		ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_DATA, (const uint8_t *)"new key", 7,
					   (const uint8_t *)"fedcba9876543210", rec, &len));
		ASSERT_EQ(0, write_all(tx, rec, len));
		if (ok) {
			EXPECT_EQ(7, read_all(rx, buf, 7));
			EXPECT_EQ(0, memcmp(buf, "new key", 7));
			EXPECT_EQ(1, info_of(rx).rx_epoch);
		} else {
			EXPECT_EQ(0, expect_sticky(rx, EBADMSG));
		}
		secx_rec_wipe(&st);
		close(tx);
		close(rx);
	}
}

TEST_F(rk, bad_key_update_flags)
{
	struct secx_rec_state st;
	uint8_t rec[MAXREC];
	size_t len = sizeof(rec);
	int tx, rx;

	ref_state(&st, variant->suite, 1);
	ASSERT_EQ(0, make_receiver(variant->suite, 1, &tx, &rx));
	ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_KEY_UPDATE, (const uint8_t *)"\x02", 1,
				   (const uint8_t *)"0123456789abcdef", rec, &len));
	ASSERT_EQ(0, write_all(tx, rec, len));
	EXPECT_EQ(0, expect_sticky(rx, EBADMSG));
	secx_rec_wipe(&st);
	close(tx);
	close(rx);
}

/* Without a traffic secret there is no update: fail closed, never reuse. */
TEST_F(rk, no_secret)
{
	struct secx_crypto_info info;
	int c, s;

	fill_info(&info, variant->suite, 1);
	info.secret_len = 0;
	memset(info.secret, 0, sizeof(info.secret));
	ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
	ASSERT_EQ(0, attach_ulp(c, SECX_ULP_NAME));
	ASSERT_EQ(0, attach_ulp(s, SECX_ULP_NAME));
	ASSERT_EQ(0, setsockopt(c, SOL_SECX, SECX_TX, &info, sizeof(info)));
	ASSERT_EQ(0, setsockopt(s, SOL_SECX, SECX_RX, &info, sizeof(info)));
	EXPECT_EQ(-ENOKEY, key_update(c, SECX_KU_TX));
	/* budgets cannot force an update either: data flows on one key */
	ASSERT_EQ(0, set_limits(c, 0, 2, 0));
	ASSERT_EQ(0, echo_ok(c, s, "one"));
	ASSERT_EQ(0, echo_ok(c, s, "two"));
	ASSERT_EQ(0, echo_ok(c, s, "three"));
	EXPECT_EQ(0, info_of(c).tx_epoch);
	close(c);
	close(s);

	/* a receiver without the secret cannot follow a KEY_UPDATE */
	ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
	ASSERT_EQ(0, attach_ulp(c, SECX_ULP_NAME));
	ASSERT_EQ(0, attach_ulp(s, SECX_ULP_NAME));
	ASSERT_EQ(0, set_keys(c, SECX_TX, variant->suite, 1));
	ASSERT_EQ(0, setsockopt(s, SOL_SECX, SECX_RX, &info, sizeof(info)));
	ASSERT_EQ(0, key_update(c, SECX_KU_TX));
	EXPECT_EQ(0, expect_sticky(s, ENOKEY));
	close(c);
	close(s);
}

/* With a secret, the end of the sequence space is a key update, not an error. */
TEST_F(rk, sequence_end_rolls_over)
{
	struct secx_crypto_info info;
	int c, s, i;

	fill_info(&info, variant->suite, 1);
	info.seq = UINT64_MAX - 4;
	ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
	ASSERT_EQ(0, attach_ulp(c, SECX_ULP_NAME));
	ASSERT_EQ(0, attach_ulp(s, SECX_ULP_NAME));
	ASSERT_EQ(0, setsockopt(c, SOL_SECX, SECX_TX, &info, sizeof(info)));
	ASSERT_EQ(0, setsockopt(s, SOL_SECX, SECX_RX, &info, sizeof(info)));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, echo_ok(c, s, "near the end"));
	EXPECT_EQ(1, info_of(c).tx_epoch);
	EXPECT_EQ(1, info_of(s).rx_epoch);
	close(c);
	close(s);
}

/* 1 GiB each way at once over sendfile(), 1 MiB budgets on both ends. */
FIXTURE(gig)
{
	int c, s;
};

FIXTURE_SETUP(gig)
{
	ASSERT_EQ(0, tcp_pair(AF_INET, &self->c, &self->s));
	ASSERT_EQ(0, secx_keys_both(self->c, self->s, SECX_SUITE_AES_128_GCM_SHA256));
	ASSERT_EQ(0, set_limits(self->c, 1 << 20, 0, 0));
	ASSERT_EQ(0, set_limits(self->s, 1 << 20, 0, 0));
}

FIXTURE_TEARDOWN(gig)
{
	close(self->c);
	close(self->s);
}

TEST_F_TIMEOUT(gig, sendfile_1g_both_ways_1m_budget, 1200)
{
	size_t len = 64 << 20;
	int repeat = 16 / big_div() ?: 1;	/* 16 x 64 MiB = 1 GiB */
	unsigned int updates = repeat * 64 - 1;	/* 1024 records per 64 MiB, 64 per key */
	uint8_t *a = malloc(len), *b = malloc(len);
	struct stream sa = { .fd = self->c, .how = BY_SENDFILE, .buf = a, .len = len,
			     .repeat = repeat };
	struct stream sb = { .fd = self->s, .how = BY_SENDFILE, .buf = b, .len = len,
			     .repeat = repeat };
	pid_t pa, pb, pr;
	int status;

	ASSERT_TRUE(a && b);
	fill_pattern(a, len, 21);
	fill_pattern(b, len, 22);
	pa = run_child(stream_send, &sa);
	pb = run_child(stream_send, &sb);
	pr = fork();
	if (!pr)
		_exit(stream_check(self->c, b, len, repeat));
	EXPECT_EQ(0, stream_check(self->s, a, len, repeat));
	EXPECT_EQ(0, wait_child(pa));
	EXPECT_EQ(0, wait_child(pb));
	ASSERT_EQ(pr, waitpid(pr, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* 65536 full records each way (1 GiB), 64 per key: 1023 updates */
	EXPECT_EQ(updates, info_of(self->c).tx_epoch);
	EXPECT_EQ(updates, info_of(self->s).rx_epoch);
	EXPECT_EQ(updates, info_of(self->s).tx_epoch);
	EXPECT_EQ(updates, info_of(self->c).rx_epoch);
	free(a);
	free(b);
}

TEST_HARNESS_MAIN
