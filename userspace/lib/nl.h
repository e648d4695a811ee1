/* SPDX-License-Identifier: MIT */
/*
 * libsecx: the generic netlink family "secx" (Documentation/api.rst
 * "Netlink").  lib/nl.c is the only file that talks libnl; tools see these
 * plain structs.  Every function returns 0 or -1 with secx_strerror() set
 * (for a refused request, the kernel's extended ACK message).
 */
#ifndef SECX_LIB_NL_H
#define SECX_LIB_NL_H

#include <stdint.h>

#include <linux/secx.h>

#define SECX_NL_MAX_SUITES	32

struct secx_nl;

struct secx_nl_caps {
	uint32_t abi_version;
	uint32_t features;			/* SECX_FEATURE_* */
	uint16_t suites[SECX_NL_MAX_SUITES];	/* usable on this kernel */
	unsigned int n_suites;
	uint64_t min_bytes, min_records;	/* smallest non-zero budgets */
	uint32_t max_seconds;
};

struct secx_nl_suite_stats {
	uint16_t id;
	uint64_t tx_records, tx_bytes, rx_records, rx_bytes;
};

struct secx_nl_stats {
	uint64_t stat[__SECX_STAT_MAX];		/* by enum secx_stat */
	struct secx_nl_suite_stats suite[SECX_NL_MAX_SUITES];
	unsigned int n_suites;
};

/* struct secx_nl_defaults.set: which fields a SET carries */
#define SECX_NL_DEF_BYTES	(1U << 0)
#define SECX_NL_DEF_RECORDS	(1U << 1)
#define SECX_NL_DEF_SECONDS	(1U << 2)

struct secx_nl_defaults {
	uint64_t bytes, records;	/* 0: no budget */
	uint32_t seconds;
	unsigned int set;		/* SECX_NL_DEF_*, for secx_nl_set_defaults() */
};

struct secx_nl_event {
	uint32_t type;			/* enum secx_event */
	uint32_t dir;			/* enum secx_direction */
	uint32_t epoch;			/* SECX_EVENT_KEY_UPDATE */
	int32_t error;			/* SECX_EVENT_RX_ERROR: positive errno */
	uint64_t cookie;		/* getsockopt(SO_COOKIE) of the socket */
};

/* Connect and resolve the family; NULL when secx.ko is not loaded. */
struct secx_nl *secx_nl_open(void);
void secx_nl_close(struct secx_nl *nl);

int secx_nl_get_caps(struct secx_nl *nl, struct secx_nl_caps *caps);
int secx_nl_get_stats(struct secx_nl *nl, struct secx_nl_stats *stats);
int secx_nl_get_defaults(struct secx_nl *nl, struct secx_nl_defaults *def);
int secx_nl_set_defaults(struct secx_nl *nl, const struct secx_nl_defaults *def);

/*
 * Join the "events" group and call @fn for each event until it returns
 * non-zero (then 0 is returned) or receiving fails (-1).
 */
int secx_nl_monitor(struct secx_nl *nl, int (*fn)(const struct secx_nl_event *ev, void *arg),
		    void *arg);

#endif /* SECX_LIB_NL_H */
