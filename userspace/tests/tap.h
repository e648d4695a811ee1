/* SPDX-License-Identifier: MIT */
/*
 * Minimal TAP output for host tests: "ok N - name" / "not ok N - name",
 * diagnostics as "# ..." lines, plan printed at the end.  Header-only; each
 * test program includes it once.
 */
#ifndef SECX_TESTS_TAP_H
#define SECX_TESTS_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

/* Record one test; returns @ok so callers can chain diagnostics. */
static __attribute__((format(printf, 2, 3), unused))
int tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ok;
}

static __attribute__((format(printf, 1, 2), unused))
void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Compare bytes; on mismatch print both as hex diagnostics. */
static __attribute__((unused))
int tap_mem_eq(const uint8_t *got, const uint8_t *want, size_t len)
{
	size_t i;

	if (!memcmp(got, want, len))
		return 1;
	fputs("# got:  ", stdout);
	for (i = 0; i < len; i++)
		printf("%02x", got[i]);
	fputs("\n# want: ", stdout);
	for (i = 0; i < len; i++)
		printf("%02x", want[i]);
	putchar('\n');
	return 0;
}

/* Parse a hex string into @out (capacity @max); returns the byte count. */
static __attribute__((unused))
size_t tap_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned int b;

	while (hex[0] && hex[1] && n < max && sscanf(hex, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	return n;
}

/* Print the plan and return the process exit status. */
static __attribute__((unused))
int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif /* SECX_TESTS_TAP_H */
