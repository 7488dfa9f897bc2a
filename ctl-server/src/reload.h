/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reload on change: inotify on the configuration directory (and on its
 * parent, so that a directory or symlink swapped in as a whole, as
 * git-sync does, is noticed too) and SIGHUP. A burst of file events,
 * such as a git checkout, is coalesced into one reload. SIGUSR1 reloads
 * and applies a configuration the removal guard would hold.
 */
#ifndef CTLD_RELOAD_H
#define CTLD_RELOAD_H

#include <stdint.h>

#include "daemon.h"

struct reloader *reload_start(struct ctld *c, char *err, size_t errlen);
void reload_stop(struct reloader *r);
/* Read the directory again once it has been quiet (it changed while read). */
void reload_again(struct reloader *r);
/*
 * A fingerprint of the directory's configuration files: names, and each
 * file's inode, size and modification time. Equal before and after a load
 * means no file changed while it was read.
 */
uint64_t reload_fingerprint(const char *dir);

#endif
