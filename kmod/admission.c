// SPDX-License-Identifier: GPL-2.0-only
/*
 * Admission lists compiled for lookups in logarithmic time: prefixes either
 * nest or are disjoint, so sweeping them in address order cuts the address
 * space into ranges that each take the verdict of the longest prefix
 * covering them. Tens of thousands of prefixes then cost a binary search
 * over a flat array per packet, whatever their lengths.
 */

#include <linux/mm.h>
#include <linux/sort.h>
#include <asm/unaligned.h>

#include "admission.h"

enum {
	XRELAY_ADMIT_NONE,
	XRELAY_ADMIT_ALLOW,
	XRELAY_ADMIT_DENY,
};

/* A prefix as the range of addresses it covers. */
struct xrelay_span {
	struct xrelay_u128 first;
	struct xrelay_u128 last;
	u8 len;
	u8 verdict;
};

static struct xrelay_u128 xrelay_u128_of(const struct in6_addr *addr)
{
	return (struct xrelay_u128){
		.hi = get_unaligned_be64(&addr->s6_addr[0]),
		.lo = get_unaligned_be64(&addr->s6_addr[8]),
	};
}

static int xrelay_u128_cmp(const struct xrelay_u128 *a, const struct xrelay_u128 *b)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

static void xrelay_span_init(struct xrelay_span *span, const struct xrelay_prefix *p, u8 verdict)
{
	u64 hi_host = p->len >= 64 ? 0 : ~0ULL >> p->len;
	u64 lo_host = p->len >= 128 ? 0 : p->len <= 64 ? ~0ULL : ~0ULL >> (p->len - 64);

	span->first = xrelay_u128_of(&p->addr);
	span->last.hi = span->first.hi | hi_host;
	span->last.lo = span->first.lo | lo_host;
	span->len = p->len;
	span->verdict = verdict;
}

/* Address order; an enclosing prefix before those inside it; deny last, to win ties. */
static int xrelay_span_cmp(const void *a, const void *b)
{
	const struct xrelay_span *x = a, *y = b;
	int c = xrelay_u128_cmp(&x->first, &y->first);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->verdict - y->verdict;
}

/* A new range starting at @start; one starting at the same address replaces it. */
static void xrelay_bound_add(struct xrelay_admission *adm, const struct xrelay_u128 *start,
			     u8 verdict)
{
	struct xrelay_bound *end = adm->bounds + adm->n_bounds;

	if (adm->n_bounds && !xrelay_u128_cmp(&end[-1].start, start)) {
		end[-1].verdict = verdict;
		if (adm->n_bounds > 1 && end[-2].verdict == verdict)
			adm->n_bounds--;
		return;
	}
	if (adm->n_bounds && end[-1].verdict == verdict)
		return;
	end->start = *start;
	end->verdict = verdict;
	adm->n_bounds++;
}

/* The range after @span ends, back to the verdict of what encloses it. */
static void xrelay_bound_close(struct xrelay_admission *adm, const struct xrelay_span *span,
			       const struct xrelay_span *outer)
{
	struct xrelay_u128 next = span->last;

	if (!~next.hi && !~next.lo)
		return;		/* ends with the address space */
	if (!++next.lo)
		next.hi++;
	xrelay_bound_add(adm, &next, outer ? outer->verdict : XRELAY_ADMIT_NONE);
}

/**
 * xrelay_admission_alloc() - room for lists of prefixes
 * @n_allow: number of allowed prefixes
 * @n_deny: number of denied prefixes
 *
 * The caller fills in @prefixes (allowed first) and calls
 * xrelay_admission_build().
 *
 * Return: the lists, or NULL when out of memory.
 */
struct xrelay_admission *xrelay_admission_alloc(u32 n_allow, u32 n_deny)
{
	struct xrelay_admission *adm = kzalloc(sizeof(*adm), GFP_KERNEL_ACCOUNT);
	u32 n = n_allow + n_deny;

	if (!adm)
		return NULL;
	adm->n_allow = n_allow;
	adm->n_deny = n_deny;
	adm->prefixes = kvmalloc_array(n, sizeof(*adm->prefixes), GFP_KERNEL_ACCOUNT);
	adm->bounds = kvmalloc_array(2 * n + 1, sizeof(*adm->bounds), GFP_KERNEL_ACCOUNT);
	if (!adm->prefixes || !adm->bounds) {
		xrelay_admission_free(adm);
		return NULL;
	}
	return adm;
}

/**
 * xrelay_admission_build() - compile the prefixes into ranges
 * @adm: lists from xrelay_admission_alloc(), prefixes filled in and masked
 *
 * Return: 0, or -ENOMEM.
 */
int xrelay_admission_build(struct xrelay_admission *adm)
{
	u32 n = adm->n_allow + adm->n_deny, depth = 0, i;
	struct xrelay_span *spans, **stack;
	struct xrelay_u128 zero = {};

	spans = kvmalloc_array(n, sizeof(*spans), GFP_KERNEL);
	stack = kvmalloc_array(n, sizeof(*stack), GFP_KERNEL);
	if (!spans || !stack) {
		kvfree(spans);
		kvfree(stack);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		xrelay_span_init(&spans[i], &adm->prefixes[i],
				 i < adm->n_allow ? XRELAY_ADMIT_ALLOW : XRELAY_ADMIT_DENY);
	sort(spans, n, sizeof(*spans), xrelay_span_cmp, NULL);

	adm->n_bounds = 0;
	xrelay_bound_add(adm, &zero, XRELAY_ADMIT_NONE);
	for (i = 0; i < n; i++) {
		while (depth && xrelay_u128_cmp(&stack[depth - 1]->last, &spans[i].first) < 0) {
			depth--;
			xrelay_bound_close(adm, stack[depth], depth ? stack[depth - 1] : NULL);
		}
		stack[depth++] = &spans[i];
		xrelay_bound_add(adm, &spans[i].first, spans[i].verdict);
	}
	while (depth) {
		depth--;
		xrelay_bound_close(adm, stack[depth], depth ? stack[depth - 1] : NULL);
	}
	kvfree(spans);
	kvfree(stack);
	return 0;
}

void xrelay_admission_free(struct xrelay_admission *adm)
{
	if (!adm)
		return;
	kvfree(adm->prefixes);
	kvfree(adm->bounds);
	kfree(adm);
}

/**
 * xrelay_admission_admits() - whether a source may use what the lists guard
 * @adm: the lists; NULL admits everything
 * @addr: the source, v4-mapped for IPv4
 *
 * The longest matching prefix decides, deny winning between equal ones;
 * with an allow list, a source no prefix matches is refused.
 *
 * Context: any.
 * Return: true if @addr is admitted.
 */
bool xrelay_admission_admits(const struct xrelay_admission *adm, const struct in6_addr *addr)
{
	struct xrelay_u128 a;
	u32 lo, hi, mid;
	u8 verdict;

	if (!adm)
		return true;
	a = xrelay_u128_of(addr);
	lo = 0;
	hi = adm->n_bounds - 1;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (xrelay_u128_cmp(&adm->bounds[mid].start, &a) <= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	verdict = adm->bounds[lo].verdict;
	return verdict == XRELAY_ADMIT_ALLOW || (verdict == XRELAY_ADMIT_NONE && !adm->n_allow);
}
