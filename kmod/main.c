// SPDX-License-Identifier: GPL-2.0-only
/*
 * xrelay: in-kernel UDP port-pair relay for overlay networks.
 */

#include <linux/module.h>
#include <net/genetlink.h>

#include "netlink.h"
#include "netns.h"
#include "session.h"
#include "xdp.h"
#include "uapi/linux/xrelay.h"

static int __init xrelay_init(void)
{
	int ret;

	ret = xrelay_session_cache_init();
	if (ret)
		goto err_cache;
	ret = xrelay_netns_init();
	if (ret)
		goto err_netns;
	ret = xrelay_nl_init();
	if (ret)
		goto err_netlink;
	xrelay_xdp_init();
	return 0;

err_netlink:
	xrelay_netns_uninit();
err_netns:
	xrelay_session_cache_uninit();
err_cache:
	return ret;
}

static void __exit xrelay_exit(void)
{
	xrelay_nl_uninit();
	xrelay_netns_uninit();
	/* Sessions and instances are freed by RCU callbacks of this module. */
	rcu_barrier();
	xrelay_session_cache_uninit();
}

module_init(xrelay_init);
module_exit(xrelay_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel UDP port-pair relay for overlay networks");
MODULE_AUTHOR("The xrelay developers");
MODULE_ALIAS_GENL_FAMILY(XRELAY_FAMILY_NAME);
