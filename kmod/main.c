// SPDX-License-Identifier: GPL-2.0
/*
 * secx: SECURE_X record layer for TCP.  Module entry and exit only; the
 * data path starts in ulp.c.
 */
#include <linux/module.h>
#include <net/tcp.h>

#include "secx.h"

/* Deferred frees of contexts whose socket went away without close(). */
struct workqueue_struct *secx_wq;

static int __init secx_init(void)
{
	int err;

	secx_wq = alloc_workqueue("secx", 0, 0);
	if (!secx_wq)
		return -ENOMEM;
	err = secx_proc_init();
	if (err)
		goto err_wq;
	err = secx_nl_init();
	if (err)
		goto err_proc;
	err = secx_ulp_register();
	if (err)
		goto err_nl;
	pr_info("SECURE_X record layer loaded (ABI %d)\n", SECX_ABI_VERSION);
	return 0;

err_nl:
	secx_nl_exit();
err_proc:
	secx_proc_exit();
err_wq:
	destroy_workqueue(secx_wq);
	return err;
}

static void __exit secx_exit(void)
{
	secx_ulp_unregister();
	destroy_workqueue(secx_wq);	/* waits for deferred frees */
	secx_nl_exit();
	secx_proc_exit();
	/* Sockets pin the module, so nothing may be left when we get here. */
	if (WARN_ON(atomic_read(&secx_live_ctx)))
		pr_err("leak: %d socket contexts still allocated\n",
		       atomic_read(&secx_live_ctx));
}

module_init(secx_init);
module_exit(secx_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("secx developers");
MODULE_DESCRIPTION("SECURE_X: encrypted, authenticated records for TCP");
MODULE_VERSION("0.1");
MODULE_ALIAS_TCP_ULP("secx");
