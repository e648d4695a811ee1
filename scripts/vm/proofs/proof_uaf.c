// SPDX-License-Identifier: GPL-2.0
/* Proof for the debug lane: a read after kfree() must give a KASAN report. */
#include <linux/module.h>
#include <linux/slab.h>

static int __init proof_uaf_init(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	char *volatile q = p;	/* keep the compiler from seeing through it */

	if (!p)
		return -ENOMEM;
	kfree(p);
	pr_info("proof_uaf: read %d after free\n", READ_ONCE(q[8]));
	return 0;
}
module_init(proof_uaf_init);
MODULE_DESCRIPTION("secx debug-lane proof: use-after-free");
MODULE_LICENSE("GPL");
