// SPDX-License-Identifier: GPL-2.0
/*
 * secx-bench: one bulk transfer of a file (normally on tmpfs) from a sender
 * process to a receiver process over TCP, with one of the record layers
 * (none, kTLS, userspace OpenSSL TLS 1.3, secx) or the raw AEAD cost through
 * AF_ALG.  Runs inside the benchmark guest; scripts/bench/run.sh drives it.
 *
 *   secx-bench --mkfile PATH BYTES
 *   secx-bench --plugin-check | --plugin-ranges   (see insncount.c)
 *   secx-bench --proto tcp|ktls|ossl|secx|alg --file PATH [options]
 *
 * options:
 *   --suite aes128gcm|aes256gcm|chacha|aes128cbc|aes256cbc   (default aes128gcm)
 *   --tx sendfile|write     sender: sendfile() of the whole file, or pread()
 *                           128 KiB + send() in --wsize pieces (default sendfile)
 *   --wsize BYTES           bytes per send() (default 131072); each send()
 *                           without MSG_MORE ends a record, so this sets the
 *                           record size when < 16 KiB; AF_ALG record size
 *   --nopad                 kTLS receiver: TLS_RX_EXPECT_NO_PAD
 *   --rekey BYTES           secx sender: SECX_REKEY_LIMITS byte budget
 *   --net lo|veth           loopback, or from netns "a" to 10.99.0.2 in netns
 *                           "b" (set up by the caller with ip netns/veth)
 *   --verify                receiver compares every byte with the file
 *   --tag N                 emit marker N*2 before and N*2+1 after the
 *                           measured part (see insncount.c); 0..32767
 *   --name NAME             printed in the result line
 *   --timeout SEC           give up (status=fail) after SEC seconds, print
 *                           where both ends are blocked (default 600)
 *
 *   secx-bench --mem-pairs N --proto tcp|ktls|secx [--suite S] [--name NAME]
 *              [--mem-xfer K --file PATH] [--mem-idle SEC]
 *
 *   Memory per connection pair (see run_memory()): N idle pairs keyed both
 *   ways, then --file moved through K of them and SEC (default 10) seconds
 *   of idling.  Output: secx-mem and secx-mem-cache lines, bytes per pair.
 *
 * Three processes: the parent connects the two sockets, forks the receiver
 * and the sender, which do their set-up (keys, TLS handshake) and report
 * ready; then the parent starts the clock (and executes the start marker),
 * tells both to go, and waits for both results.  Each end measures its own
 * CPU time (getrusage) from "go" to done.  Output, one line:
 *
 *   secx-result name=N tag=T status=ok|na|fail bytes=B wall_s=S mibps=M
 *               tx_cpu_s=S rx_cpu_s=S msg=...
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <linux/if_alg.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../../uapi/linux/secx.h"
#include "../../kmod/common/suites.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#ifndef TLS_RX_EXPECT_NO_PAD
#define TLS_RX_EXPECT_NO_PAD 4
#endif

#define CHUNK		(128 * 1024)	/* sender read buffer, OpenSSL buffers */
#define RCVBUF		(256 * 1024)	/* kernel record layers' receive buffer */
#define MARK_MAGIC	0x5ec50000u

enum proto { P_TCP, P_KTLS, P_OSSL, P_SECX, P_ALG };
enum status { ST_OK, ST_NA, ST_FAIL };

static struct {
	enum proto proto;
	int suite;		/* enum secx_suite numbering for every proto */
	int use_sendfile;
	size_t wsize;
	int nopad;
	uint64_t rekey;
	int veth;
	int verify;
	long tag;
	unsigned int timeout;
	const char *name;
	const char *file;
} opt = { .suite = SECX_SUITE_AES_128_GCM_SHA256, .use_sendfile = 1, .wsize = CHUNK,
	  .tag = -1, .timeout = 600, .name = "unnamed" };

struct report {
	int status;
	uint64_t bytes;
	uint64_t cpu_ns;
	char msg[200];
};

static volatile sig_atomic_t timed_out;
static int file_fd = -1;
static uint64_t file_size;
static const uint8_t *file_map;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "secx-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void set_msg(struct report *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

/*
 * Markers: 8-byte NOPs whose displacement carries the tag, each followed by
 * a ret, written to one page before the measurement (the tags are only
 * known at run time) so that executing one costs a call and nothing else:
 * no page fault or mmap between two markers.
 */
typedef void (*marker_fn)(void);

static void make_markers(marker_fn *fn, const uint32_t *tags, int n)
{
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	if (page == MAP_FAILED)
		die("mmap marker: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		uint8_t *p = page + 16 * i;

		p[0] = 0x0f;
		p[1] = 0x1f;
		p[2] = 0x84;
		p[3] = 0x00;
		memcpy(p + 4, &tags[i], 4);
		p[8] = 0xc3;	/* ret */
		fn[i] = (marker_fn)(void *)p;
	}
	__builtin___clear_cache((char *)page, (char *)page + 4096);
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void fill_bytes(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 37 + i * 11 + 1);
}

/* --- file ---------------------------------------------------------------- */

static void make_file(const char *path, uint64_t size)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, buf[8192];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	while (size) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf), i;

		for (i = 0; i < sizeof(buf) / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (write(fd, buf, n) != (ssize_t)n)
			die("%s: write: %s", path, strerror(errno));
		size -= n;
	}
	close(fd);
}

static void open_file(void)
{
	static uint8_t buf[CHUNK];
	struct stat st;
	uint64_t off = 0;

	file_fd = open(opt.file, O_RDONLY);
	if (file_fd < 0 || fstat(file_fd, &st))
		die("%s: %s", opt.file, strerror(errno));
	file_size = st.st_size;
	if (!file_size)
		die("%s: empty", opt.file);
	/* Touch every page-cache page once, outside the measurement. */
	while (off < file_size) {
		ssize_t n = pread(file_fd, buf, sizeof(buf), off);

		if (n <= 0)
			die("%s: read: %s", opt.file, n ? strerror(errno) : "short");
		off += n;
	}
	if (opt.verify) {
		file_map = mmap(NULL, file_size, PROT_READ, MAP_SHARED, file_fd, 0);
		if (file_map == MAP_FAILED)
			die("mmap %s: %s", opt.file, strerror(errno));
	}
}

/* --- sockets ------------------------------------------------------------- */

static void enter_netns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die("netns %s: %s (set up netns a and b first)", name, strerror(errno));
	close(fd);
}

static void connect_pair(int *cfd, int *sfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int lfd, one = 1;

	if (opt.veth)
		enter_netns("b");
	a.sin_addr.s_addr = opt.veth ? inet_addr("10.99.0.2") : htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &len))
		die("listen: %s", strerror(errno));
	if (opt.veth)
		enter_netns("a");
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&a, len))
		die("connect: %s", strerror(errno));
	*sfd = accept(lfd, NULL, NULL);
	if (*sfd < 0)
		die("accept: %s", strerror(errno));
	close(lfd);
}

/* --- kTLS ---------------------------------------------------------------- */

static int ktls_attached(int fd)
{
	char name[16] = "";
	socklen_t len = sizeof(name) - 1;

	return !getsockopt(fd, SOL_TCP, TCP_ULP, name, &len) && !strcmp(name, "tls");
}

static int ktls_keys(int fd, int dir, struct report *r)
{
	union {
		struct tls12_crypto_info_aes_gcm_128 g128;
		struct tls12_crypto_info_aes_gcm_256 g256;
		struct tls12_crypto_info_chacha20_poly1305 cc;
	} ci;
	socklen_t len;

	memset(&ci, 0, sizeof(ci));
	switch (opt.suite) {
	case SECX_SUITE_AES_128_GCM_SHA256:
		ci.g128.info.cipher_type = TLS_CIPHER_AES_GCM_128;
		fill_bytes(ci.g128.key, sizeof(ci.g128.key), 1);
		fill_bytes(ci.g128.iv, sizeof(ci.g128.iv), 2);
		fill_bytes(ci.g128.salt, sizeof(ci.g128.salt), 3);
		len = sizeof(ci.g128);
		break;
	case SECX_SUITE_AES_256_GCM_SHA384:
		ci.g256.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		fill_bytes(ci.g256.key, sizeof(ci.g256.key), 1);
		fill_bytes(ci.g256.iv, sizeof(ci.g256.iv), 2);
		fill_bytes(ci.g256.salt, sizeof(ci.g256.salt), 3);
		len = sizeof(ci.g256);
		break;
	case SECX_SUITE_CHACHA20_POLY1305_SHA256:
		ci.cc.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		fill_bytes(ci.cc.key, sizeof(ci.cc.key), 1);
		fill_bytes(ci.cc.iv, sizeof(ci.cc.iv), 2);
		len = sizeof(ci.cc);
		break;
	default:
		set_msg(r, ST_NA, "kTLS has no such suite");
		return -1;
	}
	ci.g128.info.version = TLS_1_3_VERSION;
	/* attach tls.ko once; --mem-pairs keys both directions of a socket */
	if (!ktls_attached(fd) && setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		set_msg(r, ST_FAIL, "TCP_ULP tls: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_TLS, dir, &ci, len)) {
		set_msg(r, ST_FAIL, "%s: %s", dir == TLS_TX ? "TLS_TX" : "TLS_RX", strerror(errno));
		return -1;
	}
	if (dir == TLS_RX && opt.nopad) {
		int one = 1;

		if (setsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one, sizeof(one))) {
			set_msg(r, errno == ENOPROTOOPT || errno == EINVAL ? ST_NA : ST_FAIL,
				"TLS_RX_EXPECT_NO_PAD: %s (not supported by this kernel)",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* --- OpenSSL ------------------------------------------------------------- */

static SSL_CTX *ossl_ctx[2];	/* client, server */

static const char *ossl_suite(void)
{
	switch (opt.suite) {
	case SECX_SUITE_AES_128_GCM_SHA256: return "TLS_AES_128_GCM_SHA256";
	case SECX_SUITE_AES_256_GCM_SHA384: return "TLS_AES_256_GCM_SHA384";
	case SECX_SUITE_CHACHA20_POLY1305_SHA256: return "TLS_CHACHA20_POLY1305_SHA256";
	}
	return NULL;
}

/* TLS 1.3 contexts with a throw-away self-signed P-256 certificate. */
static void ossl_setup(void)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	int i;

	if (!pkey || !x || !ossl_suite())
		die("openssl: key/suite setup failed");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"secx-bench",
				   -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!X509_sign(x, pkey, EVP_sha256()))
		die("openssl: X509_sign failed");
	for (i = 0; i < 2; i++) {
		SSL_CTX *ctx = SSL_CTX_new(i ? TLS_server_method() : TLS_client_method());

		if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
		    !SSL_CTX_set_ciphersuites(ctx, ossl_suite()))
			die("openssl: context setup failed");
		/* userspace TLS: kTLS stays off (it is opt-in; make sure) */
		SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_KTLS);
		/*
		 * No session tickets: the sender never reads, and unread
		 * tickets in its socket would turn its close() into a reset.
		 */
		if (i)
			SSL_CTX_set_num_tickets(ctx, 0);
		if (i && (SSL_CTX_use_certificate(ctx, x) != 1 ||
			  SSL_CTX_use_PrivateKey(ctx, pkey) != 1))
			die("openssl: certificate setup failed");
		ossl_ctx[i] = ctx;
	}
	X509_free(x);
	EVP_PKEY_free(pkey);
}

static SSL *ossl_handshake(int fd, int server, struct report *r)
{
	SSL *ssl = SSL_new(ossl_ctx[server]);
	const char *want = ossl_suite();

	if (!ssl || !SSL_set_fd(ssl, fd) || (server ? SSL_accept(ssl) : SSL_connect(ssl)) != 1) {
		unsigned long e = ERR_get_error();

		set_msg(r, ST_FAIL, "TLS handshake failed: %s",
			e ? ERR_error_string(e, NULL) : "?");
		return NULL;
	}
	if (strcmp(SSL_CIPHER_standard_name(SSL_get_current_cipher(ssl)), want) ||
	    SSL_version(ssl) != TLS1_3_VERSION) {
		set_msg(r, ST_FAIL, "negotiated %s, wanted TLS 1.3 %s",
			SSL_CIPHER_standard_name(SSL_get_current_cipher(ssl)), want);
		return NULL;
	}
	if (BIO_get_ktls_send(SSL_get_wbio(ssl)) || BIO_get_ktls_recv(SSL_get_rbio(ssl))) {
		set_msg(r, ST_FAIL, "OpenSSL enabled kTLS");
		return NULL;
	}
	return ssl;
}

/* --- secx ---------------------------------------------------------------- */

/* Key material as selftests/lib.h's fill_info(): @seed makes directions differ. */
static int set_keys(int fd, int dir, uint16_t suite, uint8_t seed)
{
	const struct secx_suite_desc *s = secx_suite_find(suite);
	struct secx_crypto_info info;
	unsigned int i;

	memset(&info, 0, sizeof(info));
	info.version = SECX_ABI_VERSION;
	info.suite = suite;
	info.key_len = s ? secx_suite_key_len(s) : 16;
	info.secret_len = s ? s->hash_len : 0;
	for (i = 0; i < info.key_len; i++)
		info.key[i] = (uint8_t)(seed * 31 + i);
	for (i = 0; i < SECX_IV_LEN; i++)
		info.iv[i] = (uint8_t)(seed * 7 + i * 3);
	for (i = 0; i < info.secret_len; i++)
		info.secret[i] = (uint8_t)(seed * 13 + i * 5);
	return setsockopt(fd, SOL_SECX, dir, &info, sizeof(info)) ? -errno : 0;
}

static int attach_ulp(int fd, const char *name)
{
	return setsockopt(fd, SOL_TCP, TCP_ULP, name, strlen(name)) ? -errno : 0;
}

static int secx_setup(int fd, int sender, struct report *r)
{
	int err;

	if ((err = attach_ulp(fd, SECX_ULP_NAME)) ||
	    (err = set_keys(fd, sender ? SECX_TX : SECX_RX, opt.suite, 1)) ||
	    (err = set_keys(fd, sender ? SECX_RX : SECX_TX, opt.suite, 2))) {
		set_msg(r, ST_FAIL, "secx set-up: %s", strerror(-err));
		return -1;
	}
	if (sender && opt.rekey) {
		struct secx_rekey_limits lim = { .version = 1, .bytes = opt.rekey };

		if (setsockopt(fd, SOL_SECX, SECX_REKEY_LIMITS, &lim, sizeof(lim))) {
			if (errno == ENOPROTOOPT)
				set_msg(r, ST_NA, "n/a (not supported by this module)");
			else
				set_msg(r, ST_FAIL, "SECX_REKEY_LIMITS: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* --- the two ends -------------------------------------------------------- */

static int send_all(int fd, const uint8_t *p, size_t len, struct report *r)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_msg(r, ST_FAIL, "send: %s", n ? strerror(errno) : "0");
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static void run_sender(int fd, SSL *ssl, struct report *r)
{
	static uint8_t buf[CHUNK];
	uint64_t off = 0;

	if (opt.use_sendfile && !ssl) {
		off_t o = 0;

		while ((uint64_t)o < file_size) {
			ssize_t n = sendfile(fd, file_fd, &o, file_size - o);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				set_msg(r, ST_FAIL, "sendfile: %s", n ? strerror(errno) : "0");
				return;
			}
		}
		r->bytes = o;
		return;
	}
	while (off < file_size) {
		ssize_t n = pread(file_fd, buf, sizeof(buf), off), done;

		if (n <= 0) {
			set_msg(r, ST_FAIL, "pread: %s", n ? strerror(errno) : "short");
			return;
		}
		if (ssl) {
			int w = SSL_write(ssl, buf, n);

			if (w != n) {
				set_msg(r, ST_FAIL, "SSL_write: %d", SSL_get_error(ssl, w));
				return;
			}
		} else {
			for (done = 0; done < n; done += opt.wsize) {
				size_t len = (size_t)(n - done) < opt.wsize ? (size_t)(n - done) : opt.wsize;

				if (send_all(fd, buf + done, len, r))
					return;
			}
		}
		off += n;
	}
	r->bytes = off;
}

static void run_receiver(int fd, SSL *ssl, struct report *r)
{
	static uint8_t buf[RCVBUF];
	uint64_t got = 0;

	for (;;) {
		ssize_t n;

		if (ssl) {
			n = SSL_read(ssl, buf, CHUNK);
			if (n <= 0) {
				int e = SSL_get_error(ssl, n);

				if (e == SSL_ERROR_ZERO_RETURN)
					break;
				set_msg(r, ST_FAIL, "SSL_read: error %d after %" PRIu64 " bytes", e, got);
				return;
			}
		} else {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				set_msg(r, ST_FAIL, "recv: %s after %" PRIu64 " bytes", strerror(errno), got);
				return;
			}
			if (!n)
				break;
		}
		if (opt.verify && (got + n > file_size || memcmp(buf, file_map + got, n))) {
			set_msg(r, ST_FAIL, "received data differ from the file near byte %" PRIu64, got);
			return;
		}
		got += n;
	}
	r->bytes = got;
	if (got != file_size)
		set_msg(r, ST_FAIL, "received %" PRIu64 " of %" PRIu64 " bytes", got, file_size);
}

/* Encrypt then decrypt every record of the file through AF_ALG gcm(aes). */
static void run_alg(struct report *r)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "aead",
				   .salg_name = "gcm(aes)" };
	static uint8_t in[CHUNK], ct[CHUNK + 16], pt[CHUNK];
	unsigned int keylen = opt.suite == SECX_SUITE_AES_256_GCM_SHA384 ? 32 : 16;
	size_t rec = opt.wsize > CHUNK ? CHUNK : opt.wsize;
	uint8_t key[32];
	uint64_t off = 0, seq = 0;
	int tfm, op;

	fill_bytes(key, sizeof(key), 1);
	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0 || bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen) ||
	    setsockopt(tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, 16) ||
	    (op = accept(tfm, NULL, NULL)) < 0) {
		set_msg(r, ST_FAIL, "AF_ALG gcm(aes): %s", strerror(errno));
		return;
	}
	while (off < file_size) {
		ssize_t n = pread(file_fd, in, sizeof(in), off), done;

		if (n <= 0) {
			set_msg(r, ST_FAIL, "pread: %s", n ? strerror(errno) : "short");
			return;
		}
		for (done = 0; done < n; done += rec, seq++) {
			size_t len = (size_t)(n - done) < rec ? (size_t)(n - done) : rec;
			int dir;

			for (dir = 0; dir < 2; dir++) {
				char cbuf[CMSG_SPACE(4) + CMSG_SPACE(sizeof(struct af_alg_iv) + 12) +
					  CMSG_SPACE(4)] = { 0 };
				struct iovec iov = { dir ? ct : in + done, dir ? len + 16 : len };
				struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
						      .msg_control = cbuf,
						      .msg_controllen = sizeof(cbuf) };
				struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
				struct af_alg_iv *iv;
				ssize_t want = dir ? (ssize_t)len : (ssize_t)len + 16;

				c->cmsg_level = SOL_ALG;
				c->cmsg_type = ALG_SET_OP;
				c->cmsg_len = CMSG_LEN(4);
				*(uint32_t *)CMSG_DATA(c) = dir ? ALG_OP_DECRYPT : ALG_OP_ENCRYPT;
				c = CMSG_NXTHDR(&msg, c);
				c->cmsg_level = SOL_ALG;
				c->cmsg_type = ALG_SET_IV;
				c->cmsg_len = CMSG_LEN(sizeof(*iv) + 12);
				iv = (struct af_alg_iv *)CMSG_DATA(c);
				iv->ivlen = 12;
				memset(iv->iv, 0, 12);
				memcpy(iv->iv + 4, &seq, 8);
				c = CMSG_NXTHDR(&msg, c);
				c->cmsg_level = SOL_ALG;
				c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
				c->cmsg_len = CMSG_LEN(4);
				*(uint32_t *)CMSG_DATA(c) = 0;
				if (sendmsg(op, &msg, 0) != (ssize_t)iov.iov_len ||
				    read(op, dir ? pt : ct, want) != want) {
					set_msg(r, ST_FAIL, "AF_ALG %s: %s",
						dir ? "decrypt" : "encrypt", strerror(errno));
					return;
				}
			}
			if (opt.verify && memcmp(pt, in + done, len)) {
				set_msg(r, ST_FAIL, "AF_ALG round trip differs at %" PRIu64, off + done);
				return;
			}
		}
		off += n;
	}
	r->bytes = off;
	close(op);
	close(tfm);
}

/*
 * One end, in its own process: set up, report ready on @out, wait for the
 * go byte on @in, run, report the result.
 */
static void child(int role, int fd, int in, int out)
{
	struct report r = { .status = ST_OK };
	SSL *ssl = NULL;
	uint64_t t0;
	char go;
	int sender = role == 0;

	switch (opt.proto) {
	case P_TCP:
	case P_ALG:
		break;
	case P_KTLS:
		ktls_keys(fd, sender ? TLS_TX : TLS_RX, &r);
		break;
	case P_OSSL:
		ssl = ossl_handshake(fd, !sender, &r);
		break;
	case P_SECX:
		secx_setup(fd, sender, &r);
		break;
	}
	if (write(out, &r, sizeof(r)) != sizeof(r) || r.status != ST_OK)
		_exit(0);
	if (read(in, &go, 1) != 1 || go != 'g')
		_exit(0);
	t0 = cpu_ns();
	if (opt.proto == P_ALG)
		run_alg(&r);
	else if (sender)
		run_sender(fd, ssl, &r);
	else
		run_receiver(fd, ssl, &r);
	if (sender) {
		if (ssl)
			SSL_shutdown(ssl);
		close(fd);
	}
	r.cpu_ns = cpu_ns() - t0;
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

static pid_t spawn(int role, int fd, int other_fd, int *to, int *from)
{
	int a[2], b[2];
	pid_t pid;

	if (pipe(a) || pipe(b))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(a[1]);
		close(b[0]);
		if (other_fd >= 0)
			close(other_fd);
		child(role, fd, a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	*to = a[1];
	*from = b[0];
	return pid;
}

static int get_report(int fd, struct report *r)
{
	ssize_t n = timed_out ? -1 : read(fd, r, sizeof(*r));

	if (n != sizeof(*r)) {
		memset(r, 0, sizeof(*r));
		set_msg(r, ST_FAIL, timed_out ? "timeout (hung; see the kernel stacks on stderr)" :
			"child died");
		return -1;
	}
	return 0;
}

static void on_alarm(int sig)
{
	timed_out = 1;
}

/* A hung case: show where each end sleeps (kernel stack), then kill it. */
static void dump_hung(const pid_t *pid, int n)
{
	char path[64], buf[4096];
	int i, fd;
	ssize_t len;

	for (i = 0; i < n; i++) {
		fprintf(stderr, "secx-bench: %s: timeout after %u s; %s pid %d state:\n",
			opt.name, opt.timeout, i ? "receiver" : "sender", pid[i]);
		snprintf(buf, sizeof(buf), "grep -E '^(State|Name)' /proc/%d/status >&2", pid[i]);
		if (system(buf))
			fprintf(stderr, "(gone)\n");
		fprintf(stderr, "kernel stack:\n");
		fflush(stderr);
		snprintf(path, sizeof(path), "/proc/%d/stack", pid[i]);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			len = read(fd, buf, sizeof(buf) - 1);
			if (len > 0) {
				buf[len] = 0;
				fputs(buf, stderr);
			}
			close(fd);
		}
	}
	/* the sockets, both ends, for a stalled transfer */
	if (system(opt.veth ? "for n in a b; do /usr/sbin/ip netns exec $n /usr/sbin/ss -tmie; done >&2" :
		   "/usr/sbin/ss -tmie >&2"))
		fprintf(stderr, "(no ss)\n");
	for (i = 0; i < n; i++)
		kill(pid[i], SIGKILL);
	fflush(stderr);
}

static void print_result(int status, uint64_t bytes, double wall, double tx_cpu, double rx_cpu,
			 const char *msg)
{
	static const char *const st[] = { "ok", "na", "fail" };
	char clean[256];
	size_t i;

	snprintf(clean, sizeof(clean), "%s", msg);
	for (i = 0; clean[i]; i++)
		if (clean[i] == ' ' || clean[i] == '\n')
			clean[i] = '_';
	printf("secx-result name=%s tag=%ld status=%s bytes=%" PRIu64
	       " wall_s=%.6f mibps=%.3f tx_cpu_s=%.6f rx_cpu_s=%.6f msg=%s\n",
	       opt.name, opt.tag, st[status], bytes, wall,
	       wall > 0 ? bytes / 1048576.0 / wall : 0, tx_cpu, rx_cpu, clean[0] ? clean : "-");
	fflush(stdout);
}

static int parse_suite(const char *s)
{
	static const char *const names[] = { "", "aes128gcm", "aes256gcm", "chacha",
					      "aes128cbc", "aes256cbc" };
	int i;

	for (i = 1; i <= SECX_SUITE_MAX; i++)
		if (!strcmp(s, names[i]))
			return i;
	die("unknown suite %s", s);
	return 0;
}

/* --- memory per connection (--mem-pairs) --------------------------------- */

/*
 * The kernel's memory as /proc sees it: /proc/meminfo (kB), the TCP line
 * of /proc/net/sockstat (pages charged to TCP sockets), and the pages of
 * every slab cache in /proc/slabinfo (when the kernel has it).
 */
#define MEM_CACHES	512

struct memsnap {
	long long free_kb, avail_kb, slab_kb, sunreclaim_kb, vmalloc_kb;
	long long sock_pages, pcp_pages, cache_bytes;
	int ncache;
	struct {
		char name[40];
		long long bytes;
	} cache[MEM_CACHES];
};

static void mem_snapshot(struct memsnap *m)
{
	char line[512], name[64];
	long long v, a, b, c, d, e, pps;
	FILE *f;

	sync();
	sleep(1);	/* RCU-deferred frees of the previous phase */
	memset(m, 0, sizeof(*m));
	/* fold the per-CPU counter deltas into the global ones */
	f = fopen("/proc/sys/vm/stat_refresh", "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	/*
	 * Free pages parked on the per-CPU lists are not in MemFree: add
	 * them ("count:" under "pagesets" in /proc/zoneinfo), or MemFree
	 * swings by megabytes with whichever CPU freed last.
	 */
	f = fopen("/proc/zoneinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &v) == 1)
			m->pcp_pages += v;
	if (f)
		fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %lld", name, &v) != 2)
			continue;
		if (!strcmp(name, "MemFree"))
			m->free_kb = v;
		else if (!strcmp(name, "MemAvailable"))
			m->avail_kb = v;
		else if (!strcmp(name, "Slab"))
			m->slab_kb = v;
		else if (!strcmp(name, "SUnreclaim"))
			m->sunreclaim_kb = v;
		else if (!strcmp(name, "VmallocUsed"))
			m->vmalloc_kb = v;
	}
	fclose(f);
	f = fopen("/proc/net/sockstat", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " mem ");

		if (!strncmp(line, "TCP:", 4) && p)
			m->sock_pages = strtoll(p + 5, NULL, 10);
	}
	if (f)
		fclose(f);
	/* name active_objs num_objs objsize objperslab pagesperslab : tunables ... : slabdata active_slabs num_slabs sharedavail */
	f = fopen("/proc/slabinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *sd = strstr(line, ": slabdata");

		if (line[0] == '#' || !sd || m->ncache == MEM_CACHES ||
		    sscanf(line, "%39s %lld %lld %lld %lld %lld", m->cache[m->ncache].name,
			   &a, &b, &c, &d, &pps) != 6 ||
		    sscanf(sd, ": slabdata %lld %lld", &e, &v) != 2)
			continue;
		m->cache[m->ncache++].bytes = v * pps * 4096;
		m->cache_bytes += v * pps * 4096;
	}
	if (f)
		fclose(f);
}

/* Per-pair differences @b - @a, one line; the caches that grew most, one line each. */
static void mem_report(const char *phase, int pairs, const struct memsnap *a,
		       const struct memsnap *b)
{
	static const char *const pn[] = { "tcp", "ktls", "ossl", "secx", "alg" };
	struct { const char *name; long long d; } top[5] = { { NULL, 0 } };
	int i, j, k;

	/*
	 * slab_b: Slab (caches and kmalloc_large pages); caches_b: the part in
	 * /proc/slabinfo's caches (-1 without it); used_b: drop of free pages
	 * (MemFree + per-CPU lists); sockmem_b: pages charged to TCP sockets.
	 */
	printf("secx-mem name=%s proto=%s phase=%s pairs=%d slab_b=%lld sunreclaim_b=%lld"
	       " caches_b=%lld used_b=%lld avail_b=%lld vmalloc_b=%lld sockmem_b=%lld\n",
	       opt.name, pn[opt.proto], phase, pairs,
	       (b->slab_kb - a->slab_kb) * 1024 / pairs,
	       (b->sunreclaim_kb - a->sunreclaim_kb) * 1024 / pairs,
	       b->ncache ? (b->cache_bytes - a->cache_bytes) / pairs : -1,
	       (a->free_kb * 1024 + a->pcp_pages * 4096 - b->free_kb * 1024 -
		b->pcp_pages * 4096) / pairs,
	       (a->avail_kb - b->avail_kb) * 1024 / pairs,
	       (b->vmalloc_kb - a->vmalloc_kb) * 1024 / pairs,
	       (b->sock_pages - a->sock_pages) * 4096 / pairs);
	for (i = 0; i < b->ncache; i++) {
		long long d = b->cache[i].bytes;

		for (j = 0; j < a->ncache; j++)
			if (!strcmp(a->cache[j].name, b->cache[i].name)) {
				d -= a->cache[j].bytes;
				break;
			}
		for (k = 0; k < 5 && top[k].name && top[k].d >= d; k++)
			;
		if (k == 5 || d <= 0)
			continue;
		memmove(&top[k + 1], &top[k], (4 - k) * sizeof(top[0]));
		top[k].name = b->cache[i].name;
		top[k].d = d;
	}
	for (k = 0; k < 5 && top[k].name; k++)
		printf("secx-mem-cache name=%s proto=%s phase=%s cache=%s bytes=%lld\n",
		       opt.name, pn[opt.proto], phase, top[k].name, top[k].d / pairs);
	fflush(stdout);
}

/* Move file_size bytes from @cfd to @sfd in one process: non-blocking both ends. */
static int mem_transfer(int cfd, int sfd, uint8_t *buf, size_t bufsz)
{
	uint64_t got = 0;
	off_t off = 0;

	fcntl(cfd, F_SETFL, O_NONBLOCK);
	fcntl(sfd, F_SETFL, O_NONBLOCK);
	while (got < file_size) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = cfd, .events = POLLOUT } };
		int moved = 0, sending;
		ssize_t n = 0;

		while ((uint64_t)off < file_size &&
		       (n = sendfile(cfd, file_fd, &off, file_size - off)) > 0)
			moved = 1;
		sending = (uint64_t)off < file_size;
		if (sending && (!n || (errno != EAGAIN && errno != EINTR)))
			return fprintf(stderr, "secx-bench: sendfile: %s\n",
				       n ? strerror(errno) : "short"), -1;
		while ((n = recv(sfd, buf, bufsz, 0)) > 0) {
			got += n;
			moved = 1;
		}
		if (!n || (errno != EAGAIN && errno != EINTR))
			return fprintf(stderr, "secx-bench: recv: %s after %" PRIu64 " bytes\n",
				       n ? strerror(errno) : "end of stream", got), -1;
		if (!moved && poll(p, sending ? 2 : 1, 10000) <= 0)
			return fprintf(stderr, "secx-bench: transfer stalled at %" PRIu64 " bytes\n",
				       got), -1;
	}
	return 0;
}

/*
 * --mem-pairs N: open N connected pairs on loopback, key both directions of
 * both ends (kTLS: TLS_TX and TLS_RX; secx: SECX_TX and SECX_RX; TCP:
 * nothing), let them idle and report the kernel memory per pair.  Then move
 * the --file through the first --mem-xfer pairs (sendfile -> recv), let
 * them idle --mem-idle seconds and report what each of those pairs still
 * holds beyond the idle figure.  Everything this process allocates itself
 * is allocated before the first snapshot.
 */
static int run_memory(int pairs, int xfer, unsigned int idle)
{
	static uint8_t rbuf[RCVBUF];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct rlimit rl = { .rlim_cur = 2 * pairs + 64, .rlim_max = 2 * pairs + 64 };
	static struct memsnap m0, m1, m2;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	socklen_t len = sizeof(a);
	int *fd, lfd, i, one = 1, rc = 0;
	struct report r;

	if (xfer > pairs)
		xfer = pairs;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE %d: %s", 2 * pairs + 64, strerror(errno));
	fd = calloc(2 * pairs, sizeof(*fd));
	if (!fd)
		die("out of memory");
	memset(rbuf, 0, sizeof(rbuf));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&a, &len))
		die("listen: %s", strerror(errno));
	mem_snapshot(&m0);
	for (i = 0; i < pairs; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0 || connect(c, (struct sockaddr *)&a, len))
			die("connect pair %d: %s", i, strerror(errno));
		s = accept(lfd, NULL, NULL);
		if (s < 0)
			die("accept pair %d: %s", i, strerror(errno));
		fd[2 * i] = c;
		fd[2 * i + 1] = s;
		memset(&r, 0, sizeof(r));
		switch (opt.proto) {
		case P_KTLS:
			if (ktls_keys(c, TLS_TX, &r) || ktls_keys(c, TLS_RX, &r) ||
			    ktls_keys(s, TLS_TX, &r) || ktls_keys(s, TLS_RX, &r))
				die("pair %d: %s", i, r.msg);
			break;
		case P_SECX:
			if (secx_setup(c, 1, &r) || secx_setup(s, 0, &r))
				die("pair %d: %s", i, r.msg);
			break;
		default:
			break;
		}
	}
	close(lfd);	/* before the snapshot: its memory is not per pair */
	mem_snapshot(&m1);
	mem_report("idle", pairs, &m0, &m1);
	if (xfer > 0 && opt.file) {
		for (i = 0; i < xfer && !rc; i++)
			rc = mem_transfer(fd[2 * i], fd[2 * i + 1], rbuf, sizeof(rbuf));
		sleep(idle);
		mem_snapshot(&m2);
		mem_report("xfer", xfer, &m1, &m2);
	}
	for (i = 0; i < 2 * pairs; i++) {
		/* reset, no TIME_WAIT left behind to be freed during the next run */
		setsockopt(fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd[i]);
	}
	free(fd);
	printf("secx-mem-done name=%s status=%s\n", opt.name, rc ? "fail" : "ok");
	return rc ? 1 : 0;
}

/*
 * --plugin-ranges: tell insncount.c where the kernel's copy and clear
 * functions are (from /proc/kallsyms), so that it counts the bytes they
 * store with plain MOVs as well as with REP MOVS/STOS.  6.12's memcpy and
 * memset on a CPU without FSRM/FSRS are such loops (memcpy_orig,
 * memset_orig).  A function's end is the next symbol's address.
 */
static const struct {
	const char *name;
	int zero;
} copy_funcs[] = {
	{ "memcpy", 0 }, { "__memcpy", 0 }, { "memcpy_orig", 0 }, { "memcpy_erms", 0 },
	{ "memmove", 0 }, { "__memmove", 0 }, { "rep_movs_alternative", 0 },
	{ "copy_user_generic_unrolled", 0 }, { "copy_user_generic_string", 0 },
	{ "copy_user_enhanced_fast_string", 0 }, { "copy_user_short_string", 0 },
	{ "__copy_user_nocache", 0 }, { "copy_page", 0 }, { "copy_page_regs", 0 },
	{ "memset", 1 }, { "__memset", 1 }, { "memset_orig", 1 }, { "memset_erms", 1 },
	{ "rep_stos_alternative", 1 }, { "clear_page_orig", 1 }, { "clear_page_rep", 1 },
	{ "clear_page_erms", 1 }, { "clear_user_original", 1 }, { "clear_user_rep_good", 1 },
	{ "clear_user_erms", 1 }, { "__clear_user", 1 },
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void plugin_ranges(void)
{
	enum { NF = sizeof(copy_funcs) / sizeof(copy_funcs[0]) };
	uint64_t start[NF] = { 0 }, *addr = NULL, a;
	size_t n = 0, cap = 0, lo, hi;
	char line[512], name[256], type;
	unsigned int k;
	uint8_t *page;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		die("/proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %c %255s", &a, &type, name) != 3 ||
		    (type != 't' && type != 'T') || strchr(line, '['))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			addr = realloc(addr, cap * sizeof(*addr));
			if (!addr)
				die("out of memory");
		}
		addr[n++] = a;
		for (k = 0; k < NF; k++)
			if (!strcmp(name, copy_funcs[k].name))
				start[k] = a;
	}
	fclose(f);
	if (!n || !addr[0])
		die("/proc/kallsyms shows no addresses (kernel.kptr_restrict?)");
	qsort(addr, n, sizeof(*addr), cmp_u64);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	for (k = 0; k < NF; k++) {
		uint32_t tag = 0x5ec60000u | (copy_funcs[k].zero ? 2 : 1);
		uint64_t end;
		uint8_t *p = page + 32 * k;

		if (!start[k])
			continue;
		for (lo = 0, hi = n; lo < hi;) {	/* first address > start */
			size_t mid = (lo + hi) / 2;

			if (addr[mid] <= start[k])
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == n)
			continue;
		end = addr[lo];
		/* nopl tag(%rax,%rax,1); movabs $start,%rax; movabs $end,%rdx; ret */
		memcpy(p, "\x0f\x1f\x84\x00", 4);
		memcpy(p + 4, &tag, 4);
		p[8] = 0x48;
		p[9] = 0xb8;
		memcpy(p + 10, &start[k], 8);
		p[18] = 0x48;
		p[19] = 0xba;
		memcpy(p + 20, &end, 8);
		p[28] = 0xc3;
		__builtin___clear_cache((char *)p, (char *)p + 32);
		((uint64_t (*)(void))(void *)p)();	/* returns in rax, clobbers rdx: ABI-clean */
		printf("secx-plugin-range %s %s %" PRIx64 " %" PRIu64 "\n",
		       copy_funcs[k].zero ? "zero" : "copy", copy_funcs[k].name, start[k],
		       end - start[k]);
	}
	free(addr);
	fflush(stdout);
}

/*
 * Known work between markers, to check the plugin's REP accounting:
 * tag 0x7ff0..0x7ff3 bracket 1,000,000 bytes of rep movsb, then 125,000
 * rep stosq (1,000,000 bytes), then 1,000 iterations of a 3-instruction
 * loop.  Expected deltas: copy 1e6, zero 1e6, insns about 3000.
 */
static void plugin_check(void)
{
	static uint8_t src[1000000], dst[1000000];
	void *d = dst;
	const void *sp = src;
	size_t n = sizeof(dst);
	unsigned long i = 1000;

	static const uint32_t tags[4] = { MARK_MAGIC | 0x7ff0, MARK_MAGIC | 0x7ff1,
					  MARK_MAGIC | 0x7ff2, MARK_MAGIC | 0x7ff3 };
	marker_fn m[4];

	memset(src, 1, sizeof(src));
	memset(dst, 2, sizeof(dst));	/* fault the pages in first */
	make_markers(m, tags, 4);
	m[0]();
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(sp), "+c"(n) : : "memory");
	m[1]();
	d = dst;
	n = sizeof(dst) / 8;
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0UL) : "memory");
	m[2]();
	__asm__ volatile("1: dec %0\n\tnop\n\tjnz 1b" : "+r"(i));
	m[3]();
	printf("secx-plugin-check done\n");
}

int main(int argc, char **argv)
{
	struct report rep[2];
	int cfd = -1, sfd = -1, to[2] = { -1, -1 }, from[2] = { -1, -1 }, i, n, status;
	pid_t pid[2] = { -1, -1 };
	marker_fn mark[2];
	uint64_t t0, t1;
	int mem_pairs = 0, mem_xfer = 0;
	unsigned int mem_idle = 10;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && !strcmp(argv[1], "--plugin-check")) {
		plugin_check();
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--plugin-ranges")) {
		plugin_ranges();
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--mkfile")) {
		make_file(argv[2], strtoull(argv[3], NULL, 0));
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--nopad")) {
			opt.nopad = 1;
			continue;
		}
		if (!strcmp(a, "--verify")) {
			opt.verify = 1;
			continue;
		}
		if (!v)
			die("%s needs a value", a);
		i++;
		if (!strcmp(a, "--proto")) {
			static const char *const p[] = { "tcp", "ktls", "ossl", "secx", "alg" };

			for (n = 0; n < 5 && strcmp(v, p[n]); n++)
				;
			if (n == 5)
				die("unknown proto %s", v);
			opt.proto = n;
		} else if (!strcmp(a, "--suite")) {
			opt.suite = parse_suite(v);
		} else if (!strcmp(a, "--tx")) {
			opt.use_sendfile = !strcmp(v, "sendfile");
			if (!opt.use_sendfile && strcmp(v, "write"))
				die("--tx sendfile|write");
		} else if (!strcmp(a, "--wsize")) {
			opt.wsize = strtoul(v, NULL, 0);
			if (!opt.wsize || opt.wsize > CHUNK)
				die("--wsize 1..%d", CHUNK);
		} else if (!strcmp(a, "--rekey")) {
			opt.rekey = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--net")) {
			opt.veth = !strcmp(v, "veth");
			if (!opt.veth && strcmp(v, "lo"))
				die("--net lo|veth");
		} else if (!strcmp(a, "--tag")) {
			opt.tag = strtol(v, NULL, 0);
			if (opt.tag < 0 || opt.tag > 32767)
				die("--tag 0..32767");
		} else if (!strcmp(a, "--timeout")) {
			opt.timeout = strtoul(v, NULL, 0);
		} else if (!strcmp(a, "--name")) {
			opt.name = v;
		} else if (!strcmp(a, "--file")) {
			opt.file = v;
		} else if (!strcmp(a, "--mem-pairs")) {
			mem_pairs = strtol(v, NULL, 0);
			if (mem_pairs < 1 || mem_pairs > 100000)
				die("--mem-pairs 1..100000");
		} else if (!strcmp(a, "--mem-xfer")) {
			mem_xfer = strtol(v, NULL, 0);
			if (mem_xfer < 0 || mem_xfer > 100000)
				die("--mem-xfer 0..100000");
		} else if (!strcmp(a, "--mem-idle")) {
			mem_idle = strtoul(v, NULL, 0);
			if (mem_idle > 3600)
				die("--mem-idle 0..3600");
		} else {
			die("unknown option %s", a);
		}
	}
	if (mem_pairs) {
		if (opt.proto != P_TCP && opt.proto != P_KTLS && opt.proto != P_SECX)
			die("--mem-pairs: --proto tcp|ktls|secx");
		if (mem_xfer && !opt.file)
			die("--mem-xfer needs --file");
		if (opt.file)
			open_file();
		return run_memory(mem_pairs, mem_xfer, mem_idle);
	}
	if (!opt.file)
		die("--file is required");
	open_file();
	if (opt.proto == P_OSSL)
		ossl_setup();

	{
		struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

		sigaction(SIGALRM, &sa, NULL);
			alarm(opt.timeout);
	}
	if (opt.proto == P_ALG) {
		pid[0] = spawn(0, -1, -1, &to[0], &from[0]);
		n = 1;
	} else {
		connect_pair(&cfd, &sfd);
		pid[1] = spawn(1, sfd, cfd, &to[1], &from[1]);
		pid[0] = spawn(0, cfd, sfd, &to[0], &from[0]);
		close(cfd);
		close(sfd);
		n = 2;
	}
	memset(rep, 0, sizeof(rep));
	status = ST_OK;
	for (i = 0; i < n; i++) {
		get_report(from[i], &rep[i]);
		if (rep[i].status > status)
			status = rep[i].status;
	}
	if (timed_out) {
		dump_hung(pid, n);
		print_result(ST_FAIL, 0, 0, 0, 0, "timeout in set-up");
		_exit(1);	/* a child in D state cannot be reaped */
	}
	if (status != ST_OK) {
		for (i = 0; i < n; i++)
			close(to[i]);	/* children exit on EOF */
		for (i = 0; i < n; i++)
			waitpid(pid[i], NULL, 0);
		print_result(status, 0, 0, 0, 0,
			     rep[0].status != ST_OK ? rep[0].msg : rep[1].msg);
		return status == ST_NA ? 0 : 1;
	}

	if (opt.tag >= 0) {
		uint32_t tags[2] = { MARK_MAGIC | (uint32_t)opt.tag << 1,
				     MARK_MAGIC | ((uint32_t)opt.tag << 1 | 1) };

		make_markers(mark, tags, 2);
		mark[0]();
	}
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (write(to[i], "g", 1) != 1)
			die("go: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		get_report(from[i], &rep[i]);
		if (rep[i].status > status)
			status = rep[i].status;
	}
	t1 = now_ns();
	if (timed_out) {
		int fd = open("/proc/sysrq-trigger", O_WRONLY);

		dump_hung(pid, n);
		if (fd >= 0 && write(fd, "w", 1) == 1)	/* blocked tasks to dmesg */
			close(fd);
		print_result(ST_FAIL, 0, (t1 - t0) / 1e9, 0, 0, "timeout during the transfer");
		_exit(1);
	}
	if (opt.tag >= 0)
		mark[1]();
	for (i = 0; i < n; i++) {
		int ws;

		if (waitpid(pid[i], &ws, 0) != pid[i] || !WIFEXITED(ws) || WEXITSTATUS(ws)) {
			if (status == ST_OK)
				set_msg(&rep[i], ST_FAIL, "child exited abnormally");
			status = ST_FAIL;
		}
	}
	if (status == ST_OK && rep[0].bytes != file_size) {
		status = ST_FAIL;
		set_msg(&rep[0], ST_FAIL, "sent %" PRIu64 " of %" PRIu64, rep[0].bytes, file_size);
	}
	print_result(status, n == 2 ? rep[1].bytes : rep[0].bytes, (t1 - t0) / 1e9,
		     rep[0].cpu_ns / 1e9, n == 2 ? rep[1].cpu_ns / 1e9 : 0,
		     rep[0].status != ST_OK ? rep[0].msg : n == 2 ? rep[1].msg : "");
	return status == ST_OK ? 0 : 1;
}
