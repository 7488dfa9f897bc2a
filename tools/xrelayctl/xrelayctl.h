/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XRELAYCTL_H
#define XRELAYCTL_H

#include <stdbool.h>
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
void kernel_open(struct xr_nl *nl);
struct nl_msg *request_new(uint8_t cmd, int flags);
void request_check_put(int err);
int request_run(struct nl_msg *msg, xr_nl_msg_fn fn, void *arg);

/*
 * args.c: each reader consumes a keyword's value, or ends the program
 * with a usage error naming the keyword and what is wrong.
 */
const char *args_next(struct args *a);
bool args_take(struct args *a, const char *word);
void args_once(bool *seen, const char *keyword);
void args_end(struct args *a);
void args_unknown(const char *word) __attribute__((noreturn));
uint32_t args_u32(struct args *a, const char *keyword, uint32_t min, uint32_t max);
uint16_t args_port(struct args *a, const char *keyword);
void args_port_range(struct args *a, const char *keyword, uint16_t *min, uint16_t *max);
void args_addr(struct args *a, const char *keyword, struct xr_addr *addr);
void args_endpoint(struct args *a, const char *keyword, struct xr_endpoint *ep);
void args_prefix(struct args *a, const char *keyword, struct xr_prefix *prefix);

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
int stats_show(struct args *a);
int limit_run(struct args *a);
int monitor_run(struct args *a);
int xdp_attach(struct args *a);
int xdp_detach(struct args *a);
int xdp_show(struct args *a);

#endif /* XRELAYCTL_H */
