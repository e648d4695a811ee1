// SPDX-License-Identifier: MIT
/*
 * secxctl caps, stats, defaults: one request each, printed as text or as
 * one JSON object.  Counter names are those of /proc/net/secx_stat.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secx.h"
#include "nl.h"
#include "stat_names.h"
#include "secxctl.h"

static const char *const feature_names[] = { "rekey", "netns-defaults", "events" };

static void print_caps(const struct secx_nl_caps *c)
{
	unsigned int i, nf = sizeof(feature_names) / sizeof(feature_names[0]);
	const char *sep = "";
	char buf[32];

	if (secxctl_json) {
		printf("{\"abi_version\":%u,\"features\":[", c->abi_version);
		for (i = 0; i < 32; i++)
			if (c->features & (1U << i)) {
				if (i < nf)
					printf("%s\"%s\"", sep, feature_names[i]);
				else
					printf("%s\"bit%u\"", sep, i);
				sep = ",";
			}
		printf("],\"suites\":[");
		for (i = 0; i < c->n_suites; i++)
			printf("%s{\"id\":%u,\"name\":\"%s\"}", i ? "," : "", c->suites[i],
			       secxctl_suite_name(c->suites[i], buf, sizeof(buf)));
		printf("],\"rekey_min_bytes\":%" PRIu64 ",\"rekey_min_records\":%" PRIu64
		       ",\"rekey_max_seconds\":%u}\n", c->min_bytes, c->min_records,
		       c->max_seconds);
		return;
	}
	printf("abi-version %u\nfeatures", c->abi_version);
	for (i = 0; i < 32; i++)
		if (c->features & (1U << i)) {
			if (i < nf)
				printf(" %s", feature_names[i]);
			else
				printf(" bit%u", i);
		}
	printf("\nsuites");
	for (i = 0; i < c->n_suites; i++)
		printf(" %s", secxctl_suite_name(c->suites[i], buf, sizeof(buf)));
	printf("\nrekey-min-bytes %" PRIu64 "\nrekey-min-records %" PRIu64
	       "\nrekey-max-seconds %u\n", c->min_bytes, c->min_records, c->max_seconds);
}

int caps_main(int argc, char **argv)
{
	struct secx_nl_caps caps;
	struct secx_nl *nl;
	int err;

	if (argc > 1)
		return secxctl_error(SECXCTL_USAGE, "caps: unexpected argument '%s'", argv[1]);
	nl = secxctl_open();
	if (!nl)
		return SECXCTL_FAIL;
	err = secx_nl_get_caps(nl, &caps);
	secx_nl_close(nl);
	if (err)
		return secxctl_error(SECXCTL_FAIL, "%s", secx_strerror());
	print_caps(&caps);
	return SECXCTL_OK;
}

static void print_stats(const struct secx_nl_stats *st)
{
	unsigned int i;
	char buf[32];

	if (secxctl_json)
		printf("{\"counters\":{");
	for (i = SECX_STAT_UNSPEC + 1; i < __SECX_STAT_MAX; i++) {
		if (secxctl_json)
			printf("%s\"%s\":%" PRId64, i > 1 ? "," : "", secx_stat_names[i],
			       (int64_t)st->stat[i]);
		else
			printf("%-32s%" PRId64 "\n", secx_stat_names[i], (int64_t)st->stat[i]);
	}
	if (secxctl_json)
		printf("},\"suites\":[");
	else if (st->n_suites)
		printf("%-26s%14s%16s%14s%16s\n", "suite", "tx-records", "tx-bytes",
		       "rx-records", "rx-bytes");
	for (i = 0; i < st->n_suites; i++) {
		const struct secx_nl_suite_stats *s = &st->suite[i];
		const char *name = secxctl_suite_name(s->id, buf, sizeof(buf));

		if (secxctl_json)
			printf("%s{\"id\":%u,\"name\":\"%s\",\"tx_records\":%" PRIu64
			       ",\"tx_bytes\":%" PRIu64 ",\"rx_records\":%" PRIu64
			       ",\"rx_bytes\":%" PRIu64 "}", i ? "," : "", s->id, name,
			       s->tx_records, s->tx_bytes, s->rx_records, s->rx_bytes);
		else
			printf("%-26s%14" PRIu64 "%16" PRIu64 "%14" PRIu64 "%16" PRIu64 "\n",
			       name, s->tx_records, s->tx_bytes, s->rx_records, s->rx_bytes);
	}
	if (secxctl_json)
		printf("]}\n");
}

int stats_main(int argc, char **argv)
{
	struct secx_nl_stats st;
	struct secx_nl *nl;
	int err;

	if (argc > 1)
		return secxctl_error(SECXCTL_USAGE, "stats: unexpected argument '%s'", argv[1]);
	nl = secxctl_open();
	if (!nl)
		return SECXCTL_FAIL;
	err = secx_nl_get_stats(nl, &st);
	secx_nl_close(nl);
	if (err)
		return secxctl_error(SECXCTL_FAIL, "%s", secx_strerror());
	print_stats(&st);
	return SECXCTL_OK;
}

static void print_defaults(const struct secx_nl_defaults *d)
{
	if (secxctl_json)
		printf("{\"bytes\":%" PRIu64 ",\"records\":%" PRIu64 ",\"seconds\":%u}\n",
		       d->bytes, d->records, d->seconds);
	else
		printf("bytes %" PRIu64 "\nrecords %" PRIu64 "\nseconds %u\n",
		       d->bytes, d->records, d->seconds);
}

/* A decimal count, 0 meaning "no budget"; -1 if @s is not one. */
static int parse_count(const char *key, const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || *s == '-' || errno || v > max)
		return secxctl_error(-1, "defaults set: %s '%s' is not a number (0 = no budget)",
				     key, s);
	*out = v;
	return 0;
}

static int parse_set(int argc, char **argv, struct secx_nl_defaults *d)
{
	uint64_t v = 0;
	int i;

	if (argc < 2)
		return secxctl_error(-1, "defaults set: give bytes N, records N or seconds N");
	for (i = 1; i < argc; i += 2) {
		const char *key = argv[i];
		unsigned int bit;

		if (!strcmp(key, "bytes"))
			bit = SECX_NL_DEF_BYTES;
		else if (!strcmp(key, "records"))
			bit = SECX_NL_DEF_RECORDS;
		else if (!strcmp(key, "seconds"))
			bit = SECX_NL_DEF_SECONDS;
		else
			return secxctl_error(-1, "defaults set: unknown budget '%s' "
					     "(bytes, records, seconds)", key);
		if (i + 1 >= argc)
			return secxctl_error(-1, "defaults set: %s needs a value", key);
		if (d->set & bit)
			return secxctl_error(-1, "defaults set: %s given twice", key);
		if (parse_count(key, argv[i + 1],
				bit == SECX_NL_DEF_SECONDS ? UINT32_MAX : UINT64_MAX, &v))
			return -1;
		d->set |= bit;
		if (bit == SECX_NL_DEF_BYTES)
			d->bytes = v;
		else if (bit == SECX_NL_DEF_RECORDS)
			d->records = v;
		else
			d->seconds = (uint32_t)v;
	}
	return 0;
}

int defaults_main(int argc, char **argv)
{
	struct secx_nl_defaults d = { 0 };
	bool set = argc > 1 && !strcmp(argv[1], "set");
	struct secx_nl *nl;
	int err;

	if (argc > 1 && !set && strcmp(argv[1], "show"))
		return secxctl_error(SECXCTL_USAGE, "defaults: unknown action '%s' (show, set)",
				     argv[1]);
	if (!set && argc > 2)
		return secxctl_error(SECXCTL_USAGE, "defaults show: unexpected argument '%s'",
				     argv[2]);
	if (set && parse_set(argc - 1, argv + 1, &d))
		return SECXCTL_USAGE;
	nl = secxctl_open();
	if (!nl)
		return SECXCTL_FAIL;
	err = set ? secx_nl_set_defaults(nl, &d) : 0;
	if (!err)
		err = secx_nl_get_defaults(nl, &d);
	secx_nl_close(nl);
	if (err)
		return secxctl_error(SECXCTL_FAIL, "%s", secx_strerror());
	print_defaults(&d);
	return SECXCTL_OK;
}
