/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_HOOK_H
#define _XRELAY_HOOK_H

struct net;

int xrelay_hook_enable(struct net *net, int family);
void xrelay_hook_disable(struct net *net, int family);

#endif /* _XRELAY_HOOK_H */
