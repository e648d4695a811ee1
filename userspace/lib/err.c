// SPDX-License-Identifier: MIT
/*
 * libsecx error and warning sink: one thread-local line per failure, plus
 * the names used in every message (alerts, message types, auth methods).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "hs.h"

static __thread char last_error[512];

const char *secx_strerror(void)
{
	return last_error[0] ? last_error : "no error";
}

/* Set the thread's error line; always returns -1 so callers can "return secx_err(...)". */
int secx_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return -1;
}

/* An OpenSSL failure: name what failed and drain the OpenSSL error queue. */
int secx_err_ossl(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "unknown error";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return secx_err("%s: %s", what, buf);
}

void secx_warn(const struct secx_cfg *cfg, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cfg && cfg->warn)
		cfg->warn(cfg->warn_arg, msg);
	else
		fprintf(stderr, "secx: warning: %s\n", msg);
}

static const char *const alert_names[] = {
	[HS_AL_PROTOCOL_VERSION]	= "unsupported protocol version",
	[HS_AL_DECODE_ERROR]		= "malformed handshake message",
	[HS_AL_UNEXPECTED_MESSAGE]	= "unexpected handshake message",
	[HS_AL_NO_COMMON_SUITE]		= "no cipher suite in common",
	[HS_AL_AUTH_MISMATCH]		= "authentication method mismatch",
	[HS_AL_UNKNOWN_PSK_IDENTITY]	= "unknown PSK identity",
	[HS_AL_BAD_FINISHED]		= "Finished does not verify",
	[HS_AL_UNKNOWN_PEER]		= "unknown peer key",
	[HS_AL_PEER_KEY_CHANGED]	= "peer key changed",
	[HS_AL_BAD_CERTIFICATE]		= "bad certificate",
	[HS_AL_CERTIFICATE_REQUIRED]	= "certificate required",
	[HS_AL_BAD_SIGNATURE]		= "bad signature",
	[HS_AL_INTERNAL_ERROR]		= "internal error",
};

const char *hs_alert_name(unsigned int code)
{
	if (code < sizeof(alert_names) / sizeof(alert_names[0]) && alert_names[code])
		return alert_names[code];
	return "unknown alert";
}

const char *hs_type_name(unsigned int type)
{
	static const char *const names[] = {
		[HS_CLIENT_HELLO] = "ClientHello", [HS_SERVER_HELLO] = "ServerHello",
		[HS_IDENTITY] = "Identity", [HS_VERIFY] = "Verify",
		[HS_FINISHED] = "Finished", [HS_CONFIRM] = "Confirm", [HS_ALERT] = "Alert",
		[HS_ENCRYPTED] = "Encrypted",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown message";
}

const char *hs_auth_name(unsigned int auth)
{
	switch (auth) {
	case SECX_AUTH_PSK:	return "psk";
	case SECX_AUTH_ED25519:	return "ed25519";
	case SECX_AUTH_X509:	return "x509";
	case SECX_AUTH_ANON:	return "anonymous";
	default:		return "unknown";
	}
}

/* Lower-case hex of @n bytes, truncated (with "..") to fit @out_len. */
void hs_hex(char *out, size_t out_len, const uint8_t *in, size_t n)
{
	size_t i, o = 0;

	if (!out_len)
		return;
	for (i = 0; i < n && o + 2 < out_len; i++)
		o += (size_t)snprintf(out + o, out_len - o, "%02x", in[i]);
	out[o] = 0;
	if (i < n && out_len > 3)
		memcpy(out + out_len - 3, "..", 3);
}

void secx_escape(char *out, size_t out_len, const char *in)
{
	size_t o = 0;
	unsigned char c;
	char e[5];

	if (!out_len)
		return;
	for (; in && (c = (unsigned char)*in); in++) {
		if (c >= 0x20 && c <= 0x7e && c != '\\') {
			e[0] = (char)c;
			e[1] = 0;
		} else if (c == '\\') {
			memcpy(e, "\\\\", 3);
		} else {
			snprintf(e, sizeof(e), "\\x%02x", c);
		}
		if (o + strlen(e) >= out_len)
			break;
		memcpy(out + o, e, strlen(e));
		o += strlen(e);
	}
	out[o] = 0;
}

int hs_name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len > SECX_NAME_MAX || s[0] == '#')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] > '~')
			return 0;
	return 1;
}

int hs_check_name(const char *what, const char *s)
{
	char esc[4 * 64 + 1];

	if (hs_name_ok(s, strlen(s)))
		return 0;
	secx_escape(esc, sizeof(esc), s);
	if (!s[0])
		return secx_err("empty %s", what);
	return secx_err("invalid %s '%s': 1..%d printable ASCII characters without spaces, "
			"not starting with '#'", what, esc, SECX_NAME_MAX);
}
