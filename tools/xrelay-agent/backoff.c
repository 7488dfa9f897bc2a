// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>

#include "backoff.h"

void ag_backoff_init(struct ag_backoff *b, uint32_t first_ms, uint32_t max_ms)
{
	b->first_ms = first_ms < max_ms ? first_ms : max_ms;
	b->max_ms = max_ms;
	b->span_ms = 0;
}

static uint32_t draw(uint32_t span)
{
	return span / 2 + (uint32_t)(random() % (span / 2 + 1));
}

uint32_t ag_backoff_next(struct ag_backoff *b)
{
	if (!b->span_ms)
		b->span_ms = b->first_ms;
	else if (b->span_ms < b->max_ms / 2)
		b->span_ms *= 2;
	else
		b->span_ms = b->max_ms;
	return draw(b->span_ms);
}

uint32_t ag_backoff_max(struct ag_backoff *b)
{
	b->span_ms = b->max_ms;
	return draw(b->span_ms);
}

void ag_backoff_reset(struct ag_backoff *b)
{
	b->span_ms = 0;
}
