// SPDX-License-Identifier: MIT
/*
 * secx_install() when the kernel takes the TX key but refuses the RX key
 * (issue 11 item 11).  The host cannot load secx.ko, so this program
 * interposes setsockopt(): TCP_ULP and SECX_TX succeed, SECX_RX fails with
 * EINVAL, everything else goes to the kernel.  A socket left with only TX
 * installed must never carry data: libsecx shuts it down both ways.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tap.h"
#include "secx.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static int tx_installed, rx_tried;

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (level == SOL_TCP && name == TCP_ULP)
		return 0;
	if (level == SOL_SECX && name == SECX_TX) {
		tx_installed = 1;
		return 0;
	}
	if (level == SOL_SECX && name == SECX_RX) {
		rx_tried = 1;
		errno = EINVAL;
		return -1;
	}
	return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

int main(void)
{
	struct secx_crypto_info tx = { .suite = SECX_SUITE_AES_128_GCM_SHA256, .key_len = 16 },
				rx = tx;
	char b;
	int sp[2], r, sent, got;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		return 2;
	r = secx_install(sp[0], &tx, &rx);
	sent = (int)send(sp[0], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	got = (int)recv(sp[0], &b, 1, MSG_DONTWAIT);
	tap_ok(r < 0 && tx_installed && rx_tried,
	       "secx_install() fails when RX is refused after TX (%s)", secx_strerror());
	tap_ok(sent < 0 && got == 0,
	       "the half-installed socket is shut down both ways (send %d, recv %d)", sent, got);
	close(sp[0]);
	close(sp[1]);
	return tap_done();
}
