// SPDX-License-Identifier: MIT
/*
 * Suite names and the default policy (Documentation/handshake.rst,
 * "Suite negotiation").  The table itself is kmod/common/suites.h.
 */
#include <string.h>

#include "hs.h"

/*
 * Default policy, in preference order: AES-128-GCM first (fastest with
 * AES-NI/VAES, 128-bit security), then AES-256-GCM, then ChaCha20-Poly1305
 * for CPUs without AES instructions.  The CBC+HMAC suites are never
 * offered or accepted unless listed explicitly (--suites).
 */
static const uint16_t default_suites[] = {
	SECX_SUITE_AES_128_GCM_SHA256,
	SECX_SUITE_AES_256_GCM_SHA384,
	SECX_SUITE_CHACHA20_POLY1305_SHA256,
};

unsigned int secx_default_suites(const uint16_t **out)
{
	*out = default_suites;
	return sizeof(default_suites) / sizeof(default_suites[0]);
}

const char *secx_suite_name(unsigned int id)
{
	const struct secx_suite_desc *s = secx_suite_find(id);

	return s ? s->name : NULL;
}

int secx_suite_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < SECX_NUM_SUITES; i++)
		if (!strcmp(secx_suites[i].name, name))
			return secx_suites[i].id;
	return -1;
}

int secx_suite_parse_list(const char *list, uint16_t *out, unsigned int max)
{
	char buf[512], *tok, *save = NULL;
	unsigned int n = 0, i;
	int id;

	if (strlen(list) >= sizeof(buf))
		return secx_err("suite list too long");
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		id = secx_suite_by_name(tok);
		if (id < 0)
			return secx_err("unknown cipher suite '%s' (known: aes-128-gcm, "
					"aes-256-gcm, chacha20-poly1305, aes-128-cbc-hmac-sha256, "
					"aes-256-cbc-hmac-sha512)", tok);
		for (i = 0; i < n; i++)
			if (out[i] == id)
				return secx_err("cipher suite '%s' listed twice", tok);
		if (n == max)
			return secx_err("too many cipher suites (at most %u)", max);
		out[n++] = (uint16_t)id;
	}
	if (!n)
		return secx_err("empty cipher suite list");
	return (int)n;
}
