/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reload on change: inotify on the configuration directory (and on its
 * parent, so that a directory or symlink swapped in as a whole, as
 * git-sync does, is noticed too) and SIGHUP. A burst of file events,
 * such as a git checkout, is coalesced into one reload.
 */
#ifndef CTLD_RELOAD_H
#define CTLD_RELOAD_H

#include "daemon.h"

struct reloader *reload_start(struct ctld *c, char *err, size_t errlen);
void reload_stop(struct reloader *r);

#endif
