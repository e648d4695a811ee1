/* SPDX-License-Identifier: MIT */
/*
 * The configuration file of the secx tools (Documentation/tools.rst,
 * "Configuration"): /etc/secx/config, then the user's
 * $XDG_CONFIG_HOME/secx/config (~/.config/secx/config), or only the file
 * given with --config FILE (--no-config: none).  Each "KEY VALUE" line
 * stands for the option --KEY VALUE placed before the command line, so
 * the command line overrides it; authentication keys are dropped as a
 * group when the command line chooses an authentication method.
 * Internal to the tools: not part of libsecx's public API.
 */
#ifndef SECX_CONF_H
#define SECX_CONF_H

#define SECX_CONF_SYSTEM	"/etc/secx/config"
#define SECX_CONF_LINE_MAX	1024	/* bytes per line, newline included */
#define SECX_CONF_FILE_MAX	65536	/* bytes per file */

/* Which tool is asking: selects the keys that apply to it. */
enum secx_conf_tool {
	SECX_CONF_HANDSHAKE	= 1 << 0,	/* connect, listen, --fd */
	SECX_CONF_SEND		= 1 << 1,
	SECX_CONF_RECV		= 1 << 2,
};

/*
 * Rewrite (*argc, *argv) into: argv[0], the first @skip arguments after
 * it unchanged (secx-handshake's subcommand), the options the config
 * files give this tool, then the rest of the command line without
 * --config FILE / --no-config.  With -h, --help or --version anywhere,
 * nothing is read.  When neither the command line nor a config file
 * chooses an authentication method and the default key
 * (secx_conf_default_key()) exists, --key and --known-peers name the
 * default files.  0, or -1 with secx_strerror() set ("FILE:LINE: ...").
 */
int secx_conf_argv(enum secx_conf_tool tool, int skip, int *argc, char ***argv);

/*
 * Parse one config file (for tests and the fuzzer): 0 (a missing file
 * is fine when @must_exist is 0), -1 with secx_strerror() set.
 */
int secx_conf_check_file(const char *path, enum secx_conf_tool tool, int must_exist);

/* $XDG_CONFIG_HOME/secx or ~/.config/secx (no trailing '/'); 0 or -1. */
int secx_conf_dir(char *out, size_t len);
/* The default identity and pin store: DIR/key, DIR/known_peers. */
int secx_conf_default_key(char *out, size_t len);
int secx_conf_default_known_peers(char *out, size_t len);

#endif
