// SPDX-License-Identifier: GPL-2.0
/*
 * ULP attach and detach: when "secx" may be attached to a socket, what it
 * refuses (with the same errno as kTLS's "tls" ULP), that the socket stays
 * plain TCP until keys are installed, and that the module is pinned while
 * a socket uses it.  Every test runs over IPv4 and IPv6.
 */
#include <sys/syscall.h>

#include "lib.h"
#include "kselftest_harness.h"

FIXTURE(attach)
{
	int c, s;
};

FIXTURE_VARIANT(attach)
{
	int family;
};

FIXTURE_VARIANT_ADD(attach, ipv4) { .family = AF_INET };
FIXTURE_VARIANT_ADD(attach, ipv6) { .family = AF_INET6 };

FIXTURE_SETUP(attach)
{
	ASSERT_EQ(0, tcp_pair(variant->family, &self->c, &self->s));
}

FIXTURE_TEARDOWN(attach)
{
	close(self->c);
	close(self->s);
}

/* errno of attaching @ulp to a fresh socket made by @make, or 0. */
static int attach_errno(int (*make)(int family), int family, const char *ulp)
{
	int fd = make(family), err;

	if (fd < 0)
		return -1000;
	err = attach_ulp(fd, ulp);
	close(fd);
	return err;
}

static int make_unconnected(int family)
{
	return socket(family, SOCK_STREAM, 0);
}

static int make_listening(int family)
{
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd >= 0 && listen(fd, 1)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int make_udp(int family)
{
	return socket(family, SOCK_DGRAM, 0);
}

TEST_F(attach, established)
{
	char name[16] = { 0 };
	socklen_t len = sizeof(name);

	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	ASSERT_EQ(0, getsockopt(self->c, SOL_TCP, TCP_ULP, name, &len));
	EXPECT_STREQ(SECX_ULP_NAME, name);
}

TEST_F(attach, plain_until_keys)
{
	char buf[32] = { 0 };

	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	ASSERT_EQ(0, attach_ulp(self->s, SECX_ULP_NAME));
	ASSERT_EQ(0, write_all(self->c, "plain tcp", 9));
	ASSERT_EQ(9, read_all(self->s, buf, 9));
	EXPECT_EQ(0, memcmp(buf, "plain tcp", 9));
	ASSERT_EQ(0, write_all(self->s, "back", 4));
	ASSERT_EQ(4, read_all(self->c, buf, 4));
	EXPECT_EQ(0, memcmp(buf, "back", 4));
}

TEST_F(attach, refused_like_tls)
{
	int secx_err, tls_err;

	/* kTLS must be there to compare with; its absence is a failure. */
	secx_err = attach_errno(make_unconnected, variant->family, SECX_ULP_NAME);
	tls_err = attach_errno(make_unconnected, variant->family, "tls");
	EXPECT_EQ(-ENOTCONN, secx_err);
	EXPECT_EQ(tls_err, secx_err);

	secx_err = attach_errno(make_listening, variant->family, SECX_ULP_NAME);
	tls_err = attach_errno(make_listening, variant->family, "tls");
	EXPECT_NE(0, secx_err);
	EXPECT_EQ(tls_err, secx_err);

	secx_err = attach_errno(make_udp, variant->family, SECX_ULP_NAME);
	tls_err = attach_errno(make_udp, variant->family, "tls");
	EXPECT_NE(0, secx_err);
	EXPECT_EQ(tls_err, secx_err);
}

TEST_F(attach, refused_twice)
{
	int fd2, fd3;

	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	EXPECT_EQ(-EEXIST, attach_ulp(self->c, SECX_ULP_NAME));
	EXPECT_EQ(-EEXIST, attach_ulp(self->c, "tls"));
	/* and the other way round: secx after kTLS */
	ASSERT_EQ(0, tcp_pair(variant->family, &fd2, &fd3));
	ASSERT_EQ(0, attach_ulp(fd2, "tls"));
	EXPECT_EQ(-EEXIST, attach_ulp(fd2, SECX_ULP_NAME));
	close(fd2);
	close(fd3);
}

TEST_F(attach, refused_unix)
{
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(attach_ulp(sv[0], "tls"), attach_ulp(sv[0], SECX_ULP_NAME));
	EXPECT_NE(0, attach_ulp(sv[0], SECX_ULP_NAME));
	close(sv[0]);
	close(sv[1]);
}

TEST_F(attach, no_listen_after_attach)
{
	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	EXPECT_EQ(-1, listen(self->c, 1));
}

TEST_F(attach, disconnect_refused)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	EXPECT_EQ(-1, connect(self->c, &sa, sizeof(sa)));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(attach, info_without_keys)
{
	struct secx_info si;
	socklen_t len = sizeof(si) - 1;

	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	ASSERT_EQ(0, get_info(self->c, &si));
	EXPECT_EQ(SECX_ABI_VERSION, si.version);
	EXPECT_EQ(0, si.flags);
	EXPECT_EQ(-1, getsockopt(self->c, SOL_SECX, SECX_INFO, &si, &len));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(attach, other_levels_still_tcp)
{
	int one = 1, val = 0;
	socklen_t len = sizeof(val);

	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	ASSERT_EQ(0, setsockopt(self->c, SOL_TCP, TCP_NODELAY, &one, sizeof(one)));
	ASSERT_EQ(0, getsockopt(self->c, SOL_TCP, TCP_NODELAY, &val, &len));
	EXPECT_EQ(1, val);
}

TEST_F(attach, getsockname_ok)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	ASSERT_EQ(0, getsockname(self->c, (struct sockaddr *)&ss, &len));
	EXPECT_EQ(variant->family, ss.ss_family);
}

static int module_refcount(void)
{
	char name[64];
	int size, refs = -1;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %d %d%*[^\n]", name, &size, &refs) == 3)
		if (!strcmp(name, "secx"))
			break;
		else
			refs = -1;
	fclose(f);
	return refs;
}

static int delete_module(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* The module is pinned by every attached socket, and only by them. */
TEST_F(attach, module_pinned_while_used)
{
	int before = module_refcount();

	ASSERT_LE(0, before);
	ASSERT_EQ(0, attach_ulp(self->c, SECX_ULP_NAME));
	EXPECT_EQ(before + 1, module_refcount());
	EXPECT_EQ(-EWOULDBLOCK, delete_module("secx"));
	close(self->c);
	self->c = socket(AF_INET, SOCK_STREAM, 0);
	/* TCP may keep the closed socket briefly while FINs are exchanged */
	for (int i = 0; i < 50 && module_refcount() != before; i++)
		usleep(20000);
	EXPECT_EQ(before, module_refcount());
}

/* The ULP alias loads the module on first use. */
TEST(autoload)
{
	int c, s, i;

	for (i = 0; i < 50 && delete_module("secx") == -EWOULDBLOCK; i++)
		usleep(20000);
	ASSERT_EQ(-1, module_refcount());
	ASSERT_EQ(0, tcp_pair(AF_INET, &c, &s));
	EXPECT_EQ(0, attach_ulp(c, SECX_ULP_NAME));
	EXPECT_EQ(1, module_refcount());
	close(c);
	close(s);
}

TEST_HARNESS_MAIN
