/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XRELAYCTL_H
#define XRELAYCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"
#include "xrelay-attr.h"
#include "xrelay-nl.h"
#include "xrelay-parse.h"

/* Exit codes. */
#define EXIT_RUNTIME	1	/* the kernel refused, or it could not be reached */
#define EXIT_USAGE	2

/* The words after a command's name, consumed as they are parsed. */
struct args {
	int argc;
	char **argv;
};

/* main.c */
void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void out_of_memory(void) __attribute__((noreturn));
void kernel_open(struct xr_nl *nl);
struct nl_msg *request_new(uint8_t cmd, int flags);
/* A request with @attrs_size bytes of big attributes, such as admission lists. */
struct nl_msg *request_new_large(uint8_t cmd, int flags, size_t attrs_size);
/* Before requests whose single reply may take megabytes. */
void request_expect_large_replies(void);
void request_check_put(int err);
int request_run(struct nl_msg *msg, xr_nl_msg_fn fn, void *arg);
/* As request_run(), but a missing object (ENOENT) is quietly not there. */
int request_run_or_missing(struct nl_msg *msg, xr_nl_msg_fn fn, void *arg);

/*
 * args.c: each reader consumes a keyword's value, or ends the program
 * with a usage error naming the keyword and what is wrong.
 */
const char *args_next(struct args *a);
bool args_take(struct args *a, const char *word);
void args_once(bool *seen, const char *keyword);
void args_end(struct args *a);
void args_unknown(const char *word) __attribute__((noreturn));
/* The word after @keyword. */
const char *args_value(struct args *a, const char *keyword);
uint32_t args_u32(struct args *a, const char *keyword, uint32_t min, uint32_t max);
/* A number that may end in k, M or G. */
uint64_t args_count(struct args *a, const char *keyword, uint64_t min, uint64_t max);
/* "id ID" and nothing after it; false when optional and absent. */
bool args_id(struct args *a, bool required, uint32_t *id);
uint16_t args_port(struct args *a, const char *keyword);
void args_port_range(struct args *a, const char *keyword, uint16_t *min, uint16_t *max);
void args_addr(struct args *a, const char *keyword, struct xr_addr *addr);
void args_endpoint(struct args *a, const char *keyword, struct xr_endpoint *ep);
void args_prefix(struct args *a, const char *keyword, struct xr_prefix *prefix);

/* policy.c: admission lists, rates and protocols, for networks and sessions */

/* An admission list, in the order given. */
struct prefix_list {
	struct xr_prefix *prefixes;
	size_t n;
	size_t allocated;
};

struct admission {
	struct prefix_list allow;
	struct prefix_list deny;
};

/* Token buckets; a zero value was not given. */
struct rate {
	uint64_t value[XRELAY_A_RATE_MAX + 1];	/* indexed by XRELAY_A_RATE_* */
};

/*
 * Consumes "allow PREFIX[,PREFIX...]" or "deny ...", and with @files also
 * "allow-file FILE" or "deny-file FILE", if the next word is one of them.
 */
bool args_admission(struct args *a, struct admission *adm, bool files);
/* At most @max prefixes per list, none twice; @owner names them in errors. */
void admission_check(const struct admission *adm, size_t max, const char *owner);
/* Bytes admission_put() adds to a message. */
size_t admission_size(const struct admission *adm);
/* Nests of @type, as many as the 16-bit attribute length requires. */
int admission_put(struct nl_msg *msg, int type, const struct admission *adm);
void prefix_list_add(struct prefix_list *list, const struct xr_prefix *prefix);
/* A prefix nest, such as an allow or deny entry, and the bytes it takes. */
int prefix_put(struct nl_msg *msg, int type, const struct xr_prefix *prefix);
size_t prefix_size(const struct xr_prefix *prefix);
int prefix_get(struct nlattr *nest, struct xr_prefix *prefix);
/* Appends the lists of an admission nest; NULL adds nothing. */
int admission_get(struct nlattr *nest, struct admission *adm);
/* "<lead>allow P,P\n<lead>deny P\n"; JSON "admission" when a list is set. */
void admission_print(const struct admission *adm, const char *lead);
void admission_free(struct admission *adm);

/* RATE := one or more of: pps N | burst N | bps N | burst-bytes N */
void args_rate(struct args *a, const char *keyword, struct rate *rate);
int rate_put(struct nl_msg *msg, int type, const struct rate *rate);
/* "<lead> pps N burst N..." in the syntax of RATE; NULL prints nothing. */
int rate_print(struct nlattr *nest, const char *key, const char *lead);

uint8_t args_protocol(struct args *a, const char *keyword);
const char *protocol_name(uint8_t protocol);

/* ruleset.c: a hub's ruleset, from the file "hub-file" names */
struct ruleset;

/* Checks it whole, or ends the program with a usage error naming FILE:LINE. */
struct ruleset *ruleset_read(const char *path);
/* Bytes ruleset_put() adds to a message. */
size_t ruleset_size(const struct ruleset *rs);
/* As hub nests of a network request, as many as the 16-bit attribute length requires. */
int ruleset_put(struct nl_msg *msg, const struct ruleset *rs);
void ruleset_free(struct ruleset *rs);

/*
 * hub.c: a network reply's hub, from all its hub nests: "  hub ..." lines
 * and a "hub" JSON object; nothing when it has none.
 */
int hub_print(struct nlmsghdr *nlh);
/* "tcp", "udp"... or the number, in @buf of at least 4 bytes. */
const char *ip_protocol_name(uint8_t protocol, char *buf);

/* stats.c */
void stats_print(const struct xr_stats *stats, const char *prefix, const char *drops_sep);
void stats_dump(const struct xr_stats *stats);

/* instance.c */
int instance_print(struct nlmsghdr *nlh, void *arg);

/* Commands: run with the words after their name; return an exit code. */
int instance_add(struct args *a);
int instance_del(struct args *a);
int instance_show(struct args *a);
int instance_dump(struct args *a);
int session_add(struct args *a);
int session_del(struct args *a);
int session_show(struct args *a);
int session_dump(struct args *a);
int session_flush(struct args *a);
int network_add(struct args *a);
int network_set(struct args *a);
int network_del(struct args *a);
int network_show(struct args *a);
int network_dump(struct args *a);
int stats_show(struct args *a);
int limit_run(struct args *a);
int monitor_run(struct args *a);
int xdp_attach(struct args *a);
int xdp_detach(struct args *a);
int xdp_show(struct args *a);

#endif /* XRELAYCTL_H */
