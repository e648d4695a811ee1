// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of selftests/xfer_hostile.sh, and a test of its own.
 *
 *   xfer_relay                      self-test (TAP): a record-aware relay
 *                                   between two secx sockets drops one
 *                                   record; the receiver must fail
 *                                   (EBADMSG), never deliver later data.
 *   xfer_relay relay PORT DST DPORT N
 *                                   accept one connection on PORT, relay it
 *                                   to DST:DPORT; client to server, frame
 *                                   the secx handshake messages, then the
 *                                   records, and drop the N-th record after
 *                                   the client's Finished (0: drop none).
 *                                   Prints "dropped record N (LEN bytes)".
 *   xfer_relay hostile SRC DST PORT COUNT
 *                                   COUNT hostile connections from address
 *                                   SRC: garbage, HTTP, half handshakes,
 *                                   oversized headers, resets, idle ones
 *                                   held open for a while.
 *   xfer_relay sigdfl CMD ARGS...   exec CMD with SIGPIPE at SIG_DFL, so a
 *                                   test cannot hide it by inheriting
 *                                   SIG_IGN from its harness.
 *
 * Handshake framing (Documentation/handshake.rst, "Framing"): u8 type,
 * be16 length, body; the client's last message is the Encrypted (8) one
 * carrying its Finished, after which the first record begins ("Where
 * records begin").  Record framing
 * (protocol.rst): 4-byte header, body length in bytes 2..3.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "lib.h"

#define HS_FINISHED	5
#define HS_ALERT	7
#define HS_ENCRYPTED	8

static int tcp_connect(const char *src, const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, s = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_port = htons((uint16_t)atoi(port));
	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	if (src && (inet_pton(AF_INET, src, &s.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&s, sizeof(s)))) {
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Client-to-server framer: whole units (handshake messages, then records)
 * are forwarded; the @drop-th record is not.  Returns bytes consumed from
 * @buf (a partial unit stays for the next read), -1 on a write error.
 */
struct framer {
	int records;		/* 0: still in the handshake */
	int encrypted;		/* an Encrypted handshake message went by */
	int plain;		/* an Alert was seen: pass everything through */
	int drop, seen;
};

static ssize_t frame(struct framer *f, int out, const uint8_t *buf, size_t len)
{
	size_t off = 0, unit;

	while (off < len) {
		if (f->plain) {
			unit = len - off;
		} else if (!f->records) {
			if (len - off < 3)
				break;
			/*
			 * Handshake v2: the client's messages after its hello
			 * are Encrypted (8), the last one carrying its Finished;
			 * a record starts with the wire version 0x01, which no
			 * later handshake message starts with.
			 */
			if (f->encrypted && buf[off] == SECX_WIRE_VERSION) {
				f->records = 1;
				continue;
			}
			unit = 3 + ((size_t)buf[off + 1] << 8 | buf[off + 2]);
		} else {
			if (len - off < SECX_HDR_LEN)
				break;
			unit = SECX_HDR_LEN + ((size_t)buf[off + 2] << 8 | buf[off + 3]);
		}
		if (unit > len - off)
			break;
		if (f->records && !f->plain && ++f->seen == f->drop) {
			printf("dropped record %d (%zu bytes)\n", f->seen, unit);
			fflush(stdout);
		} else if (write_all(out, buf + off, unit)) {
			return -1;
		}
		if (!f->records && !f->plain) {
			if (buf[off] == HS_ENCRYPTED)
				f->encrypted = 1;
			else if (buf[off] == HS_FINISHED)
				f->records = 1;
			else if (buf[off] == HS_ALERT)
				f->plain = 1;
		}
		off += unit;
	}
	return (ssize_t)off;
}

/* Relay until both directions ended; 0 or -1. */
static int relay(int c, int s, struct framer *f)
{
	static uint8_t cbuf[2 * MAXREC + 65536], sbuf[65536];
	struct pollfd p[2] = { { .fd = c, .events = POLLIN }, { .fd = s, .events = POLLIN } };
	size_t have = 0;
	ssize_t n, used;

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -1;
		if (p[0].fd >= 0 && p[0].revents) {
			n = read(c, cbuf + have, sizeof(cbuf) - have);
			if (n <= 0) {
				if (have)
					write_all(s, cbuf, have);	/* a torn tail */
				shutdown(s, SHUT_WR);
				p[0].fd = -1;
				if (n < 0)
					return -1;
			} else {
				have += (size_t)n;
				used = frame(f, s, cbuf, have);
				if (used < 0)
					return -1;
				memmove(cbuf, cbuf + used, have - (size_t)used);
				have -= (size_t)used;
			}
		}
		if (p[1].fd >= 0 && p[1].revents) {
			n = read(s, sbuf, sizeof(sbuf));
			if (n <= 0 || write_all(c, sbuf, (size_t)n)) {
				shutdown(c, SHUT_WR);
				p[1].fd = -1;
				if (n < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int cmd_relay(char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct framer f = { .drop = atoi(argv[4]) };
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, c, s;

	a.sin_port = htons((uint16_t)atoi(argv[1]));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4)) {
		perror("xfer_relay: listen");
		return 1;
	}
	printf("relay listening on %s\n", argv[1]);
	fflush(stdout);
	c = accept(lfd, NULL, NULL);
	close(lfd);
	s = c >= 0 ? tcp_connect(NULL, argv[2], argv[3]) : -1;
	if (s < 0) {
		perror("xfer_relay: connect");
		return 1;
	}
	relay(c, s, &f);
	printf("relay done: %d records after the handshake\n", f.seen);
	return 0;
}

/* COUNT hostile connections, up to 24 held open at once. */
static int cmd_hostile(char **argv)
{
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";
	static const uint8_t half[] = { 1, 0, 200, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t huge[] = { 1, 0xff, 0xff };
	static const uint8_t finished_first[] = { 5, 0, 32 };
	int count = atoi(argv[4]), held[24], nheld = 0, i, fd, made = 0, failed = 0;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint8_t junk[512];

	for (i = 0; i < count; i++) {
		fd = tcp_connect(argv[1], argv[2], argv[3]);
		if (fd < 0) {
			failed++;
			continue;
		}
		made++;
		switch (i % 7) {
		case 0:
			write_all(fd, get, sizeof(get) - 1);
			break;
		case 1:
			write_all(fd, half, sizeof(half));
			break;
		case 2:
			write_all(fd, huge, sizeof(huge));
			break;
		case 3:
			fill_pattern(junk, sizeof(junk), (uint32_t)i);
			write_all(fd, junk, sizeof(junk));
			break;
		case 4:
			write_all(fd, finished_first, sizeof(finished_first));
			break;
		case 5:			/* reset */
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			break;
		default:		/* idle: nothing at all */
			break;
		}
		if (i % 7 == 6 || i % 7 == 1) {
			if (nheld == 24) {
				close(held[0]);
				memmove(held, held + 1, sizeof(held) - sizeof(held[0]));
				nheld--;
			}
			held[nheld++] = fd;
		} else {
			close(fd);
		}
		if (i % 10 == 9)
			poll(NULL, 0, 20);
	}
	poll(NULL, 0, 2000);
	while (nheld)
		close(held[--nheld]);
	printf("hostile: %d connections made, %d refused at connect\n", made, failed);
	return 0;
}

/* ---- self-test ---------------------------------------------------------- */

struct st_arg {
	int c, s;
	struct framer f;
};

static void *st_relay(void *p)
{
	struct st_arg *a = p;

	relay(a->c, a->s, &a->f);
	return NULL;
}

/*
 * secx TX socket -> relay (records from the first byte, drop the 2nd) ->
 * secx RX socket: the first record's data arrives, then EBADMSG, and not a
 * byte of the 3rd record.
 */
static int self_test(void)
{
	static uint8_t r1[100], r2[200], r3[300], got[1024];
	struct st_arg a = { .f = { .records = 1, .drop = 2 } };
	int tx, rly_in, rly_out, rx, err, ok1, ok2;
	pthread_t t;
	ssize_t n;

	printf("TAP version 13\n1..2\n");
	if (tcp_pair(AF_INET, &tx, &rly_in) || tcp_pair(AF_INET, &rly_out, &rx) ||
	    attach_ulp(tx, SECX_ULP_NAME) || attach_ulp(rx, SECX_ULP_NAME) ||
	    set_keys(tx, SECX_TX, SECX_SUITE_AES_128_GCM_SHA256, 1) ||
	    set_keys(rx, SECX_RX, SECX_SUITE_AES_128_GCM_SHA256, 1)) {
		printf("not ok 1 - relay: cannot set up secx sockets: %s\n", strerror(errno));
		printf("not ok 2 - relay: dropped record\n");
		return 1;
	}
	a.c = rly_in;
	a.s = rly_out;
	pthread_create(&t, NULL, st_relay, &a);
	fill_pattern(r1, sizeof(r1), 1);
	fill_pattern(r2, sizeof(r2), 2);
	fill_pattern(r3, sizeof(r3), 3);
	send(tx, r1, sizeof(r1), 0);
	send(tx, r2, sizeof(r2), 0);
	send(tx, r3, sizeof(r3), 0);
	n = read_all(rx, got, sizeof(r1));
	ok1 = n == (ssize_t)sizeof(r1) && !memcmp(got, r1, sizeof(r1));
	printf("%sok 1 - relay: the record before the dropped one arrives intact\n",
	       ok1 ? "" : "not ");
	n = recv(rx, got, sizeof(got), 0);
	err = n < 0 ? errno : 0;
	ok2 = n < 0 && err == EBADMSG && a.f.seen >= 2;
	printf("%sok 2 - relay: a dropped record is EBADMSG at the next one (recv %zd, %s)\n",
	       ok2 ? "" : "not ", n, strerror(err));
	close(tx);
	shutdown(rx, SHUT_RDWR);
	pthread_join(t, NULL);
	close(rx);
	close(rly_in);
	close(rly_out);
	return ok1 && ok2 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return self_test();
	if (argc == 6 && !strcmp(argv[1], "relay"))
		return cmd_relay(argv + 1);
	if (argc == 6 && !strcmp(argv[1], "hostile"))
		return cmd_hostile(argv + 1);
	if (argc >= 3 && !strcmp(argv[1], "sigdfl")) {
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	fprintf(stderr, "usage: xfer_relay [relay PORT DST DPORT N | hostile SRC DST PORT COUNT | "
		"sigdfl CMD...]\n");
	return 2;
}
