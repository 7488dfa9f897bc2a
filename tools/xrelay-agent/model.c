// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"

static bool addr_equal(const struct xr_addr *x, const struct xr_addr *y)
{
	if (x->family != y->family)
		return false;
	if (x->family == AF_INET)
		return x->v4.s_addr == y->v4.s_addr;
	return !memcmp(&x->v6, &y->v6, sizeof(x->v6));
}

bool ag_instance_desc_equal(const struct ag_instance_desc *x, const struct ag_instance_desc *y)
{
	return x->id == y->id && x->network == y->network && addr_equal(&x->addr, &y->addr) &&
	       x->port_min == y->port_min && x->port_max == y->port_max;
}

/* What the kernel reports of a side depends on its kind: compare only that. */
static bool side_equal(const struct ag_side_desc *x, const struct ag_side_desc *y)
{
	if (x->port != y->port || x->pinned != y->pinned)
		return false;
	if (x->pinned)
		return addr_equal(&x->peer.addr, &y->peer.addr) && x->peer.port == y->peer.port;
	if (x->relearn_timeout != y->relearn_timeout || x->has_allow != y->has_allow)
		return false;
	return !x->has_allow ||
	       (x->allow.len == y->allow.len && addr_equal(&x->allow.addr, &y->allow.addr));
}

bool ag_session_desc_equal(const struct ag_session_desc *x, const struct ag_session_desc *y)
{
	return x->instance == y->instance && x->network == y->network &&
	       x->idle_timeout == y->idle_timeout && x->lifetime == y->lifetime &&
	       x->policy == y->policy &&
	       side_equal(&x->side[0], &y->side[0]) && side_equal(&x->side[1], &y->side[1]);
}

/* FNV-1a, 64 bits. */
static uint64_t mix(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static uint64_t mix_addr(uint64_t h, const struct xr_addr *a)
{
	h = mix(h, &a->family, sizeof(a->family));
	return a->family == AF_INET ? mix(h, &a->v4, sizeof(a->v4)) : mix(h, &a->v6, sizeof(a->v6));
}

uint64_t ag_session_fingerprint(const struct ag_session_desc *d, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	h = mix(h, &d->instance, sizeof(d->instance));
	h = mix(h, &d->network, sizeof(d->network));
	h = mix(h, &d->idle_timeout, sizeof(d->idle_timeout));
	h = mix(h, &d->lifetime, sizeof(d->lifetime));
	h = mix(h, &d->policy, sizeof(d->policy));
	for (i = 0; i < 2; i++) {
		const struct ag_side_desc *s = &d->side[i];
		uint8_t kind = s->pinned | s->has_allow << 1;

		h = mix(h, &s->port, sizeof(s->port));
		h = mix(h, &kind, sizeof(kind));
		if (s->pinned) {
			h = mix_addr(h, &s->peer.addr);
			h = mix(h, &s->peer.port, sizeof(s->peer.port));
			continue;
		}
		h = mix(h, &s->relearn_timeout, sizeof(s->relearn_timeout));
		if (s->has_allow) {
			h = mix_addr(h, &s->allow.addr);
			h = mix(h, &s->allow.len, sizeof(s->allow.len));
		}
	}
	return mix(h, name, strlen(name) + 1);
}

uint64_t ag_text_hash(const char *text)
{
	return *text ? mix(0xcbf29ce484222325ULL, text, strlen(text)) : 0;
}

char *ag_session_name(const struct ag_session_desc *d, char buf[AG_SESSION_NAME_LEN])
{
	snprintf(buf, AG_SESSION_NAME_LEN, "instance %u ports %u-%u", d->instance,
		 d->side[0].port, d->side[1].port);
	return buf;
}

void ag_counters_add(struct ag_counters *sum, const struct ag_counters *c)
{
	sum->packets += c->packets;
	sum->bytes += c->bytes;
	sum->drops += c->drops;
}

bool ag_counters_zero(const struct ag_counters *c)
{
	return !c->packets && !c->bytes && !c->drops;
}
