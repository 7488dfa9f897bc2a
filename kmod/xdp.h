/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_XDP_KFUNC_H
#define _XRELAY_XDP_KFUNC_H

void xrelay_xdp_init(void);

#endif /* _XRELAY_XDP_KFUNC_H */
