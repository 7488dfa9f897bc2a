/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Noticing the module come and go: the generic netlink controller
 * announces every family registered and unregistered on its "notify"
 * group. When "xrelay" disappears (rmmod) the kernel's state is gone with
 * it; when it appears, the agent reads the (empty) state and restores the
 * desired one at once.
 */
#ifndef AG_WATCH_H
#define AG_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "xrelay-nl.h"

struct ag_watch {
	struct xr_nl ctrl;
};

enum ag_family_change {
	AG_FAMILY_NONE,
	AG_FAMILY_GONE,
	AG_FAMILY_BACK,		/* (maybe after going, in the same read) */
	AG_FAMILY_UNKNOWN,	/* announcements were lost: look again */
};

int ag_watch_open(struct ag_watch *w, char *err, size_t errlen);
void ag_watch_close(struct ag_watch *w);
int ag_watch_fd(const struct ag_watch *w);
/* Reads what the controller announced since the last call; *@family gets the id it came back with. */
enum ag_family_change ag_watch_read(struct ag_watch *w, int *family);

#endif /* AG_WATCH_H */
