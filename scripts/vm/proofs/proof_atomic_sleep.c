// SPDX-License-Identifier: GPL-2.0
/*
 * Proof for the debug lane: a call that may sleep (a GFP_KERNEL allocation)
 * under a spinlock.  It need not actually sleep: DEBUG_ATOMIC_SLEEP reports
 * the might_sleep() in the allocator.
 */
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/slab.h>

static DEFINE_SPINLOCK(proof_lock);

static int __init proof_atomic_sleep_init(void)
{
	void *p;

	spin_lock(&proof_lock);
	p = kmalloc(32, GFP_KERNEL);
	spin_unlock(&proof_lock);
	kfree(p);
	return 0;
}
module_init(proof_atomic_sleep_init);
MODULE_DESCRIPTION("secx debug-lane proof: sleep in atomic context");
MODULE_LICENSE("GPL");
