// SPDX-License-Identifier: GPL-2.0-only
/*
 * What network and session policies are made of: admission prefix lists,
 * token-bucket rates and the protocol guard. Read from the command line,
 * put into requests, and printed back from replies in the syntax they
 * were given in, so a line of "show" output can be pasted into a command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/genl.h>

#include "xrelayctl.h"

/*
 * A nest's length is 16 bits: 2000 IPv6 prefix nests (32 bytes each) fill
 * 64000 of its 65535 bytes, so longer lists go out as several nests.
 */
#define PREFIXES_PER_NEST	2000

void prefix_list_add(struct prefix_list *list, const struct xr_prefix *prefix)
{
	if (list->n == list->allocated) {
		size_t allocated = list->allocated ? 2 * list->allocated : 16;
		struct xr_prefix *grown = reallocarray(list->prefixes, allocated,
						       sizeof(*grown));

		if (!grown)
			out_of_memory();
		list->prefixes = grown;
		list->allocated = allocated;
	}
	list->prefixes[list->n++] = *prefix;
}

/* PREFIX[,PREFIX...] */
static void prefix_list_parse(struct prefix_list *list, const char *word, const char *keyword)
{
	const char *start = word;

	for (;;) {
		size_t len = strcspn(start, ",");
		char text[XR_PREFIX_STRLEN];
		struct xr_prefix prefix;
		const char *why = "not an address or ADDR/LEN prefix";

		if (!len)
			usage_error("bad value \"%s\" for \"%s\": empty prefix in the list",
				    word, keyword);
		if (len < sizeof(text)) {
			memcpy(text, start, len);
			text[len] = '\0';
			why = xr_prefix_parse(text, &prefix);
		}
		if (why)
			usage_error("bad value \"%.*s\" for \"%s\": %s", (int)len, start, keyword, why);
		prefix_list_add(list, &prefix);
		if (!start[len])
			return;
		start += len + 1;
	}
}

/* One prefix per line; '#' starts a comment; blank lines are skipped. */
static void prefix_list_read(struct prefix_list *list, const char *path, const char *keyword)
{
	FILE *f = fopen(path, "r");
	unsigned long line_no = 0;
	size_t size = 0;
	char *line = NULL;

	if (!f)
		usage_error("cannot read \"%s\" for \"%s\": %s", path, keyword, strerror(errno));
	while (getline(&line, &size, f) >= 0) {
		char *text = line + strspn(line, " \t");
		size_t len = strcspn(text, "#\r\n");
		struct xr_prefix prefix;
		const char *why;

		line_no++;
		while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
			len--;
		text[len] = '\0';
		if (!len)
			continue;
		why = strpbrk(text, " \t") ? "one prefix per line" : xr_prefix_parse(text, &prefix);
		if (why)
			usage_error("%s:%lu: bad prefix \"%s\" for \"%s\": %s",
				    path, line_no, text, keyword, why);
		prefix_list_add(list, &prefix);
	}
	if (ferror(f))
		usage_error("cannot read \"%s\" for \"%s\": %s", path, keyword, strerror(errno));
	free(line);
	fclose(f);
}

bool args_admission(struct args *a, struct admission *adm, bool files)
{
	static const char *const keywords[] = { "allow", "deny", "allow-file", "deny-file" };
	const char *keyword;
	const char *word;
	size_t i;

	for (i = 0; i < (files ? 4 : 2); i++)
		if (args_take(a, keywords[i]))
			break;
	if (i == (files ? 4 : 2))
		return false;
	keyword = keywords[i];
	word = args_next(a);
	if (!word)
		usage_error("missing value after \"%s\"", keyword);
	if (i < 2)
		prefix_list_parse(i % 2 ? &adm->deny : &adm->allow, word, keyword);
	else
		prefix_list_read(i % 2 ? &adm->deny : &adm->allow, word, keyword);
	return true;
}

static int prefix_cmp(const void *p1, const void *p2)
{
	const struct xr_prefix *a = p1, *b = p2;

	if (a->addr.family != b->addr.family)
		return a->addr.family - b->addr.family;
	if (a->len != b->len)
		return a->len - b->len;
	return a->addr.family == AF_INET ?
		memcmp(&a->addr.v4, &b->addr.v4, sizeof(a->addr.v4)) :
		memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6));
}

static void prefix_list_check(const struct prefix_list *list, size_t max, const char *name,
			      const char *owner)
{
	char text[XR_PREFIX_STRLEN];
	struct xr_prefix *sorted;
	size_t i;

	if (list->n > max)
		usage_error("the %s list of %s has %zu prefixes, more than %zu",
			    name, owner, list->n, max);
	if (list->n < 2)
		return;
	sorted = malloc(list->n * sizeof(*sorted));
	if (!sorted)
		out_of_memory();
	memcpy(sorted, list->prefixes, list->n * sizeof(*sorted));
	qsort(sorted, list->n, sizeof(*sorted), prefix_cmp);
	for (i = 1; i < list->n; i++)
		if (!prefix_cmp(&sorted[i - 1], &sorted[i]))
			usage_error("%s is twice in the %s list of %s",
				    xr_prefix_format(&sorted[i], text), name, owner);
	free(sorted);
}

void admission_check(const struct admission *adm, size_t max, const char *owner)
{
	prefix_list_check(&adm->allow, max, "allow", owner);
	prefix_list_check(&adm->deny, max, "deny", owner);
}

size_t prefix_size(const struct xr_prefix *prefix)
{
	return nla_total_size(0) + nla_total_size(prefix->addr.family == AF_INET ? 4 : 16) +
	       nla_total_size(1);
}

size_t admission_size(const struct admission *adm)
{
	size_t n = adm->allow.n + adm->deny.n;
	size_t size = (n + PREFIXES_PER_NEST - 1) / PREFIXES_PER_NEST * nla_total_size(0);
	size_t i;

	for (i = 0; i < adm->allow.n; i++)
		size += prefix_size(&adm->allow.prefixes[i]);
	for (i = 0; i < adm->deny.n; i++)
		size += prefix_size(&adm->deny.prefixes[i]);
	return size;
}

int prefix_put(struct nl_msg *msg, int type, const struct xr_prefix *prefix)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	int err;

	if (!nest)
		return -NLE_NOMEM;
	err = xr_attr_put_addr(msg, XRELAY_A_PREFIX_IPV4, XRELAY_A_PREFIX_IPV6, &prefix->addr);
	err |= nla_put_u8(msg, XRELAY_A_PREFIX_LEN, prefix->len);
	return err | nla_nest_end(msg, nest);
}

int admission_put(struct nl_msg *msg, int type, const struct admission *adm)
{
	size_t n = adm->allow.n + adm->deny.n;
	struct nlattr *nest = NULL;
	int err = 0;
	size_t i;

	for (i = 0; i < n && !err; i++) {
		if (i % PREFIXES_PER_NEST == 0) {
			if (nest)
				err |= nla_nest_end(msg, nest);
			nest = nla_nest_start(msg, type);
			if (!nest)
				return -NLE_NOMEM;
		}
		if (i < adm->allow.n)
			err |= prefix_put(msg, XRELAY_A_ADMISSION_ALLOW, &adm->allow.prefixes[i]);
		else
			err |= prefix_put(msg, XRELAY_A_ADMISSION_DENY,
					  &adm->deny.prefixes[i - adm->allow.n]);
	}
	if (nest)
		err |= nla_nest_end(msg, nest);
	return err;
}

int prefix_get(struct nlattr *nest, struct xr_prefix *prefix)
{
	struct nlattr *tb[XRELAY_A_PREFIX_MAX + 1];

	if (xr_attr_parse_nested(nest, XRELAY_A_PREFIX_MAX, xr_prefix_policy, tb) ||
	    !tb[XRELAY_A_PREFIX_LEN] ||
	    xr_attr_get_addr(tb[XRELAY_A_PREFIX_IPV4], tb[XRELAY_A_PREFIX_IPV6], &prefix->addr))
		return -EPROTO;
	prefix->len = nla_get_u8(tb[XRELAY_A_PREFIX_LEN]);
	return 0;
}

int admission_get(struct nlattr *nest, struct admission *adm)
{
	struct nlattr *attr;
	int rem;

	if (!nest)
		return 0;
	nla_for_each_nested(attr, nest, rem) {
		struct xr_prefix prefix;

		if (nla_type(attr) != XRELAY_A_ADMISSION_ALLOW &&
		    nla_type(attr) != XRELAY_A_ADMISSION_DENY)
			continue;
		if (prefix_get(attr, &prefix))
			return -EPROTO;
		prefix_list_add(nla_type(attr) == XRELAY_A_ADMISSION_ALLOW ?
				&adm->allow : &adm->deny, &prefix);
	}
	return 0;
}

static void prefix_list_print(const struct prefix_list *list, const char *key, const char *lead)
{
	char text[XR_PREFIX_STRLEN];
	size_t i;

	out_arr_open(key);
	if (list->n)
		out_text("%s%s ", lead, key);
	for (i = 0; i < list->n; i++)
		out_elem_str(i ? ",%s" : "%s", xr_prefix_format(&list->prefixes[i], text));
	if (list->n)
		out_text("\n");
	out_arr_close();
}

void admission_print(const struct admission *adm, const char *lead)
{
	if (!adm->allow.n && !adm->deny.n)
		return;
	out_obj_open("admission");
	prefix_list_print(&adm->allow, "allow", lead);
	prefix_list_print(&adm->deny, "deny", lead);
	out_obj_close();
}

void admission_free(struct admission *adm)
{
	free(adm->allow.prefixes);
	free(adm->deny.prefixes);
	memset(adm, 0, sizeof(*adm));
}

static const struct {
	const char *word;	/* in RATE */
	const char *fmt;	/* text output */
	const char *key;	/* JSON */
	int type;
	uint64_t min;		/* as the kernel checks it */
} rate_fields[] = {
	{ "pps", " pps %s", "packets_per_second", XRELAY_A_RATE_PACKETS_PER_SECOND, 1 },
	{ "burst", " burst %s", "burst_packets", XRELAY_A_RATE_BURST_PACKETS, 1 },
	{ "bps", " bps %s", "bits_per_second", XRELAY_A_RATE_BITS_PER_SECOND, 8 },
	{ "burst-bytes", " burst-bytes %s", "burst_bytes", XRELAY_A_RATE_BURST_BYTES, 1 },
};

#define N_RATE_FIELDS (sizeof(rate_fields) / sizeof(rate_fields[0]))

void args_rate(struct args *a, const char *keyword, struct rate *rate)
{
	uint64_t *v = rate->value;
	size_t i;

	for (;;) {
		for (i = 0; i < N_RATE_FIELDS; i++)
			if (args_take(a, rate_fields[i].word))
				break;
		if (i == N_RATE_FIELDS)
			break;
		if (v[rate_fields[i].type])
			usage_error("\"%s\" given twice in \"%s\"", rate_fields[i].word, keyword);
		v[rate_fields[i].type] = args_count(a, rate_fields[i].word, rate_fields[i].min,
						    UINT64_MAX);
	}
	if (!v[XRELAY_A_RATE_PACKETS_PER_SECOND] && !v[XRELAY_A_RATE_BITS_PER_SECOND])
		usage_error("\"%s\" needs \"pps N\" or \"bps N\"", keyword);
	if (v[XRELAY_A_RATE_BURST_PACKETS] && !v[XRELAY_A_RATE_PACKETS_PER_SECOND])
		usage_error("\"burst\" needs \"pps\" in \"%s\"", keyword);
	if (v[XRELAY_A_RATE_BURST_BYTES] && !v[XRELAY_A_RATE_BITS_PER_SECOND])
		usage_error("\"burst-bytes\" needs \"bps\" in \"%s\"", keyword);
}

int rate_put(struct nl_msg *msg, int type, const struct rate *rate)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	int err = 0;
	int i;

	if (!nest)
		return -NLE_NOMEM;
	for (i = 1; i <= XRELAY_A_RATE_MAX; i++)
		if (rate->value[i])
			err |= nla_put_u64(msg, i, rate->value[i]);
	return err | nla_nest_end(msg, nest);
}

int rate_print(struct nlattr *nest, const char *key, const char *lead)
{
	struct nlattr *tb[XRELAY_A_RATE_MAX + 1];
	size_t i;

	if (!nest)
		return 0;
	if (xr_attr_parse_nested(nest, XRELAY_A_RATE_MAX, xr_rate_policy, tb))
		return -EPROTO;
	out_obj_open(key);
	out_text("%s", lead);
	for (i = 0; i < N_RATE_FIELDS; i++)
		if (tb[rate_fields[i].type])
			out_count(rate_fields[i].key, rate_fields[i].fmt,
				  nla_get_u64(tb[rate_fields[i].type]));
	out_obj_close();
	return 0;
}

static const char *const protocol_names[] = {
	[XRELAY_PROTOCOL_ANY] = "any",
	[XRELAY_PROTOCOL_WIREGUARD] = "wireguard",
};

uint8_t args_protocol(struct args *a, const char *keyword)
{
	const char *word = args_next(a);
	uint8_t i;

	if (!word)
		usage_error("missing value after \"%s\"", keyword);
	for (i = 0; i <= XRELAY_PROTOCOL_MAX; i++)
		if (!strcmp(word, protocol_names[i]))
			return i;
	usage_error("bad value \"%s\" for \"%s\": any or wireguard", word, keyword);
}

const char *protocol_name(uint8_t protocol)
{
	return protocol <= XRELAY_PROTOCOL_MAX ? protocol_names[protocol] : "unknown";
}
