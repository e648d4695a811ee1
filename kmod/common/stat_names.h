/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Names of the per-netns counters (enum secx_stat in uapi/linux/secx.h), as
 * /proc/net/secx_stat and secxctl print them.  Shared by secx.ko and
 * userspace; include the uapi header first.
 */
#ifndef SECX_COMMON_STAT_NAMES_H
#define SECX_COMMON_STAT_NAMES_H

static const char * const secx_stat_names[__SECX_STAT_MAX] = {
	[SECX_STAT_CURR_SOCKETS]	= "CurrSockets",
	[SECX_STAT_CURR_TX]		= "CurrTx",
	[SECX_STAT_CURR_RX]		= "CurrRx",
	[SECX_STAT_DECRYPT_ERRORS]	= "DecryptErrors",
	[SECX_STAT_PROTOCOL_ERRORS]	= "ProtocolErrors",
	[SECX_STAT_TRUNCATIONS]		= "Truncations",
	[SECX_STAT_CLOSE_SENT]		= "CloseSent",
	[SECX_STAT_CLOSE_RECEIVED]	= "CloseReceived",
	[SECX_STAT_TX_REKEYS]		= "TxRekeys",
	[SECX_STAT_RX_REKEYS]		= "RxRekeys",
	[SECX_STAT_RX_KEY_UPDATE_FLOODS] = "RxKeyUpdateFloods",
	[SECX_STAT_EVENTS_DROPPED]	= "EventsDropped",
	[SECX_STAT_TX_RING_PAGES]	= "TxRingPages",
	[SECX_STAT_RX_ZEROCOPY_RECORDS]	= "RxZeroCopyRecords",
};

#endif /* SECX_COMMON_STAT_NAMES_H */
