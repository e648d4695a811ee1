// SPDX-License-Identifier: GPL-2.0
/*
 * Proof for the debug lane: A then B, later B then A.  Never deadlocks when
 * run once, but lockdep must report the possible circular dependency.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(proof_a);
static DEFINE_MUTEX(proof_b);

static int __init proof_lockinv_init(void)
{
	mutex_lock(&proof_a);
	mutex_lock(&proof_b);
	mutex_unlock(&proof_b);
	mutex_unlock(&proof_a);

	mutex_lock(&proof_b);
	mutex_lock(&proof_a);
	mutex_unlock(&proof_a);
	mutex_unlock(&proof_b);
	return 0;
}
module_init(proof_lockinv_init);
MODULE_DESCRIPTION("secx debug-lane proof: lock-order inversion");
MODULE_LICENSE("GPL");
