// SPDX-License-Identifier: GPL-2.0
/*
 * Data path through the real module: every suite over IPv4 and IPv6, with
 * send(), sendfile() and splice() at record-boundary sizes, blocking and
 * non-blocking, both directions at once; record coalescing (MSG_MORE,
 * MSG_EOR), peek, poll, timeouts, splice to a pipe, clean close.
 */
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "lib.h"
#include "kselftest_harness.h"

static const size_t sizes[] = { 1, 4095, 16384, 16385, 1 << 20 };

FIXTURE(rec)
{
	int c, s;
};

FIXTURE_VARIANT(rec)
{
	int family;
	uint16_t suite;
};

#define REC_VARIANT(fam, name, id)						\
	FIXTURE_VARIANT_ADD(rec, fam##_##name) {				\
		.family = (fam == 4) ? AF_INET : AF_INET6, .suite = id,		\
	}
#define ipv4 4
#define ipv6 6
REC_VARIANT(ipv4, aes128gcm, SECX_SUITE_AES_128_GCM_SHA256);
REC_VARIANT(ipv4, aes256gcm, SECX_SUITE_AES_256_GCM_SHA384);
REC_VARIANT(ipv4, chacha20poly1305, SECX_SUITE_CHACHA20_POLY1305_SHA256);
REC_VARIANT(ipv4, aes128cbc_sha256, SECX_SUITE_AES_128_CBC_HMAC_SHA256);
REC_VARIANT(ipv4, aes256cbc_sha512, SECX_SUITE_AES_256_CBC_HMAC_SHA512);
REC_VARIANT(ipv6, aes128gcm, SECX_SUITE_AES_128_GCM_SHA256);
REC_VARIANT(ipv6, aes256gcm, SECX_SUITE_AES_256_GCM_SHA384);
REC_VARIANT(ipv6, chacha20poly1305, SECX_SUITE_CHACHA20_POLY1305_SHA256);
REC_VARIANT(ipv6, aes128cbc_sha256, SECX_SUITE_AES_128_CBC_HMAC_SHA256);
REC_VARIANT(ipv6, aes256cbc_sha512, SECX_SUITE_AES_256_CBC_HMAC_SHA512);

FIXTURE_SETUP(rec)
{
	ASSERT_EQ(0, tcp_pair(variant->family, &self->c, &self->s));
	ASSERT_EQ(0, secx_keys_both(self->c, self->s, variant->suite));
}

FIXTURE_TEARDOWN(rec)
{
	close(self->c);
	close(self->s);
}

enum send_method { BY_SEND, BY_SENDFILE, BY_SPLICE, BY_SEND_NONBLOCK };

struct sender {
	int fd;
	enum send_method how;
	const uint8_t *buf;
	size_t len;
};

/* A tmpfs file holding @len bytes of @buf, for sendfile/splice. */
static int file_with(const uint8_t *buf, size_t len)
{
	char path[] = "/tmp/secx-data-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_by_sendfile(int sock, const uint8_t *buf, size_t len)
{
	int fd = file_with(buf, len);
	off_t off = 0;

	if (fd < 0)
		return -1;
	while ((size_t)off < len)
		if (sendfile(sock, fd, &off, len - off) <= 0)
			break;
	close(fd);
	return (size_t)off == len ? 0 : -1;
}

static int send_by_splice(int sock, const uint8_t *buf, size_t len)
{
	int fd = file_with(buf, len), p[2];
	loff_t off = 0;
	size_t left = len;

	if (fd < 0 || pipe(p))
		return -1;
	while (left) {
		ssize_t in = splice(fd, &off, p[1], NULL, left, SPLICE_F_MORE);

		if (in <= 0)
			break;
		while (in > 0) {
			ssize_t out = splice(p[0], NULL, sock, NULL, in,
					     left > (size_t)in ? SPLICE_F_MORE : 0);

			if (out <= 0)
				return -1;
			in -= out;
			left -= out;
		}
	}
	close(fd);
	close(p[0]);
	close(p[1]);
	return left ? -1 : 0;
}

static int send_nonblock(int sock, const uint8_t *buf, size_t len)
{
	int fl = fcntl(sock, F_GETFL);

	fcntl(sock, F_SETFL, fl | O_NONBLOCK);
	while (len) {
		struct pollfd pfd = { .fd = sock, .events = POLLOUT };
		ssize_t n = send(sock, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, 10000) != 1)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	fcntl(sock, F_SETFL, fl);
	return 0;
}

static int run_sender(void *arg)
{
	struct sender *sd = arg;

	switch (sd->how) {
	case BY_SENDFILE:
		return send_by_sendfile(sd->fd, sd->buf, sd->len);
	case BY_SPLICE:
		return send_by_splice(sd->fd, sd->buf, sd->len);
	case BY_SEND_NONBLOCK:
		return send_nonblock(sd->fd, sd->buf, sd->len);
	default:
		return write_all(sd->fd, sd->buf, sd->len);
	}
}

/* Non-blocking receive driven by poll(); returns bytes or -1. */
static ssize_t read_nonblock(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n = recv(fd, buf + got, len - got, 0);

		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, 10000) != 1)
				break;
			continue;
		}
		if (n <= 0)
			break;
		got += n;
	}
	fcntl(fd, F_SETFL, fl);
	return got;
}

/* Send @len bytes by @how from @tx in a child, receive on @rx, compare. */
static int transfer(int tx, int rx, enum send_method how, size_t len, bool nonblock_rx)
{
	uint8_t *src = malloc(len), *dst = malloc(len);
	struct sender sd = { .fd = tx, .how = how, .buf = src, .len = len };
	ssize_t got;
	pid_t pid;
	int ret = 0;

	fill_pattern(src, len, len + how);
	memset(dst, 0, len);
	pid = run_child(run_sender, &sd);
	got = nonblock_rx ? read_nonblock(rx, dst, len) : read_all(rx, dst, len);
	if (wait_child(pid))
		ret = -1;
	if (got != (ssize_t)len || memcmp(src, dst, len))
		ret = -2;
	free(src);
	free(dst);
	return ret;
}

TEST_F(rec, send_sizes)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_EQ(0, transfer(self->c, self->s, BY_SEND, sizes[i], false))
			TH_LOG("size %zu", sizes[i]);
	}
}

TEST_F(rec, sendfile_sizes)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_EQ(0, transfer(self->c, self->s, BY_SENDFILE, sizes[i], false))
			TH_LOG("size %zu", sizes[i]);
	}
}

TEST_F(rec, splice_sizes)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_EQ(0, transfer(self->c, self->s, BY_SPLICE, sizes[i], false))
			TH_LOG("size %zu", sizes[i]);
	}
}

TEST_F(rec, nonblocking_sizes)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_EQ(0, transfer(self->c, self->s, BY_SEND_NONBLOCK, sizes[i], true))
			TH_LOG("size %zu", sizes[i]);
		EXPECT_EQ(0, transfer(self->s, self->c, BY_SENDFILE, sizes[i], true))
			TH_LOG("sendfile, size %zu", sizes[i]);
	}
}

struct bidir_arg {
	int fd;
	enum send_method how;
	size_t len;
};

static int bidir_side(void *arg)
{
	struct bidir_arg *b = arg;

	return transfer(b->fd, b->fd, b->how, b->len, false) ? 1 : 0;
}

/* Both directions at once, each end sending while it receives. */
TEST_F(rec, both_directions_at_once)
{
	size_t len = 1 << 20;
	uint8_t *a = malloc(len), *b = malloc(len), *ra = malloc(len), *rb = malloc(len);
	struct sender sc = { .fd = self->c, .how = BY_SENDFILE, .buf = a, .len = len };
	struct sender ss = { .fd = self->s, .how = BY_SEND, .buf = b, .len = len };
	pid_t p1, p2;

	fill_pattern(a, len, 1);
	fill_pattern(b, len, 2);
	p1 = run_child(run_sender, &sc);
	p2 = run_child(run_sender, &ss);
	EXPECT_EQ((ssize_t)len, read_all(self->s, ra, len));
	EXPECT_EQ((ssize_t)len, read_all(self->c, rb, len));
	EXPECT_EQ(0, wait_child(p1));
	EXPECT_EQ(0, wait_child(p2));
	EXPECT_EQ(0, memcmp(a, ra, len));
	EXPECT_EQ(0, memcmp(b, rb, len));
	free(a);
	free(b);
	free(ra);
	free(rb);
	(void)bidir_side;
}

static uint64_t rx_records(int fd)
{
	struct secx_info si;

	return get_info(fd, &si) ? ~0ULL : si.rx_records;
}

TEST_F(rec, msg_more_coalesces)
{
	char buf[32];

	ASSERT_EQ(6, send(self->c, "hello ", 6, MSG_MORE));
	ASSERT_EQ(5, send(self->c, "world", 5, 0));
	ASSERT_EQ(11, read_all(self->s, buf, 11));
	EXPECT_EQ(0, memcmp(buf, "hello world", 11));
	EXPECT_EQ(1, rx_records(self->s));
}

TEST_F(rec, msg_eor_closes_record)
{
	char buf[8];

	ASSERT_EQ(1, send(self->c, "a", 1, MSG_MORE | MSG_EOR));
	ASSERT_EQ(1, send(self->c, "b", 1, 0));
	ASSERT_EQ(2, read_all(self->s, buf, 2));
	EXPECT_EQ(0, memcmp(buf, "ab", 2));
	EXPECT_EQ(2, rx_records(self->s));
}

TEST_F(rec, msg_more_then_empty_send_flushes)
{
	char buf[8];

	ASSERT_EQ(3, send(self->c, "abc", 3, MSG_MORE));
	ASSERT_EQ(0, send(self->c, "", 0, 0));
	ASSERT_EQ(3, read_all(self->s, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
}

TEST_F(rec, several_records_per_recv)
{
	char buf[64];
	struct pollfd pfd = { .fd = self->s, .events = POLLIN };
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(4, send(self->c, "abcd", 4, 0));
	/* wait until the last record is in, then one recv takes all three */
	for (i = 0; i < 100 && rx_records(self->s) == 0; i++) {
		ASSERT_EQ(1, poll(&pfd, 1, 1000));
		usleep(10000);
		break;
	}
	usleep(100000);
	EXPECT_EQ(12, recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(3, rx_records(self->s));
}

TEST_F(rec, peek_then_read)
{
	char buf[100], peek[100], data[100];

	fill_pattern((uint8_t *)data, sizeof(data), 7);
	ASSERT_EQ(0, write_all(self->c, data, sizeof(data)));
	ASSERT_EQ((ssize_t)sizeof(peek), recv(self->s, peek, sizeof(peek), MSG_PEEK | MSG_WAITALL));
	EXPECT_EQ(0, memcmp(peek, data, sizeof(data)));
	ASSERT_EQ((ssize_t)sizeof(buf), read_all(self->s, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));
}

TEST_F(rec, small_reads_of_one_record)
{
	uint8_t data[16384], buf[16384];
	size_t got = 0;

	fill_pattern(data, sizeof(data), 3);
	ASSERT_EQ(0, write_all(self->c, data, sizeof(data)));
	while (got < sizeof(buf)) {
		ssize_t n = recv(self->s, buf + got, 1000, 0);

		ASSERT_LT(0, n);
		got += n;
	}
	EXPECT_EQ(0, memcmp(data, buf, sizeof(data)));
	EXPECT_EQ(1, rx_records(self->s));
}

TEST_F(rec, waitall_across_records)
{
	uint8_t data[50000], buf[50000];
	struct sender sd = { .fd = self->c, .how = BY_SEND, .buf = data, .len = sizeof(data) };
	pid_t pid;

	fill_pattern(data, sizeof(data), 9);
	pid = run_child(run_sender, &sd);
	EXPECT_EQ((ssize_t)sizeof(buf), recv(self->s, buf, sizeof(buf), MSG_WAITALL));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, memcmp(data, buf, sizeof(buf)));
}

TEST_F(rec, poll_readable_after_record)
{
	struct pollfd pfd = { .fd = self->s, .events = POLLIN };
	char buf[8];

	EXPECT_EQ(0, poll(&pfd, 1, 50));
	ASSERT_EQ(5, send(self->c, "ready", 5, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	EXPECT_EQ(5, recv(self->s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(rec, rcvtimeo)
{
	struct timeval tv = { .tv_usec = 100000 };
	char buf[8];

	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(-1, recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, recv(self->s, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

/* SO_RCVLOWAT would count ciphertext (api.rst): refused once RX keys are in. */
TEST_F(rec, rcvlowat)
{
	int lowat = 10;
	socklen_t len = sizeof(lowat);
	char buf[32];

	EXPECT_EQ(-1, setsockopt(self->s, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(0, getsockopt(self->s, SOL_SOCKET, SO_RCVLOWAT, &lowat, &len));
	EXPECT_EQ(1, lowat);
	ASSERT_EQ(4, send(self->c, "abcd", 4, 0));
	ASSERT_EQ(6, send(self->c, "efghij", 6, 0));
	EXPECT_EQ(10, recv(self->s, buf, 10, MSG_WAITALL));
}

TEST_F(rec, splice_to_pipe)
{
	uint8_t data[40000], buf[40000];
	int p[2];
	size_t got = 0;

	fill_pattern(data, sizeof(data), 5);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, write_all(self->c, data, sizeof(data)));
	while (got < sizeof(buf)) {
		ssize_t n = splice(self->s, NULL, p[1], NULL, sizeof(buf) - got, 0);

		ASSERT_LT(0, n);
		ASSERT_EQ(n, read(p[0], buf + got, n));
		got += n;
	}
	EXPECT_EQ(0, memcmp(data, buf, sizeof(buf)));
	close(p[0]);
	close(p[1]);
}

TEST_F(rec, shutdown_sends_close_record)
{
	struct secx_info si;
	char buf[8];

	ASSERT_EQ(3, send(self->c, "end", 3, MSG_MORE));	/* left open on purpose */
	ASSERT_EQ(0, shutdown(self->c, SHUT_WR));
	EXPECT_EQ(3, read_all(self->s, buf, sizeof(buf)));
	EXPECT_EQ(0, recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(0, get_info(self->s, &si));
	EXPECT_TRUE(si.flags & SECX_INFO_RX_CLOSED);
	EXPECT_EQ(-1, send(self->c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	/* the other direction still works after a half-close */
	ASSERT_EQ(4, send(self->s, "more", 4, 0));
	EXPECT_EQ(4, read_all(self->c, buf, 4));
}

TEST_F(rec, close_sends_close_record)
{
	char buf[8];

	ASSERT_EQ(3, send(self->c, "bye", 3, 0));
	close(self->c);
	self->c = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT_EQ(3, read_all(self->s, buf, 3));
	EXPECT_EQ(0, recv(self->s, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(self->s, buf, sizeof(buf), 0));
}

TEST_F(rec, info_counts_records)
{
	struct secx_info si;
	char buf[64];

	ASSERT_EQ(5, send(self->c, "12345", 5, 0));
	ASSERT_EQ(5, read_all(self->s, buf, 5));
	ASSERT_EQ(20000, send(self->c, memset(malloc(20000), 1, 20000), 20000, 0));
	ASSERT_EQ(0, get_info(self->c, &si));
	EXPECT_EQ(variant->suite, si.tx_suite);
	EXPECT_EQ(variant->suite, si.rx_suite);
	EXPECT_EQ(3, si.tx_seq);
	EXPECT_EQ(3, si.tx_records);
	EXPECT_EQ(20005, si.tx_bytes);
	EXPECT_EQ(SECX_INFO_TX_READY | SECX_INFO_RX_READY, si.flags);
}

/* 64 MiB (/ SECX_BIG_DIV) through sendfile(), both directions at once, per suite. */
FIXTURE(big)
{
	int c, s;
};

FIXTURE_VARIANT(big)
{
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(big, aes128gcm) { .suite = SECX_SUITE_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(big, aes256gcm) { .suite = SECX_SUITE_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(big, chacha20poly1305) { .suite = SECX_SUITE_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(big, aes128cbc_sha256) { .suite = SECX_SUITE_AES_128_CBC_HMAC_SHA256 };
FIXTURE_VARIANT_ADD(big, aes256cbc_sha512) { .suite = SECX_SUITE_AES_256_CBC_HMAC_SHA512 };

FIXTURE_SETUP(big)
{
	ASSERT_EQ(0, tcp_pair(AF_INET, &self->c, &self->s));
	ASSERT_EQ(0, secx_keys_both(self->c, self->s, variant->suite));
}

FIXTURE_TEARDOWN(big)
{
	close(self->c);
	close(self->s);
}

TEST_F_TIMEOUT(big, sendfile_64m_both_ways, 600)
{
	size_t len = (64 << 20) / big_div();
	uint8_t *a = malloc(len), *b = malloc(len), *ra = malloc(len), *rb = malloc(len);
	struct sender sc = { .fd = self->c, .how = BY_SENDFILE, .buf = a, .len = len };
	struct sender ss = { .fd = self->s, .how = BY_SENDFILE, .buf = b, .len = len };
	pid_t p1, p2;
	int status;

	ASSERT_TRUE(a && b && ra && rb);
	fill_pattern(a, len, 11);
	fill_pattern(b, len, 12);
	p1 = run_child(run_sender, &sc);
	p2 = run_child(run_sender, &ss);
	if (!fork())
		_exit(read_all(self->c, rb, len) == (ssize_t)len && !memcmp(b, rb, len) ? 0 : 1);
	EXPECT_EQ((ssize_t)len, read_all(self->s, ra, len));
	EXPECT_EQ(0, memcmp(a, ra, len));
	EXPECT_EQ(0, wait_child(p1));
	EXPECT_EQ(0, wait_child(p2));
	ASSERT_LT(0, wait(&status));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(a);
	free(b);
	free(ra);
	free(rb);
}

TEST_HARNESS_MAIN
