/* SPDX-License-Identifier: MIT */
/*
 * Known-answer vectors of Documentation/protocol.rst, section "Test
 * vectors".  The inputs are fixed here; gen_vectors prints the outputs the
 * codec computes from them (that output is what the document shows), and
 * test_record asserts both that the codec still computes the expected hex
 * below and that each expected string appears in protocol.rst.
 *
 * The expected values were cross-checked against an independent
 * implementation (Python "cryptography" + hmac) when they were generated.
 */
#ifndef SECX_TESTS_VECTORS_H
#define SECX_TESTS_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#define VEC_DATA	"SECURE_X record test"		/* 20 bytes, type DATA */
#define VEC_SEQ		0x0000000000010203ULL
#define VEC_CBC_IV	"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"

/* Traffic secret of suite @suite: byte i = 0x10 * suite + i, hash_len bytes. */
static inline void vec_secret(unsigned int suite, uint8_t *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(0x10 * suite + i);
}

/* Hex string to bytes; returns the byte count. */
static inline size_t vec_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi, lo;

	while (n < max && hex[0] && hex[1]) {
		hi = hex[0] <= '9' ? hex[0] - '0' : (hex[0] | 0x20) - 'a' + 10;
		lo = hex[1] <= '9' ? hex[1] - '0' : (hex[1] | 0x20) - 'a' + 10;
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}

struct vec_record {
	unsigned int suite;
	const char *key, *iv, *record;	/* expected, hex */
};

/*
 * Key update vector: suite 1, secret vec_secret(1), seq 0: a KEY_UPDATE
 * record with flags 0x01, the next secret/key/iv, then a DATA record
 * carrying VEC_DATA at seq 0 under the new key.
 */
#define VEC_KU_SUITE	1
#define VEC_KU_FLAGS	0x01

struct vec_key_update {
	const char *ku_record, *next_secret, *next_key, *next_iv, *data_record;
};

static const struct vec_record vec_records[] = {
	{ 1, "c9f7ae858e5b4972c0e5955e515cd164", "85d7503f65c0c477648b2369",
	  "0100002538554d90d1fac9c8c4cca591e9456a459c629e6e9958eba96ed67090"
	  "c713c260a43ac8664e" },
	{ 2, "b4a8e7ffc475dfc2989565969362ee0ccfef609a663bf1eafbeedfe579deed36",
	  "8273487a9c0126317e39464b",
	  "01000025e821f114a78431847aef0681c4e22c8010b5b41a85396c7871b886da"
	  "cbbd648aa0cc29b18a" },
	{ 3, "782e6da6715da24967f229ac1d16e3f1b02a8ac50441b4f5efbfe919e2a52c98",
	  "7c751a5887b8f73a294c6fe2",
	  "01000025e979ef32f71c4aa528099d5635d22f5a4de708a9708d027eb2b95d49"
	  "7adc6400f628648e27" },
	{ 4, "1be7fb842db41e1dd5dbdaf96522359c"
	     "aadbe16470e26f1128b8c9b4963d6535a0800fa0c3842fa88492f1a95959c6f1",
	  "d7cd80b154529bd0d349d402",
	  "01000050a0a1a2a3a4a5a6a7a8a9aaabacadaeaf1b1cb7c795d4f577e7db838e"
	  "1c45ae5ca67ad43244850461d54356c54f81a8f782bcc5b1402417278373c275"
	  "2b1eec325d142f87d8b4768717d6613847bbc582" },
	{ 5, "21fff824b26c08e7cbbf7e2765d52fc422c1a79150c95d93792e85328ca5669b"
	     "2d3cdaf0175611171870778e32c37636d71b1e781a54e298aafb4debec919f07"
	     "2690ae52c26ea4fe00329f9108fc1e0cab89fb85050bc797d1db81ead1f3c258",
	  "f085e4ed45b474be2acb4bcd",
	  "01000070a0a1a2a3a4a5a6a7a8a9aaabacadaeaf5730f90709396bd950536431"
	  "b72a63b682fab4a192f44c77a0d70f341b1759e33833c432c70e59032abef780"
	  "db59f2249a09dbeafd70c96b86a8801c83ef3f571eb6796ccc449b589073878a"
	  "18a685aa1f6fa02fb084e51ca2fb3a08ee4415b2" },
};

static const struct vec_key_update vec_ku = {
	.ku_record	= "010000128c12818c58a7f5939031928240dcf518bb55",
	.next_secret	= "d5d70985fc5fd07e47a4e258fbd5a01120b8720da44164dbbc6b06b0816b8c0e",
	.next_key	= "a823c0f6f5713943a56237a63d189c2f",
	.next_iv	= "bf29082fcc4ede7152465b1f",
	.data_record	= "010000251070f86235017185782a064e54d441eb0c3f0b6646c1d2d75d70a894"
			  "bf9e396a8226333fd5",
};

#endif /* SECX_TESTS_VECTORS_H */
