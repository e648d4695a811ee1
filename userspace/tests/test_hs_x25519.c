// SPDX-License-Identifier: MIT
/* X25519 as libsecx uses it, against RFC 7748 sections 5.2 and 6.1. */
#include <string.h>

#include "hs.h"
#include "tap.h"

static void scalar_mult(const char *k, const char *u, const char *want, const char *name)
{
	uint8_t kb[32], ub[32], wb[32], out[32];

	tap_unhex(k, kb, 32);
	tap_unhex(u, ub, 32);
	tap_unhex(want, wb, 32);
	tap_ok(!hs_x25519(kb, ub, out) && tap_mem_eq(out, wb, 32), "%s", name);
}

static void iterated(void)
{
	uint8_t k[32] = { 9 }, u[32] = { 9 }, r[32], w1[32], w1000[32];
	int i, ok = 1, ok1 = 0;

	tap_unhex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", w1, 32);
	tap_unhex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", w1000, 32);
	for (i = 1; i <= 1000 && ok; i++) {
		ok = !hs_x25519(k, u, r);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
		if (i == 1)
			ok1 = tap_mem_eq(k, w1, 32);
	}
	tap_ok(ok && ok1, "RFC 7748 5.2: iterated, 1 iteration");
	tap_ok(ok && tap_mem_eq(k, w1000, 32), "RFC 7748 5.2: iterated, 1000 iterations");
}

static void diffie_hellman(void)
{
	uint8_t a[32], b[32], apub[32], bpub[32], wa[32], wb[32], ws[32], s1[32], s2[32];

	tap_unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	tap_unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	tap_unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", wa, 32);
	tap_unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", wb, 32);
	tap_unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", ws, 32);
	tap_ok(!hs_x25519_public(a, apub) && tap_mem_eq(apub, wa, 32), "RFC 7748 6.1: Alice's public key");
	tap_ok(!hs_x25519_public(b, bpub) && tap_mem_eq(bpub, wb, 32), "RFC 7748 6.1: Bob's public key");
	tap_ok(!hs_x25519(a, bpub, s1) && tap_mem_eq(s1, ws, 32), "RFC 7748 6.1: Alice's shared secret");
	tap_ok(!hs_x25519(b, apub, s2) && tap_mem_eq(s2, ws, 32), "RFC 7748 6.1: Bob's shared secret");
}

static void low_order(void)
{
	uint8_t a[32], zero[32] = { 0 }, one[32] = { 1 }, out[32];

	tap_unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	tap_ok(hs_x25519(a, zero, out) == -1, "low-order share 0 is refused (all-zero secret)");
	tap_ok(hs_x25519(a, one, out) == -1, "low-order share 1 is refused (all-zero secret)");
}

int main(void)
{
	scalar_mult("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		    "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		    "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
		    "RFC 7748 5.2: vector 1");
	scalar_mult("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		    "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		    "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
		    "RFC 7748 5.2: vector 2 (high bit of u ignored)");
	iterated();
	diffie_hellman();
	low_order();
	return tap_done();
}
