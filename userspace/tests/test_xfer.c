// SPDX-License-Identifier: MIT
/*
 * secx-send / secx-recv on the host, in test mode (SECX_NO_KERNEL=1: the
 * handshake runs, no key reaches a kernel, the data is NOT encrypted).
 * The real binaries next to this test are run over loopback TCP; hostile
 * senders (traversal, huge size, wrong hash, early close) are played by
 * this program with libsecx.  The VM test repeats the transfers over the
 * real module.
 */
#include <dirent.h>
#include <stdarg.h>
#include <libgen.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/sha.h>

#pragma GCC diagnostic ignored "-Wformat-truncation"

#include "hs_fixture.h"

static char bindir[512];
static int child_umask = -1;		/* umask for the next spawn, -1: inherit */
static long child_fsize = -1;		/* RLIMIT_FSIZE for the next spawn */
static int child_listen_fd = -1;	/* passed as fd 3, LISTEN_FDS=1 (systemd) */

struct proc {
	pid_t pid;
	int err;		/* read end of its stderr */
	int out;		/* read end of its stdout */
	char port[16];
};

static pid_t spawn(char **argv, int *out, int *err)
{
	int po[2], pe[2];
	pid_t pid;

	if (pipe(po) || pipe(pe))
		exit(2);
	pid = fork();
	if (pid == 0) {
		/* the tools must survive SIGPIPE on their own: no inherited SIG_IGN */
		signal(SIGPIPE, SIG_DFL);
		if (child_umask >= 0)
			umask((mode_t)child_umask);
		if (child_fsize >= 0) {
			struct rlimit rl = { (rlim_t)child_fsize, (rlim_t)child_fsize };

			setrlimit(RLIMIT_FSIZE, &rl);
		}
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (child_listen_fd >= 0) {
			char pid[16];

			if (child_listen_fd == 3)
				fcntl(3, F_SETFD, 0);
			else
				dup2(child_listen_fd, 3);
			snprintf(pid, sizeof(pid), "%d", (int)getpid());
			setenv("LISTEN_PID", pid, 1);
			setenv("LISTEN_FDS", "1", 1);
		}
		close(po[0]);
		close(pe[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	*out = po[0];
	*err = pe[0];
	return pid;
}

/*
 * Start secx-recv on port 0 with the extra options given (NULL-terminated)
 * and learn its port from "listening on ...:PORT".  Scripts' mode, --once,
 * unless the first extra option is "SERVICE".
 */
/* A spawned secx-recv's port, from its "listening on ...:PORT" line. */
static void learn_port(struct proc *p)
{
	char line[256] = "", *colon;
	size_t n = 0;

	while (n < sizeof(line) - 1 && read(p->err, line + n, 1) == 1 && !strstr(line, "listening"))
		n++;
	while (n < sizeof(line) - 1 && read(p->err, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	colon = strrchr(line, ':');
	snprintf(p->port, sizeof(p->port), "%s", colon ? colon + 1 : "0");
}

static void start_recv(struct proc *p, const char *dir, ...)
{
	char bin[600], *a;
	char *argv[32] = { bin, "--dir", (char *)dir, "--psk", (char *)fx_path("psk"), "--json" };
	int k = 6, once = 1;
	va_list ap;

	snprintf(bin, sizeof(bin), "%s/secx-recv", bindir);
	va_start(ap, dir);
	while ((a = va_arg(ap, char *)) && k < 29) {
		if (!strcmp(a, "SERVICE"))
			once = 0;
		else
			argv[k++] = a;
	}
	va_end(ap);
	if (once)
		argv[k++] = "--once";
	argv[k++] = "0";
	argv[k] = NULL;
	p->pid = spawn(argv, &p->out, &p->err);
	learn_port(p);
}

static void slurp(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd);
}

static int finish(struct proc *p, char *out, size_t olen, char *err, size_t elen)
{
	int st, i;

	/* a child that never got its peer must not hang the test */
	for (i = 0; i < 200 && !waitpid(p->pid, &st, WNOHANG); i++)
		poll(NULL, 0, 50);
	if (i == 200) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &st, 0);
	}
	slurp(p->out, out, olen);
	slurp(p->err, err, elen);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run secx-send with @files; returns its exit status, stderr in @err. */
static int run_send(const char *port, char **files, int n, char *err, size_t elen)
{
	char bin[600], out[4096];
	char *argv[32] = { bin, "--psk", (char *)fx_path("psk"), "--quiet" };
	struct proc p;
	int i, k = 4;

	snprintf(bin, sizeof(bin), "%s/secx-send", bindir);
	for (i = 0; i < n; i++)
		argv[k++] = files[i];
	argv[k++] = "127.0.0.1";
	argv[k++] = (char *)port;
	argv[k] = NULL;
	p.pid = spawn(argv, &p.out, &p.err);
	return finish(&p, out, sizeof(out), err, elen);
}

static void make_file(const char *name, size_t size, int mode)
{
	FILE *f = fopen(fx_path(name), "w");
	size_t i;

	for (i = 0; i < size; i++)
		fputc((int)((i * 7 + size) & 0xff), f);
	fclose(f);
	chmod(fx_path(name), (mode_t)mode);
}

static int same_file(const char *a, const char *b)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

/* Nothing but the expected names: no temporary file left behind. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' || strncmp(e->d_name, ".secx-part.", 11) == 0)
			n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 16383, 16384, 16385, 3 << 20 };
	char names[6][32], *files[6], out[8192], err[4096], got[600];
	struct stat st;
	struct proc r;
	int i, ok = 1, rs, ss;

	mkdir(fx_path("in"), 0700);
	for (i = 0; i < 6; i++) {
		snprintf(names[i], sizeof(names[i]), "f%zu", sizes[i]);
		make_file(names[i], sizes[i], i == 2 ? 0640 : 0644);
		files[i] = strdup(fx_path(names[i]));
	}
	start_recv(&r, fx_path("in"), NULL);
	ss = run_send(r.port, files, 6, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err + strlen(err), sizeof(err) - strlen(err));
	for (i = 0; i < 6; i++) {
		snprintf(got, sizeof(got), "%s/in/%s", fx_dir, names[i]);
		ok &= same_file(files[i], got) && !stat(got, &st) &&
		      (st.st_mode & 0777) == (i == 2 ? 0640u : 0644u);
		free(files[i]);
	}
	if (!tap_ok(ss == 0 && rs == 0 && ok && dir_entries(fx_path("in")) == 6,
		    "0 B, 1 B, 16 KiB-1/+0/+1, 3 MiB: identical, modes kept, exit 0"))
		tap_diag("send=%d recv=%d err=%s", ss, rs, err);
	tap_ok(strstr(out, "\"ok\":true") && strstr(out, "\"name\":\"f16385\",\"size\":16385") &&
	       strstr(out, "\"suite\":\"aes-128-gcm\""), "--json summary lists files and suite");
}

static void test_exists(void)
{
	char *files[] = { strdup(fx_path("f1")) }, out[4096], err[4096];
	struct proc r;
	int rs, ss;

	make_file("f1", 5, 0644);		/* differs from in/f1 (1 byte) */
	start_recv(&r, fx_path("in"), NULL);
	ss = run_send(r.port, files, 1, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err + strlen(err), sizeof(err) - strlen(err));
	if (!tap_ok(ss == 1 && rs == 1 && strstr(err, "exists (use --force") &&
		    !same_file(fx_path("f1"), fx_path("in/f1")) && dir_entries(fx_path("in")) == 6,
		    "existing file refused without --force, nothing written"))
		tap_diag("send=%d recv=%d err=%s", ss, rs, err);
	start_recv(&r, fx_path("in"), "--force", NULL);
	ss = run_send(r.port, files, 1, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	tap_ok(ss == 0 && rs == 0 && same_file(fx_path("f1"), fx_path("in/f1")),
	       "--force replaces it");
	free(files[0]);
}

/* ---- a hostile sender, played with libsecx in test mode ---- */

static int raw_sender(const char *port)
{
	struct secx_cfg cfg = { .auth = SECX_AUTH_PSK, .psk_file = fx_path("psk"),
				.flags = SECX_CFG_NO_KERNEL, .timeout_ms = 5000 };
	int fd = secx_tcp_connect("127.0.0.1", port, 5000);

	if (fd < 0 || secx_client(fd, &cfg)) {
		tap_diag("raw sender: %s", secx_strerror());
		return -1;
	}
	return fd;
}

static void put_be(uint8_t *b, uint64_t v, int n)
{
	while (n--) {
		b[n] = (uint8_t)v;
		v >>= 8;
	}
}

static void put_raw(int fd, const void *b, size_t n)
{
	if (write(fd, b, n) != (ssize_t)n)
		tap_diag("short write");
}

/* A protocol-2 entry header (Documentation/tools.rst, "Transfer protocol"). */
static void put_entry(int fd, char kind, const char *name, uint64_t size, const char *link)
{
	uint8_t b[9000];
	size_t n = 0, len = strlen(name), ll = link ? strlen(link) : 0;

	b[n++] = 'N';
	b[n++] = (uint8_t)kind;
	put_be(b + n, len, 2);
	n += 2;
	memcpy(b + n, name, len);
	n += len;
	put_be(b + n, 0644, 4);
	put_be(b + n + 4, 1600000000, 8);
	put_be(b + n + 12, 0, 4);
	put_be(b + n + 16, size, 8);
	put_be(b + n + 24, ll, 2);
	n += 26;
	memcpy(b + n, link, ll);
	put_raw(fd, b, n + ll);
}

static void put_header(int fd, const char *name, uint64_t size)
{
	put_entry(fd, 'f', name, size, NULL);
}

/* One chunk of @body (no end marker). */
static void put_chunk(int fd, const char *body, size_t n)
{
	uint8_t b[4];

	put_be(b, n, 4);
	put_raw(fd, b, 4);
	put_raw(fd, body, n);
}

/* The end of a body: zero chunk, SHA-256 (correct or zeros), no signature. */
static void put_end(int fd, const char *body, int right_hash)
{
	uint8_t b[4 + 32 + 1] = { 0 };

	if (right_hash)
		SHA256((const uint8_t *)body, strlen(body), b + 4);
	put_raw(fd, b, sizeof(b));
}

/* Reply: status byte and text. */
static int get_reply(int fd, char *msg, size_t len)
{
	uint8_t h[3];
	size_t m;

	if (read(fd, h, 3) != 3)
		return -1;
	m = (size_t)h[1] << 8 | h[2];
	if (m >= len || read(fd, msg, m) != (ssize_t)m)
		return -1;
	msg[m] = 0;
	return h[0];
}

static void hostile(const char *what, const char *name, uint64_t size, const char *body,
		    int send_hash, int want_status, const char *want_msg)
{
	char msg[600] = "", out[4096], err[4096];
	struct proc r;
	int fd, st = -2, rs;

	mkdir(fx_path("h"), 0700);
	start_recv(&r, fx_path("h"), NULL);
	fd = raw_sender(r.port);
	if (fd >= 0) {
		put_header(fd, name, size);
		if (body) {
			put_chunk(fd, body, strlen(body));
			if (send_hash)
				put_end(fd, body, 0);
		}
		st = body && !send_hash ? -1 : get_reply(fd, msg, sizeof(msg));
		close(fd);
	}
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(st == want_status && strstr(msg[0] ? msg : err, want_msg) && rs == 1 &&
		    dir_entries(fx_path("h")) == 0, "%s", what))
		tap_diag("status=%d msg='%s' recv=%d err=%s", st, msg, rs, err);
}

/* ---- options, usage errors ---- */

/* Run a tool with @args (NULL-terminated); exit status, both outputs. */
static int run_tool(const char *tool, char *out, size_t olen, char *err, size_t elen, ...)
{
	char bin[600], *argv[32] = { bin }, *a;
	struct proc p;
	int k = 1;
	va_list ap;

	snprintf(bin, sizeof(bin), "%s/%s", bindir, tool);
	va_start(ap, elen);
	while ((a = va_arg(ap, char *)) && k < 31)
		argv[k++] = a;
	va_end(ap);
	argv[k] = NULL;
	p.pid = spawn(argv, &p.out, &p.err);
	return finish(&p, out, olen, err, elen);
}

/* Lines in @s, not counting the test-mode warning of SECX_NO_KERNEL=1. */
static int lines(const char *s)
{
	int n = 0, bol = 1;

	for (; *s; s++) {
		if (bol && !strncmp(s, "secx: warning: SECX_NO_KERNEL", 29))
			n--;
		n += *s == '\n';
		bol = *s == '\n';
	}
	return n;
}

static void test_cli(void)
{
	static const char *const tools[] = { "secx-send", "secx-recv" };
	char out[8192], err[4096];
	const char *psk = fx_path("psk");
	int i, rc;

	for (i = 0; i < 2; i++) {
		rc = run_tool(tools[i], out, sizeof(out), err, sizeof(err), "-h", NULL);
		tap_ok(rc == 0 && strstr(out, "Usage: ") && strstr(out, "--idle-timeout"),
		       "%s -h: usage on stdout, exit 0", tools[i]);
		rc = run_tool(tools[i], out, sizeof(out), err, sizeof(err), "--help", NULL);
		tap_ok(rc == 0 && strstr(out, "Usage: "), "%s --help", tools[i]);
		rc = run_tool(tools[i], out, sizeof(out), err, sizeof(err), "--version", NULL);
		if (!tap_ok(rc == 0 && !strncmp(out, tools[i], strlen(tools[i])) && lines(out) == 1,
			    "%s --version: one line, exit 0", tools[i]))
			tap_diag("rc=%d out=%s err=%s", rc, out, err);
	}
	rc = run_tool("secx-recv", out, sizeof(out), err, sizeof(err), "--psk", psk, NULL);
	if (!tap_ok(rc == 2 && lines(err) == 1 && strstr(err, "missing PORT"),
		    "secx-recv without PORT: exit 2, one line naming PORT"))
		tap_diag("rc=%d err=%s", rc, err);
	rc = run_tool("secx-send", out, sizeof(out), err, sizeof(err), "--psk", psk, NULL);
	if (!tap_ok(rc == 2 && lines(err) == 1 && strstr(err, "missing FILE and HOST"),
		    "secx-send without arguments: names FILE and HOST (PORT has a default)"))
		tap_diag("rc=%d err=%s", rc, err);
	rc = run_tool("secx-send", out, sizeof(out), err, sizeof(err), "--psk", psk, "f", NULL);
	if (!tap_ok(rc == 2 && lines(err) == 1 && strstr(err, "missing HOST after FILE"),
		    "secx-send with one argument: one line saying HOST is missing"))
		tap_diag("rc=%d err=%s", rc, err);
	rc = run_tool("secx-send", out, sizeof(out), err, sizeof(err), "--psk", psk,
		      "--idle-timeout", "0", "f", "h", "1", NULL);
	tap_ok(rc == 2 && lines(err) == 1 && strstr(err, "--idle-timeout"),
	       "--idle-timeout 0 refused as a usage error");
	rc = run_tool("secx-recv", out, sizeof(out), err, sizeof(err), "--psk", psk,
		      "--max-handshakes", "", "1", NULL);
	tap_ok(rc == 2 && lines(err) == 1 && strstr(err, "--max-handshakes"),
	       "--max-handshakes '' refused as a usage error");
}

/* ---- the receiver as a service ---- */

/* A plain TCP connection to the receiver; -1 on failure. */
static int tcp_to(const char *port)
{
	int fd = secx_tcp_connect("127.0.0.1", port, 5000);

	if (fd < 0)
		tap_diag("connect: %s", secx_strerror());
	return fd;
}

/* Seconds until the peer closes @fd (EOF or error), at most @max. */
static double closed_after(int fd, double max)
{
	struct timespec a, b;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];
	double t;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		t = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		if (t >= max || poll(&p, 1, (int)((max - t) * 1000) + 1) <= 0)
			return max;
		if (read(fd, buf, sizeof(buf)) <= 0) {
			clock_gettime(CLOCK_MONOTONIC, &b);
			return (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		}
	}
}

static int alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static void test_service(void)
{
	char *files[] = { strdup(fx_path("svc1")) }, out[8192], err[8192] = "", e2[4096];
	uint8_t hello[3] = { 1, 0, 40 };	/* ClientHello header, body never sent */
	int fds[8], i, ss, ss2, rs, survived;
	double idle_gone;
	struct proc r;

	mkdir(fx_path("svc"), 0700);
	make_file("svc1", 70000, 0644);
	start_recv(&r, fx_path("svc"), "SERVICE", "--timeout", "1", NULL);
	/* garbage, an HTTP request, a half handshake, an idle connection */
	fds[0] = tcp_to(r.port);
	if (fds[0] >= 0 && write(fds[0], "GET / HTTP/1.0\r\n\r\n", 18) < 0)
		tap_diag("write");
	fds[1] = tcp_to(r.port);
	if (fds[1] >= 0 && write(fds[1], hello, 3) < 0)
		tap_diag("write");
	fds[2] = tcp_to(r.port);
	fds[3] = tcp_to(r.port);
	if (fds[3] >= 0)
		close(fds[3]);			/* connect and vanish */
	idle_gone = fds[2] >= 0 ? closed_after(fds[2], 5) : 99;
	ss = run_send(r.port, files, 1, e2, sizeof(e2));
	survived = alive(r.pid);
	/* a second sender: the service keeps serving */
	unlink(fx_path("svc/svc1"));
	ss2 = run_send(r.port, files, 1, e2 + strlen(e2), sizeof(e2) - strlen(e2));
	survived &= alive(r.pid);
	kill(r.pid, SIGTERM);
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (!tap_ok(ss == 0 && ss2 == 0 && survived && same_file(files[0], fx_path("svc/svc1")),
		    "service: garbage, HTTP, half handshake, idle and vanishing connections do not "
		    "stop it; two senders served"))
		tap_diag("send=%d send2=%d survived=%d err=%s %s", ss, ss2, survived, e2, err);
	if (!tap_ok(idle_gone > 0.5 && idle_gone < 3, "service: an idle connection is dropped at the pre-auth "
		    "deadline (--timeout 1: after %.1f s)", idle_gone))
		tap_diag("err=%s", err);
	tap_ok(rs == 0 && dir_entries(fx_path("svc")) == 1, "service: SIGTERM stops it, exit 0, "
	       "no temporary file");
	tap_ok(strstr(err, "not speaking secx") && strstr(err, "127.0.0.1:"),
	       "service: a hostile connection is logged with its address");
	free(files[0]);
}

/* --max-handshakes: connections over the cap are closed at once. */
static void test_preauth_cap(void)
{
	char out[4096], err[4096];
	int a, b, c;
	double gone;
	struct proc r;

	start_recv(&r, fx_path("svc"), "SERVICE", "--max-handshakes", "2", "--timeout", "5",
		   NULL);
	a = tcp_to(r.port);
	b = tcp_to(r.port);
	poll(NULL, 0, 300);
	c = tcp_to(r.port);
	gone = c >= 0 ? closed_after(c, 3) : 99;
	kill(r.pid, SIGTERM);
	finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(gone < 1 && strstr(err, "--max-handshakes"),
		    "--max-handshakes 2: a third unauthenticated connection is closed at once "
		    "(%.2f s) and logged", gone))
		tap_diag("err=%s", err);
	close(a);
	close(b);
	if (c >= 0)
		close(c);
}

/* ---- permissions, names, file system limits ---- */

static void test_umask(void)
{
	char *files[] = { strdup(fx_path("m777")) }, out[4096], err[4096];
	struct stat st = { 0 };
	struct proc r;
	int ss, rs, i;

	make_file("m777", 10, 0777);
	for (i = 0; i < 2; i++) {
		mkdir(fx_path(i ? "um1" : "um0"), 0700);
		child_umask = 077;
		if (i)
			start_recv(&r, fx_path("um1"), "-p", NULL);
		else
			start_recv(&r, fx_path("um0"), NULL);
		child_umask = -1;
		ss = run_send(r.port, files, 1, err, sizeof(err));
		rs = finish(&r, out, sizeof(out), err, sizeof(err));
		stat(fx_path(i ? "um1/m777" : "um0/m777"), &st);
		if (!tap_ok(ss == 0 && rs == 0 && (st.st_mode & 07777) == (i ? 0777u : 0700u),
			    "receiver umask 077, sender mode 0777: %s (got %o)",
			    i ? "-p keeps 0777" : "stored 0700", st.st_mode & 07777))
			tap_diag("send=%d recv=%d err=%s", ss, rs, err);
	}
	free(files[0]);
}

/* A name that is not UTF-8 still gives valid JSON, escaped as documented. */
static void test_json_name(void)
{
	char *files[] = { strdup(fx_path("caf\xe9")) }, out[8192], err[4096];
	struct proc r;
	int ss, rs;

	mkdir(fx_path("js"), 0700);
	make_file("caf\xe9", 3, 0644);
	start_recv(&r, fx_path("js"), NULL);
	ss = run_send(r.port, files, 1, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(ss == 0 && rs == 0 && strstr(out, "\"name\":\"caf\\u00e9\"") &&
		    strstr(out, "\"name_hex\":\"636166e9\"") && !strchr(out, '\xe9'),
		    "non-UTF-8 name: JSON has \\u00e9 and name_hex, no raw byte"))
		tap_diag("send=%d recv=%d out=%s err=%s", ss, rs, out, err);
	free(files[0]);
}

/* RLIMIT_FSIZE on the receiver: preallocation says EFBIG, refused before data. */
static void test_efbig(void)
{
	char *files[] = { strdup(fx_path("f3m")) }, out[4096], err[4096];
	struct proc r;
	int ss, rs;

	mkdir(fx_path("fb"), 0700);
	make_file("f3m", 3 << 20, 0644);
	child_fsize = 1 << 20;
	start_recv(&r, fx_path("fb"), NULL);
	child_fsize = -1;
	ss = run_send(r.port, files, 1, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err + strlen(err), sizeof(err) - strlen(err));
	if (!tap_ok(ss == 1 && rs == 1 && strstr(err, "too large") &&
		    dir_entries(fx_path("fb")) == 0,
		    "receiver file size limit (EFBIG): refused before data, both exit 1, no file"))
		tap_diag("send=%d recv=%d err=%s", ss, rs, err);
	free(files[0]);
}

/* A sparse source stays sparse on the receiver. */
static void test_sparse(void)
{
	char *files[] = { strdup(fx_path("sparse")) }, out[4096], err[4096];
	struct stat st = { 0 };
	struct proc r;
	int fd, ss, rs;

	mkdir(fx_path("sp"), 0700);
	fd = open(fx_path("sparse"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pwrite(fd, "end", 3, 16 << 20) != 3 || pwrite(fd, "start", 5, 0) != 5)
		tap_diag("cannot make a sparse file");
	close(fd);
	start_recv(&r, fx_path("sp"), NULL);
	ss = run_send(r.port, files, 1, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	stat(fx_path("sp/sparse"), &st);
	if (!tap_ok(ss == 0 && rs == 0 && same_file(files[0], fx_path("sp/sparse")) &&
		    st.st_blocks * 512 < (1 << 20),
		    "16 MiB sparse file arrives identical and sparse (%lld KiB allocated)",
		    (long long)st.st_blocks / 2))
		tap_diag("send=%d recv=%d err=%s", ss, rs, err);
	free(files[0]);

	/* zero runs at unaligned offsets, across chunk ends, and at the end */
	{
		static uint8_t b[(3 << 20) + 777];
		size_t i;

		for (i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(i * 131 + 7) | 1;
		memset(b + 5000, 0, 3 * 4096);
		memset(b + (1 << 20) - 10000, 0, 20000);
		memset(b + sizeof(b) - 9000, 0, 9000);
		fd = open(fx_path("zeros"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			tap_diag("cannot write zeros");
		close(fd);
	}
	files[0] = strdup(fx_path("zeros"));
	start_recv(&r, fx_path("sp"), NULL);
	ss = run_send(r.port, files, 1, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(ss == 0 && rs == 0 && same_file(files[0], fx_path("sp/zeros")),
		    "zero runs at unaligned offsets, across 1 MiB chunks and at the end: identical"))
		tap_diag("send=%d recv=%d err=%s", ss, rs, err);
	free(files[0]);
}

/* ---- a hostile or silent receiver, played with libsecx ---- */

struct raw_recv {
	int lfd;
	char port[16];
};

static void raw_listen(struct raw_recv *rr)
{
	char name[80], *colon;

	rr->lfd = secx_tcp_listen("127.0.0.1", "0");
	secx_sock_name(rr->lfd, 0, name, sizeof(name));
	colon = strrchr(name, ':');
	snprintf(rr->port, sizeof(rr->port), "%s", colon ? colon + 1 : "0");
}

/* Accept, handshake; then @what: 'c' close at once, 'b' read 4 KiB of body then
 * close with data unread, 's' take the whole file and stay silent. */
static int raw_recv_child(struct raw_recv *rr, char what)
{
	struct secx_cfg cfg = { .auth = SECX_AUTH_PSK, .psk_file = fx_path("psk"),
				.flags = SECX_CFG_NO_KERNEL, .timeout_ms = 5000 };
	pid_t pid = fork();
	uint8_t buf[65536];
	int fd;

	if (pid)
		return pid;
	fd = accept(rr->lfd, NULL, NULL);
	if (fd < 0 || secx_server(fd, &cfg))
		_exit(3);
	if (what == 'c')
		_exit(0);
	if (read(fd, buf, 3 + 2) < 0)		/* header start */
		_exit(3);
	poll(NULL, 0, 50);
	if (read(fd, buf, sizeof(buf)) < 0)
		_exit(3);
	if (what == 'b') {
		if (read(fd, buf, 4096) < 0)
			_exit(3);
		_exit(0);			/* close with unread data: RST */
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

static void test_bad_receivers(void)
{
	char *files[] = { strdup(fx_path("f8m")) }, err[4096];
	struct raw_recv rr;
	struct timespec a, b;
	pid_t pid;
	int ss;
	double t;

	make_file("f8m", 64 << 20, 0644);
	raw_listen(&rr);
	pid = raw_recv_child(&rr, 'b');
	ss = run_send(rr.port, files, 1, err, sizeof(err));
	waitpid(pid, NULL, 0);
	if (!tap_ok(ss == 1 && lines(err) == 1 && strstr(err, "secx-send: "),
		    "receiver aborts while the sender is in sendfile(): exit 1 (not 141), one line"))
		tap_diag("send=%d err=%s", ss, err);

	pid = raw_recv_child(&rr, 'c');
	ss = run_send(rr.port, files, 1, err, sizeof(err));
	waitpid(pid, NULL, 0);
	if (!tap_ok(ss == 1 && lines(err) == 1 && strstr(err, "closed") &&
		    !strstr(err, "in progress") && !strstr(err, "Success"),
		    "receiver closes before its first answer: says so, no stale errno"))
		tap_diag("send=%d err=%s", ss, err);

	/* silent after the whole body: the verdict wait has a deadline */
	free(files[0]);
	files[0] = strdup(fx_path("f1"));
	pid = raw_recv_child(&rr, 's');
	clock_gettime(CLOCK_MONOTONIC, &a);
	{
		char bin[600], out[4096];
		char *argv[] = { bin, "--psk", (char *)fx_path("psk"), "--quiet", "--idle-timeout",
				 "1", files[0], "127.0.0.1", rr.port, NULL };
		struct proc p;

		snprintf(bin, sizeof(bin), "%s/secx-send", bindir);
		p.pid = spawn(argv, &p.out, &p.err);
		ss = finish(&p, out, sizeof(out), err, sizeof(err));
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	t = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (!tap_ok(ss == 1 && t < 4 && lines(err) == 1 && strstr(err, "--idle-timeout"),
		    "silent receiver: --idle-timeout 1 ends the sender after %.1f s, one line", t))
		tap_diag("send=%d err=%s", ss, err);
	close(rr.lfd);
	free(files[0]);
}

/* A sender that never sends its trailer, or never closes after 'E'. */
static void test_silent_sender(const char *what, int variant)
{
	char out[4096], err[4096];
	struct timespec a, b;
	struct proc r;
	uint8_t end = 'E';
	int fd, rs;
	double t;

	mkdir(fx_path("ss"), 0700);
	start_recv(&r, fx_path("ss"), "--idle-timeout", "1", NULL);
	fd = raw_sender(r.port);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (fd >= 0) {
		if (variant == 0) {
			put_header(fd, "notrailer", 5);
			put_chunk(fd, "hello", 5);
		} else if (variant == 1) {
			if (write(fd, &end, 1) != 1)
				tap_diag("raw sender");
		} else {
			if (write(fd, "Ex", 2) != 2)
				tap_diag("raw sender");
		}
	}
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &b);
	t = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	if (fd >= 0)
		close(fd);
	if (!tap_ok(rs == 1 && t < 5 && dir_entries(fx_path("ss")) == 0 &&
		    strstr(err, variant == 2 ? "after its end" : "--idle-timeout"),
		    "%s: receiver exit 1 after %.1f s, no file", what, t))
		tap_diag("recv=%d err=%s", rs, err);
}


/* ---- protocol 2: trees, streams, hostile paths, pipelining ---- */

static double xf_test_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* secx-send with options and sources in one shell command line (stdin redirections allowed). */
static int send_sh(const char *port, const char *args, char *err, size_t elen)
{
	char cmd[4096];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s/secx-send --psk '%s' --quiet %s 127.0.0.1 %s 2>'%s'",
		 bindir, fx_path("psk"), args, port, fx_path("send.err"));
	rc = sh("%s", cmd);
	snprintf(cmd, sizeof(cmd), "%s", fx_path("send.err"));
	{
		int fd = open(cmd, O_RDONLY);

		slurp(fd, err, elen);
	}
	return rc;
}

static int mtime_of(const char *path, int follow, time_t *t)
{
	struct stat st;

	if ((follow ? stat : lstat)(path, &st))
		return -1;
	*t = st.st_mtime;
	return 0;
}

/* A 3-level tree: modes, mtimes, symlinks (relative, absolute, dangling), '#' and spaces. */
static void test_tree(void)
{
	static const char *const files[] = { "t/f0", "t/#hash", "t/a/with space",
					     "t/a/b/f2", "t/a/b/c/deep" };
	char out[8192], err[4096], e2[4096], a[600], b[600], lnk[600];
	struct proc r;
	int ok = 1, i, ss, rs;
	time_t ta, tb;
	struct stat sa, sb;
	ssize_t n;

	sh("mkdir -p '%s/t/a/b/c' '%s/tree' && cd '%s/t' && ln -s ../f0 a/rel && "
	   "ln -s /etc/hostname a/abs && ln -s nowhere a/b/dangling", fx_dir, fx_dir, fx_dir);
	for (i = 0; i < 5; i++)
		make_file(files[i], (size_t)(i * 5000 + 1), i == 3 ? 0750 : 0644);
	sh("cd '%s/t' && chmod 0750 a/b && chmod 0700 a/b/c && "
	   "touch -h -d '2001-02-03 04:05:06' a/b/c/deep a/b/c a/b a/rel", fx_dir);
	start_recv(&r, fx_path("tree"), NULL);
	snprintf(a, sizeof(a), "-r '%s'", fx_path("t"));
	ss = send_sh(r.port, a, e2, sizeof(e2));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	for (i = 0; i < 5; i++) {
		snprintf(a, sizeof(a), "%s/%s", fx_dir, files[i]);
		snprintf(b, sizeof(b), "%s/tree/%s", fx_dir, files[i]);
		ok &= same_file(a, b) && !stat(a, &sa) && !stat(b, &sb) &&
		      (sa.st_mode & 07777) == (sb.st_mode & 07777) && sa.st_mtime == sb.st_mtime;
	}
	if (!tap_ok(ss == 0 && rs == 0 && ok, "-r: 3-level tree, files identical with modes and "
		    "mtimes ('#' and space names)"))
		tap_diag("send=%d recv=%d err=%s %s", ss, rs, e2, err);
	ok = 1;
	for (i = 0; i < 3; i++) {
		static const char *const dirs[] = { "t/a/b", "t/a/b/c", "t/a" };

		snprintf(a, sizeof(a), "%s/%s", fx_dir, dirs[i]);
		snprintf(b, sizeof(b), "%s/tree/%s", fx_dir, dirs[i]);
		ok &= !stat(a, &sa) && !stat(b, &sb) && S_ISDIR(sb.st_mode) &&
		      (sa.st_mode & 0777) == (sb.st_mode & 0777) && sa.st_mtime == sb.st_mtime;
	}
	tap_ok(ok, "directories: modes and mtimes applied after their contents");
	ok = 1;
	{
		static const char *const links[][2] = { { "t/a/rel", "../f0" },
							{ "t/a/abs", "/etc/hostname" },
							{ "t/a/b/dangling", "nowhere" } };

		for (i = 0; i < 3; i++) {
			snprintf(b, sizeof(b), "%s/tree/%s", fx_dir, links[i][0]);
			n = readlink(b, lnk, sizeof(lnk) - 1);
			lnk[n > 0 ? n : 0] = 0;
			ok &= n > 0 && !strcmp(lnk, links[i][1]);
		}
		snprintf(a, sizeof(a), "%s/t/a/rel", fx_dir);
		snprintf(b, sizeof(b), "%s/tree/t/a/rel", fx_dir);
		ok &= !mtime_of(a, 0, &ta) && !mtime_of(b, 0, &tb) && ta == tb;
	}
	tap_ok(ok, "symlinks arrive as links with their targets and mtimes (never followed)");
	tap_ok(strstr(out, "\"name\":\"t/a/b/c/deep\"") != NULL, "--json lists relative paths");
	start_recv(&r, fx_path("tree"), NULL);
	snprintf(a, sizeof(a), "'%s'", fx_path("t"));
	ss = send_sh(r.port, a, e2, sizeof(e2));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(ss == 2 || (ss == 1 && strstr(e2, "use -r")), "a directory without -r: refused"))
		tap_diag("send=%d err=%s", ss, e2);
}

/* Standard input to standard output: from a pipe (splice) and from a file. */
static void test_stream(void)
{
	char out[64], err[4096], e2[4096], cmd[2048], name[600];
	int ss, rs, variant, fd;

	make_file("streamsrc", (3 << 20) + 12345, 0644);
	for (variant = 0; variant < 2; variant++) {
		char bin[600];
		char *argv[] = { bin, "--psk", (char *)fx_path("psk"), "--stdout", "0", NULL };
		struct proc p;

		snprintf(bin, sizeof(bin), "%s/secx-recv", bindir);
		p.pid = spawn(argv, &p.out, &p.err);
		learn_port(&p);
		snprintf(name, sizeof(name), "%s", fx_path("streamout"));
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		/* copy the receiver's stdout into streamout while the sender runs */
		{
			pid_t cp = fork();
			char buf[65536];
			ssize_t k;

			if (!cp) {
				while ((k = read(p.out, buf, sizeof(buf))) > 0)
					if (write(fd, buf, (size_t)k) != k)
						_exit(1);
				_exit(0);
			}
			close(fd);
			if (variant) {
				snprintf(cmd, sizeof(cmd), "--stdin-name s.bin - <'%s'",
					 fx_path("streamsrc"));
				ss = send_sh(p.port, cmd, e2, sizeof(e2));
			} else {
				snprintf(cmd, sizeof(cmd), "cat '%s' | %s/secx-send --psk '%s' --quiet "
					 "- 127.0.0.1 %s 2>'%s'", fx_path("streamsrc"), bindir,
					 fx_path("psk"), p.port, fx_path("send.err"));
				ss = sh("%s", cmd);
				e2[0] = 0;
			}
			rs = finish(&p, out, 0 + 1, err, sizeof(err));
			waitpid(cp, NULL, 0);
		}
		if (!tap_ok(ss == 0 && rs == 0 && same_file(fx_path("streamsrc"), name),
			    "secx-send - | secx-recv --stdout (%s): identical, exit 0",
			    variant ? "stdin is a file: read/write" : "stdin is a pipe: splice"))
			tap_diag("send=%d recv=%d err=%s %s", ss, rs, e2, err);
	}
	/* --stdout takes one regular file: a tree is refused, both exit 1 */
	{
		char bin[600];
		char *argv[] = { bin, "--psk", (char *)fx_path("psk"), "--stdout", "0", NULL };
		struct proc p;
		char o2[8192];

		snprintf(bin, sizeof(bin), "%s/secx-recv", bindir);
		p.pid = spawn(argv, &p.out, &p.err);
		learn_port(&p);
		snprintf(cmd, sizeof(cmd), "-r '%s'", fx_path("t"));
		ss = send_sh(p.port, cmd, e2, sizeof(e2));
		rs = finish(&p, o2, sizeof(o2), err, sizeof(err));
		if (!tap_ok(ss == 1 && rs == 1 && strstr(err, "--stdout takes one"),
			    "--stdout refuses a tree: both exit 1"))
			tap_diag("send=%d recv=%d err=%s %s", ss, rs, e2, err);
	}
}

/*
 * One connection of hostile entries (receiver with --force): each refused
 * entry must not stop the others, and nothing may appear outside DIR.
 */
static void test_hostile_paths(void)
{
	static const struct {
		char kind;
		const char *name, *link;
		int status;
		const char *why;
	} e[] = {
		{ 'l', "esc", NULL, 0, "" },			/* link to a dir outside */
		{ 'f', "esc/pwned", NULL, 1, "not a directory" },
		{ 'l', "esc2", "..", 0, "" },
		{ 'f', "esc2/pwned", NULL, 1, "not a directory" },
		{ 'f', "pre/pwned", NULL, 1, "not a directory" },	/* symlink already in DIR */
		{ 'f', "../pwned", NULL, 1, "traversal" },
		{ 'f', "a/../../pwned", NULL, 1, "traversal" },
		{ 'f', "/tmp/pwned", NULL, 1, "absolute" },
		{ 'f', "a//b", NULL, 1, "empty path component" },
		{ 'f', "a/", NULL, 1, "empty path component" },
		{ 'f', ".secx-part.x", NULL, 1, "reserved" },
		{ 'd', "d", NULL, 0, "" },
		{ 'f', "d", NULL, 1, "not a regular file" },	/* a file over a directory */
		{ 'l', "d", "x", 1, "is a directory" },
		{ 'f', "#hash", NULL, 0, "" },
		{ 'd', "d/sub", NULL, 0, "" },
		{ 'f', "d/sub/ok", NULL, 0, "" },
	};
	char msg[600], out[8192], err[4096], outside[600], tgt[600];
	struct proc r;
	struct stat st;
	int fd, i, ok = 1, got, rs;
	uint8_t end = 'E';

	sh("mkdir -p '%s/outside' '%s/hp' && ln -s '%s/outside' '%s/hp/pre'", fx_dir, fx_dir,
	   fx_dir, fx_dir);
	snprintf(outside, sizeof(outside), "%s/outside", fx_dir);
	start_recv(&r, fx_path("hp"), "--force", NULL);
	fd = raw_sender(r.port);
	for (i = 0; fd >= 0 && i < (int)(sizeof(e) / sizeof(e[0])); i++) {
		snprintf(tgt, sizeof(tgt), "%s", e[i].link ? e[i].link : outside);
		put_entry(fd, e[i].kind, e[i].name, e[i].kind == 'f' ? 2 : 0,
			  e[i].kind == 'l' ? tgt : NULL);
		if (e[i].kind == 'f') {
			put_chunk(fd, "hi", 2);
			put_end(fd, "hi", 1);
		}
		got = get_reply(fd, msg, sizeof(msg));
		if (got != e[i].status || !strstr(msg, e[i].why)) {
			ok = 0;
			tap_diag("entry '%s': status %d '%s'", e[i].name, got, msg);
		}
	}
	if (fd >= 0) {
		put_raw(fd, &end, 1);
		shutdown(fd, SHUT_WR);
		while (read(fd, msg, sizeof(msg)) > 0)
			;
		close(fd);
	}
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	snprintf(tgt, sizeof(tgt), "%s/outside/pwned", fx_dir);
	tap_ok(ok, "hostile paths: symlink escape (sent earlier or already in DIR), '..', absolute, "
	       "empty component, reserved name, file/link over a directory refused one by one");
	tap_ok(stat(tgt, &st) && stat(fx_path("pwned"), &st) && stat("/tmp/pwned", &st),
	       "nothing written outside DIR");
	if (!tap_ok(rs == 1 && strstr(err, "entries not stored") && !stat(fx_path("hp/#hash"), &st) &&
		    !stat(fx_path("hp/d/sub/ok"), &st) && dir_entries(fx_path("hp")) == 5,
		    "the good entries among them are stored; receiver exit 1 naming the count"))
		tap_diag("recv=%d err=%s", rs, err);
}

/* Malformed messages end the transfer with status 4 and no file. */
static void test_protocol_errors(void)
{
	static const char *const what[] = { "unknown kind", "chunk over 1 MiB", "bad signature byte",
					    "protocol 1 header", "body longer than size" };
	char msg[600], out[8192], err[4096];
	struct proc r;
	int fd, i, st, rs;
	uint8_t b[8];

	for (i = 0; i < 5; i++) {
		mkdir(fx_path("pe"), 0700);
		start_recv(&r, fx_path("pe"), NULL);
		fd = raw_sender(r.port);
		if (fd < 0)
			continue;
		if (i == 0) {
			put_entry(fd, 'x', "k", 0, NULL);
		} else if (i == 1) {
			put_header(fd, "big", 4 << 20);
			put_be(b, (2 << 20), 4);
			put_raw(fd, b, 4);
		} else if (i == 2) {
			put_header(fd, "sig", 2);
			put_chunk(fd, "hi", 2);
			memset(b, 0, 4);
			put_raw(fd, b, 4);
			{
				uint8_t t[33] = { 0 };

				SHA256((const uint8_t *)"hi", 2, t);
				t[32] = 7;
				put_raw(fd, t, 33);
			}
		} else if (i == 3) {
			put_raw(fd, "F\0\1x", 4);
		} else {
			put_header(fd, "long", 2);
			put_chunk(fd, "hello", 5);
		}
		st = get_reply(fd, msg, sizeof(msg));
		close(fd);
		rs = finish(&r, out, sizeof(out), err, sizeof(err));
		if (!tap_ok(st == 4 && rs == 1 && dir_entries(fx_path("pe")) == 0,
			    "protocol error (%s): status 4, receiver exit 1, no file", what[i]))
			tap_diag("status=%d msg=%s recv=%d err=%s", st, msg, rs, err);
	}
}

/* Pipelined: a refusal in the middle of the window does not stop the others. */
static void test_pipeline(void)
{
	char out[65536], err[4096], e2[4096], args[8192], p[600];
	struct proc r;
	int i, ss, rs, ok = 1;

	sh("rm -rf '%s/pl' '%s/plin' && mkdir -p '%s/pl' '%s/plin'", fx_dir, fx_dir, fx_dir, fx_dir);
	args[0] = 0;
	for (i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "pl/f%03d", i);
		make_file(p, 4096 + (size_t)i, 0644);
		if (i == 100)
			sh("cp '%s/pl/f100' '%s/plin/f100'", fx_dir, fx_dir);	/* exists: refused */
	}
	snprintf(args, sizeof(args), "'%s/pl/'*", fx_dir);
	start_recv(&r, fx_path("plin"), NULL);
	ss = send_sh(r.port, args, e2, sizeof(e2));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	for (i = 0; i < 200; i++) {
		char a[600], b[600];

		snprintf(a, sizeof(a), "%s/pl/f%03d", fx_dir, i);
		snprintf(b, sizeof(b), "%s/plin/f%03d", fx_dir, i);
		ok &= same_file(a, b);
	}
	if (!tap_ok(ss == 1 && rs == 1 && ok && strstr(e2, "f100") && strstr(e2, "exists") &&
		    lines(e2) == 1 && dir_entries(fx_path("plin")) == 200,
		    "200 files pipelined, #100 refused mid-window: the other 199 stored, both exit 1, "
		    "one line naming it"))
		tap_diag("send=%d recv=%d err=%s / %s", ss, rs, e2, err);
}

/*
 * Every entry refused: 400 verdicts of ~300 bytes (120 KB, more than the
 * socket buffers hold) come back while the sender is still sending.  The
 * bounded window makes the sender read them; no deadlock.
 */
static void test_verdict_flood(void)
{
	char err[4096], e2[4096], out[65536], p[600], pad[201];
	struct proc r;
	int i, ss, rs;
	double t0 = xf_test_now();

	memset(pad, 'x', 200);
	pad[200] = 0;
	sh("rm -rf '%s/vf' '%s/vfin' && mkdir -p '%s/vf' '%s/vfin'", fx_dir, fx_dir, fx_dir, fx_dir);
	for (i = 0; i < 400; i++) {
		snprintf(p, sizeof(p), "vf/%03d%s", i, pad);
		make_file(p, 100, 0644);
	}
	sh("cp '%s/vf/'* '%s/vfin/'", fx_dir, fx_dir);		/* all exist: all refused */
	snprintf(p, sizeof(p), "'%s/vf/'*", fx_dir);
	start_recv(&r, fx_path("vfin"), NULL);
	ss = send_sh(r.port, p, e2, sizeof(e2));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(ss == 1 && rs == 1 && strstr(e2, "400 of 400 entries not stored") &&
		    xf_test_now() - t0 < 20,
		    "400 refusals (~120 KB of verdicts) while sending: no deadlock, both exit 1"))
		tap_diag("send=%d recv=%d err=%s / %s", ss, rs, e2, err);
}

/* Size of the (only) temporary file in @dir (.secx-part.*), -1 if none. */
static long long partial_size(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char p[1200];
	long long sz = -1;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, ".secx-part.", 11)) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (!stat(p, &st))
				sz = (long long)st.st_size;
		}
	if (d)
		closedir(d);
	return sz;
}

/* secx-send --resume FILE, killed (SIGKILL) once the receiver holds @at bytes; 0: run to the end. */
static int send_resume(const char *port, const char *file, long long at, const char *dir,
		       char *err, size_t elen)
{
	char bin[600], out[4096];
	char *argv[] = { bin, "--psk", (char *)fx_path("psk"), "--resume", (char *)file,
			 "127.0.0.1", (char *)port, NULL };
	struct proc p;
	int i;

	snprintf(bin, sizeof(bin), "%s/secx-send", bindir);
	p.pid = spawn(argv, &p.out, &p.err);
	for (i = 0; at && i < 20000 && partial_size(dir) < at; i++)
		usleep(500);
	if (at)
		kill(p.pid, SIGKILL);
	return finish(&p, out, sizeof(out), err, elen);
}

/*
 * --resume: the sender is killed at 50 % and at a random point; each time
 * the receiver keeps the partial file (and nothing under the real name),
 * the next --resume run continues after a verified prefix and the result
 * is identical.  A different file of the same name, size and mtime starts
 * over (the prefix hash differs): a length alone is never trusted.
 */
static void test_resume(void)
{
	const long long size = 96LL << 20;
	char out[8192], err[4096], e2[4096], f[600], g[600];
	long long at, kept;
	struct proc r;
	struct stat st;
	int round, ss, rs;

	mkdir(fx_path("rs"), 0700);
	snprintf(f, sizeof(f), "%s/rsrc/big", fx_dir);
	sh("mkdir -p '%s/rsrc' && head -c %lld /dev/urandom >'%s'", fx_dir, size, f);
	srand((unsigned int)time(NULL));
	for (round = 0; round < 2; round++) {
		at = round ? (long long)(rand() % 80 + 10) * size / 100 : size / 2;
		start_recv(&r, fx_path("rs"), "--resume", NULL);
		ss = send_resume(r.port, f, at, fx_path("rs"), e2, sizeof(e2));
		rs = finish(&r, out, sizeof(out), err, sizeof(err));
		kept = partial_size(fx_path("rs"));
		if (!tap_ok(ss == 128 + SIGKILL && rs == 1 && kept >= at && kept < size &&
			    stat(fx_path("rs/big"), &st),
			    "--resume: sender SIGKILLed at %s (%lld of %lld bytes): partial kept, "
			    "nothing under the real name", round ? "a random point" : "50 %",
			    kept, size))
			tap_diag("send=%d recv=%d kept=%lld err=%s", ss, rs, kept, err);
		start_recv(&r, fx_path("rs"), "--resume", NULL);
		ss = send_resume(r.port, f, 0, fx_path("rs"), e2, sizeof(e2));
		rs = finish(&r, out, sizeof(out), err, sizeof(err));
		if (!tap_ok(ss == 0 && rs == 0 && same_file(f, fx_path("rs/big")) &&
			    strstr(e2, "resuming") && partial_size(fx_path("rs")) < 0,
			    "--resume after it: continues after the verified prefix, identical, "
			    "no partial left"))
			tap_diag("send=%d recv=%d err=%s %s", ss, rs, e2, err);
		unlink(fx_path("rs/big"));
	}
	/* same name, size and mtime, other bytes: the prefix does not verify */
	start_recv(&r, fx_path("rs"), "--resume", NULL);
	ss = send_resume(r.port, f, size / 2, fx_path("rs"), e2, sizeof(e2));
	finish(&r, out, sizeof(out), err, sizeof(err));
	snprintf(g, sizeof(g), "%s/rsrc2/big", fx_dir);
	sh("mkdir -p '%s/rsrc2' && head -c %lld /dev/urandom >'%s' && touch -r '%s' '%s'", fx_dir,
	   size, g, f, g);
	start_recv(&r, fx_path("rs"), "--resume", NULL);
	ss = send_resume(r.port, g, 0, fx_path("rs"), e2, sizeof(e2));
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(ss == 0 && rs == 0 && same_file(g, fx_path("rs/big")) && !strstr(e2, "resuming"),
		    "--resume with another file of the same name, size and mtime: starts over"))
		tap_diag("send=%d recv=%d err=%s %s", ss, rs, e2, err);
	/* without --resume on the receiver nothing is kept */
	unlink(fx_path("rs/big"));
	start_recv(&r, fx_path("rs"), NULL);
	ss = send_resume(r.port, f, size / 2, fx_path("rs"), e2, sizeof(e2));
	finish(&r, out, sizeof(out), err, sizeof(err));
	tap_ok(dir_entries(fx_path("rs")) == 0, "receiver without --resume: the partial file is removed");
}

/* systemd socket activation: the listening socket arrives as fd 3. */
static void test_activation(void)
{
	char *files[] = { strdup(fx_path("f1")) }, bin[600], out[8192], err[4096], e2[4096];
	char name[80], *colon, port[16];
	char *argv[] = { bin, "--dir", (char *)fx_path("act"), "--psk", (char *)fx_path("psk"),
			 "--json", NULL };
	struct proc r;
	int lfd, ss, rs;

	mkdir(fx_path("act"), 0700);
	lfd = secx_tcp_listen("127.0.0.1", "0");
	secx_sock_name(lfd, 0, name, sizeof(name));
	colon = strrchr(name, ':');
	snprintf(port, sizeof(port), "%s", colon ? colon + 1 : "0");
	snprintf(bin, sizeof(bin), "%s/secx-recv", bindir);
	child_listen_fd = lfd;
	r.pid = spawn(argv, &r.out, &r.err);
	child_listen_fd = -1;
	close(lfd);
	ss = run_send(port, files, 1, e2, sizeof(e2));
	kill(r.pid, SIGTERM);
	rs = finish(&r, out, sizeof(out), err, sizeof(err));
	if (!tap_ok(ss == 0 && rs == 0 && same_file(files[0], fx_path("act/f1")) &&
		    strstr(err, "(socket activation)"),
		    "socket activation: LISTEN_FDS=1, no PORT, fd 3 served"))
		tap_diag("send=%d recv=%d err=%s %s", ss, rs, e2, err);
	free(files[0]);
}

int main(int argc, char **argv)
{
	char exe[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = 0;
	snprintf(bindir, sizeof(bindir), "%s/..", dirname(exe));
	setenv("SECX_NO_KERNEL", "1", 1);
	signal(SIGPIPE, SIG_IGN);
	fx_mkdir();
	fx_write("psk", "xfer 00112233445566778899aabbccddeeff\n", 0600);
	test_sizes();
	test_exists();
	hostile("path traversal '../escape' refused", "../escape", 1, NULL, 0, 1, "path traversal");
	hostile("absolute path refused", "/etc/passwd", 1, NULL, 0, 1, "absolute path");
	hostile("'..' refused", "..", 1, NULL, 0, 1, "path traversal");
	hostile("file larger than free space refused", "huge", 1ULL << 60, NULL, 0, 1, "free in");
	hostile("SHA-256 mismatch: file discarded, no temp left", "bad", 5, "hello", 1, 2,
		"SHA-256 mismatch");
	hostile("sender closes mid-file: no partial file left", "cut", 100, "only-some", 0, -1,
		"mid-file");
	test_cli();
	test_service();
	test_activation();
	test_preauth_cap();
	test_umask();
	test_json_name();
	test_efbig();
	test_sparse();
	test_bad_receivers();
	test_silent_sender("sender silent before its trailer (--idle-timeout 1)", 0);
	test_silent_sender("sender never closes after 'E' (--idle-timeout 1)", 1);
	test_silent_sender("sender sends data after 'E'", 2);
	test_tree();
	test_stream();
	test_hostile_paths();
	test_protocol_errors();
	test_pipeline();
	test_verdict_flood();
	test_resume();
	return tap_done();
}
