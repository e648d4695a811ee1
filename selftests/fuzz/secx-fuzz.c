// SPDX-License-Identifier: GPL-2.0
/*
 * secx-fuzz: a seeded, replayable random-operation driver for the secx
 * socket API and its wire input, run in the test guest against secx.ko.
 *
 *   secx-fuzz --seed N --ops M [--iterations K] [--duration S] [flags]
 *   secx-fuzz --replay [FILE]      one TAP line per seed line (default: the
 *                                  seeds built in from selftests/fuzz/seeds)
 *   secx-fuzz                      same as --replay (how secx-selftests runs it)
 *
 * Iteration k uses seed N+k: it builds a world of 1-4 connected loopback
 * pairs (IPv4/IPv6, any suite, keys on one or both ends, rekey budgets, or
 * a plain TCP injector in front of a secx receiver fed by the reference
 * codec) and runs M random operations on it, then tears it down.  Checked
 * as it goes (Documentation/fuzzing.rst):
 *   - every errno is documented for that call (errtab.h);
 *   - delivered bytes are a prefix of what the peer's application sent;
 *   - no call blocks past its timeout (watchdog thread, plus alarm());
 *   - struct mutations api.rst calls invalid are refused;
 *   - /proc/net/secx_stat CurrSockets returns to its start value after
 *     the world is torn down.
 * On failure: "# FAIL: ..." and "# reproduce: secx-fuzz --seed S --ops M
 * [flags]", exit 1.  Operation sequences are a pure function of the seed;
 * thread interleavings are not, so a racy failure may need a few replays.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <time.h>

#include "../lib.h"
#include "../../kmod/common/stat_names.h"
#include "errtab.h"

#define MAXPAIRS	4
#define BIGBUF		(1 << 20)
#define MAXSLOTS	8

static const char *const builtin_seeds[] = {
#include "seeds.inc"
	NULL
};

/* ---- configuration ------------------------------------------------------ */

static struct cfg {
	unsigned long long seed;
	long ops, iterations;
	double duration;
	int no_oob, no_block_recv, no_tx_race, no_threads, no_inject;
	int slack_ms, settle_ms, verbose, strict_doc;
} cfg = { .seed = 1, .ops = 200, .iterations = 1, .slack_ms = 5000, .settle_ms = 20000 };

static unsigned long long cur_seed;
static long cur_op;

/* ---- PRNG (splitmix64): the op sequence depends on the seed only -------- */

static __thread uint64_t rs;	/* racing threads get their own */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	rs += 0x9e3779b97f4a7c15ULL;
	return mix64(rs);
}

static unsigned int rn(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

static int pct(unsigned int p)
{
	return rn(100) < p;
}

/* Stream byte @pos of a direction: a pure function of (seed, pos). */
static void sfill(uint8_t *b, uint64_t seed, uint64_t pos, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, pos++)
		b[i] = (uint8_t)(mix64(seed + (pos >> 3)) >> ((pos & 7) * 8));
}

/* ---- time, output, failure ---------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void flag_args(char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
		 cfg.no_oob ? " --no-oob" : "", cfg.no_block_recv ? " --no-block-recv" : "",
		 cfg.no_tx_race ? " --no-tx-race" : "", cfg.no_threads ? " --no-threads" : "",
		 cfg.no_inject ? " --no-inject" : "");
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char flags[128];
	va_list ap;

	flag_args(flags, sizeof(flags));
	flockfile(stdout);
	printf("# FAIL: seed %llu op %ld: ", cur_seed, cur_op);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# reproduce: secx-fuzz --seed %llu --ops %ld%s\n", cur_seed, cfg.ops, flags);
	fflush(stdout);
	_exit(1);
}

#define vlog(...) do { if (cfg.verbose) { flockfile(stderr); \
	fprintf(stderr, "[%llu:%ld] ", cur_seed, cur_op); fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); funlockfile(stderr); } } while (0)

static void on_alarm(int sig)
{
	static const char msg[] = "# FAIL: iteration exceeded its alarm() budget\n";
	char line[160];
	int n;

	(void)sig;
	n = snprintf(line, sizeof(line), "%s# reproduce: secx-fuzz --seed %llu --ops %ld\n",
		     msg, cur_seed, cfg.ops);
	if (write(1, line, n) < 0)
		_exit(1);
	_exit(1);
}

/* ---- watchdog: every potentially blocking call has a deadline ----------- */

static struct slot {
	atomic_int active;
	const char *op;
	pid_t tid;
	int64_t start;
	_Atomic int64_t deadline;
} slots[MAXSLOTS];
static __thread int my_slot;

static void wd_begin(const char *op, int bound_ms)
{
	struct slot *s = &slots[my_slot];

	s->op = op;
	s->tid = gettid();
	s->start = now_ns();
	atomic_store(&s->deadline, s->start + (int64_t)(bound_ms + cfg.slack_ms) * 1000000);
	atomic_store(&s->active, 1);
}

static void wd_end(void)
{
	atomic_store(&slots[my_slot].active, 0);
}

/* The state and kernel stack of a stuck thread, for the report. */
static void dump_task(pid_t tid)
{
	char path[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if ((f = fopen(path, "r"))) {
		if (fgets(line, sizeof(line), f)) {
			char *st = strrchr(line, ')');

			printf("# thread %d state %c\n", tid, st && st[1] ? st[2] : '?');
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	if ((f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f) && n++ < 24)
			printf("#   %s", line);
		fclose(f);
	}
}

static void *watchdog(void *arg)
{
	int64_t last = now_ns();

	(void)arg;
	for (;;) {
		int64_t t = now_ns(), late = t - last - 100000000;
		int i;

		/*
		 * A watchdog that overslept by seconds means the guest was not
		 * scheduled (a loaded TCG host): nobody can be blamed for that
		 * time, so every deadline moves by it.
		 */
		for (i = 0; i < MAXSLOTS && late > 300000000; i++)
			atomic_fetch_add(&slots[i].deadline, late);
		last = t;
		for (i = 0; i < MAXSLOTS; i++) {
			struct slot *s = &slots[i];

			if (atomic_load(&s->active) && t > atomic_load(&s->deadline)) {
				flockfile(stdout);
				dump_task(s->tid);
				fail("%s blocked %.1f s, past its timeout + %d ms slack (thread %d)",
				     s->op, (t - s->start) / 1e9, cfg.slack_ms, i);
			}
		}
		usleep(100000);
	}
	return NULL;
}

/* ---- (op, errno) accounting and the errno invariant ---------------------- */

#define MAXPAIRS_SEEN 1024
static struct seen {
	const char *op;
	int err;
	int gap;		/* errno not in api.rst on a keyed socket */
	long n;
} seen[MAXPAIRS_SEEN];
static int nseen;
static long total_ops, pollin_eagain;
static __thread int tl_ebadf_ok;	/* a racing thread may have closed the fd */

static void note(const char *op, enum ftab t, int keyed, int err)
{
	int i, gap = 0;

	if (err && !errtab_has(errtab_doc[t], err)) {
		if (errtab_has(errtab_tcp[t], err) || (err == EBADF && tl_ebadf_ok)) {
			gap = keyed && err != EBADF;
			if (gap && cfg.strict_doc)
				fail("%s: errno %s is not in Documentation/api.rst for this call",
				     op, strerrorname_np(err));
		} else {
			fail("%s: undocumented errno %s (%d) on a %s socket", op,
			     strerrorname_np(err) ?: "?", err, keyed ? "keyed" : "plain");
		}
	}
	pthread_mutex_lock(&mu);
	for (i = 0; i < nseen; i++)
		if (seen[i].err == err && !strcmp(seen[i].op, op))
			break;
	if (i == nseen && nseen < MAXPAIRS_SEEN)
		seen[nseen++] = (struct seen){ op, err, gap, 0 };
	if (i < nseen) {
		seen[i].n++;
		seen[i].gap |= gap;
	}
	pthread_mutex_unlock(&mu);
}

/* ---- the world ------------------------------------------------------------ */

enum { K_SECX, K_INJECT };

struct end {
	int fd;
	int closed, secx, tx, rx, shut_wr;
	int rcv_ms, snd_ms;
};

struct dir {			/* e[i] -> e[1-i] of a pair is d[i] */
	uint64_t seed;		/* stream content */
	uint64_t sent;		/* bytes the sender's calls accepted */
	uint64_t hw;		/* bytes that may have reached the kernel */
	uint64_t rcvd;		/* bytes delivered to the receiver */
	uint16_t suite;
	uint8_t kseed;		/* key material seed (fill_info) */
	int verify, tx_dead, poisoned, secret;
	int cipher;		/* a plain receiver reads records: nothing to check */
	int pidx, di;		/* W.p[pidx].d[di], for messages */
};

struct pair {
	int kind, family;
	struct end e[2];
	struct dir d[2];
	struct secx_rec_state ref;	/* K_INJECT: the injector's TX codec */
	uint8_t *pend;			/* K_INJECT: bytes not yet written */
	size_t pend_len;
};

static struct world {
	int np;
	struct pair p[MAXPAIRS];
	int ep, memfd, pipe[2];
	off_t memfd_end;
} W;

static int keyed_in(const struct pair *p, int i)	/* d[i] received keyed */
{
	return p->e[1 - i].rx;
}

static void set_timeouts(struct end *e)
{
	static const int ms[] = { 50, 200, 1000 };
	struct timeval tv;

	e->rcv_ms = ms[rn(3)];
	e->snd_ms = ms[rn(3)];
	tv = (struct timeval){ e->rcv_ms / 1000, (e->rcv_ms % 1000) * 1000 };
	setsockopt(e->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tv = (struct timeval){ e->snd_ms / 1000, (e->snd_ms % 1000) * 1000 };
	setsockopt(e->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int sock_setopt(struct end *e, const char *op, enum ftab t, int name,
		       const void *val, socklen_t len, int keyed)
{
	int ret, err;

	wd_begin(op, e->snd_ms);
	ret = setsockopt(e->fd, SOL_SECX, name, val, len);
	err = ret ? errno : 0;
	wd_end();
	note(op, t, keyed, err);
	return err;
}

static void random_limits(struct secx_rekey_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->version = SECX_ABI_VERSION;
	l->bytes = pct(50) ? 0 : 1024 + rn(256 * 1024);
	l->records = pct(50) ? 0 : 2 + rn(40);
	l->seconds = pct(70) ? 0 : rn(4);
}

static void install(struct pair *p, int i, int name, uint16_t suite, uint8_t kseed, int secret)
{
	struct secx_crypto_info ci;
	struct end *e = &p->e[i];
	int err;

	fill_info(&ci, suite, kseed);
	if (!secret) {
		ci.secret_len = 0;
		memset(ci.secret, 0, sizeof(ci.secret));
	}
	err = sock_setopt(e, name == SECX_TX ? "build_tx" : "build_rx", T_SETKEY, name,
			  &ci, sizeof(ci), 1);
	if (err)
		fail("installing %s keys (suite %u) failed: %s", name == SECX_TX ? "TX" : "RX",
		     suite, strerror(err));
	if (name == SECX_TX) {
		e->tx = 1;
		if (pct(50)) {
			struct secx_rekey_limits l;

			random_limits(&l);
			err = sock_setopt(e, "build_limits", T_LIMITS, SECX_REKEY_LIMITS,
					  &l, sizeof(l), 1);
			if (err)
				fail("valid SECX_REKEY_LIMITS refused: %s", strerror(err));
		}
	} else {
		e->rx = 1;
	}
}

static void build_pair(struct pair *p)
{
	int fds[2], i, err;

	memset(p, 0, sizeof(*p));
	p->family = pct(40) ? AF_INET6 : AF_INET;
	p->kind = !cfg.no_inject && pct(30) ? K_INJECT : K_SECX;
	err = tcp_pair(p->family, &fds[0], &fds[1]);
	if (err && p->family == AF_INET6) {
		p->family = AF_INET;
		err = tcp_pair(p->family, &fds[0], &fds[1]);
	}
	if (err)
		fail("tcp_pair: %s", strerror(-err));
	for (i = 0; i < 2; i++) {
		p->e[i].fd = fds[i];
		set_timeouts(&p->e[i]);
		p->d[i].seed = rnd();
		p->d[i].suite = 1 + rn(SECX_SUITE_MAX);
		p->d[i].kseed = (uint8_t)rnd();
		p->d[i].secret = pct(80);
		p->d[i].verify = 1;
		p->d[i].pidx = (int)(p - W.p);
		p->d[i].di = i;
	}
	if (p->kind == K_INJECT) {
		/* e[0] is plain TCP speaking records made by the reference codec */
		struct dir *d = &p->d[0];
		const struct secx_suite_desc *s = secx_suite_find(d->suite);
		struct secx_crypto_info ci;
		uint8_t secret[SECX_MAX_SECRET_LEN];

		fill_pattern(secret, sizeof(secret), (uint32_t)d->seed);
		if (secx_rec_init(&p->ref, d->suite, secret, s->hash_len) ||
		    secx_rec_crypto_info(&ci, d->suite, secret, s->hash_len))
			fail("reference codec init");
		if (!d->secret) {
			ci.secret_len = 0;
			memset(ci.secret, 0, sizeof(ci.secret));
		}
		if (attach_ulp(p->e[1].fd, SECX_ULP_NAME))
			fail("attach: %s", strerror(errno));
		p->e[1].secx = 1;
		if (sock_setopt(&p->e[1], "build_rx", T_SETKEY, SECX_RX, &ci, sizeof(ci), 1))
			fail("installing injector RX keys failed");
		p->e[1].rx = 1;
		memset(&ci, 0, sizeof(ci));
		if (pct(50)) {
			install(p, 1, SECX_TX, p->d[1].suite, p->d[1].kseed, p->d[1].secret);
			p->d[1].cipher = 1;	/* e[0] reads ciphertext */
		}
		return;
	}
	for (i = 0; i < 2; i++) {
		p->e[i].secx = pct(92);
		if (p->e[i].secx && attach_ulp(p->e[i].fd, SECX_ULP_NAME))
			fail("attach: %s", strerror(errno));
	}
	for (i = 0; i < 2; i++) {
		struct dir *d = &p->d[i];
		struct end *tx = &p->e[i], *rx = &p->e[1 - i];
		unsigned int mode = rn(10);

		if (mode < 7 && tx->secx && rx->secx) {
			install(p, i, SECX_TX, d->suite, d->kseed, d->secret);
			install(p, 1 - i, SECX_RX, d->suite, d->kseed, d->secret);
		} else if (mode == 8 && tx->secx) {
			install(p, i, SECX_TX, d->suite, d->kseed, d->secret);
			d->cipher = 1;		/* plain receiver reads ciphertext */
		} else if (mode == 9 && rx->secx) {
			/* plain bytes into a keyed receiver: nothing may come out */
			install(p, 1 - i, SECX_RX, d->suite, d->kseed, d->secret);
		}
	}
}

static void watch_pair(int i)
{
	int j;

	for (j = 0; j < 2; j++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
				(pct(50) ? EPOLLET : 0), .data.u32 = i * 2 + j };

		epoll_ctl(W.ep, EPOLL_CTL_ADD, W.p[i].e[j].fd, &ev);
	}
}

static void build_world(void)
{
	int i;

	memset(&W, 0, sizeof(W));
	W.np = 1 + rn(MAXPAIRS);
	W.ep = epoll_create1(0);
	W.memfd = memfd_create("secx-fuzz", 0);
	if (W.ep < 0 || W.memfd < 0 || pipe(W.pipe))
		fail("epoll/memfd/pipe: %s", strerror(errno));
	for (i = 0; i < W.np; i++) {
		build_pair(&W.p[i]);
		watch_pair(i);
		vlog("pair %d: fds %d %d kind %d keys tx %d%d rx %d%d", i, W.p[i].e[0].fd,
		     W.p[i].e[1].fd, W.p[i].kind, W.p[i].e[0].tx, W.p[i].e[1].tx,
		     W.p[i].e[0].rx, W.p[i].e[1].rx);
	}
}

/* A pair whose two ends are closed is replaced by a fresh one. */
static void renew_pairs(void)
{
	int i;

	for (i = 0; i < W.np; i++) {
		struct pair *p = &W.p[i];

		if (!p->e[0].closed || !p->e[1].closed)
			continue;
		secx_rec_wipe(&p->ref);
		free(p->pend);
		build_pair(p);
		watch_pair(i);
		vlog("new pair %d: fds %d %d kind %d", i, p->e[0].fd, p->e[1].fd, p->kind);
		note("new_pair", T_NONE, 0, 0);
	}
}

/* ---- data accounting ----------------------------------------------------- */

static void verify(struct dir *d, const uint8_t *buf, size_t n, int peek, const char *op)
{
	static uint8_t want[SECX_MAX_DATA];
	size_t off;

	pthread_mutex_lock(&mu);
	if (d->cipher) {
		if (!peek)
			d->rcvd += n;
		pthread_mutex_unlock(&mu);
		return;
	}
	if (d->rcvd + n > d->hw)
		fail("%s delivered %zu bytes at offset %llu but the peer sent only %llu "
		     "(pair %d %s dir %d, poisoned %d)", op, n, (unsigned long long)d->rcvd,
		     (unsigned long long)d->hw, d->pidx,
		     W.p[d->pidx].kind == K_INJECT ? "inject" : "secx", d->di, d->poisoned);
	if (d->verify) {
		for (off = 0; off < n; off += sizeof(want)) {
			size_t k = n - off < sizeof(want) ? n - off : sizeof(want);

			sfill(want, d->seed, d->rcvd + off, k);
			if (memcmp(want, buf + off, k)) {
				size_t j = 0;

				while (want[j] == buf[off + j])
					j++;
				fail("%s delivered a byte the peer did not send there: stream "
				     "offset %llu has 0x%02x, expected 0x%02x", op,
				     (unsigned long long)(d->rcvd + off + j), buf[off + j], want[j]);
			}
		}
	}
	if (!peek)
		d->rcvd += n;
	pthread_mutex_unlock(&mu);
}

/* Reserve @len stream bytes for a send; returns the start offset. */
static uint64_t tx_begin(struct dir *d, size_t len)
{
	uint64_t at;

	pthread_mutex_lock(&mu);
	at = d->sent;
	if (d->hw < at + len)
		d->hw = at + len;
	pthread_mutex_unlock(&mu);
	return at;
}

static void tx_end(struct dir *d, ssize_t ret, int err, size_t len)
{
	pthread_mutex_lock(&mu);
	if (ret > 0) {
		d->sent += ret;
		if (d->tx_dead)
			d->verify = 0;	/* a gap may precede these bytes */
	} else if (ret < 0 && err != EAGAIN && err != EOPNOTSUPP && err != EINVAL &&
		   err != EBADF) {
		/*
		 * A sticky error may follow records of this very call that
		 * went out (api.rst: "returns the error rather than a short
		 * count"): never reuse those offsets.
		 */
		d->tx_dead = 1;
		d->sent += len;
	}
	pthread_mutex_unlock(&mu);
}

/* ---- picking ------------------------------------------------------------- */

static struct pair *pick(int *idx, int want_secx)
{
	int tries;

	for (tries = 0; tries < 16; tries++) {
		struct pair *p = &W.p[rn(W.np)];
		int i = rn(2);

		if (p->e[i].closed)
			i = 1 - i;
		if (p->e[i].closed || (want_secx && !p->e[i].secx))
			continue;
		*idx = i;
		return p;
	}
	return NULL;
}

static size_t pick_len(void)
{
	switch (rn(8)) {
	case 0: return 0;
	case 1: return 1 + rn(16);
	case 2: return 1 + rn(2000);
	case 3: return SECX_MAX_DATA - 1 + rn(3);
	case 4: return 1 + rn(3 * SECX_MAX_DATA);
	case 5: return 64 * 1024 + rn(64 * 1024);
	case 6: return 256 * 1024;
	default: return 1 + rn(300);
	}
}

static __thread uint8_t *tbuf;	/* per-thread BIGBUF */

static uint8_t *buf(void)
{
	if (!tbuf)
		tbuf = malloc(BIGBUF);
	if (!tbuf)
		fail("out of memory");
	return tbuf;
}

/* ---- operations: sending ------------------------------------------------- */

static void op_inject(void);

static void op_send(int how)
{
	static const char *const names[] = { "send", "sendmsg", "sendfile", "splice_in" };
	const char *op = names[how];
	struct pair *p;
	struct dir *d;
	struct end *e;
	size_t len = pick_len();
	int i, fl = MSG_NOSIGNAL, err = 0, cmsg = 0, tx_keyed;
	uint8_t *b = buf();
	uint64_t at;
	ssize_t ret;

	p = pick(&i, 0);
	if (!p)
		return;
	if (p->kind == K_INJECT && i == 0) {
		op_inject();
		return;
	}
	e = &p->e[i];
	d = &p->d[i];
	tx_keyed = e->tx;
	if (pct(25))
		fl |= MSG_MORE;
	if (pct(15))
		fl |= MSG_EOR;
	if (pct(40))
		fl |= MSG_DONTWAIT;
	if (how >= 2 && len > 64 * 1024)
		len = 64 * 1024;
	at = tx_begin(d, len);
	sfill(b, d->seed, at, len);
	vlog("%s fd %d len %zu flags %#x at %llu", op, e->fd, len, fl, (unsigned long long)at);
	wd_begin(op, fl & MSG_DONTWAIT ? 0 : e->snd_ms);
	if (how == 0) {
		ret = send(e->fd, b, len, fl);
	} else if (how == 1) {
		union { struct cmsghdr h; char c[CMSG_SPACE(4)]; } u;
		struct iovec iov[3];
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 1 };
		size_t a = len / 3, c = len / 2;

		iov[0] = (struct iovec){ b, a };
		iov[1] = (struct iovec){ b + a, c - a };
		iov[2] = (struct iovec){ b + c, len - c };
		m.msg_iovlen = 3;
		if (pct(10)) {
			memset(&u, 0, sizeof(u));
			u.h.cmsg_level = SOL_SECX;
			u.h.cmsg_type = 1;
			u.h.cmsg_len = CMSG_LEN(1);
			m.msg_control = &u;
			m.msg_controllen = sizeof(u);
			cmsg = 1;
		}
		ret = sendmsg(e->fd, &m, fl);
	} else if (how == 2) {
		/*
		 * sendfile() hands page cache pages to TCP by reference: a
		 * page must not change until the receiver read it, so the
		 * file only grows.
		 */
		off_t off = W.memfd_end;

		if (pwrite(W.memfd, b, len, off) != (ssize_t)len)
			fail("memfd write");
		W.memfd_end += (len + 4095) & ~(size_t)4095;
		ret = sendfile(e->fd, W.memfd, &off, len);
	} else {
		int pl = (int)(len > 65536 ? 65536 : len);

		ret = write(W.pipe[1], b, pl);	/* pipe holds 64 KiB */
		if (ret == pl)
			ret = splice(W.pipe[0], NULL, e->fd, NULL, pl,
				     (pct(50) ? SPLICE_F_MORE : 0) |
				     (fl & MSG_DONTWAIT ? SPLICE_F_NONBLOCK : 0));
		else
			fail("pipe write");
	}
	err = ret < 0 ? errno : 0;
	wd_end();
	if (how == 3) {		/* drop what the splice left in the pipe */
		int left = 0;

		ioctl(W.pipe[0], FIONREAD, &left);
		while (left > 0) {
			ssize_t r = read(W.pipe[0], b, left);

			if (r <= 0)
				break;
			left -= r;
		}
	}
	note(op, T_SEND, tx_keyed, err);
	if (ret > (ssize_t)len)
		fail("%s returned %zd for %zu bytes", op, ret, len);
	if (cmsg && tx_keyed && ret >= 0)
		fail("sendmsg with ancillary data was accepted on a keyed socket (api.rst: EINVAL)");
	tx_end(d, ret, err, len);
}

/* The peer sends urgent data: on a keyed socket api.rst says EOPNOTSUPP. */
static void op_oob(void)
{
	struct pair *p;
	struct end *e;
	struct dir *d;
	int i, err, keyed;
	uint8_t c;
	uint64_t at;
	ssize_t ret;

	if (cfg.no_oob)
		return;
	p = pick(&i, 0);
	if (!p)
		return;
	if (p->kind == K_INJECT && i == 0) {
		op_inject();
		return;
	}
	e = &p->e[i];
	d = &p->d[i];
	keyed = e->tx;
	at = tx_begin(d, 1);
	sfill(&c, d->seed, at, 1);
	wd_begin("send_oob", e->snd_ms);
	ret = send(e->fd, &c, 1, MSG_OOB | MSG_NOSIGNAL | MSG_DONTWAIT);
	err = ret < 0 ? errno : 0;
	wd_end();
	note("send_oob", T_SEND, keyed, err);
	if (keyed && ret >= 0)
		fail("send(MSG_OOB) accepted on a keyed socket (api.rst: EOPNOTSUPP)");
	if (ret > 0)
		d->verify = 0;	/* TCP takes the urgent byte out of the stream */
	tx_end(d, ret, err, 1);
}

/* ---- operations: the raw injector ---------------------------------------- */

static void inj_write(struct pair *p, const uint8_t *data, size_t len, int urgent)
{
	struct end *e = &p->e[0];
	size_t off = 0;
	int err;

	if (len) {
		uint8_t *n = realloc(p->pend, p->pend_len + len);

		if (!n)
			fail("out of memory");
		memcpy(n + p->pend_len, data, len);
		p->pend = n;
		p->pend_len += len;
	}
	while (off < p->pend_len) {
		size_t k = p->pend_len - off;
		ssize_t r;

		/* urgent data: the last byte of the first record written */
		wd_begin("inject_send", e->snd_ms);
		r = send(e->fd, p->pend + off, k, MSG_NOSIGNAL | (urgent ? MSG_OOB : 0));
		err = r < 0 ? errno : 0;
		wd_end();
		urgent = 0;
		note("inject_send", T_PLAIN, 0, err);
		if (r <= 0)
			break;
		off += r;
	}
	memmove(p->pend, p->pend + off, p->pend_len - off);
	p->pend_len -= off;
}

static void op_inject(void)
{
	static uint8_t rec[SECX_MAX_RECORD + 64], data[SECX_MAX_DATA];
	struct pair *p = NULL;
	struct dir *d;
	size_t n = sizeof(rec), len;
	int i, k, ret, type, urgent = 0;

	for (i = 0; i < W.np && !p; i++) {
		struct pair *q = &W.p[(i + rn(W.np)) % W.np];

		if (q->kind == K_INJECT && !q->e[0].closed)
			p = q;
	}
	if (!p)
		return;
	d = &p->d[0];
	if (p->pend_len) {
		inj_write(p, NULL, 0, 0);
		if (p->pend_len)
			return;
	}
	switch (rn(16)) {
	case 0: case 1: case 2: case 3: case 4:	/* valid DATA */
	case 5:					/* ... cut in two writes */
	case 6:					/* ... urgent last byte */
		len = rn(4) ? rn(2000) : rn(SECX_MAX_DATA + 1);
		pthread_mutex_lock(&mu);
		sfill(data, d->seed, d->sent, len);
		pthread_mutex_unlock(&mu);
		ret = secx_rec_seal(&p->ref, SECX_RT_DATA, data, len, NULL, rec, &n);
		if (ret == -EKEYEXPIRED)
			return;
		if (ret)
			fail("reference seal: %d", ret);
		pthread_mutex_lock(&mu);
		d->sent += len;
		if (!d->poisoned)
			d->hw = d->sent;
		pthread_mutex_unlock(&mu);
		vlog("inject data len %zu rec %zu", len, n);
		k = rn(7) == 5 ? (int)rn(n) : (int)n;
		if (rn(7) == 6 && !cfg.no_oob)
			urgent = 1;
		inj_write(p, rec, k, urgent);
		/* the rest goes out with the next injector op */
		if ((size_t)k < n) {
			uint8_t *t = realloc(p->pend, p->pend_len + n - k);

			if (!t)
				fail("out of memory");
			memcpy(t + p->pend_len, rec + k, n - k);
			p->pend = t;
			p->pend_len += n - k;
		}
		return;
	case 7: case 8:				/* valid KEY_UPDATE */
		data[0] = pct(30) ? 1 : 0;
		if (secx_rec_seal(&p->ref, SECX_RT_KEY_UPDATE, data, 1, NULL, rec, &n))
			return;
		if (secx_rec_rekey(&p->ref))
			fail("reference rekey");
		if (!d->secret)
			d->poisoned = 1;	/* receiver cannot follow: ENOKEY */
		vlog("inject key update %u", data[0]);
		inj_write(p, rec, n, 0);
		return;
	case 9:					/* CLOSE or ALERT, ends the stream */
		type = pct(70) ? SECX_RT_CLOSE : SECX_RT_ALERT;
		data[0] = 42;
		if (secx_rec_seal(&p->ref, type, data, type == SECX_RT_ALERT, NULL, rec, &n))
			return;
		d->poisoned = 1;
		vlog("inject %s", type == SECX_RT_CLOSE ? "close" : "alert");
		inj_write(p, rec, n, 0);
		return;
	case 10: case 11: {			/* mutated valid record */
		len = rn(64);
		type = pct(80) ? SECX_RT_DATA : rn(256);
		sfill(data, d->seed, d->sent, len);
		if (secx_rec_seal(&p->ref, type, data, len, NULL, rec, &n))
			return;
		switch (rn(4)) {
		case 0:	/* flip one bit anywhere */
			k = rn(n);
			rec[k] ^= 1 << rn(8);
			break;
		case 1:	/* truncate and follow with a fresh header */
			n = SECX_HDR_LEN + rn(n - SECX_HDR_LEN);
			break;
		case 2:	/* another length */
			rec[2] = (uint8_t)rnd();
			rec[3] ^= 1 + rn(255);
			break;
		default: /* header version/flags */
			rec[rn(2)] ^= 1 + rn(255);
			break;
		}
		d->poisoned = 1;
		vlog("inject mutated record type %d n %zu rec %02x%02x%02x%02x", type, n,
		     rec[0], rec[1], rec[2], rec[3]);
		inj_write(p, rec, n, 0);
		return;
	}
	case 12:				/* random bytes */
		n = 1 + rn(rn(4) ? 64 : 20000);
		for (k = 0; k < (int)n; k++)
			rec[k] = (uint8_t)rnd();
		d->poisoned = 1;
		vlog("inject %zu random bytes", n);
		inj_write(p, rec, n, 0);
		return;
	case 13:				/* a partial header, then nothing */
		n = 1 + rn(SECX_HDR_LEN - 1);
		secx_hdr_encode(rec, (uint16_t)rnd());
		d->poisoned = 1;
		inj_write(p, rec, n, 0);
		return;
	case 14:				/* FIN */
		wd_begin("inject_shutdown", 0);
		ret = shutdown(p->e[0].fd, SHUT_WR);
		wd_end();
		note("inject_shutdown", T_PLAIN, 0, ret ? errno : 0);
		d->poisoned = 1;
		return;
	default: {				/* drain what the secx end sent */
		uint8_t *b = buf();
		ssize_t r;

		wd_begin("inject_recv", 0);
		r = recv(p->e[0].fd, b, BIGBUF, MSG_DONTWAIT);
		k = r < 0 ? errno : 0;
		wd_end();
		note("inject_recv", T_PLAIN, 0, k);
		if (r > 0)
			verify(&p->d[1], b, r, 0, "inject_recv");
		return;
	}
	}
}

/* ---- operations: receiving ----------------------------------------------- */

static void op_recv(int how)
{
	static const char *const names[] = { "recv", "recvmsg", "splice_out" };
	const char *op = names[how];
	struct pair *p;
	struct end *e;
	struct dir *d;
	int i, fl = 0, err, keyed, bound;
	size_t len;
	uint8_t *b = buf();
	ssize_t ret;

	p = pick(&i, 0);
	if (!p)
		return;
	e = &p->e[i];
	d = &p->d[1 - i];
	keyed = keyed_in(p, 1 - i);
	switch (rn(4)) {
	case 0: len = 1 + rn(4); break;
	case 1: len = BIGBUF; break;
	case 2: len = 1 + rn(SECX_MAX_DATA * 2); break;
	default: len = 1 + rn(3000); break;
	}
	if (pct(15))
		fl |= MSG_PEEK;
	if (pct(15))
		fl |= MSG_WAITALL;
	if (pct(40) || cfg.no_block_recv)
		fl |= MSG_DONTWAIT;
	if (pct(3) && !cfg.no_oob)
		fl |= MSG_OOB;
	if (fl & MSG_WAITALL && len > 64 * 1024)
		len = 64 * 1024;
	bound = fl & MSG_DONTWAIT ? 0 : e->rcv_ms;
	vlog("%s fd %d len %zu flags %#x (at %llu of %llu)", op, e->fd, len, fl,
	     (unsigned long long)d->rcvd, (unsigned long long)d->hw);
	wd_begin(op, bound);
	if (how == 0) {
		ret = recv(e->fd, b, len, fl);
	} else if (how == 1) {
		struct iovec iov[2] = { { b, len / 2 }, { b + len / 2, len - len / 2 } };
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

		ret = recvmsg(e->fd, &m, fl);
	} else {
		fl &= ~(MSG_PEEK | MSG_OOB);
		if (len > 65536)
			len = 65536;
		ret = splice(e->fd, NULL, W.pipe[1], NULL, len,
			     fl & MSG_DONTWAIT ? SPLICE_F_NONBLOCK : 0);
	}
	err = ret < 0 ? errno : 0;
	wd_end();
	note(op, T_RECV, keyed, err);
	vlog("%s -> %zd %s", op, ret, ret < 0 ? strerrorname_np(err) : "");
	if (ret > (ssize_t)len)
		fail("%s returned %zd for a %zu-byte buffer", op, ret, len);
	if (how == 2 && ret > 0) {
		ssize_t got = 0, r;

		while (got < ret && (r = read(W.pipe[0], b + got, ret - got)) > 0)
			got += r;
		if (got != ret)
			fail("splice_out: pipe holds %zd of %zd bytes", got, ret);
	}
	if (ret > 0 && keyed && fl & MSG_OOB)
		fail("recv(MSG_OOB) returned data on a keyed socket (api.rst: EOPNOTSUPP)");
	if (ret > 0 && !(fl & MSG_OOB))
		verify(d, b, ret, fl & MSG_PEEK, op);
}

/* poll/epoll; a readable report is followed by a non-blocking peek. */
static void after_pollin(struct pair *p, int i)
{
	uint8_t c;
	ssize_t r;
	int err;

	wd_begin("poll_then_recv", 0);
	r = recv(p->e[i].fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
	err = r < 0 ? errno : 0;
	wd_end();
	note("poll_then_recv", T_RECV, keyed_in(p, 1 - i), err);
	if (err == EAGAIN) {
		pthread_mutex_lock(&mu);
		pollin_eagain++;
		pthread_mutex_unlock(&mu);
	}
	if (r > 0)
		verify(&p->d[1 - i], &c, 1, 1, "poll_then_recv");
}

static void op_poll(int use_epoll)
{
	struct pollfd pf[2 * MAXPAIRS];
	int map[2 * MAXPAIRS], n = 0, i, j, ret, tmo = rn(3) ? 0 : rn(50);

	for (i = 0; i < W.np; i++)
		for (j = 0; j < 2; j++)
			if (!W.p[i].e[j].closed && pct(60)) {
				pf[n] = (struct pollfd){ W.p[i].e[j].fd,
					POLLIN | POLLOUT | POLLPRI | POLLRDHUP, 0 };
				map[n++] = i * 2 + j;
			}
	if (use_epoll) {
		struct epoll_event ev[2 * MAXPAIRS];

		wd_begin("epoll_wait", tmo);
		ret = epoll_wait(W.ep, ev, 2 * MAXPAIRS, tmo);
		wd_end();
		note("epoll_wait", T_NONE, 0, ret < 0 ? errno : 0);
		for (i = 0; i < ret; i++) {
			struct pair *p = &W.p[ev[i].data.u32 / 2];
			int k = ev[i].data.u32 % 2;

			if (!p->e[k].closed && ev[i].events & EPOLLIN &&
			    !(ev[i].events & (EPOLLERR | EPOLLHUP)) && pct(50))
				after_pollin(p, k);
		}
		return;
	}
	wd_begin("poll", tmo);
	ret = poll(pf, n, tmo);
	wd_end();
	note("poll", T_NONE, 0, ret < 0 ? errno : 0);
	for (i = 0; i < n && ret > 0; i++)
		if (pf[i].revents & POLLIN && !(pf[i].revents & (POLLERR | POLLHUP)))
			after_pollin(&W.p[map[i] / 2], map[i] % 2);
}

/* ---- operations: SOL_SECX options ---------------------------------------- */

/* Does api.rst call this secx_crypto_info (at this optlen) invalid? */
static int ci_invalid(const struct secx_crypto_info *ci, socklen_t len, const void *val)
{
	const struct secx_suite_desc *s = secx_suite_find(ci->suite);
	unsigned int i;

	if (!val || val == (void *)16 || len != sizeof(*ci) || ci->version != SECX_ABI_VERSION ||
	    !s || ci->flags || ci->reserved0 || ci->key_len != secx_suite_key_len(s) ||
	    (ci->secret_len && ci->secret_len != s->hash_len))
		return 1;
	for (i = SECX_IV_LEN; i < sizeof(ci->iv); i++)
		if (ci->iv[i])
			return 1;
	for (i = ci->key_len; i < SECX_MAX_KEY_LEN; i++)
		if (ci->key[i])
			return 1;
	for (i = 0; i < sizeof(ci->reserved); i++)
		if (ci->reserved[i])
			return 1;
	return 0;
}

static void op_setkey(void)
{
	struct secx_crypto_info ci;
	struct pair *p;
	struct end *e;
	const char *op;
	int i, name = pct(50) ? SECX_TX : SECX_RX, invalid = 0, err, muts, m;
	socklen_t len = sizeof(ci);
	void *val = &ci;
	struct dir *d;
	char mdesc[128] = "";
	unsigned int ci_suite, ci_key_len, ci_secret_len;

	p = pick(&i, 0);
	if (!p || (p->kind == K_INJECT && i == 0))
		return;
	e = &p->e[i];
	d = name == SECX_TX ? &p->d[i] : &p->d[1 - i];
	fill_info(&ci, d->suite, d->kseed);
	if (!d->secret) {
		ci.secret_len = 0;
		memset(ci.secret, 0, sizeof(ci.secret));
	}
#define M(what) snprintf(mdesc + strlen(mdesc), sizeof(mdesc) - strlen(mdesc), " %s", what)
	muts = pct(30) ? 0 : 1 + rn(3);
	for (m = 0; m < muts; m++) {
		const struct secx_suite_desc *s;

		switch (rn(13)) {
		case 0: ci.version ^= 1 + rn(0xffff); invalid = 1; M("version"); break;
		case 1: ci.suite = pct(50) ? 0 : SECX_SUITE_MAX + 1 + rn(100); invalid = 1; M("suite"); break;
		case 2: ci.key_len ^= 1 + rn(200); invalid = 1; M("key_len"); break;
		case 3:
			s = secx_suite_find(ci.suite);
			ci.secret_len = s && pct(50) ? 0 : 1 + rn(SECX_MAX_SECRET_LEN + 20);
			if (s && ci.secret_len != s->hash_len && ci.secret_len)
				invalid = 1;
			M("secret_len");
			break;
		case 4: ci.flags |= 1u << rn(32); invalid = 1; M("flags"); break;
		case 5: ci.reserved0 = 1 + rn(1000); invalid = 1; M("reserved0"); break;
		case 6: ci.iv[SECX_IV_LEN + rn(4)] = 1 + rn(255); invalid = 1; M("iv_tail"); break;
		case 7:
			if (ci.key_len < SECX_MAX_KEY_LEN) {
				ci.key[ci.key_len + rn(SECX_MAX_KEY_LEN - ci.key_len)] = 0x5a;
				invalid = 1;
				M("key_tail");
			}
			break;
		case 8: ci.reserved[rn(sizeof(ci.reserved))] = 1 + rn(255); invalid = 1; M("reserved"); break;
		case 9: ci.seq = pct(50) ? ~0ULL - rn(4) : rnd(); M("seq"); break;
		case 10: {
			static const socklen_t l[] = { 0, 1, 4, 231, 233, 240, 4096 };

			len = l[rn(7)];
			if (len != sizeof(ci))
				invalid = 1;
			M("optlen");
			break;
		}
		case 11: val = pct(50) ? NULL : (void *)16; invalid = 1; M("pointer"); break;
		default: ci.key[rn(ci.key_len ? ci.key_len : 1)] ^= 1; M("key"); break;
		}
	}
#undef M
	op = name == SECX_TX ? (muts ? "setsockopt_tx_mut" : "setsockopt_tx")
			     : (muts ? "setsockopt_rx_mut" : "setsockopt_rx");
	wd_begin(op, 0);
	err = setsockopt(e->fd, SOL_SECX, name, len == 4096 ? buf() : val, len) ? errno : 0;
	wd_end();
	note(op, T_SETKEY, e->secx, err);
	/* the last mutation may have undone an earlier one: judge the result */
	invalid = ci_invalid(&ci, len, val);
	ci_suite = ci.suite;
	ci_key_len = ci.key_len;
	ci_secret_len = ci.secret_len;
	memset(&ci, 0, sizeof(ci));
	if (err)
		return;
	if (invalid)
		fail("%s: kernel accepted a secx_crypto_info api.rst calls invalid (mutated:%s; "
		     "suite %u key_len %u secret_len %u optlen %u)", op, mdesc, ci_suite, ci_key_len,
		     ci_secret_len, len);
	if (!e->secx)
		fail("%s succeeded on a socket without the ULP", op);
	if (name == SECX_TX) {
		if (e->tx)
			fail("SECX_TX installed twice (api.rst: EBUSY)");
		e->tx = 1;
		if (!p->e[1 - i].rx)
			d->cipher = 1;
	} else {
		if (e->rx)
			fail("SECX_RX installed twice (api.rst: EBUSY)");
		e->rx = 1;
	}
}

static void op_info(int in_race, struct end *e)
{
	struct secx_info si;
	socklen_t len = sizeof(si);
	static const socklen_t lens[] = { 0, 4, sizeof(struct secx_info) - 1,
					  sizeof(struct secx_info) + 16 };
	char big[sizeof(si) + 16];
	int err, small = 0;

	if (pct(20)) {
		len = lens[rn(4)];
		small = len < sizeof(si);
	}
	memset(big, 0, sizeof(big));
	wd_begin("getsockopt_info", 0);
	err = getsockopt(e->fd, SOL_SECX, SECX_INFO, big, &len) ? errno : 0;
	wd_end();
	note("getsockopt_info", T_INFO, e->secx, err);
	if (err)
		return;
	memcpy(&si, big, sizeof(si));
	if (small)
		fail("getsockopt(SECX_INFO) accepted optlen %u < %zu", len, sizeof(si));
	if (len != sizeof(si))
		fail("getsockopt(SECX_INFO) wrote back optlen %u", len);
	if (si.version != SECX_ABI_VERSION || si.reserved0 || si.reserved[0] || si.reserved[1] ||
	    si.reserved[2] || si.reserved[3])
		fail("SECX_INFO: version %u or reserved fields non-zero", si.version);
	if (!in_race && (!!(si.flags & SECX_INFO_TX_READY) != e->tx ||
			 !!(si.flags & SECX_INFO_RX_READY) != e->rx))
		fail("SECX_INFO flags %#x disagree with the keys installed (tx %d rx %d)",
		     si.flags, e->tx, e->rx);
}

static void op_limits(struct end *e)
{
	struct secx_rekey_limits l;
	socklen_t len = sizeof(l);
	int invalid = 0, err;
	const char *op;

	if (pct(30)) {
		op = "getsockopt_limits";
		if (pct(20))
			len = rn(sizeof(l));
		wd_begin(op, 0);
		err = getsockopt(e->fd, SOL_SECX, SECX_REKEY_LIMITS, &l, &len) ? errno : 0;
		wd_end();
		note(op, T_LIMITS, e->secx, err);
		return;
	}
	random_limits(&l);
	op = "setsockopt_limits";
	if (pct(50)) {
		op = "setsockopt_limits_mut";
		switch (rn(7)) {
		case 0: l.version = 2 + rn(100); break;
		case 1: l.reserved0 = 1; break;
		case 2: l.flags = 1u << rn(32); break;
		case 3: l.reserved1 = 1 + rn(7); break;
		case 4: l.bytes = 1 + rn(1023); break;
		case 5: l.records = 1; break;
		default: len = rn(sizeof(l) + 8); if (len == sizeof(l)) len++; break;
		}
		invalid = 1;
	}
	wd_begin(op, 0);
	err = setsockopt(e->fd, SOL_SECX, SECX_REKEY_LIMITS, &l, len) ? errno : 0;
	wd_end();
	note(op, T_LIMITS, e->secx, err);
	if (!err && invalid)
		fail("%s: kernel accepted a secx_rekey_limits api.rst calls invalid", op);
	if (!err && !e->tx)
		fail("SECX_REKEY_LIMITS accepted before SECX_TX (api.rst: EINVAL)");
}

static void op_key_update(struct end *e)
{
	static const uint32_t fl[] = { SECX_KU_TX, SECX_KU_REQUEST_PEER,
				       SECX_KU_TX | SECX_KU_REQUEST_PEER, 0, 4, 0x80000000u };
	unsigned int k = pct(80) ? rn(3) : rn(6);
	uint32_t v = fl[k];
	socklen_t len = pct(10) ? (pct(50) ? 2 : 8) : 4;
	uint64_t big = v;
	int err;

	wd_begin("key_update", e->snd_ms);
	err = setsockopt(e->fd, SOL_SECX, SECX_KEY_UPDATE, len == 8 ? (void *)&big : &v, len)
		? errno : 0;
	wd_end();
	note("key_update", T_KU, e->secx, err);
	if (!err && (k >= 3 || len != 4))
		fail("SECX_KEY_UPDATE accepted flags %#x optlen %u (api.rst: EINVAL)", v, len);
}

static void op_sockopt_misc(struct end *e)
{
	static const int names[] = { 0, 6, 7, 100, -1, SECX_TX, SECX_RX, SECX_KEY_UPDATE };
	int name = names[rn(8)], err;
	char val[256] = { 0 };
	socklen_t len = rn(sizeof(val));

	if (pct(50) || name == SECX_TX || name == SECX_RX || name == SECX_KEY_UPDATE) {
		wd_begin("getsockopt_bad", 0);
		err = getsockopt(e->fd, SOL_SECX, name, val, &len) ? errno : 0;
		wd_end();
		note("getsockopt_bad", T_BADOPT, e->secx, err);
		if (!err && e->secx)
			fail("getsockopt(SOL_SECX, %d) succeeded (api.rst: ENOPROTOOPT)", name);
		return;
	}
	wd_begin("setsockopt_bad", 0);
	err = setsockopt(e->fd, SOL_SECX, name, val, len) ? errno : 0;
	wd_end();
	note("setsockopt_bad", T_BADOPT, e->secx, err);
	if (!err && e->secx)
		fail("setsockopt(SOL_SECX, %d) succeeded (api.rst: ENOPROTOOPT)", name);
}

static void op_attach(struct pair *p, int i)
{
	struct end *e = &p->e[i];
	/* kTLS only where secx is attached (EEXIST): elsewhere it is not ours */
	const char *name = pct(80) || !e->secx ? SECX_ULP_NAME : "tls";
	int err;

	wd_begin("attach_ulp", 0);
	err = setsockopt(e->fd, SOL_TCP, TCP_ULP, name, strlen(name)) ? errno : 0;
	wd_end();
	note(strcmp(name, "tls") ? "attach_ulp" : "attach_tls", T_ULP, e->secx, err);
	if (!err && e->secx)
		fail("a second ULP attached (api.rst: EEXIST)");
	/* kTLS without keys stays plain TCP */
	if (!err && !strcmp(name, SECX_ULP_NAME))
		e->secx = 1;
}

/* ---- operations: shutdown, close ---------------------------------------- */

static int close_bound(struct end *e)
{
	return e->snd_ms < 10000 ? e->snd_ms : 10000;
}

static void do_shutdown(struct pair *p, int i, int how)
{
	struct end *e = &p->e[i];
	int err;

	wd_begin("shutdown", close_bound(e));
	err = shutdown(e->fd, how) ? errno : 0;
	wd_end();
	note("shutdown", T_SHUT, e->tx || e->rx, err);
}

static void do_close(struct pair *p, int i, int linger0)
{
	struct end *e = &p->e[i];
	const char *op = linger0 ? "close_linger0" : "close";
	int err;

	if (linger0) {
		struct linger l = { 1, 0 };

		setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	wd_begin(op, close_bound(e));
	err = close(e->fd) ? errno : 0;
	wd_end();
	note(op, T_NONE, e->tx || e->rx, err);
	e->closed = 1;
}

/* ---- operations: several threads on one socket --------------------------- */

enum { A_SEND, A_RECV, A_SHUT, A_CLOSE, A_KU, A_INFO, A_PEER_RECV, A_PEER_CLOSE,
       A_LIMITS, A_NR };
static const char *const a_names[A_NR] = { "race_send", "race_recv", "race_shutdown",
	"race_close", "race_key_update", "race_info", "race_peer_recv", "race_peer_close",
	"race_limits" };

struct actor {
	pthread_t th;
	int slot, act, reps, how, ebadf_ok;
	uint64_t rseed;
	struct pair *p;
	int i;
	pthread_barrier_t *bar;
};

static void race_recv(struct pair *p, int i, const char *op)
{
	struct end *e = &p->e[i];
	uint8_t *b = buf();
	int fl = cfg.no_block_recv ? MSG_DONTWAIT : 0, err;
	ssize_t r;

	wd_begin(op, e->rcv_ms);
	r = recv(e->fd, b, BIGBUF, fl);
	err = r < 0 ? errno : 0;
	wd_end();
	note(op, T_RECV, keyed_in(p, 1 - i), err);
	if (r > 0)
		verify(&p->d[1 - i], b, r, 0, op);
}

static void *actor_main(void *arg)
{
	struct actor *a = arg;
	struct pair *p = a->p;
	int i = a->i, r;

	my_slot = a->slot;
	tl_ebadf_ok = a->ebadf_ok;
	rs = a->rseed;
	pthread_barrier_wait(a->bar);
	for (r = 0; r < a->reps && !(r && (a->act == A_CLOSE || a->act == A_PEER_CLOSE)); r++) {
		switch (a->act) {
		case A_SEND: {
			struct end *e = &p->e[i];
			struct dir *d = &p->d[i];
			size_t len = 64 * 1024 + (size_t)a->how * 4096;
			uint8_t *b = buf();
			uint64_t at = tx_begin(d, len);
			ssize_t ret;
			int err;

			sfill(b, d->seed, at, len);
			wd_begin("race_send", e->snd_ms);
			ret = send(e->fd, b, len, MSG_NOSIGNAL);
			err = ret < 0 ? errno : 0;
			wd_end();
			note("race_send", T_SEND, e->tx, err);
			tx_end(d, ret, err, len);
			break;
		}
		case A_RECV:
			race_recv(p, i, "race_recv");
			break;
		case A_PEER_RECV:
			race_recv(p, 1 - i, "race_peer_recv");
			break;
		case A_SHUT:
			do_shutdown(p, i, a->how % 3);
			break;
		case A_CLOSE:
			do_close(p, i, a->how & 1);
			break;
		case A_PEER_CLOSE:
			do_close(p, 1 - i, 0);
			break;
		case A_KU:
			op_key_update(&p->e[i]);
			break;
		case A_INFO:
			op_info(1, &p->e[i]);
			break;
		case A_LIMITS:
			op_limits(&p->e[i]);
			break;
		}
	}
	free(tbuf);
	tbuf = NULL;
	return NULL;
}

static void op_race(void)
{
	struct actor a[4];
	pthread_barrier_t bar;
	struct pair *p;
	int i, n, k, tries, used = 0, chosen = 0, closing = 0;

	if (cfg.no_threads)
		return;
	p = pick(&i, 0);
	if (!p || p->e[1 - i].closed || p->kind == K_INJECT)
		return;
	n = 2 + rn(3);
	for (k = 0, tries = 0; k < n && tries < 50; tries++) {
		int act = rn(A_NR);

		if (used & (1 << act))
			continue;
		used |= 1 << act;
		/*
		 * issue 9 item 2: a sender blocked in TCP holds tx_lock, and
		 * shutdown()/key update from another thread hang behind it.
		 */
		if (cfg.no_tx_race &&
		    ((act == A_SEND && chosen & (1 << A_SHUT | 1 << A_KU)) ||
		     ((act == A_SHUT || act == A_KU) && chosen & (1 << A_SEND))))
			continue;
		chosen |= 1 << act;
		a[k].act = act;
		a[k].reps = 1 + rn(3);
		a[k].how = rn(16);
		a[k].rseed = rnd();
		if (act == A_CLOSE || act == A_PEER_CLOSE)
			closing = 1;
		k++;
	}
	n = k;
	if (n < 2)
		return;
	vlog("race on fd %d:%s%s%s%s", p->e[i].fd, a_names[a[0].act], n > 1 ? " " : "",
	     n > 1 ? a_names[a[1].act] : "", n > 2 ? " ..." : "");
	pthread_barrier_init(&bar, NULL, n);
	for (k = 0; k < n; k++) {
		a[k].slot = 1 + k;
		a[k].p = p;
		a[k].i = i;
		a[k].bar = &bar;
		a[k].ebadf_ok = closing;
		if (pthread_create(&a[k].th, NULL, actor_main, &a[k]))
			fail("pthread_create");
	}
	for (k = 0; k < n; k++)
		pthread_join(a[k].th, NULL);
	pthread_barrier_destroy(&bar);
	note("race", T_NONE, 0, 0);
}

/* ---- one iteration -------------------------------------------------------- */

static long long curr_sockets(void)
{
	return secx_stat(secx_stat_names[SECX_STAT_CURR_SOCKETS]);
}

static void one_op(void)
{
	struct pair *p;
	int i, w = rn(100);

	renew_pairs();
	if (w < 14)
		op_send(0);
	else if (w < 20)
		op_send(1);
	else if (w < 24)
		op_send(2);
	else if (w < 27)
		op_send(3);
	else if (w < 40)
		op_recv(0);
	else if (w < 45)
		op_recv(1);
	else if (w < 48)
		op_recv(2);
	else if (w < 52)
		op_poll(0);
	else if (w < 55)
		op_poll(1);
	else if (w < 62)
		op_setkey();
	else if (w < 73 && !cfg.no_inject)
		op_inject();
	else if (w < 78)
		op_race();
	else if (w < 80)
		op_oob();
	else if ((p = pick(&i, 0))) {
		struct end *e = &p->e[i];

		if (p->kind == K_INJECT && i == 0) {
			if (w >= 98 && pct(30))
				do_close(p, 0, pct(50));	/* FIN or RST from the injector */
			return;
		}
		if (w < 84)
			op_info(0, e);
		else if (w < 87)
			op_limits(e);
		else if (w < 91)
			op_key_update(e);
		else if (w < 93)
			op_sockopt_misc(e);
		else if (w < 94)
			op_attach(p, i);
		else if (w < 97)
			do_shutdown(p, i, pct(95) ? (int)rn(3) : 3 + (int)rn(5));
		else if (w < 99)
			do_close(p, i, pct(40));
		else
			do_close(p, i, 0);
	}
}

static void teardown(void)
{
	int i, j;

	for (i = 0; i < W.np; i++) {
		for (j = 0; j < 2; j++)
			if (!W.p[i].e[j].closed)
				do_close(&W.p[i], j, 0);
		secx_rec_wipe(&W.p[i].ref);
		free(W.p[i].pend);
	}
	close(W.ep);
	close(W.memfd);
	close(W.pipe[0]);
	close(W.pipe[1]);
}

static long long base_sockets, base_refcnt;

/* secx.ko's module refcount: each socket with secx holds one. -1: unknown */
static long long module_refcnt(void)
{
	long long v = -1;
	FILE *f = fopen("/sys/module/secx/refcnt", "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void run_iteration(unsigned long long seed)
{
	int64_t t0;
	long long cs;

	cur_seed = seed;
	cur_op = -1;
	rs = mix64(seed ^ 0x5ec55ec5ULL);
	alarm(60 + cfg.ops / 2);
	build_world();
	for (cur_op = 0; cur_op < cfg.ops; cur_op++) {
		one_op();
		total_ops++;
	}
	teardown();
	t0 = now_ns();
	while ((cs = curr_sockets()) > base_sockets) {
		if (now_ns() - t0 > (int64_t)cfg.settle_ms * 1000000)
			fail("/proc/net/secx_stat CurrSockets stays %lld (was %lld) %d ms after "
			     "the world was torn down", cs, base_sockets, cfg.settle_ms);
		usleep(20000);
	}
	/*
	 * CurrSockets drops when secx lets go of a socket; the module
	 * reference goes only when the socket is freed.  One kept means a
	 * socket that is never freed.
	 */
	while (base_refcnt >= 0 && (cs = module_refcnt()) > base_refcnt) {
		if (now_ns() - t0 > (int64_t)cfg.settle_ms * 1000000) {
			static const char *const tabs[] = { "/proc/net/tcp", "/proc/net/tcp6" };
			char line[256];
			int k;

			/* which sockets are left, and in which TCP state */
			for (k = 0; k < 2; k++) {
				FILE *f = fopen(tabs[k], "r");

				while (f && fgets(line, sizeof(line), f))
					printf("# %s: %s", tabs[k] + 10, line);
				if (f)
					fclose(f);
			}
			fail("secx.ko refcount stays %lld (was %lld) %d ms after the world was "
			     "torn down: a socket is never freed", cs, base_refcnt, cfg.settle_ms);
		}
		usleep(20000);
	}
	alarm(0);
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
	printf("usage: secx-fuzz --seed N --ops M [--iterations K] [--duration S]\n"
	       "                 [--no-oob] [--no-block-recv] [--no-tx-race] [--avoid-known]\n"
	       "                 [--no-threads] [--no-inject] [--slack MS] [--settle MS]\n"
	       "                 [--strict-doc] [-v]\n"
	       "       secx-fuzz --replay [FILE]\n"
	       "Documentation/fuzzing.rst describes the options and the invariants.\n");
}

static int parse(int argc, char **argv, int *replay, const char **file)
{
	static const struct option lo[] = {
		{ "seed", 1, 0, 's' }, { "ops", 1, 0, 'o' }, { "iterations", 1, 0, 'i' },
		{ "duration", 1, 0, 'd' }, { "no-oob", 0, 0, 1 }, { "no-block-recv", 0, 0, 2 },
		{ "no-tx-race", 0, 0, 3 }, { "avoid-known", 0, 0, 4 }, { "no-threads", 0, 0, 5 },
		{ "no-inject", 0, 0, 6 }, { "slack", 1, 0, 7 }, { "settle", 1, 0, 8 },
		{ "strict-doc", 0, 0, 9 }, { "replay", 0, 0, 'r' }, { "verbose", 0, 0, 'v' },
		{ "help", 0, 0, 'h' }, { 0 } };
	char *end;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:o:i:d:rvh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.seed = strtoull(optarg, &end, 0);
			if (!*optarg || *end)
				return -1;
			break;
		case 'o':
			cfg.ops = strtol(optarg, &end, 0);
			if (!*optarg || *end || cfg.ops < 1)
				return -1;
			break;
		case 'i':
			cfg.iterations = strtol(optarg, &end, 0);
			if (!*optarg || *end || cfg.iterations < 1)
				return -1;
			break;
		case 'd':
			cfg.duration = strtod(optarg, &end);
			if (!*optarg || *end || !(cfg.duration > 0))
				return -1;
			break;
		case 1: cfg.no_oob = 1; break;
		case 2: cfg.no_block_recv = 1; break;
		case 3: cfg.no_tx_race = 1; break;
		case 4: cfg.no_oob = cfg.no_block_recv = cfg.no_tx_race = 1; break;
		case 5: cfg.no_threads = 1; break;
		case 6: cfg.no_inject = 1; break;
		case 7: cfg.slack_ms = atoi(optarg); break;
		case 8: cfg.settle_ms = atoi(optarg); break;
		case 9: cfg.strict_doc = 1; break;
		case 'r': *replay = 1; break;
		case 'v': cfg.verbose = 1; break;
		case 'h': usage(); exit(0);
		default: return -1;
		}
	}
	if (optind < argc) {
		if (!*replay)
			return -1;
		*file = argv[optind];
	}
	return 0;
}

static void summary(double secs, long iters)
{
	int i, gaps = 0;

	printf("# secx-fuzz: %ld iterations, %ld ops in %.1f s: %.1f ops/s, %.2f iterations/s\n",
	       iters, total_ops, secs, total_ops / secs, iters / secs);
	printf("# distinct (op, errno) pairs: %d\n", nseen);
	for (i = 0; i < nseen; i++) {
		printf("#   %-22s %-14s %8ld%s\n", seen[i].op,
		       seen[i].err ? strerrorname_np(seen[i].err) : "ok", seen[i].n,
		       seen[i].gap ? "  (not in api.rst)" : "");
		gaps += seen[i].gap;
	}
	printf("# errnos on keyed sockets that api.rst does not list: %d\n", gaps);
	printf("# poll/epoll readable, then recv(MSG_DONTWAIT) EAGAIN: %ld\n", pollin_eagain);
}

static int fuzz_main(void)
{
	pthread_t wd;
	int64_t t0 = now_ns(), last = t0, limit = (int64_t)(cfg.duration * 1e9);
	long it;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	base_sockets = curr_sockets();
	if (base_sockets < 0) {
		printf("# SKIP: /proc/net/secx_stat not readable: secx.ko is not loaded\n");
		return 4;
	}
	base_refcnt = module_refcnt();
	if (pthread_create(&wd, NULL, watchdog, NULL))
		return 1;
	for (it = 0; limit ? now_ns() - t0 < limit : it < cfg.iterations; it++) {
		if (now_ns() - last > 10 * 1000000000LL) {
			printf("# progress: %.0f s, %ld iterations, %ld ops, now seed %llu\n",
			       (now_ns() - t0) / 1e9, it, total_ops, cfg.seed + it);
			last = now_ns();
		}
		run_iteration(cfg.seed + it);
	}
	summary((now_ns() - t0) / 1e9, it);
	return 0;
}

/* Run each seed line in a child; one TAP line per seed. */
static int replay(const char *file)
{
	const char **lines = NULL;
	char *text = NULL, *s, *save;
	size_t n = 0, cap = 0;
	int k, failed = 0;

	if (file) {
		FILE *f = fopen(file, "r");
		size_t got;

		if (!f) {
			fprintf(stderr, "secx-fuzz: %s: %s\n", file, strerror(errno));
			return 2;
		}
		text = calloc(1, 1 << 20);
		got = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
		fclose(f);
		(void)got;
		for (s = strtok_r(text, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
			if (n + 1 >= cap) {
				cap = cap * 2 + 16;
				lines = realloc(lines, cap * sizeof(*lines));
			}
			lines[n++] = s;
		}
	} else {
		lines = calloc(sizeof(builtin_seeds) / sizeof(builtin_seeds[0]), sizeof(*lines));
		for (; builtin_seeds[n]; n++)
			lines[n] = builtin_seeds[n];
	}
	/* comments and blank lines do not count */
	for (k = 0; k < (int)n; k++) {
		const char *l = lines[k];

		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l || *l == '#') {
			memmove(&lines[k], &lines[k + 1], (n - k - 1) * sizeof(*lines));
			n--;
			k--;
		}
	}
	printf("1..%zu\n", n);
	fflush(stdout);
	for (k = 0; k < (int)n; k++) {
		char line[512], *argv[32];
		int argc = 1, st;
		pid_t pid;

		snprintf(line, sizeof(line), "%s", lines[k]);
		argv[0] = "secx-fuzz";
		for (s = strtok_r(line, " \t", &save); s && argc < 31; s = strtok_r(NULL, " \t", &save)) {
			if (*s == '#')
				break;
			argv[argc++] = s;
		}
		argv[argc] = NULL;
		fflush(stdout);
		pid = fork();
		if (!pid) {
			int r = 0;

			if (parse(argc, argv, &r, &file) || r) {
				printf("# bad seed line: %s\n", lines[k]);
				_exit(2);
			}
			_exit(fuzz_main());
		}
		if (waitpid(pid, &st, 0) != pid)
			st = -1;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 4) {
			printf("ok %d - %s # SKIP secx.ko not loaded\n", k + 1, lines[k]);
		} else if (WIFEXITED(st) && !WEXITSTATUS(st)) {
			printf("ok %d - %s\n", k + 1, lines[k]);
		} else {
			printf("not ok %d - %s\n", k + 1, lines[k]);
			failed++;
		}
	}
	free(lines);
	free(text);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	int do_replay = argc == 1;

	if (parse(argc, argv, &do_replay, &file)) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (do_replay)
		return replay(file);
	return fuzz_main();
}
