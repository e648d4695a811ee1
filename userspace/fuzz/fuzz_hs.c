// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the handshake message parsers and the framing state
 * machine (lib/msg.c, lib/hs.c).
 *
 * libFuzzer:  clang -g -O1 -fsanitize=fuzzer,address -Ilib -I../uapi \
 *               -I../kmod/common fuzz/fuzz_hs.c lib/[!s]*.c lib/s[!e]*.c -lcrypto
 * Standalone: tests/test_hs_fuzz.c includes this file with
 *             SECX_FUZZ_STANDALONE and runs a deterministic mutation loop
 *             from seeds built here, as part of `make check`.
 *
 * Input byte 0 picks what runs on the rest:
 *   0..6  one parser on the bytes as a message body
 *   7     a server reading the bytes as the client's stream
 *   8     a client reading the bytes as the server's stream
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs.h"

static void parse_all(unsigned int which, const uint8_t *b, size_t n)
{
	struct hs_client_hello ch;
	struct hs_server_hello sh;
	struct hs_id_ed25519 ed;
	struct hs_id_psk ps;
	struct hs_id_x509 x;
	struct hs_verify v;
	struct hs_alert al;
	const uint8_t *mac;

	switch (which) {
	case 0: hs_parse_client_hello(b, n, &ch); break;
	case 1: hs_parse_server_hello(b, n, &sh); break;
	case 2: hs_parse_id_ed25519(b, n, &ed); hs_parse_id_psk(b, n, &ps); break;
	case 3: hs_parse_id_x509(b, n, &x); break;
	case 4: hs_parse_verify(b, n, &v); break;
	case 5: hs_parse_mac(b, n, 32, &mac); break;
	default: hs_parse_alert(b, n, &al); break;
	}
}

static void ignore_warning(void *arg, const char *msg)
{
}

/* One side of a handshake reading @b as everything its peer ever sends. */
static void run_stream(int server, const uint8_t *b, size_t n)
{
	struct secx_cfg cfg = {
		.auth = SECX_AUTH_ANON,
		.flags = SECX_CFG_ALLOW_ANON | SECX_CFG_NO_KERNEL,
		.timeout_ms = 1000,
		.warn = ignore_warning,
	};
	int sp[2];

	if (n > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		return;
	if (write(sp[1], b, n) == (ssize_t)n) {
		shutdown(sp[1], SHUT_WR);
		if (server)
			secx_server(sp[0], &cfg);
		else
			secx_client(sp[0], &cfg);
	}
	close(sp[0]);
	close(sp[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] % 9 < 7)
		parse_all(data[0] % 9, data + 1, size - 1);
	else
		run_stream(data[0] % 9 == 7, data + 1, size - 1);
	return 0;
}

#ifdef SECX_FUZZ_STANDALONE
/* ---- deterministic driver: seeds and a small mutator ---- */

struct fuzz_rng {
	uint64_t s;
};

static uint64_t fuzz_next(struct fuzz_rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* Seeds: one valid input per mode, selector byte first. */
static size_t fuzz_seed(unsigned int mode, uint8_t *out, size_t cap)
{
	struct hs_client_hello ch = { .version = SECX_HS_VERSION, .auth = SECX_AUTH_ANON,
				      .n_suites = 2, .suites = { 1, 3 } };
	struct hs_server_hello sh = { .version = SECX_HS_VERSION, .suite = 1 };
	struct hs_id_ed25519 ed = { .name_len = 4, .name = "host" };
	uint8_t der[40] = { 0x30, 38 }, sig[64] = { 1 }, mac[32] = { 2 }, m[1024];
	struct hs_id_x509 x = { .n = 1, .der = { der }, .len = { sizeof(der) } };
	struct hs_alert al = { .code = HS_AL_NO_COMMON_SUITE, .detail_len = 2, .detail = { 0, 1 } };
	int n;

	ch.share[0] = sh.share[0] = 9;
	switch (mode) {
	case 0: case 7: n = hs_enc_client_hello(m, sizeof(m), &ch); break;
	case 1: case 8: n = hs_enc_server_hello(m, sizeof(m), &sh); break;
	case 2: n = hs_enc_id_ed25519(m, sizeof(m), &ed); break;
	case 3: n = hs_enc_id_x509(m, sizeof(m), &x); break;
	case 4: n = hs_enc_verify(m, sizeof(m), sig, sizeof(sig)); break;
	case 5: n = hs_enc_mac(m, sizeof(m), HS_FINISHED, mac, sizeof(mac)); break;
	default: n = hs_enc_alert(m, sizeof(m), &al); break;
	}
	if (n < 0 || (size_t)n + 1 > cap)
		return 0;
	out[0] = (uint8_t)mode;
	/* parsers get the body, streams the whole message */
	if (mode < 7) {
		memcpy(out + 1, m + HS_HDR_LEN, (size_t)n - HS_HDR_LEN);
		return (size_t)n - HS_HDR_LEN + 1;
	}
	memcpy(out + 1, m, (size_t)n);
	return (size_t)n + 1;
}

static size_t fuzz_mutate(struct fuzz_rng *r, uint8_t *b, size_t n, size_t cap)
{
	static const uint8_t interesting[] = { 0x00, 0x01, 0x07, 0x20, 0x40, 0x7f, 0x80, 0xff };
	unsigned int k, count = 1 + (unsigned int)(fuzz_next(r) % 4);
	size_t pos;

	for (k = 0; k < count && n > 1; k++) {
		pos = 1 + (size_t)(fuzz_next(r) % (n - 1));
		switch (fuzz_next(r) % 5) {
		case 0: b[pos] ^= (uint8_t)(1u << (fuzz_next(r) % 8)); break;
		case 1: b[pos] = interesting[fuzz_next(r) % sizeof(interesting)]; break;
		case 2: n = pos; break;					/* truncate */
		case 3:							/* insert */
			if (n < cap) {
				memmove(b + pos + 1, b + pos, n - pos);
				b[pos] = (uint8_t)fuzz_next(r);
				n++;
			}
			break;
		default:						/* append junk */
			while (n < cap && fuzz_next(r) % 8)
				b[n++] = (uint8_t)fuzz_next(r);
		}
	}
	return n;
}

/* Run @iters mutated inputs from @seed; returns the number run. */
static unsigned long fuzz_hs_run(unsigned long iters, uint64_t seed)
{
	struct fuzz_rng r = { seed | 1 };
	uint8_t buf[2048];
	unsigned long i;
	unsigned int mode;
	size_t n;

	for (i = 0; i < iters; i++) {
		mode = (unsigned int)(fuzz_next(&r) % 9);
		/* streams are slow (sockets, X25519): one input in eight */
		if (mode >= 7 && fuzz_next(&r) % 8)
			mode = (unsigned int)(fuzz_next(&r) % 7);
		n = fuzz_seed(mode, buf, sizeof(buf));
		n = fuzz_mutate(&r, buf, n, sizeof(buf));
		LLVMFuzzerTestOneInput(buf, n);
	}
	return i;
}
#endif /* SECX_FUZZ_STANDALONE */
