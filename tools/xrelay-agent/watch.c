// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/xrelay.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "watch.h"

int ag_watch_open(struct ag_watch *w, char *err, size_t errlen)
{
	struct xr_nl *nl = &w->ctrl;
	int grp;

	memset(w, 0, sizeof(*w));
	nl->sock = nl_socket_alloc();
	if (!nl->sock) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	grp = genl_connect(nl->sock);
	if (!grp)
		grp = genl_ctrl_resolve_grp(nl->sock, "nlctrl", "notify");
	if (grp >= 0)
		grp = nl_socket_add_membership(nl->sock, grp);
	if (grp < 0) {
		snprintf(err, errlen, "generic netlink controller: %s", nl_geterror(grp));
		nl_socket_free(nl->sock);
		nl->sock = NULL;
		return -1;
	}
	nl->family = GENL_ID_CTRL;
	return 0;
}

void ag_watch_close(struct ag_watch *w)
{
	xr_nl_close(&w->ctrl);
}

int ag_watch_fd(const struct ag_watch *w)
{
	return xr_nl_fd(&w->ctrl);
}

struct announcement {
	enum ag_family_change change;
	int family;
};

static int announcement(struct nlmsghdr *nlh, void *arg)
{
	static struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING },
		[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
	};
	struct announcement *seen = arg;
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct genlmsghdr *gnlh = nlmsg_data(nlh);

	if (gnlh->cmd != CTRL_CMD_NEWFAMILY && gnlh->cmd != CTRL_CMD_DELFAMILY)
		return 0;
	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, policy) || !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), XRELAY_FAMILY_NAME))
		return 0;
	seen->change = gnlh->cmd == CTRL_CMD_NEWFAMILY ? AG_FAMILY_BACK : AG_FAMILY_GONE;
	if (tb[CTRL_ATTR_FAMILY_ID])
		seen->family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

enum ag_family_change ag_watch_read(struct ag_watch *w, int *family)
{
	struct announcement seen = { AG_FAMILY_NONE, 0 };

	if (xr_nl_receive(&w->ctrl, announcement, &seen) && w->ctrl.error == ENOBUFS)
		return AG_FAMILY_UNKNOWN;
	*family = seen.family;
	return seen.change;
}
