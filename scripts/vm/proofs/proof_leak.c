// SPDX-License-Identifier: GPL-2.0
/* Proof for the debug lane: memory allocated and never referenced again. */
#include <linux/module.h>
#include <linux/slab.h>

static int __init proof_leak_init(void)
{
	char *p = kmalloc(200, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 200);
	return 0;	/* the only pointer to p dies with this frame */
}
module_init(proof_leak_init);
MODULE_DESCRIPTION("secx debug-lane proof: kernel memory leak");
MODULE_LICENSE("GPL");
