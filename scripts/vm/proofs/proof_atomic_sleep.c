// SPDX-License-Identifier: GPL-2.0
/* Proof for the debug lane: a sleeping call under a spinlock. */
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/delay.h>

static DEFINE_SPINLOCK(proof_lock);

static int __init proof_atomic_sleep_init(void)
{
	spin_lock(&proof_lock);
	msleep(1);
	spin_unlock(&proof_lock);
	return 0;
}
module_init(proof_atomic_sleep_init);
MODULE_DESCRIPTION("secx debug-lane proof: sleep in atomic context");
MODULE_LICENSE("GPL");
