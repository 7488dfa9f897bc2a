/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_NETLINK_H
#define _XRELAY_NETLINK_H

struct xrelay_net;
struct xrelay_session;
struct xrelay_side;

int xrelay_nl_init(void);
void xrelay_nl_uninit(void);

void xrelay_nl_notify_learned(struct xrelay_net *xn, const struct xrelay_side *side);
void xrelay_nl_notify_expired(struct xrelay_net *xn, const struct xrelay_session *s, int reason);
void xrelay_nl_notify_limit(struct xrelay_net *xn);

#endif /* _XRELAY_NETLINK_H */
