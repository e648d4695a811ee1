/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced into every kselftest-harness program (selftests/Makefile,
 * -include): SECX_TIMEOUT_MULT=N (1..20) multiplies every alarm() the
 * program sets, the harness's per-test timeout (30 s by default,
 * TEST_F_TIMEOUT otherwise) and the tests' own watchdogs.  The debug-kernel
 * lane sets it: KASAN, lockdep and kmemleak under TCG make every test
 * several times slower, and a timeout sized for the cloud kernels would
 * fail a correct test there.  What a test asserts about time (a shutdown
 * that returns within 2 s, a SO_RCVTIMEO that expires after 1 s) is
 * measured by the test itself and is not scaled.  A bad value counts as 1.
 */
#ifndef SECX_TIMEOUT_SCALE_H
#define SECX_TIMEOUT_SCALE_H

#include <stdlib.h>
#include <unistd.h>

static inline unsigned int secx_scaled_alarm(unsigned int seconds)
{
	const char *v = getenv("SECX_TIMEOUT_MULT");
	char *end;
	long n;

	if (!seconds || !v || !*v)
		return alarm(seconds);
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > 20)
		n = 1;
	return alarm(seconds * (unsigned int)n);
}

#define alarm(seconds) secx_scaled_alarm(seconds)

#endif
