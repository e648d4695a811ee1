// SPDX-License-Identifier: GPL-2.0
/*
 * Proof for the debug lane: an array index one past the end.  The array is
 * followed by another member of the same struct, so the access stays inside
 * the object (KASAN is silent) and only UBSAN's bounds check can see it.
 */
#include <linux/module.h>

static struct {
	int a[4];
	int after;
} proof_s;

static int proof_index = 4;
module_param_named(index, proof_index, int, 0444);

static int __init proof_oob_init(void)
{
	proof_s.a[proof_index] = 1;
	pr_info("proof_oob: after=%d\n", READ_ONCE(proof_s.after));
	return 0;
}
module_init(proof_oob_init);
MODULE_DESCRIPTION("secx debug-lane proof: out-of-bounds array index");
MODULE_LICENSE("GPL");
