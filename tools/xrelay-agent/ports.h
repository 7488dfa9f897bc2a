/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * net.ipv4.ip_local_reserved_ports: the module refuses an instance whose
 * ports the kernel could hand out as ephemeral source ports, unless they
 * are reserved. The agent adds an instance's range there before creating
 * it, merged with what is listed already; it never removes an entry, its
 * own included (another instance, or another program, may rely on it).
 */
#ifndef AG_PORTS_H
#define AG_PORTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reserves the part of [@min, @max] that lies in the ephemeral range, in
 * the calling process's network namespace. Returns 1 if the list changed,
 * 0 if nothing was needed, -1 with the reason in @err.
 */
int ag_ports_reserve(uint16_t min, uint16_t max, char *err, size_t errlen);

#endif /* AG_PORTS_H */
