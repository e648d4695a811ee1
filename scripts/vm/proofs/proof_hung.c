// SPDX-License-Identifier: GPL-2.0
/*
 * Proof for the debug lane: insmod blocked uninterruptibly for longer than
 * the debug kernel's 20 s hung-task timeout.
 */
#include <linux/module.h>
#include <linux/delay.h>

static int __init proof_hung_init(void)
{
	msleep(50 * 1000);
	return 0;
}
module_init(proof_hung_init);
MODULE_DESCRIPTION("secx debug-lane proof: hung task");
MODULE_LICENSE("GPL");
