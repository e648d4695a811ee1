/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the secx selftests: loopback socket pairs, ULP attach,
 * deterministic key material, whole-buffer I/O, and a helper that takes
 * wire records from a secx sender so error tests can replay, cut or flip
 * them towards a secx receiver.
 */
#ifndef SECX_SELFTEST_LIB_H
#define SECX_SELFTEST_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../uapi/linux/secx.h"
#include "../kmod/common/suites.h"
#include "../userspace/lib/record.h"

#define MAXREC SECX_MAX_RECORD

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/*
 * Bulk volume divisor: SECX_BIG_DIV=N (1..64) divides the size of the bulk
 * transfers (data's 64 MiB, rekey's 1 GiB).  The debug-kernel lane sets it:
 * KASAN and lockdep under TCG run several times slower, and what that lane
 * looks for (a use after free, a lock inversion, a leak) shows up in the
 * same code paths at an eighth of the volume.  A bad value is ignored (1).
 */
static inline size_t big_div(void)
{
	const char *v = getenv("SECX_BIG_DIV");
	char *end;
	long n;

	if (!v || !*v)
		return 1;
	n = strtol(v, &end, 10);
	return (*end || n < 1 || n > 64) ? 1 : (size_t)n;
}

/* Connected loopback TCP pair of @family; returns 0 or -errno. */
static inline int tcp_pair(int family, int *cfd, int *sfd)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int lfd, one = 1;

	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0)
		return -errno;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len))
		goto fail;
	*cfd = socket(family, SOCK_STREAM, 0);
	if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&ss, len))
		goto fail;
	*sfd = accept(lfd, NULL, NULL);
	if (*sfd < 0)
		goto fail;
	close(lfd);
	return 0;
fail:
	close(lfd);
	return -errno;
}

static inline int attach_ulp(int fd, const char *name)
{
	return setsockopt(fd, SOL_TCP, TCP_ULP, name, strlen(name)) ? -errno : 0;
}

/* Deterministic key material for @suite; @seed makes directions differ. */
static inline void fill_info(struct secx_crypto_info *info, uint16_t suite, uint8_t seed)
{
	const struct secx_suite_desc *s = secx_suite_find(suite);
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->version = SECX_ABI_VERSION;
	info->suite = suite;
	info->key_len = s ? secx_suite_key_len(s) : 16;
	info->secret_len = s ? s->hash_len : 0;
	for (i = 0; i < info->key_len; i++)
		info->key[i] = (uint8_t)(seed * 31 + i);
	for (i = 0; i < SECX_IV_LEN; i++)
		info->iv[i] = (uint8_t)(seed * 7 + i * 3);
	for (i = 0; i < info->secret_len; i++)
		info->secret[i] = (uint8_t)(seed * 13 + i * 5);
}

static inline int set_keys(int fd, int dir, uint16_t suite, uint8_t seed)
{
	struct secx_crypto_info info;

	fill_info(&info, suite, seed);
	return setsockopt(fd, SOL_SECX, dir, &info, sizeof(info)) ? -errno : 0;
}

/* Both directions: @a sends with seed 1 and receives with seed 2. */
static inline int secx_keys_both(int a, int b, uint16_t suite)
{
	int err;

	if ((err = attach_ulp(a, SECX_ULP_NAME)) || (err = attach_ulp(b, SECX_ULP_NAME)))
		return err;
	if ((err = set_keys(a, SECX_TX, suite, 1)) || (err = set_keys(b, SECX_RX, suite, 1)))
		return err;
	if ((err = set_keys(b, SECX_TX, suite, 2)) || (err = set_keys(a, SECX_RX, suite, 2)))
		return err;
	return 0;
}

static inline int get_info(int fd, struct secx_info *si)
{
	socklen_t len = sizeof(*si);

	return getsockopt(fd, SOL_SECX, SECX_INFO, si, &len) ? -errno : 0;
}

static inline void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

/* Write all of @buf (blocking socket); returns 0 or -errno. */
static inline int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly @len bytes; returns bytes read (short on EOF) or -errno. */
static inline ssize_t read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, p + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	return got;
}

/* Run @fn(arg) in a child process; returns its pid. */
static inline pid_t run_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (!pid)
		_exit(fn(arg) ? 1 : 0);
	return pid;
}

static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* One value from /proc/net/secx_stat, or -1. */
static inline long long secx_stat(const char *name)
{
	char key[64];
	long long val, found = -1;
	FILE *f = fopen("/proc/net/secx_stat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &val) == 2)
		if (!strcmp(key, name))
			found = val;
	fclose(f);
	return found;
}

/*
 * Record relays: pair A (secx TX -> plain) yields wire records, pair B
 * (plain -> secx RX) takes crafted ones.
 */
/* A plain -> secx pair whose receiver has RX keys of @seed. */
static inline int make_receiver(uint16_t suite, uint8_t seed, int *tx, int *rx)
{
	int err = tcp_pair(AF_INET, tx, rx);

	if (!err)
		err = attach_ulp(*rx, SECX_ULP_NAME);
	if (!err)
		err = set_keys(*rx, SECX_RX, suite, seed);
	return err;
}

/* Read one whole record (header + body) from a plain socket. */
static inline ssize_t read_record(int fd, uint8_t *rec)
{
	size_t body;

	if (read_all(fd, rec, SECX_HDR_LEN) != SECX_HDR_LEN)
		return -1;
	body = (size_t)rec[2] << 8 | rec[3];
	if (read_all(fd, rec + SECX_HDR_LEN, body) != (ssize_t)body)
		return -1;
	return SECX_HDR_LEN + body;
}

/* Have pair A's secx sender seal @len bytes into one record; return it. */
static inline ssize_t capture(int a_tx, int a_rx, const void *data, size_t len, uint8_t *rec)
{
	if (send(a_tx, data, len, 0) != (ssize_t)len)
		return -1;
	return read_record(a_rx, rec);
}

/* Expect recv on @fd to fail with @err, twice, delivering nothing. */
static inline int expect_sticky(int fd, int err)
{
	uint8_t buf[256];
	int i, j;

	for (i = 0; i < 2; i++) {
		memset(buf, 0xa5, sizeof(buf));
		if (recv(fd, buf, sizeof(buf), 0) != -1 || errno != err)
			return -1 - i;
		/*
		 * Untouched, or zeroed where the zero-copy path decrypted into
		 * the buffer before the tag failed: never forged plaintext.
		 */
		for (j = 0; j < (int)sizeof(buf); j++)
			if (buf[j] != 0xa5 && buf[j] != 0)
				return -10;
	}
	return 0;
}

static inline void ref_state(struct secx_rec_state *st, uint16_t suite, uint8_t seed)
{
	struct secx_crypto_info info;

	fill_info(&info, suite, seed);
	secx_rec_init_raw(st, suite, info.key, info.key_len, info.iv, 0);
}

#endif /* SECX_SELFTEST_LIB_H */
