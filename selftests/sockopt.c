// SPDX-License-Identifier: GPL-2.0
/*
 * SOL_SECX option validation: every malformed key install is refused with
 * EINVAL (EBUSY when keys are already there), and nothing that looks like
 * key material can ever be read back.
 */
#include "lib.h"
#include "kselftest_harness.h"

FIXTURE(opt)
{
	int c, s;
	struct secx_crypto_info info;
};

FIXTURE_SETUP(opt)
{
	ASSERT_EQ(0, tcp_pair(AF_INET, &self->c, &self->s));
	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	fill_info(&self->info, SECX_SUITE_AES_128_GCM_SHA256, 1);
}

FIXTURE_TEARDOWN(opt)
{
	close(self->c);
	close(self->s);
}

static int set_info(int fd, int dir, const struct secx_crypto_info *info, socklen_t len)
{
	return setsockopt(fd, SOL_SECX, dir, info, len) ? errno : 0;
}

TEST_F(opt, valid_install_both_directions)
{
	EXPECT_EQ(0, set_info(self->c, SECX_TX, &self->info, sizeof(self->info)));
	EXPECT_EQ(0, set_info(self->c, SECX_RX, &self->info, sizeof(self->info)));
}

TEST_F(opt, second_install_is_ebusy)
{
	ASSERT_EQ(0, set_info(self->c, SECX_TX, &self->info, sizeof(self->info)));
	EXPECT_EQ(EBUSY, set_info(self->c, SECX_TX, &self->info, sizeof(self->info)));
	ASSERT_EQ(0, set_info(self->c, SECX_RX, &self->info, sizeof(self->info)));
	EXPECT_EQ(EBUSY, set_info(self->c, SECX_RX, &self->info, sizeof(self->info)));
}

TEST_F(opt, bad_sizes)
{
	EXPECT_EQ(EINVAL, set_info(self->c, SECX_TX, &self->info, sizeof(self->info) - 1));
	EXPECT_EQ(EINVAL, set_info(self->c, SECX_TX, &self->info, 0));
	EXPECT_EQ(EFAULT, set_info(self->c, SECX_TX, (void *)8, sizeof(self->info)));
}

/* Each malformation on its own must be refused, and leave no keys behind. */
TEST_F(opt, bad_fields)
{
	struct secx_crypto_info i;

#define REFUSED(mutation) do {							\
		i = self->info;							\
		mutation;							\
		EXPECT_EQ(EINVAL, set_info(self->c, SECX_TX, &i, sizeof(i)))	\
			TH_LOG("%s", #mutation);				\
	} while (0)

	REFUSED(i.version = 0);
	REFUSED(i.version = SECX_ABI_VERSION + 1);
	REFUSED(i.suite = SECX_SUITE_NONE);
	REFUSED(i.suite = SECX_SUITE_MAX + 1);
	REFUSED(i.key_len = 32);
	REFUSED(i.key_len = 15);
	REFUSED(i.secret_len = 48);
	REFUSED(i.flags = 1);
	REFUSED(i.reserved0 = 1);
	REFUSED(i.reserved[31] = 1);
	REFUSED(i.iv[12] = 1);
	REFUSED(i.key[16] = 1);		/* bytes beyond key_len must be zero */
#undef REFUSED
	/* none of the refused installs counted: a valid one still works */
	EXPECT_EQ(0, set_info(self->c, SECX_TX, &self->info, sizeof(self->info)));
}

TEST_F(opt, no_secret_is_allowed)
{
	self->info.secret_len = 0;
	memset(self->info.secret, 0, sizeof(self->info.secret));
	EXPECT_EQ(0, set_info(self->c, SECX_TX, &self->info, sizeof(self->info)));
}

TEST_F(opt, every_suite_installs)
{
	for (uint16_t id = 1; id <= SECX_SUITE_MAX; id++) {
		int c, s;
		struct secx_crypto_info i;

		ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
		ASSERT_EQ(0, attach_ulp(c, SECX_ULP_NAME));
		fill_info(&i, id, 2);
		EXPECT_EQ(0, set_info(c, SECX_TX, &i, sizeof(i))) TH_LOG("suite %u", id);
		EXPECT_EQ(0, set_info(c, SECX_RX, &i, sizeof(i))) TH_LOG("suite %u", id);
		close(c);
		close(s);
	}
}

/* Keys are write-only: no option returns them, SECX_INFO holds none. */
TEST_F(opt, keys_never_readable)
{
	uint8_t buf[512];
	socklen_t len = sizeof(buf);
	struct secx_info si;
	size_t i;

	ASSERT_EQ(0, set_info(self->c, SECX_TX, &self->info, sizeof(self->info)));
	EXPECT_EQ(-1, getsockopt(self->c, SOL_SECX, SECX_TX, buf, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = sizeof(buf);
	EXPECT_EQ(-1, getsockopt(self->c, SOL_SECX, SECX_RX, buf, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	ASSERT_EQ(0, get_info(self->c, &si));
	for (i = 0; i + 4 <= sizeof(si); i++) {
		EXPECT_NE(0, memcmp((uint8_t *)&si + i, self->info.key, 4));
		EXPECT_NE(0, memcmp((uint8_t *)&si + i, self->info.secret, 4));
		EXPECT_NE(0, memcmp((uint8_t *)&si + i, self->info.iv, 4));
	}
	EXPECT_EQ(SECX_SUITE_AES_128_GCM_SHA256, si.tx_suite);
	EXPECT_EQ(SECX_INFO_TX_READY, si.flags);
}

TEST_F(opt, unknown_option)
{
	int v = 0;

	EXPECT_EQ(ENOPROTOOPT, setsockopt(self->c, SOL_SECX, 99, &v, sizeof(v)) ? errno : 0);
}

/* Without the ULP, SOL_SECX means nothing to TCP. */
TEST_F(opt, needs_the_ulp)
{
	EXPECT_EQ(ENOPROTOOPT, set_info(self->s, SECX_TX, &self->info, sizeof(self->info)));
}

TEST_HARNESS_MAIN
