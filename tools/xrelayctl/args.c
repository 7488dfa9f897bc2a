// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "xrelayctl.h"

/* The next word, or NULL at the end. */
const char *args_next(struct args *a)
{
	if (!a->argc)
		return NULL;
	a->argc--;
	return *a->argv++;
}

/* Consumes the next word if it is @word. */
bool args_take(struct args *a, const char *word)
{
	if (!a->argc || strcmp(a->argv[0], word))
		return false;
	args_next(a);
	return true;
}

void args_once(bool *seen, const char *keyword)
{
	if (*seen)
		usage_error("\"%s\" given twice", keyword);
	*seen = true;
}

void args_end(struct args *a)
{
	if (a->argc)
		args_unknown(a->argv[0]);
}

void args_unknown(const char *word)
{
	usage_error("unexpected argument \"%s\"", word);
}

const char *args_value(struct args *a, const char *keyword)
{
	const char *word = args_next(a);

	if (!word)
		usage_error("missing value after \"%s\"", keyword);
	return word;
}

static void check(const char *word, const char *keyword, const char *why)
{
	if (why)
		usage_error("bad value \"%s\" for \"%s\": %s", word, keyword, why);
}

uint32_t args_u32(struct args *a, const char *keyword, uint32_t min, uint32_t max)
{
	const char *word = args_value(a, keyword);
	uint64_t v;

	if (xr_uint_parse(word, min, max, &v))
		usage_error("bad value \"%s\" for \"%s\": not a number from %u to %u",
			    word, keyword, min, max);
	return v;
}

uint64_t args_count(struct args *a, const char *keyword, uint64_t min, uint64_t max)
{
	const char *word = args_value(a, keyword);
	uint64_t v;

	if (xr_count_parse(word, min, max, &v))
		usage_error("bad value \"%s\" for \"%s\": not a number from %llu to %llu "
			    "(k, M and G multiply by 1000)", word, keyword,
			    (unsigned long long)min, (unsigned long long)max);
	return v;
}

bool args_id(struct args *a, bool required, uint32_t *id)
{
	if (!a->argc && !required)
		return false;
	if (!args_take(a, "id"))
		usage_error(a->argc ? "expected \"id ID\"" : "missing \"id ID\"");
	*id = args_u32(a, "id", 1, UINT32_MAX);
	args_end(a);
	return true;
}

uint16_t args_port(struct args *a, const char *keyword)
{
	const char *word = args_value(a, keyword);
	uint16_t port;

	check(word, keyword, xr_port_parse(word, &port));
	return port;
}

void args_port_range(struct args *a, const char *keyword, uint16_t *min, uint16_t *max)
{
	const char *word = args_value(a, keyword);

	check(word, keyword, xr_port_range_parse(word, min, max));
}

void args_addr(struct args *a, const char *keyword, struct xr_addr *addr)
{
	const char *word = args_value(a, keyword);

	check(word, keyword, xr_addr_parse(word, addr));
}

void args_endpoint(struct args *a, const char *keyword, struct xr_endpoint *ep)
{
	const char *word = args_value(a, keyword);

	check(word, keyword, xr_endpoint_parse(word, ep));
}

void args_prefix(struct args *a, const char *keyword, struct xr_prefix *prefix)
{
	const char *word = args_value(a, keyword);

	check(word, keyword, xr_prefix_parse(word, prefix));
}
