// SPDX-License-Identifier: MIT
/*
 * The tools' configuration file (conf.h; Documentation/tools.rst,
 * "Configuration").  A file is trusted only if nobody but its reader (or
 * root) could have written it, as ssh does: one line and no fallback
 * otherwise.  Every byte of it is still checked: unknown keys, empty
 * values, duplicates, over-long lines and control bytes are errors that
 * name FILE:LINE.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs.h"
#include "conf.h"

enum ctype { C_PATH, C_NAME, C_TEXT, C_SECONDS, C_COUNT, C_BUDGET, C_SUITES, C_BOOL };

#define T_ALL	(SECX_CONF_HANDSHAKE | SECX_CONF_SEND | SECX_CONF_RECV)
#define T_XFER	(SECX_CONF_SEND | SECX_CONF_RECV)

static const struct ckey {
	const char *key, *opt;
	unsigned int tools;
	enum ctype type;
	double min, max;
	int auth;		/* 1: dropped when the command line picks a method; 2: a method */
} keys[] = {
	{ "identity", "--key", T_ALL, C_PATH, 0, 0, 2 },
	{ "known-peers", "--known-peers", T_ALL, C_PATH, 0, 0, 2 },
	{ "tofu", "--tofu", T_ALL, C_BOOL, 0, 0, 1 },
	{ "psk", "--psk", T_ALL, C_PATH, 0, 0, 2 },
	{ "psk-identity", "--psk-identity", T_ALL, C_NAME, 0, 0, 1 },
	{ "cert", "--cert", T_ALL, C_PATH, 0, 0, 2 },
	{ "ca", "--ca", T_ALL, C_PATH, 0, 0, 2 },
	{ "name", "--name", T_ALL, C_NAME, 0, 0, 1 },
	{ "suites", "--suites", T_ALL, C_SUITES, 0, 0, 0 },
	{ "timeout", "--timeout", T_ALL, C_SECONDS, 0.001, 3600, 0 },
	{ "idle-timeout", "--idle-timeout", T_XFER, C_SECONDS, 0.1, 86400, 0 },
	{ "dir", "--dir", SECX_CONF_RECV, C_PATH, 0, 0, 0 },
	{ "bind", "--bind", SECX_CONF_RECV, C_TEXT, 0, 0, 0 },
	{ "max-handshakes", "--max-handshakes", SECX_CONF_RECV, C_COUNT, 1, 256, 0 },
	{ "max-per-source", "--max-per-source", SECX_CONF_RECV, C_COUNT, 1, 256, 0 },
	{ "rate-per-source", "--rate-per-source", SECX_CONF_RECV, C_COUNT, 0, 100000, 0 },
	{ "rekey-bytes", "--rekey-bytes", T_XFER, C_BUDGET, 1024, 4611686018427387904.0, 0 },
	{ "rekey-records", "--rekey-records", T_XFER, C_BUDGET, 2, 4611686018427387904.0, 0 },
	{ "rekey-seconds", "--rekey-seconds", T_XFER, C_COUNT, 0, 2147483, 0 },
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Options on a command line that choose an authentication method. */
static const char *const auth_methods[] = {
	"--psk", "--key", "--known-peers", "--cert", "--ca", "--anonymous",
};

struct centry {
	char *value;		/* NULL: not set */
	char where[64];		/* "FILE:LINE" for messages (file name shortened) */
	const char *file;
	unsigned int line;	/* line within the file that set it (duplicates) */
};

/* The last error, prefixed with FILE:LINE. */
static int prefix(const char *where)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", secx_strerror());
	return secx_err("%s: %s", where, why);
}

static int check_value(const struct ckey *k, const char *v, const char *where)
{
	uint16_t suites[32];
	char *end;
	double d;

	switch (k->type) {
	case C_PATH:
	case C_TEXT:
		if (strlen(v) >= 4096)
			return secx_err("%s: %s is too long", where, k->key);
		return 0;
	case C_NAME:
		return hs_check_name(k->key, v) ? prefix(where) : 0;
	case C_SUITES:
		return secx_suite_parse_list(v, suites, 32) < 0 ? prefix(where) : 0;
	case C_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return secx_err("%s: %s must be 'yes' or 'no'", where, k->key);
		return 0;
	case C_SECONDS:
	case C_COUNT:
	case C_BUDGET:
		errno = 0;
		d = strtod(v, &end);
		if (*end || errno || isnan(d) || (k->type != C_SECONDS && d != floor(d)) ||
		    d > k->max || (d < k->min && !(k->type == C_BUDGET && d == 0)))
			return secx_err("%s: invalid %s '%s' (%s%s from %g to %.0f)", where, k->key,
					v, k->type == C_BUDGET ? "0, or " : "",
					k->type == C_SECONDS ? "seconds" : "a whole number",
					k->min, k->max);
		return 0;
	}
	return 0;
}

/* Only a file nobody else could have written is read at all. */
static int open_trusted(const char *path, int must_exist, char **text, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	*text = NULL;
	if (fd < 0) {
		/* absent is fine; a dangling symbolic link is not "absent" */
		if (errno == ENOENT && !must_exist && lstat(path, &st) && errno == ENOENT)
			return 0;
		return secx_err("cannot read config %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st)) {
		close(fd);
		return secx_err("cannot read config %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != getuid()) ||
	    (st.st_mode & 022)) {
		close(fd);
		return secx_err("bad owner or permissions on config %s (must be a regular file "
				"owned by you or root, writable by nobody else)", path);
	}
	if (st.st_size > SECX_CONF_FILE_MAX) {
		close(fd);
		return secx_err("config %s is too large (over %d bytes)", path, SECX_CONF_FILE_MAX);
	}
	buf = malloc(SECX_CONF_FILE_MAX + 2);
	if (!buf) {
		close(fd);
		return secx_err("out of memory");
	}
	*len = 0;
	while ((n = read(fd, buf + *len, SECX_CONF_FILE_MAX + 1 - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	if (n < 0 || *len > SECX_CONF_FILE_MAX) {
		free(buf);
		return n < 0 ? secx_err("cannot read config %s: %s", path, strerror(errno)) :
			secx_err("config %s is too large (over %d bytes)", path, SECX_CONF_FILE_MAX);
	}
	buf[*len] = 0;
	*text = buf;
	return 0;
}

/* Parse @path into @e (indexed like keys[]): later files override, one file may not repeat. */
static int parse_file(const char *path, unsigned int tool, int must_exist, struct centry *e)
{
	char *text, *line, *next, *k, *v, *end, where[64], shown[48];
	const struct ckey *key;
	unsigned int lineno = 0, i;
	size_t len, n;
	char sep;
	int ret = -1;

	if (open_trusted(path, must_exist, &text, &len))
		return -1;
	if (!text)
		return 0;
	secx_escape(shown, sizeof(shown), path);
	for (line = text; line < text + len; line = next) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", shown, lineno);
		end = memchr(line, '\n', (size_t)(text + len - line));
		next = end ? end + 1 : text + len;
		n = (size_t)(next - line);
		if (n >= SECX_CONF_LINE_MAX) {
			secx_err("%s: line too long (at most %d bytes)", where, SECX_CONF_LINE_MAX - 1);
			goto out;
		}
		if (end)
			*end = 0;
		for (i = 0; i < n - (end ? 1 : 0); i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
				secx_err("%s: control byte 0x%02x", where, (unsigned char)line[i]);
				goto out;
			}
		k = line + strspn(line, " \t");
		if (!*k || *k == '#')
			continue;
		/* "KEY VALUE", "KEY = VALUE" or "KEY=VALUE" */
		v = k + strcspn(k, " \t=");
		sep = *v;
		if (sep) {
			*v++ = 0;
			v += strspn(v, " \t");
			if (sep != '=' && *v == '=')
				v += 1 + strspn(v + 1, " \t");
		}
		for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); )
			*--end = 0;
		for (key = NULL, i = 0; i < N_KEYS && !key; i++)
			if (!strcmp(k, keys[i].key))
				key = &keys[i];
		if (!key) {
			secx_escape(shown, sizeof(shown), k);
			secx_err("%s: unknown key '%s'", where, shown);
			goto out;
		}
		if (!*v) {
			secx_err("%s: %s needs a value", where, key->key);
			goto out;
		}
		if (check_value(key, v, where))
			goto out;
		i = (unsigned int)(key - keys);
		if (e[i].file == path) {
			secx_err("%s: duplicate key %s (first at line %u)", where, key->key, e[i].line);
			goto out;
		}
		free(e[i].value);
		e[i].value = strdup(v);
		if (!e[i].value) {
			secx_err("out of memory");
			goto out;
		}
		snprintf(e[i].where, sizeof(e[i].where), "%s", where);
		e[i].file = path;
		e[i].line = lineno;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

int secx_conf_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	int n;

	/* the XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored */
	if (xdg && xdg[0] == '/') {
		n = snprintf(out, len, "%s/secx", xdg);
	} else {
		if (!home || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || home[0] != '/')
			return secx_err("cannot find the home directory (HOME not set)");
		n = snprintf(out, len, "%s/.config/secx", home);
	}
	if (n < 0 || (size_t)n >= len)
		return secx_err("configuration directory name too long");
	return 0;
}

static int in_dir(char *out, size_t len, const char *name)
{
	char dir[4096];
	int n;

	if (secx_conf_dir(dir, sizeof(dir)))
		return -1;
	n = snprintf(out, len, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= len ? secx_err("configuration path too long") : 0;
}

int secx_conf_default_key(char *out, size_t len)
{
	return in_dir(out, len, "key");
}

int secx_conf_default_known_peers(char *out, size_t len)
{
	return in_dir(out, len, "known_peers");
}

static const char *system_path(void)
{
#ifdef SECX_TESTING
	/* test builds only: the host tests cannot own /etc/secx */
	const char *t = getenv("SECX_TEST_SYSTEM_CONFIG");

	if (t)
		return t;
#endif
	return SECX_CONF_SYSTEM;
}

int secx_conf_check_file(const char *path, enum secx_conf_tool tool, int must_exist)
{
	struct centry e[N_KEYS] = { 0 };
	unsigned int i;
	int r = parse_file(path, tool, must_exist, e);

	for (i = 0; i < N_KEYS; i++)
		free(e[i].value);
	return r;
}

static int opt_is(const char *a, const char *opt)
{
	size_t n = strlen(opt);

	return !strncmp(a, opt, n) && (a[n] == 0 || a[n] == '=');
}

int secx_conf_argv(enum secx_conf_tool tool, int skip, int *argc, char ***argv)
{
	static char key_path[4096], kp_path[4096], user_path[4096];
	struct centry e[N_KEYS] = { 0 };
	const char *only = NULL;
	int none = 0, cli_auth = 0, conf_auth = 0, i, n = 0, ret = -1;
	char **in = *argv, **out;
	unsigned int k, j;

	for (i = 1 + skip; i < *argc && strcmp(in[i], "--"); i++) {
		if (!strcmp(in[i], "-h") || !strcmp(in[i], "--help") ||
		    !strcmp(in[i], "--version"))
			none = 2;
		for (j = 0; j < sizeof(auth_methods) / sizeof(auth_methods[0]); j++)
			if (opt_is(in[i], auth_methods[j]))
				cli_auth = 1;
		if (!strcmp(in[i], "--no-config") && none != 2)
			none = 1;
		if (opt_is(in[i], "--config")) {
			only = in[i][8] == '=' ? in[i] + 9 : i + 1 < *argc ? in[++i] : NULL;
			if (!only || !*only)
				return secx_err("option --config needs a file name");
		}
	}
	out = calloc((size_t)*argc + 2 * N_KEYS + 8, sizeof(*out));
	if (!out)
		return secx_err("out of memory");
	for (i = 0; i <= skip && i < *argc; i++)
		out[n++] = in[i];
	if (none == 2)
		goto rest;
	if (only && none)
		goto fail_both;
	if (!none) {
		if (only) {
			if (parse_file(only, tool, 1, e))
				goto out;
		} else {
			/* no home directory (a service's user): no user file */
			if (parse_file(system_path(), tool, 0, e) ||
			    (!in_dir(user_path, sizeof(user_path), "config") &&
			     parse_file(user_path, tool, 0, e)))
				goto out;
		}
	}
	for (k = 0; k < N_KEYS; k++)
		if (e[k].value && keys[k].auth == 2 && (keys[k].tools & tool))
			conf_auth = 1;
	for (k = 0; k < N_KEYS; k++) {
		if (!e[k].value || !(keys[k].tools & tool) || (keys[k].auth && cli_auth))
			continue;
		if (keys[k].type == C_BOOL) {
			if (!strcmp(e[k].value, "yes"))
				out[n++] = (char *)keys[k].opt;
			continue;
		}
		out[n++] = (char *)keys[k].opt;
		out[n++] = e[k].value;
		e[k].value = NULL;	/* now owned by the new argv, for the program's life */
	}
	/* the default identity, once `secx-handshake genkey` has made it */
	if (!cli_auth && !conf_auth && !secx_conf_default_key(key_path, sizeof(key_path)) &&
	    !access(key_path, F_OK) &&
	    !secx_conf_default_known_peers(kp_path, sizeof(kp_path))) {
		out[n++] = "--key";
		out[n++] = key_path;
		out[n++] = "--known-peers";
		out[n++] = kp_path;
	}
rest:
	for (i = 1 + skip; i < *argc; i++) {
		if (!strcmp(in[i], "--")) {
			while (i < *argc)
				out[n++] = in[i++];
			break;
		}
		if (!strcmp(in[i], "--no-config"))
			continue;
		if (opt_is(in[i], "--config")) {
			if (in[i][8] != '=')
				i++;
			continue;
		}
		out[n++] = in[i];
	}
	out[n] = NULL;
	*argc = n;
	*argv = out;
	out = NULL;
	ret = 0;
	goto out;
fail_both:
	secx_err("--config and --no-config together");
out:
	for (k = 0; k < N_KEYS; k++)
		free(e[k].value);
	free(out);
	return ret;
}
