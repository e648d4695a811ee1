// SPDX-License-Identifier: MIT
/* The end-of-run summary: one line on stderr, or one JSON object on stdout. */
#include <stdarg.h>
#include <stdio.h>

#include "xfer.h"

char xf_err[1024];

int xf_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(xf_err, sizeof(xf_err), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", xf_prog, xf_err);
	return -1;
}

void xf_hex(char *out, const uint8_t *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
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
		printf(",\"size\":%llu,\"sha256\":\"%s\",\"seconds\":%.6f}",
		       (unsigned long long)r->files[i].size, r->files[i].sha256,
		       r->files[i].seconds);
	}
	printf("],\"bytes\":%llu,\"seconds\":%.6f,\"bytes_per_second\":%.0f}\n",
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
