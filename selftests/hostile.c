// SPDX-License-Identifier: GPL-2.0
/*
 * The send side under a hostile or merely slow peer (issue 9): a sender
 * blocked on a peer that never reads must not hold anything that
 * shutdown(), a key update or close() wait for; an abortive close does not
 * wait at all; a key update on an idle connection is not corked; close
 * spends no key on the CLOSE record alone; a peer flooding KEY_UPDATE
 * records is cut off; a socket owned by sockmap cannot take secx.
 *
 * Every wait here has a bound, and a test that finds the old behaviour
 * (a task stuck in D state) unblocks it by draining the peer, so a failure
 * is reported instead of hanging the run.
 */
#include <linux/bpf.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <time.h>

#include "lib.h"
#include "kselftest_harness.h"

#define BIG	(64u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* State letter of thread @tid of this process ('R', 'S', 'D', ...). */
static char task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Any task on the system in uninterruptible sleep (kworkers included)? */
static int any_task_in_d(char *who, size_t len)
{
	char path[64], buf[512], *p;
	int found = 0;
	FILE *f;

	for (int pid = 1; pid < 32768 && !found; pid++) {
		size_t n;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'D') {
			snprintf(who, len, "%.200s", buf);
			found = 1;
		}
	}
	return found;
}

struct sender {
	int fd;
	int how;		/* 0: send(), 1: sendfile() */
	int file;
	pid_t tid;
	volatile int done;
	int err;		/* errno of the call that ended the loop */
	size_t sent;
	double end;
};

static void *sender_main(void *arg)
{
	struct sender *sd = arg;
	static char buf[1 << 20];
	off_t off = 0;

	sd->tid = syscall(SYS_gettid);
	while (sd->sent < BIG) {
		ssize_t n;

		if (sd->how)
			n = sendfile(sd->fd, sd->file, &off, BIG - sd->sent);
		else
			n = send(sd->fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			sd->err = n ? errno : 0;
			break;
		}
		sd->sent += n;
	}
	sd->end = now();
	sd->done = 1;
	return NULL;
}

/* Read and drop everything @fd delivers until @stop is set or EOF/error. */
static void drain_until(int fd, volatile int *stop, double limit)
{
	static char buf[1 << 16];
	double t0 = now();

	while (!*stop && now() - t0 < limit) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n < 0)
			usleep(1000);
	}
}

/* Start a sender on @fd and wait until it is blocked on a full buffer. */
static int start_blocked_sender(struct sender *sd, pthread_t *th)
{
	struct secx_info si;
	uint64_t last = ~0ull;
	int stable = 0;

	if (pthread_create(th, NULL, sender_main, sd))
		return -1;
	for (int i = 0; i < 1000 && stable < 5; i++) {
		usleep(50000);
		if (get_info(sd->fd, &si))
			return -1;
		stable = si.tx_bytes == last && sd->tid ? stable + 1 : 0;
		last = si.tx_bytes;
	}
	if (stable < 5 || sd->done)
		return -1;
	return 0;
}

FIXTURE(hs)
{
	int c, s, file;
};

FIXTURE_VARIANT(hs)
{
	int how;
};

FIXTURE_VARIANT_ADD(hs, send) { .how = 0 };
FIXTURE_VARIANT_ADD(hs, sendfile) { .how = 1 };

FIXTURE_SETUP(hs)
{
	int small = 64 << 10;

	ASSERT_EQ(0, tcp_pair(AF_INET, &self->c, &self->s));
	/* small buffers: the sender blocks after a few hundred KiB */
	ASSERT_EQ(0, setsockopt(self->s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, setsockopt(self->c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
	ASSERT_EQ(0, secx_keys_both(self->c, self->s, SECX_SUITE_AES_128_GCM_SHA256));
	self->file = memfd_create("secx-hostile", 0);
	ASSERT_LE(0, self->file);
	ASSERT_EQ(0, ftruncate(self->file, BIG));
}

FIXTURE_TEARDOWN(hs)
{
	close(self->c);
	close(self->s);
	close(self->file);
}

struct shut_call {
	int fd, how;
	volatile int done;
	int ret, err;
	double start, end;
};

static void *shut_main(void *arg)
{
	struct shut_call *sc = arg;

	sc->start = now();
	sc->ret = shutdown(sc->fd, sc->how);
	sc->err = errno;
	sc->end = now();
	sc->done = 1;
	return NULL;
}

static void *ku_main(void *arg)
{
	struct shut_call *sc = arg;
	uint32_t flags = SECX_KU_TX;

	sc->start = now();
	sc->ret = setsockopt(sc->fd, SOL_SECX, SECX_KEY_UPDATE, &flags, sizeof(flags));
	sc->err = errno;
	sc->end = now();
	sc->done = 1;
	return NULL;
}

/* Fill @fd's send path until it stays unwritable for 300 ms. */
static int fill_until_blocked(int fd)
{
	static char buf[1 << 16];
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int fl = fcntl(fd, F_GETFL);

	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -1;
	for (int i = 0; i < 10000; i++) {
		while (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) > 0)
			;
		if (errno != EAGAIN)
			return -1;
		if (poll(&p, 1, 300) == 0)
			break;
	}
	/* tiny records until TCP takes nothing more: one is left waiting */
	for (int i = 0; i < 100000; i++)
		if (send(fd, buf, 1, MSG_NOSIGNAL) < 0)
			return errno == EAGAIN ? fcntl(fd, F_SETFL, fl) : -1;
	return -1;
}

/* Wait up to @limit seconds for *@flag; 0 if it came. */
static int wait_flag(volatile int *flag, double limit)
{
	double t0 = now();

	while (!*flag && now() - t0 < limit)
		usleep(10000);
	return *flag ? 0 : -1;
}

/*
 * A sender blocked on a peer that never reads; shutdown(@how) from another
 * thread returns at once and the sender gets EPIPE, as on TCP.  sendfile()
 * has no MSG_NOSIGNAL: its EPIPE raises SIGPIPE, as on TCP, so ignore it.
 */
static void shutdown_case(struct __test_metadata *_metadata, int c, int s, int how,
			  int file, int how_send)
{
	struct sender sd = { .fd = c, .how = how_send, .file = file };
	struct shut_call sc = { .fd = c, .how = how };
	pthread_t th, sh;
	char who[256];
	int in_time;

	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, start_blocked_sender(&sd, &th));
	EXPECT_EQ('S', task_state(sd.tid));
	ASSERT_EQ(0, pthread_create(&sh, NULL, shut_main, &sc));
	in_time = !wait_flag(&sc.done, 2.0);
	EXPECT_TRUE(in_time) TH_LOG("shutdown() blocked behind the sender");
	if (!in_time) {
		if (any_task_in_d(who, sizeof(who)))
			TH_LOG("stuck: %s", who);
		/* unblock the old behaviour: let the sender finish */
		drain_until(s, &sc.done, 60);
	}
	EXPECT_EQ(0, wait_flag(&sd.done, 3.0)) TH_LOG("sender not woken by shutdown");
	if (!sd.done)
		drain_until(s, &sd.done, 60);
	pthread_join(sh, NULL);
	pthread_join(th, NULL);
	EXPECT_EQ(0, sc.ret);
	EXPECT_EQ(EPIPE, sd.err);
	EXPECT_LT(sd.sent, BIG);
	EXPECT_FALSE(any_task_in_d(who, sizeof(who))) TH_LOG("D state: %s", who);
}

TEST_F_TIMEOUT(hs, shutdown_rdwr_unblocks_blocked_sender, 120)
{
	shutdown_case(_metadata, self->c, self->s, SHUT_RDWR, self->file, variant->how);
}

TEST_F_TIMEOUT(hs, shutdown_wr_unblocks_blocked_sender, 120)
{
	shutdown_case(_metadata, self->c, self->s, SHUT_WR, self->file, variant->how);
}

/* A key update from another thread fails within SO_SNDTIMEO, never hangs. */
TEST_F_TIMEOUT(hs, key_update_beside_blocked_sender, 120)
{
	struct sender sd = { .fd = self->c, .how = variant->how, .file = self->file };
	struct shut_call kc = { .fd = self->c };
	struct timeval tv = { .tv_sec = 1 };
	pthread_t th, kt;
	char who[256];
	int in_time;

	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, setsockopt(self->c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, start_blocked_sender(&sd, &th));
	ASSERT_EQ(0, pthread_create(&kt, NULL, ku_main, &kc));
	in_time = !wait_flag(&kc.done, 3.0);
	EXPECT_TRUE(in_time) TH_LOG("SECX_KEY_UPDATE blocked past SO_SNDTIMEO");
	if (!in_time) {
		if (any_task_in_d(who, sizeof(who)))
			TH_LOG("stuck: %s", who);
		drain_until(self->s, &kc.done, 60);
	} else {
		/* queued behind the blocked record, or refused for now */
		EXPECT_TRUE(kc.ret == 0 || kc.err == EAGAIN) TH_LOG("errno %d", kc.err);
		EXPECT_FALSE(any_task_in_d(who, sizeof(who))) TH_LOG("D state: %s", who);
	}
	ASSERT_EQ(0, shutdown(self->c, SHUT_RDWR));
	if (wait_flag(&sd.done, 3.0))
		drain_until(self->s, &sd.done, 60);
	pthread_join(kt, NULL);
	pthread_join(th, NULL);
}

/* SO_LINGER {on, 0}: close() is abortive and returns at once. */
TEST_F_TIMEOUT(hs, linger_zero_close_does_not_wait, 60)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double t0;

	ASSERT_EQ(0, fill_until_blocked(self->c));
	ASSERT_EQ(0, setsockopt(self->c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	t0 = now();
	ASSERT_EQ(0, close(self->c));
	EXPECT_GT(0.5, now() - t0);
	self->c = socket(AF_INET, SOCK_STREAM, 0);	/* for the teardown */
}

/* A close without linger on a full buffer waits at most SO_SNDTIMEO. */
TEST_F_TIMEOUT(hs, close_wait_bounded_by_sndtimeo, 60)
{
	struct timeval tv = { .tv_sec = 1 };
	double t0, took;

	ASSERT_EQ(0, fill_until_blocked(self->c));
	ASSERT_EQ(0, setsockopt(self->c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	t0 = now();
	ASSERT_EQ(0, close(self->c));
	took = now() - t0;
	EXPECT_LT(0.8, took) TH_LOG("close did not wait for send space: %.3f s", took);
	EXPECT_GT(2.5, took);
	self->c = socket(AF_INET, SOCK_STREAM, 0);
}

FIXTURE(pair)
{
	int c, s;
};

FIXTURE_SETUP(pair)
{
	ASSERT_EQ(0, tcp_pair(AF_INET, &self->c, &self->s));
	ASSERT_EQ(0, secx_keys_both(self->c, self->s, SECX_SUITE_AES_128_GCM_SHA256));
}

FIXTURE_TEARDOWN(pair)
{
	close(self->c);
	close(self->s);
}

static int set_limits(int fd, uint64_t bytes, uint64_t records, uint32_t seconds)
{
	struct secx_rekey_limits l = {
		.version = SECX_ABI_VERSION, .bytes = bytes, .records = records,
		.seconds = seconds,
	};

	return setsockopt(fd, SOL_SECX, SECX_REKEY_LIMITS, &l, sizeof(l)) ? -errno : 0;
}

/* A key update on an idle connection reaches the peer at once, not corked. */
TEST_F(pair, idle_key_update_not_corked)
{
	uint32_t flags = SECX_KU_TX;
	struct secx_info si = { 0 };
	double t0, took = 99;
	char b;

	for (int i = 0; i < 5; i++) {
		/* the connection is idle: nothing sent for a while */
		usleep(300000);
		t0 = now();
		ASSERT_EQ(0, setsockopt(self->c, SOL_SECX, SECX_KEY_UPDATE, &flags, sizeof(flags)));
		while (now() - t0 < 2) {
			recv(self->s, &b, 1, MSG_DONTWAIT);
			ASSERT_EQ(0, get_info(self->s, &si));
			if (si.rx_epoch == (uint32_t)i + 1)
				break;
			usleep(1000);
		}
		ASSERT_EQ((uint32_t)i + 1, si.rx_epoch);
		if (now() - t0 < took)
			took = now() - t0;
	}
	/* TCP's cork/autocork would hold the record for 200 ms */
	EXPECT_GT(0.1, took) TH_LOG("best of 5: %.3f s", took);
}

/* The CLOSE record alone never makes the sender spend a new key. */
TEST_F(pair, close_spends_no_key)
{
	struct secx_info before, after;
	char buf[16];

	ASSERT_EQ(0, set_limits(self->c, 0, 10, 0));
	/* records 0..8 under key 0: the 10th record would be the budget's last */
	for (int i = 0; i < 9; i++) {
		ASSERT_EQ(1, send(self->c, "x", 1, 0));
		ASSERT_EQ(1, recv(self->s, buf, 1, 0));
	}
	ASSERT_EQ(0, get_info(self->c, &before));
	ASSERT_EQ(0, close(self->c));
	self->c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, recv(self->s, buf, sizeof(buf), 0));
	ASSERT_EQ(0, get_info(self->s, &after));
	EXPECT_EQ(before.tx_epoch, after.rx_epoch);
}

/* A peer that floods KEY_UPDATE records is cut off with EPROTO, counted. */
TEST(key_update_flood_is_cut_off)
{
	struct secx_crypto_info info;
	struct secx_rec_state st;
	static uint8_t rec[MAXREC];
	long long floods = secx_stat("RxKeyUpdateFloods");
	int tx, rx, i, sent = 0, err = 0;
	uint8_t iv[16] = { 0 };
	char b;

	ASSERT_LE(0, floods);
	ASSERT_EQ(0, make_receiver(SECX_SUITE_AES_128_GCM_SHA256, 1, &tx, &rx));
	fill_info(&info, SECX_SUITE_AES_128_GCM_SHA256, 1);
	secx_rec_init_raw(&st, SECX_SUITE_AES_128_GCM_SHA256, info.key, info.key_len,
			  info.iv, 0);
	memcpy(st.secret, info.secret, info.secret_len);
	st.secret_len = info.secret_len;
	/* 10 000 key updates with no data in between, far beyond any budget */
	for (i = 0; i < 10000; i++) {
		size_t len = sizeof(rec);

		ASSERT_EQ(0, secx_rec_seal(&st, SECX_RT_KEY_UPDATE, (const uint8_t *)"", 1, iv,
					   rec, &len));
		ASSERT_EQ(0, secx_rec_rekey(&st));
		if (write_all(tx, rec, len))
			break;
		sent++;
		if (recv(rx, &b, 1, MSG_DONTWAIT) < 0 && errno != EAGAIN) {
			err = errno;
			break;
		}
	}
	if (!err && recv(rx, &b, 1, MSG_DONTWAIT) < 0)
		err = errno;
	EXPECT_EQ(EPROTO, err) TH_LOG("after %d key updates", sent);
	EXPECT_GT(1000, sent);
	EXPECT_EQ(floods + 1, secx_stat("RxKeyUpdateFloods"));
	close(tx);
	close(rx);
}

/* The application cannot make the kernel rekey without bound either. */
TEST_F(pair, local_key_update_rate_limited)
{
	uint32_t flags = SECX_KU_TX;
	int i, ok = 0, busy = 0;

	for (i = 0; i < 200; i++) {
		if (!setsockopt(self->c, SOL_SECX, SECX_KEY_UPDATE, &flags, sizeof(flags)))
			ok++;
		else if (errno == EBUSY)
			busy++;
	}
	EXPECT_EQ(200, ok + busy);
	EXPECT_LT(0, busy);
	EXPECT_GE(64, ok);
}

#define RING_PAIRS	8
#define RING_BYTES	(4u << 20)

static void *ring_reader(void *arg)
{
	int fd = *(int *)arg;
	static __thread char buf[1 << 16];
	size_t got = 0;

	while (got < RING_BYTES) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		got += n;
	}
	return (void *)got;
}

FIXTURE(ring)
{
	int unused;
};

FIXTURE_SETUP(ring)
{
}

FIXTURE_TEARDOWN(ring)
{
}

/*
 * Ciphertext pages kept for reuse are charged to the socket's owner and
 * given back once the socket is idle: the TxRingPages gauge of
 * /proc/net/secx_stat grows with the transfers and drops back to where it
 * was within a few seconds of the last record, with the sockets still open.
 */
TEST_F_TIMEOUT(ring, idle_sockets_give_ring_back, 300)
{
	int c[RING_PAIRS], s[RING_PAIRS], file, i;
	long long base = secx_stat("TxRingPages"), busy = 0, idle = -1;
	pthread_t th[RING_PAIRS];

	ASSERT_LE(0, base);
	file = memfd_create("secx-ring", 0);
	ASSERT_LE(0, file);
	ASSERT_EQ(0, ftruncate(file, RING_BYTES));
	for (i = 0; i < RING_PAIRS; i++) {
		off_t off = 0;
		void *got;

		ASSERT_EQ(0, tcp_pair(AF_INET, &c[i], &s[i]));
		ASSERT_EQ(0, secx_keys_both(c[i], s[i], SECX_SUITE_AES_128_GCM_SHA256));
		ASSERT_EQ(0, pthread_create(&th[i], NULL, ring_reader, &s[i]));
		while (off < RING_BYTES)
			ASSERT_LT(0, sendfile(c[i], file, &off, RING_BYTES - off));
		/* every record is sealed: this pair's ring holds pages now */
		if (secx_stat("TxRingPages") > busy)
			busy = secx_stat("TxRingPages");
		pthread_join(th[i], &got);
		ASSERT_EQ(RING_BYTES, (size_t)got);
	}
	for (i = 0; i < 50 && idle != base; i++) {
		usleep(100000);
		idle = secx_stat("TxRingPages");
	}
	TH_LOG("TxRingPages: before %lld, most during transfers %lld, idle %lld after %.1f s",
	       base, busy, idle, i / 10.0);
	EXPECT_LT(base, busy);
	EXPECT_EQ(base, idle);
	for (i = 0; i < RING_PAIRS; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(file);
}

static int bpf_sys(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* A socket in a sockmap has another owner's proto: secx refuses it. */
TEST(sockmap_socket_refused)
{
	union bpf_attr attr;
	int map, c, s, key = 0, err;

	ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	map = bpf_sys(BPF_MAP_CREATE, &attr);
	if (map < 0)
		SKIP(return, "no sockmap in this kernel: %s", strerror(errno));
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&c;
	ASSERT_EQ(0, bpf_sys(BPF_MAP_UPDATE_ELEM, &attr));
	err = attach_ulp(c, SECX_ULP_NAME);
	EXPECT_EQ(-EBUSY, err);
	close(map);
	close(c);
	close(s);
	/* the shared proto tables still serve an ordinary pair */
	ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
	ASSERT_EQ(0, secx_keys_both(c, s, SECX_SUITE_AES_128_GCM_SHA256));
	ASSERT_EQ(0, write_all(c, "after", 5));
	EXPECT_EQ(5, read_all(s, (char[8]){0}, 5));
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
