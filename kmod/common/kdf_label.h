/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Byte layout of the HKDF labels secx derives keys with, shared by secx.ko
 * (in-kernel rekey) and libsecx (handshake).  Documentation/protocol.rst,
 * section "Key derivation".
 *
 *   HKDF-Expand-Label(Secret, Label, Context, Length) =
 *       HKDF-Expand(Secret, HkdfLabel, Length)
 *   HkdfLabel = uint16 Length || uint8 len(L) || L || uint8 len(Context) || Context
 *   L = "secx " || Label
 *
 * From a direction's traffic secret:
 *   key          = HKDF-Expand-Label(secret, "key", "", key_len)
 *                  (CBC suites: AES key || HMAC key, one expansion)
 *   iv           = HKDF-Expand-Label(secret, "iv",  "", 12)
 *   next secret  = HKDF-Expand-Label(secret, "upd", "", hash_len)
 */
#ifndef SECX_COMMON_KDF_LABEL_H
#define SECX_COMMON_KDF_LABEL_H

#include "wire.h"

#define SECX_LABEL_PREFIX	"secx "
#define SECX_LABEL_KEY		"key"
#define SECX_LABEL_IV		"iv"
#define SECX_LABEL_UPDATE	"upd"
#define SECX_KDF_MAX_INFO	(2 + 1 + 255 + 1 + 255)

/*
 * Write the HkdfLabel for (@label, @ctx) into @out (at least
 * SECX_KDF_MAX_INFO bytes) and return its length, or 0 if the label or the
 * context is too long.
 */
static inline unsigned int secx_kdf_info(u8 *out, u16 length, const char *label,
					 const u8 *ctx, unsigned int ctx_len)
{
	static const char prefix[] = SECX_LABEL_PREFIX;
	unsigned int plen = sizeof(prefix) - 1, llen = 0, n = 0, i;

	while (label[llen])
		llen++;
	if (plen + llen > 255 || ctx_len > 255)
		return 0;
	out[n++] = (u8)(length >> 8);
	out[n++] = (u8)length;
	out[n++] = (u8)(plen + llen);
	for (i = 0; i < plen; i++)
		out[n++] = (u8)prefix[i];
	for (i = 0; i < llen; i++)
		out[n++] = (u8)label[i];
	out[n++] = (u8)ctx_len;
	for (i = 0; i < ctx_len; i++)
		out[n++] = ctx[i];
	return n;
}

#endif /* SECX_COMMON_KDF_LABEL_H */
