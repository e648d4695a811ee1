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
static void start_recv(struct proc *p, const char *dir, ...)
{
	char bin[600], line[256] = "", *colon, *a;
	char *argv[32] = { bin, "--dir", (char *)dir, "--psk", (char *)fx_path("psk"), "--json" };
	int k = 6, once = 1;
	size_t n = 0;
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
	while (n < sizeof(line) - 1 && read(p->err, line + n, 1) == 1 && !strstr(line, "listening"))
		n++;
	while (n < sizeof(line) - 1 && read(p->err, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	colon = strrchr(line, ':');
	snprintf(p->port, sizeof(p->port), "%s", colon ? colon + 1 : "0");
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

static void put_header(int fd, const char *name, uint64_t size)
{
	uint8_t b[300];
	size_t n = 0, len = strlen(name);
	int i;

	b[n++] = 'F';
	b[n++] = (uint8_t)(len >> 8);
	b[n++] = (uint8_t)len;
	memcpy(b + n, name, len);
	n += len;
	for (i = 7; i >= 0; i--)
		b[n++] = (uint8_t)(size >> (8 * i));
	memset(b + n, 0, 3);
	b[n + 3] = 0644 & 0xff;
	b[n + 2] = 0644 >> 8;
	n += 4;
	if (write(fd, b, n) != (ssize_t)n)
		tap_diag("short write");
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
	uint8_t zero[32] = { 0 };
	struct proc r;
	int fd, st = -2, rs;

	mkdir(fx_path("h"), 0700);
	start_recv(&r, fx_path("h"), NULL);
	fd = raw_sender(r.port);
	if (fd >= 0) {
		put_header(fd, name, size);
		st = get_reply(fd, msg, sizeof(msg));
		if (st == 0 && body) {
			if (write(fd, body, strlen(body)) < 0)
				st = -3;
			if (send_hash && write(fd, zero, 32) == 32)
				st = get_reply(fd, msg, sizeof(msg));
		}
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
	if (!tap_ok(rc == 2 && lines(err) == 1 && strstr(err, "missing FILE, HOST and PORT"),
		    "secx-send without arguments: names FILE, HOST and PORT"))
		tap_diag("rc=%d err=%s", rc, err);
	rc = run_tool("secx-send", out, sizeof(out), err, sizeof(err), "--psk", psk, "f", "h",
		      NULL);
	if (!tap_ok(rc == 2 && lines(err) == 1 && strstr(err, "missing"),
		    "secx-send with two arguments: one line saying what is missing"))
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
	if (read(fd, buf, sizeof(buf)) < 0 || write(fd, "\0\0\0", 3) != 3)
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
	uint8_t end = 'E', st[3];
	int fd, rs;
	double t;

	mkdir(fx_path("ss"), 0700);
	start_recv(&r, fx_path("ss"), "--idle-timeout", "1", NULL);
	fd = raw_sender(r.port);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (fd >= 0) {
		if (variant == 0) {
			put_header(fd, "notrailer", 5);
			if (read(fd, st, 3) != 3 || write(fd, "hello", 5) != 5)
				tap_diag("raw sender");
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
	hostile("sender closes mid-file: no partial file left", "cut", 100, "only-some", 0, 0,
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
	return tap_done();
}
