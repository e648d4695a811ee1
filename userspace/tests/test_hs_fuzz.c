// SPDX-License-Identifier: MIT
/*
 * `make check` runs the handshake fuzz target (fuzz/fuzz_hs.c) for a
 * fixed, deterministic set of mutated inputs: no crash, no hang.  Under
 * valgrind or a sanitizer this also catches out-of-bounds reads.
 */
#define SECX_FUZZ_STANDALONE
#include "../fuzz/fuzz_hs.c"

#include <time.h>

#include "tap.h"

int main(void)
{
	struct timespec a, b;
	unsigned long n;

	clock_gettime(CLOCK_MONOTONIC, &a);
	n = fuzz_hs_run(60000, 0x5ec5f022);
	clock_gettime(CLOCK_MONOTONIC, &b);
	tap_ok(n == 60000, "fuzz_hs: %lu deterministic mutated inputs, no crash (%.1f s)", n,
	       (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return tap_done();
}
