// SPDX-License-Identifier: MIT
/*
 * secxctl monitor: the "events" multicast group, one line (or one JSON
 * object) per event, flushed as it comes so pipes see it at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secx.h"
#include "nl.h"
#include "secxctl.h"

struct mon {
	unsigned long left;	/* events still to print; 0: no limit */
};

static const char *errno_name(int e)
{
	switch (e) {
	case EBADMSG:		return "EBADMSG";
	case EPROTO:		return "EPROTO";
	case EMSGSIZE:		return "EMSGSIZE";
	case ECONNABORTED:	return "ECONNABORTED";
	case ECONNRESET:	return "ECONNRESET";
	case ENOKEY:		return "ENOKEY";
	case EKEYEXPIRED:	return "EKEYEXPIRED";
	case EIO:		return "EIO";
	default:		return NULL;
	}
}

static const char *dir_name(uint32_t dir)
{
	return dir == SECX_DIR_TX ? "tx" : dir == SECX_DIR_RX ? "rx" : "unknown";
}

static void print_event(const struct secx_nl_event *ev)
{
	const char *en = errno_name(ev->error);
	char num[16];

	if (!en) {
		snprintf(num, sizeof(num), "errno%d", ev->error);
		en = num;
	}
	switch (ev->type) {
	case SECX_EVENT_KEY_UPDATE:
		if (secxctl_json)
			printf("{\"event\":\"key-update\",\"dir\":\"%s\",\"epoch\":%u,"
			       "\"cookie\":%" PRIu64 "}\n", dir_name(ev->dir), ev->epoch,
			       ev->cookie);
		else
			printf("key-update %s epoch %u cookie %" PRIu64 "\n", dir_name(ev->dir),
			       ev->epoch, ev->cookie);
		break;
	case SECX_EVENT_RX_ERROR:
		if (secxctl_json)
			printf("{\"event\":\"rx-error\",\"dir\":\"%s\",\"errno\":%d,"
			       "\"error\":\"%s\",\"cookie\":%" PRIu64 "}\n", dir_name(ev->dir),
			       ev->error, en, ev->cookie);
		else
			printf("rx-error %s (%s) cookie %" PRIu64 "\n", en, strerror(ev->error),
			       ev->cookie);
		break;
	default:
		if (secxctl_json)
			printf("{\"event\":\"unknown\",\"type\":%u,\"cookie\":%" PRIu64 "}\n",
			       ev->type, ev->cookie);
		else
			printf("unknown(%u) cookie %" PRIu64 "\n", ev->type, ev->cookie);
	}
	fflush(stdout);
}

static int on_event(const struct secx_nl_event *ev, void *arg)
{
	struct mon *m = arg;

	print_event(ev);
	return m->left && !--m->left;
}

int monitor_main(int argc, char **argv)
{
	struct mon m = { 0 };
	struct secx_nl *nl;
	char *end;
	int err;

	if (argc == 3 && !strcmp(argv[1], "--count")) {
		m.left = strtoul(argv[2], &end, 10);
		if (!*argv[2] || *end || !m.left)
			return secxctl_error(SECXCTL_USAGE, "monitor: --count needs a number > 0");
	} else if (argc > 1) {
		return secxctl_error(SECXCTL_USAGE, "monitor: unexpected argument '%s'", argv[1]);
	}
	nl = secxctl_open();
	if (!nl)
		return SECXCTL_FAIL;
	err = secx_nl_monitor(nl, on_event, &m);
	secx_nl_close(nl);
	if (err)
		return secxctl_error(SECXCTL_FAIL, "%s", secx_strerror());
	return SECXCTL_OK;
}
