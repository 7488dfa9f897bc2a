/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _XRELAY_ADMISSION_H
#define _XRELAY_ADMISSION_H

#include "addr.h"

/* An address as a 128-bit number, IPv4 v4-mapped: ranges compare as integers. */
struct xrelay_u128 {
	u64 hi;
	u64 lo;
};

/* From @start up to the next bound's start, sources get @verdict. */
struct xrelay_bound {
	struct xrelay_u128 start;
	u8 verdict;
};

/**
 * struct xrelay_admission - allowed and denied source prefixes, compiled
 * @n_allow: allowed prefixes, the first entries of @prefixes
 * @n_deny: denied prefixes, the entries after them
 * @n_bounds: entries of @bounds
 * @prefixes: the lists as configured, for reporting them back
 * @bounds: the address space cut into ranges, each with the verdict of the
 *	longest prefix covering it, sorted: a lookup is a binary search
 *
 * Immutable once built; replaced as a whole.
 */
struct xrelay_admission {
	u32 n_allow;
	u32 n_deny;
	u32 n_bounds;
	struct xrelay_prefix *prefixes;
	struct xrelay_bound *bounds;
};

struct xrelay_admission *xrelay_admission_alloc(u32 n_allow, u32 n_deny);
int xrelay_admission_build(struct xrelay_admission *adm);
void xrelay_admission_free(struct xrelay_admission *adm);
bool xrelay_admission_admits(const struct xrelay_admission *adm, const struct in6_addr *addr);

#endif /* _XRELAY_ADMISSION_H */
