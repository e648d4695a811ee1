// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace counters, shown in /proc/net/secx_stat.  The kernel's
 * SNMP MIB enum is closed to modules, so secx keeps its own percpu array.
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "secx.h"

struct secx_mib {
	u64 stat[SECX_STAT_NUM];
	u64 records[2][SECX_SUITE_MAX + 1];	/* [tx][suite] */
	u64 bytes[2][SECX_SUITE_MAX + 1];
};

struct secx_net {
	struct secx_mib __percpu *mib;
};

static unsigned int secx_net_id __read_mostly;

static const char * const secx_stat_names[SECX_STAT_NUM] = {
	[SECX_STAT_CURR_SOCKETS]	= "CurrSockets",
	[SECX_STAT_CURR_TX]		= "CurrTx",
	[SECX_STAT_CURR_RX]		= "CurrRx",
	[SECX_STAT_DECRYPT_ERRORS]	= "DecryptErrors",
	[SECX_STAT_PROTOCOL_ERRORS]	= "ProtocolErrors",
	[SECX_STAT_TRUNCATIONS]		= "Truncations",
	[SECX_STAT_CLOSE_SENT]		= "CloseSent",
	[SECX_STAT_CLOSE_RECEIVED]	= "CloseReceived",
	[SECX_STAT_TX_REKEYS]		= "TxRekeys",
	[SECX_STAT_RX_REKEYS]		= "RxRekeys",
};

static struct secx_mib __percpu *secx_mib(struct net *net)
{
	struct secx_net *sn = net_generic(net, secx_net_id);

	return sn->mib;
}

void secx_stat_add(struct net *net, enum secx_stat stat, long delta)
{
	this_cpu_add(secx_mib(net)->stat[stat], delta);
}

void secx_stat_record(struct net *net, bool tx, unsigned int suite, unsigned int bytes)
{
	struct secx_mib __percpu *mib = secx_mib(net);

	if (suite > SECX_SUITE_MAX)
		return;
	this_cpu_inc(mib->records[tx][suite]);
	this_cpu_add(mib->bytes[tx][suite], bytes);
}

static u64 secx_sum(struct secx_mib __percpu *mib, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((u8 *)per_cpu_ptr(mib, cpu) + offset);
	return sum;
}

static int secx_stat_show(struct seq_file *seq, void *v)
{
	struct secx_mib __percpu *mib = secx_mib(seq_file_single_net(seq));
	unsigned int i, dir;

	for (i = 0; i < SECX_STAT_NUM; i++)
		seq_printf(seq, "%-32s%lld\n", secx_stat_names[i],
			   (s64)secx_sum(mib, offsetof(struct secx_mib, stat[i])));
	for (i = 0; i < SECX_NUM_SUITES; i++) {
		const struct secx_suite_desc *s = &secx_suites[i];

		for (dir = 0; dir < 2; dir++) {
			seq_printf(seq, "%sRecords-%-22s%llu\n", dir ? "Tx" : "Rx", s->name,
				   secx_sum(mib, offsetof(struct secx_mib, records[dir][s->id])));
			seq_printf(seq, "%sBytes-%-24s%llu\n", dir ? "Tx" : "Rx", s->name,
				   secx_sum(mib, offsetof(struct secx_mib, bytes[dir][s->id])));
		}
	}
	return 0;
}

static int __net_init secx_net_init(struct net *net)
{
	struct secx_net *sn = net_generic(net, secx_net_id);

	sn->mib = alloc_percpu(struct secx_mib);
	if (!sn->mib)
		return -ENOMEM;
	if (!proc_create_net_single("secx_stat", 0444, net->proc_net, secx_stat_show, NULL)) {
		free_percpu(sn->mib);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit secx_net_exit(struct net *net)
{
	struct secx_net *sn = net_generic(net, secx_net_id);

	remove_proc_entry("secx_stat", net->proc_net);
	free_percpu(sn->mib);
}

static struct pernet_operations secx_net_ops = {
	.init = secx_net_init,
	.exit = secx_net_exit,
	.id = &secx_net_id,
	.size = sizeof(struct secx_net),
};

int secx_proc_init(void)
{
	return register_pernet_subsys(&secx_net_ops);
}

void secx_proc_exit(void)
{
	unregister_pernet_subsys(&secx_net_ops);
}
