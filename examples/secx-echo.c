// SPDX-License-Identifier: MIT
/* secx-echo: the smallest libsecx program (Documentation/libsecx.rst).
 * It secures its own TCP socket with a pre-shared key, then echoes one message.
 *   secx-echo server PORT PSKFILE          echo one message back, exit
 *   secx-echo client ADDR PORT PSKFILE     send stdin (up to 4 KiB), print the echo
 * Build: cc secx-echo.c $(pkg-config --cflags --libs libsecx) */
#include <arpa/inet.h>
#include <secx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int server = argc == 4 && !strcmp(argv[1], "server"), one = 1, fd, c;
	struct secx_cfg cfg = { .auth = SECX_AUTH_PSK, .psk_file = argv[argc - 1] };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[argc - 2])) };
	char buf[4096];
	ssize_t n;

	if (!server && !(argc == 5 && !strcmp(argv[1], "client")))
		return fprintf(stderr, "usage: secx-echo server PORT PSK | client ADDR PORT PSK\n"), 2;
	c = fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (server ? bind(fd, (void *)&sa, sizeof(sa)) || listen(fd, 1) || (c = accept(fd, NULL, NULL)) < 0
		   : inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 || connect(fd, (void *)&sa, sizeof(sa)))
		return perror("secx-echo"), 1;
	/* After this one call every read/write on c is encrypted by the kernel. */
	if ((server ? secx_server(c, &cfg) : secx_client(c, &cfg)) < 0)
		return fprintf(stderr, "secx-echo: %s\n", secx_strerror()), 1;
	if (!server && ((n = read(0, buf, sizeof(buf))) < 0 || write(c, buf, n) != n ||
			shutdown(c, SHUT_WR)))
		return perror("secx-echo: send"), 1;
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(server ? c : 1, buf, n) != n)
			return perror("secx-echo: write"), 1;
	if (n < 0)
		return perror("secx-echo: read"), 1;
	return close(c) || (c != fd && close(fd));
}
