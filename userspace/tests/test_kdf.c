// SPDX-License-Identifier: MIT
/*
 * HKDF against RFC 5869 test cases 1-3 (SHA-256), and secx's
 * HKDF-Expand-Label against vectors computed independently (Python hmac)
 * from the layout in kmod/common/kdf_label.h.
 */
#include <stdlib.h>

#include "kdf.h"
#include "tap.h"

static const struct rfc5869_case {
	const char *ikm, *salt, *info, *prk, *okm;
} rfc5869[] = {
	{ /* Test Case 1 */
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c",
	  "f0f1f2f3f4f5f6f7f8f9",
	  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ /* Test Case 2: long inputs */
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ /* Test Case 3: empty salt and info */
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

/* secret = 00 01 02 ... (hash_len bytes) for every row. */
static const struct label_case {
	const char *md;
	size_t secret_len;
	const char *label, *ctx;
	const char *out;
} labels[] = {
	{ "sha256", 32, "key", "", "7b05275c9cd64ce5440449060871836f" },
	{ "sha256", 32, "iv", "", "c81e13dca3965da9334b43e2" },
	{ "sha256", 32, "upd", "",
	  "5e5a04d1753f328f0939f1ae00801bc41608d0be7db2b85690b616ec84cd6afc" },
	{ "sha384", 48, "key", "",
	  "9663bfebb7303d3a0d8abc80a1c900eb4dd08cd9b01068af49121ade0dde9197" },
	{ "sha512", 64, "key", "",
	  "d7c594e10338cc0483d04d096fb7360f91f966adb18639f4e845660df8300d52"
	  "f54c1eca4fbf1f73ec0d82e7d7249ac633611b2d6e3ba7054a9b876495795182"
	  "828bff8f481fd058abc74b68e40137c9ca4286f387d8df2b9cbc41333c2e2ac6" },
	{ "sha512", 64, "upd", "",
	  "bad35520ce447311a7dda9a9824a26dfa491dccda9ce39556f2e5fbb14682fb7"
	  "6cc18d7a5fed888f13136b0de79c3daaed45031d7fada94a675a690ea2481e28" },
	{ "sha256", 32, "key", "abc", "8a52d9dfb66a190165d7af3cb58f6c7c" },
};

static void test_rfc5869(int i, const struct rfc5869_case *c)
{
	uint8_t ikm[128], salt[128], info[128], prk[64], okm[128], want_prk[64], want[128];
	size_t ikm_len = tap_unhex(c->ikm, ikm, sizeof(ikm));
	size_t salt_len = tap_unhex(c->salt, salt, sizeof(salt));
	size_t info_len = tap_unhex(c->info, info, sizeof(info));
	size_t prk_len = 0, want_prk_len = tap_unhex(c->prk, want_prk, sizeof(want_prk));
	size_t okm_len = tap_unhex(c->okm, want, sizeof(want));
	int ok;

	ok = !secx_hkdf_extract("sha256", salt, salt_len, ikm, ikm_len, prk, &prk_len) &&
	     prk_len == want_prk_len && tap_mem_eq(prk, want_prk, prk_len);
	tap_ok(ok, "RFC 5869 test case %d: extract", i + 1);
	ok = !secx_hkdf_expand("sha256", want_prk, want_prk_len, info, info_len, okm, okm_len) &&
	     tap_mem_eq(okm, want, okm_len);
	tap_ok(ok, "RFC 5869 test case %d: expand (L=%zu)", i + 1, okm_len);
}

static void test_label(const struct label_case *c)
{
	uint8_t secret[64], out[128], want[128];
	size_t i, n = tap_unhex(c->out, want, sizeof(want));
	int ok;

	for (i = 0; i < c->secret_len; i++)
		secret[i] = (uint8_t)i;
	ok = !secx_hkdf_expand_label(c->md, secret, c->secret_len, c->label,
				     (const uint8_t *)c->ctx, strlen(c->ctx), out, n) &&
	     tap_mem_eq(out, want, n);
	tap_ok(ok, "expand-label %s \"secx %s\" ctx \"%s\" L=%zu", c->md, c->label, c->ctx, n);
}

static void test_errors(void)
{
	uint8_t secret[32] = { 1 }, out[32 * 256];
	char long_label[260];

	memset(long_label, 'a', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = 0;
	tap_ok(secx_hkdf_expand("sha256", secret, 32, NULL, 0, out, 255 * 32 + 1) == -1,
	       "expand refuses L > 255 * HashLen");
	tap_ok(secx_hkdf_expand("sha256", secret, 32, NULL, 0, out, 255 * 32) == 0,
	       "expand allows L = 255 * HashLen");
	tap_ok(secx_hkdf_expand("no-such-md", secret, 32, NULL, 0, out, 16) == -1,
	       "expand refuses an unknown digest");
	tap_ok(secx_hkdf_expand_label("sha256", secret, 32, long_label, NULL, 0, out, 16) == -1,
	       "expand-label refuses a label over 255 bytes");
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(rfc5869) / sizeof(rfc5869[0]); i++)
		test_rfc5869((int)i, &rfc5869[i]);
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		test_label(&labels[i]);
	test_errors();
	return tap_done();
}
