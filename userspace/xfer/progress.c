// SPDX-License-Identifier: MIT
/* Progress line with throughput, only when stderr is a terminal. */
#include <stdio.h>

#include "xfer.h"

double xf_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double ts(const struct timespec *t)
{
	return (double)t->tv_sec + t->tv_nsec / 1e9;
}

void xf_human(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

void xf_progress_start(struct xf_progress *p, const char *name, uint64_t total, int enabled)
{
	p->name = name;
	p->total = total;
	p->enabled = enabled;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static void draw(struct xf_progress *p, uint64_t done, double now)
{
	char d[32], t[32], r[32];
	double el = now - ts(&p->start);
	int pct = p->total ? (int)(done * 100 / p->total) : 100, bars = pct / 5;

	xf_human(d, sizeof(d), (double)done);
	xf_human(t, sizeof(t), (double)p->total);
	xf_human(r, sizeof(r), el > 0 ? done / el : 0);
	fprintf(stderr, "\r%-24.24s [%.*s%*s] %3d%% %s / %s  %s/s ", p->name, bars,
		"####################", 20 - bars, "", pct, d, t, r);
}

void xf_progress_update(struct xf_progress *p, uint64_t done)
{
	struct timespec now;

	if (!p->enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts(&now) - ts(&p->last) < 0.1 && done < p->total)
		return;
	p->last = now;
	draw(p, done, ts(&now));
}

void xf_progress_end(struct xf_progress *p)
{
	if (!p->enabled)
		return;
	draw(p, p->total, xf_now());
	fputc('\n', stderr);
}
