/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * secx: SECURE_X record layer for TCP, userspace ABI.
 *
 * This is the only header shared between secx.ko and userspace.  Every
 * struct carries a version and explicit padding; the kernel rejects a
 * version it does not know and any non-zero reserved byte, so fields can be
 * given a meaning later without breaking old binaries.
 *
 * See Documentation/api.rst for the semantics of each option.
 */
#ifndef _UAPI_LINUX_SECX_H
#define _UAPI_LINUX_SECX_H

#include <linux/types.h>

/* setsockopt(fd, SOL_TCP, TCP_ULP, SECX_ULP_NAME, sizeof(SECX_ULP_NAME)) */
#define SECX_ULP_NAME		"secx"

/*
 * Socket option level.  Upstream SOL_* values are small and dense (SOL_TLS
 * is 282); 0x5ec5 is far away from them and from every protocol number.
 */
#define SOL_SECX		0x5ec5

#define SECX_ABI_VERSION	1

/* Socket options at level SOL_SECX. */
enum secx_sockopt {
	SECX_TX			= 1,	/* set: struct secx_crypto_info */
	SECX_RX			= 2,	/* set: struct secx_crypto_info */
	SECX_INFO		= 3,	/* get: struct secx_info */
	SECX_REKEY_LIMITS	= 4,	/* set/get: struct secx_rekey_limits */
	SECX_KEY_UPDATE		= 5,	/* set: __u32 SECX_KU_* flags */
};

/*
 * Cipher suites.  The same numbers are used on the wire by the handshake.
 * The hash is the one HKDF uses to derive keys and the next traffic secret.
 */
enum secx_suite {
	SECX_SUITE_NONE				= 0,
	SECX_SUITE_AES_128_GCM_SHA256		= 1,
	SECX_SUITE_AES_256_GCM_SHA384		= 2,
	SECX_SUITE_CHACHA20_POLY1305_SHA256	= 3,
	SECX_SUITE_AES_128_CBC_HMAC_SHA256	= 4,
	SECX_SUITE_AES_256_CBC_HMAC_SHA512	= 5,
	SECX_SUITE_MAX				= SECX_SUITE_AES_256_CBC_HMAC_SHA512,
};

/* Record content types, carried encrypted inside each record. */
enum secx_record_type {
	SECX_RT_DATA		= 1,
	SECX_RT_CLOSE		= 2,
	SECX_RT_KEY_UPDATE	= 3,
	SECX_RT_ALERT		= 4,
};

#define SECX_MAX_KEY_LEN	96	/* AES-256 key + HMAC-SHA-512 key */
#define SECX_MAX_SECRET_LEN	64	/* SHA-512 output */
#define SECX_IV_LEN		12	/* AEAD nonce base */

/*
 * SECX_TX / SECX_RX: install the traffic keys of one direction.
 *
 * @key holds key_len bytes: the AEAD key, or for CBC suites the AES key
 * followed by the HMAC key.  @iv is the per-direction nonce base (unused by
 * CBC suites, which send a random IV with each record).  @secret is the
 * traffic secret the kernel derives the next key from on rekey; secret_len
 * may be 0 to disable in-kernel rekey.  @seq is the first record sequence
 * number (normally 0).  The kernel wipes its copy of this struct once the
 * keys are installed; keys can never be read back.
 */
struct secx_crypto_info {
	__u16	version;		/* SECX_ABI_VERSION */
	__u16	suite;			/* enum secx_suite */
	__u16	key_len;
	__u16	secret_len;
	__u32	flags;			/* must be 0 */
	__u32	reserved0;		/* must be 0 */
	__u64	seq;
	__u8	iv[16];			/* SECX_IV_LEN used, rest must be 0 */
	__u8	key[SECX_MAX_KEY_LEN];
	__u8	secret[SECX_MAX_SECRET_LEN];
	__u8	reserved[32];		/* must be 0 */
};

/* struct secx_info.flags */
#define SECX_INFO_TX_READY	(1U << 0)	/* TX keys installed */
#define SECX_INFO_RX_READY	(1U << 1)	/* RX keys installed */
#define SECX_INFO_TX_CLOSED	(1U << 2)	/* close record sent */
#define SECX_INFO_RX_CLOSED	(1U << 3)	/* close record received */

/* SECX_INFO: state of the socket; never contains key material. */
struct secx_info {
	__u16	version;		/* SECX_ABI_VERSION */
	__u16	tx_suite;
	__u16	rx_suite;
	__u16	reserved0;
	__u32	flags;			/* SECX_INFO_* */
	__s32	error;			/* sticky errno, 0 if healthy */
	__u32	tx_epoch;		/* number of TX key updates */
	__u32	rx_epoch;
	__u64	tx_seq;			/* next record sequence number */
	__u64	rx_seq;
	__u64	tx_records;		/* records since keys were installed */
	__u64	rx_records;
	__u64	tx_bytes;		/* plaintext bytes */
	__u64	rx_bytes;
	__u64	reserved[4];
};

/*
 * SECX_REKEY_LIMITS: soft budgets after which the kernel updates the TX key
 * by itself.  0 means "no budget" for that dimension.  Hard limits per suite
 * are enforced regardless and cannot be raised.
 */
struct secx_rekey_limits {
	__u16	version;		/* SECX_ABI_VERSION */
	__u16	reserved0;
	__u32	flags;			/* must be 0 */
	__u64	bytes;
	__u64	records;
	__u32	seconds;
	__u32	reserved1;
};

/* SECX_KEY_UPDATE flags */
#define SECX_KU_TX		(1U << 0)	/* update our TX key now */
#define SECX_KU_REQUEST_PEER	(1U << 1)	/* ask the peer to update its TX key */

/*
 * Generic netlink family "secx" (secxctl; Documentation/api.rst "Netlink").
 * Every command is a "do"; policies are strict (unknown attributes and
 * trailing bytes are refused).  Per network namespace: each command sees the
 * caller's namespace, events go to listeners in the socket's namespace.
 */
#define SECX_GENL_NAME		"secx"
#define SECX_GENL_VERSION	1
#define SECX_GENL_MCGRP_EVENTS	"events"	/* needs CAP_NET_ADMIN */

enum secx_genl_cmd {
	SECX_CMD_UNSPEC,
	SECX_CMD_GET_CAPS,	/* do: ABI version, suites, features, budget bounds */
	SECX_CMD_GET_STATS,	/* do: per-netns counters */
	SECX_CMD_EVENT,		/* multicast notification */
	SECX_CMD_GET_DEFAULTS,	/* do: per-netns rekey budgets of new sockets */
	SECX_CMD_SET_DEFAULTS,	/* do, CAP_NET_ADMIN: change some of them */
	__SECX_CMD_MAX,
};
#define SECX_CMD_MAX (__SECX_CMD_MAX - 1)

enum secx_genl_attr {
	SECX_A_UNSPEC,
	SECX_A_ABI_VERSION,	/* u32 */
	SECX_A_SUITES,		/* nest of SECX_SUITE_A_ID (u16), one per usable suite */
	SECX_A_STATS,		/* nest of u64, attribute type = enum secx_stat */
	SECX_A_EVENT_TYPE,	/* u32 enum secx_event */
	SECX_A_SOCK_COOKIE,	/* u64, as getsockopt(SO_COOKIE) */
	SECX_A_EPOCH,		/* u32 */
	SECX_A_ERROR,		/* s32, positive errno */
	SECX_A_PAD,
	SECX_A_FEATURES,	/* u32 SECX_FEATURE_* */
	SECX_A_SUITE_STATS,	/* nest of enum secx_suite_attr; one per suite */
	SECX_A_REKEY_BYTES,	/* u64, 0: no budget */
	SECX_A_REKEY_RECORDS,	/* u64, 0: no budget */
	SECX_A_REKEY_SECONDS,	/* u32, 0: no budget */
	SECX_A_DIRECTION,	/* u32 enum secx_direction */
	SECX_A_REKEY_MIN_BYTES,	/* u64, smallest non-zero byte budget (caps) */
	SECX_A_REKEY_MIN_RECORDS, /* u64, smallest non-zero record budget (caps) */
	SECX_A_REKEY_MAX_SECONDS, /* u32, largest time budget (caps) */
	__SECX_A_MAX,
};
#define SECX_A_MAX (__SECX_A_MAX - 1)

/* Inside SECX_A_SUITES and each SECX_A_SUITE_STATS. */
enum secx_suite_attr {
	SECX_SUITE_A_UNSPEC,
	SECX_SUITE_A_ID,		/* u16 enum secx_suite */
	SECX_SUITE_A_TX_RECORDS,	/* u64 DATA records sealed */
	SECX_SUITE_A_TX_BYTES,		/* u64 plaintext bytes sealed */
	SECX_SUITE_A_RX_RECORDS,	/* u64 DATA records opened */
	SECX_SUITE_A_RX_BYTES,		/* u64 plaintext bytes opened */
	SECX_SUITE_A_PAD,
	__SECX_SUITE_A_MAX,
};
#define SECX_SUITE_A_MAX (__SECX_SUITE_A_MAX - 1)

/*
 * Counters of one network namespace: SECX_A_STATS attribute types, and the
 * lines of /proc/net/secx_stat in this order.  CURR_* are gauges.
 */
enum secx_stat {
	SECX_STAT_UNSPEC,		/* never a counter */
	SECX_STAT_CURR_SOCKETS,		/* sockets with secx attached */
	SECX_STAT_CURR_TX,		/* ... with TX keys */
	SECX_STAT_CURR_RX,		/* ... with RX keys */
	SECX_STAT_DECRYPT_ERRORS,	/* records that failed to authenticate */
	SECX_STAT_PROTOCOL_ERRORS,	/* bad headers, unknown record types */
	SECX_STAT_TRUNCATIONS,		/* TCP EOF without a close record */
	SECX_STAT_CLOSE_SENT,
	SECX_STAT_CLOSE_RECEIVED,
	SECX_STAT_TX_REKEYS,
	SECX_STAT_RX_REKEYS,
	SECX_STAT_RX_KEY_UPDATE_FLOODS,	/* peers cut off for too many KEY_UPDATEs */
	SECX_STAT_EVENTS_DROPPED,	/* netlink events over a socket's rate limit */
	SECX_STAT_TX_RING_PAGES,	/* ciphertext pages held for reuse (gauge) */
	SECX_STAT_RX_ZEROCOPY_RECORDS,	/* records decrypted into the reader's buffer */
	__SECX_STAT_MAX,
};
#define SECX_STAT_MAX (__SECX_STAT_MAX - 1)

/* SECX_A_FEATURES */
#define SECX_FEATURE_REKEY		(1U << 0)	/* in-kernel key updates */
#define SECX_FEATURE_NETNS_DEFAULTS	(1U << 1)	/* SECX_CMD_{GET,SET}_DEFAULTS */
#define SECX_FEATURE_EVENTS		(1U << 2)	/* "events" multicast group */

/* SECX_A_EVENT_TYPE */
enum secx_event {
	SECX_EVENT_UNSPEC,
	SECX_EVENT_KEY_UPDATE,	/* DIRECTION, EPOCH (the new one), SOCK_COOKIE */
	SECX_EVENT_RX_ERROR,	/* ERROR, SOCK_COOKIE; once per socket */
};

/* SECX_A_DIRECTION */
enum secx_direction {
	SECX_DIR_TX = 1,
	SECX_DIR_RX = 2,
};

#endif /* _UAPI_LINUX_SECX_H */
