// SPDX-License-Identifier: MIT
/* The end-of-run summary: one line on stderr, or one JSON object on stdout. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xfer.h"

char xf_err[1024];

/* xf_err keeps the raw text (it goes to the peer and into JSON, each escaped there). */
int xf_fail_quiet;

int xf_fail(const char *fmt, ...)
{
	char line[sizeof(xf_err) * 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(xf_err, sizeof(xf_err), fmt, ap);
	va_end(ap);
	if (xf_fail_quiet)
		return -1;	/* the caller reports xf_err in its own line */
	xf_escape_line(line, sizeof(line), xf_err);
	fprintf(stderr, "%s: %s%s\n", xf_prog, xf_peer, line);
	return -1;
}

/* Length of the valid UTF-8 sequence at @s (1..4), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned int c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

int xf_is_utf8(const char *s)
{
	size_t n;

	for (; *s; s += n) {
		n = utf8_len((const unsigned char *)s);
		if (!n)
			return 0;
	}
	return 1;
}

void xf_escape_line(char *out, size_t len, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, n;

	while (*s && o + 5 < len) {
		n = utf8_len(s);
		if (n == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\') {
			out[o++] = (char)*s++;
		} else if (n > 1 && o + n < len) {
			while (n--)
				out[o++] = (char)*s++;
		} else if (*s == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
			s++;
		} else {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *s++);
		}
	}
	out[o] = 0;
}

void xf_hex(char *out, const uint8_t *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/*
 * A JSON string for any bytes: valid UTF-8 as is (quotes, backslashes and
 * control characters escaped); each byte that is not part of valid UTF-8
 * as \u00XX (Latin-1 reading).  That is ambiguous, so file names that are
 * not UTF-8 also get their exact bytes in "name_hex".
 */
static void json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n;

	putchar('"');
	while (*s) {
		n = utf8_len(s);
		if (n > 1) {
			fwrite(s, 1, n, stdout);
			s += n;
		} else if (n == 1 && (*s == '"' || *s == '\\')) {
			printf("\\%c", *s++);
		} else if (n == 1 && *s >= 0x20 && *s != 0x7f) {
			putchar(*s++);
		} else {
			printf("\\u%04x", *s++);
		}
	}
	putchar('"');
}

static void report_json(const struct xf_report *r)
{
	unsigned int i;

	printf("{\"tool\":");
	json_str(r->tool);
	printf(",\"ok\":%s,\"error\":", r->error ? "false" : "true");
	if (r->error)
		json_str(r->error);
	else
		printf("null");
	printf(",\"peer\":");
	json_str(r->sess ? r->sess->peer_name : "");
	printf(",\"peer_fingerprint\":");
	json_str(r->sess ? r->sess->peer_fp : "");
	printf(",\"suite\":");
	json_str(r->sess && r->sess->suite ? secx_suite_name(r->sess->suite) : "");
	printf(",\"files\":[");
	for (i = 0; i < r->n_files; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(r->files[i].name);
		if (!xf_is_utf8(r->files[i].name)) {
			char hex[2 * XF_PATH_MAX + 1];

			xf_hex(hex, (const uint8_t *)r->files[i].name, strlen(r->files[i].name));
			printf(",\"name_hex\":\"%s\"", hex);
		}
		printf(",\"size\":%llu,\"sha256\":\"%s\",\"seconds\":%.6f}",
		       (unsigned long long)r->files[i].size, r->files[i].sha256,
		       r->files[i].seconds);
	}
	printf("],\"key_updates\":");
	if (r->rekeys_known)
		printf("{\"tx\":%u,\"rx\":%u}", r->tx_rekeys, r->rx_rekeys);
	else
		printf("null");
	printf(",\"bytes\":%llu,\"seconds\":%.6f,\"bytes_per_second\":%.0f}\n",
	       (unsigned long long)r->bytes, r->seconds,
	       r->seconds > 0 ? r->bytes / r->seconds : 0.0);
	fflush(stdout);
}

void xf_report(const struct xf_report *r, int json)
{
	char b[32], t[32];

	if (json) {
		report_json(r);
		return;
	}
	if (r->error)
		return;		/* the error line was printed where it happened */
	xf_human(b, sizeof(b), (double)r->bytes);
	xf_human(t, sizeof(t), r->seconds > 0 ? r->bytes / r->seconds : 0);
	fprintf(stderr, "%s: %s %u file%s, %s in %.2f s (%s/s), %s, peer '%s'%s%s\n", xf_prog,
		r->verb, r->n_files, r->n_files == 1 ? "" : "s",
		b, r->seconds, t, secx_suite_name(r->sess->suite), r->sess->peer_name,
		r->sess->peer_fp[0] ? " " : "", r->sess->peer_fp);
}
