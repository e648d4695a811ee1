// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state: the counters, shown in /proc/net/secx_stat
 * and by SECX_CMD_GET_STATS (both through secx_stat_sum()), and the rekey
 * budgets new TX keys start with (rekey.c fills them in when the namespace
 * is created, netlink.c changes them).  The kernel's SNMP MIB enum is closed
 * to modules, so secx keeps its own percpu array.
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "secx.h"
#include "stat_names.h"

struct secx_net {
	struct secx_mib __percpu *mib;
	spinlock_t lock;			/* rekey_defaults */
	struct secx_rekey_limits rekey_defaults;
};

static unsigned int secx_net_id __read_mostly;

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

/* Sum the percpu counters of @net into @sum (the one reader of them). */
void secx_stat_sum(struct net *net, struct secx_mib *sum)
{
	struct secx_mib __percpu *mib = secx_mib(net);
	const u64 *p;
	u64 *out = (u64 *)sum;
	unsigned int i;
	int cpu;

	BUILD_BUG_ON(sizeof(*sum) % sizeof(u64));
	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		p = (const u64 *)per_cpu_ptr(mib, cpu);
		for (i = 0; i < sizeof(*sum) / sizeof(u64); i++)
			out[i] += p[i];
	}
}

void secx_net_get_defaults(struct net *net, struct secx_rekey_limits *l)
{
	struct secx_net *sn = net_generic(net, secx_net_id);

	spin_lock(&sn->lock);
	*l = sn->rekey_defaults;
	spin_unlock(&sn->lock);
}

void secx_net_set_defaults(struct net *net, const struct secx_rekey_limits *l)
{
	struct secx_net *sn = net_generic(net, secx_net_id);

	spin_lock(&sn->lock);
	sn->rekey_defaults = *l;
	spin_unlock(&sn->lock);
}

static int secx_stat_show(struct seq_file *seq, void *v)
{
	struct secx_mib *sum;
	unsigned int i, dir;

	sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	secx_stat_sum(seq_file_single_net(seq), sum);
	/* "Name value" lines; the name column is padded but never touches the value */
	for (i = SECX_STAT_UNSPEC + 1; i < SECX_STAT_NUM; i++)
		seq_printf(seq, "%-31s %lld\n", secx_stat_names[i], (s64)sum->stat[i]);
	for (i = 0; i < SECX_NUM_SUITES; i++) {
		const struct secx_suite_desc *s = &secx_suites[i];

		for (dir = 0; dir < 2; dir++) {
			seq_printf(seq, "%sRecords-%-23s %llu\n", dir ? "Tx" : "Rx", s->name,
				   sum->records[dir][s->id]);
			seq_printf(seq, "%sBytes-%-25s %llu\n", dir ? "Tx" : "Rx", s->name,
				   sum->bytes[dir][s->id]);
		}
	}
	kfree(sum);
	return 0;
}

static int __net_init secx_net_init(struct net *net)
{
	struct secx_net *sn = net_generic(net, secx_net_id);

	sn->mib = alloc_percpu(struct secx_mib);
	if (!sn->mib)
		return -ENOMEM;
	spin_lock_init(&sn->lock);
	secx_rekey_net_init(&sn->rekey_defaults);
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
