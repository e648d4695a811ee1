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
#include <libgen.h>
#include <signal.h>
#include <sys/wait.h>

#include "hs_fixture.h"

static char bindir[512];

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
		dup2(po[1], 1);
		dup2(pe[1], 2);
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

/* Start secx-recv on port 0 and learn its port from "listening on ...:PORT". */
static void start_recv(struct proc *p, const char *dir, const char *extra)
{
	char bin[600], line[256] = "", *colon;
	char *argv[] = { bin, "--dir", (char *)dir, "--psk", (char *)fx_path("psk"), "--json",
			 (char *)extra, "0", NULL };
	size_t n = 0;

	snprintf(bin, sizeof(bin), "%s/secx-recv", bindir);
	if (!extra[0]) {
		argv[6] = "0";
		argv[7] = NULL;
	}
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
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
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
	start_recv(&r, fx_path("in"), "");
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
	start_recv(&r, fx_path("in"), "");
	ss = run_send(r.port, files, 1, err, sizeof(err));
	rs = finish(&r, out, sizeof(out), err + strlen(err), sizeof(err) - strlen(err));
	if (!tap_ok(ss == 1 && rs == 1 && strstr(err, "exists (use --force") &&
		    !same_file(fx_path("f1"), fx_path("in/f1")) && dir_entries(fx_path("in")) == 6,
		    "existing file refused without --force, nothing written"))
		tap_diag("send=%d recv=%d err=%s", ss, rs, err);
	start_recv(&r, fx_path("in"), "--force");
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
	start_recv(&r, fx_path("h"), "");
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
	return tap_done();
}
