// SPDX-License-Identifier: GPL-2.0-only
/* Relay instances: a local address and the port range its sessions use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xrelayctl.h"

struct instance {
	struct nlattr *tb[XRELAY_A_INSTANCE_MAX + 1];
	struct xr_stats stats;
	char addr[XR_ADDR_STRLEN];
};

static int instance_parse(struct nlmsghdr *nlh, struct instance *inst)
{
	struct nlattr **tb = inst->tb;
	struct xr_addr addr;

	if (xr_attr_parse(nlh, XRELAY_A_INSTANCE_MAX, xr_instance_policy, tb) ||
	    xr_stats_get(tb[XRELAY_A_INSTANCE_STATS], &inst->stats))
		return -EPROTO;
	if (xr_attr_get_addr(tb[XRELAY_A_INSTANCE_LOCAL_IPV4],
			     tb[XRELAY_A_INSTANCE_LOCAL_IPV6], &addr))
		strcpy(inst->addr, "-");
	else
		xr_addr_format(&addr, inst->addr);
	return 0;
}

int instance_print(struct nlmsghdr *nlh, void *arg)
{
	struct instance inst;
	uint32_t network;

	(void)arg;
	if (instance_parse(nlh, &inst))
		return -EPROTO;
	network = xr_attr_u32(inst.tb[XRELAY_A_INSTANCE_NETWORK]);
	out_obj_open(NULL);
	out_uint("id", "instance %llu:", xr_attr_u32(inst.tb[XRELAY_A_INSTANCE_ID]));
	out_str("addr", " %s", inst.addr);
	out_uint("port_min", " ports %llu", xr_attr_u16(inst.tb[XRELAY_A_INSTANCE_PORT_MIN]));
	out_uint("port_max", "-%llu", xr_attr_u16(inst.tb[XRELAY_A_INSTANCE_PORT_MAX]));
	out_uint("network", network ? " network %llu\n" : " shared\n", network);
	out_uint("sessions", "  sessions: %llu\n",
		 xr_attr_u32(inst.tb[XRELAY_A_INSTANCE_SESSIONS]));
	stats_print(&inst.stats, "  ", "\n  ");
	out_text("\n");
	out_obj_close();
	return 0;
}

static int instance_dump_line(struct nlmsghdr *nlh, void *arg)
{
	struct instance inst;

	(void)arg;
	if (instance_parse(nlh, &inst))
		return -EPROTO;
	printf("%u\t%u\t%s\t%u\t%u\t%u",
	       xr_attr_u32(inst.tb[XRELAY_A_INSTANCE_ID]),
	       xr_attr_u32(inst.tb[XRELAY_A_INSTANCE_NETWORK]),
	       inst.addr,
	       xr_attr_u16(inst.tb[XRELAY_A_INSTANCE_PORT_MIN]),
	       xr_attr_u16(inst.tb[XRELAY_A_INSTANCE_PORT_MAX]),
	       xr_attr_u32(inst.tb[XRELAY_A_INSTANCE_SESSIONS]));
	stats_dump(&inst.stats);
	printf("\n");
	return 0;
}

/* The id in the reply to a create request, as text or {"id":N}. */
static int new_id_print(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_INSTANCE_MAX + 1];

	(void)arg;
	if (xr_attr_parse(nlh, XRELAY_A_INSTANCE_MAX, xr_instance_policy, tb) ||
	    !tb[XRELAY_A_INSTANCE_ID])
		return -EPROTO;
	out_obj_open(NULL);
	out_uint("id", "%llu\n", nla_get_u32(tb[XRELAY_A_INSTANCE_ID]));
	out_obj_close();
	return 0;
}

int instance_add(struct args *a)
{
	bool has_id = false, has_network = false, has_addr = false, has_ports = false;
	uint32_t id = 0, network = 0;
	uint16_t port_min = 0, port_max = 0;
	struct xr_addr addr;
	struct nl_msg *msg;
	const char *word;
	int err = 0;

	while ((word = args_next(a))) {
		if (!strcmp(word, "id")) {
			args_once(&has_id, word);
			id = args_u32(a, word, 1, UINT32_MAX);
		} else if (!strcmp(word, "network")) {
			args_once(&has_network, word);
			network = args_u32(a, word, 0, UINT32_MAX);
		} else if (!strcmp(word, "addr")) {
			args_once(&has_addr, word);
			args_addr(a, word, &addr);
		} else if (!strcmp(word, "ports")) {
			args_once(&has_ports, word);
			args_port_range(a, word, &port_min, &port_max);
		} else {
			args_unknown(word);
		}
	}
	if (!has_addr)
		usage_error("missing \"addr ADDR\"");
	if (!has_ports)
		usage_error("missing \"ports MIN-MAX\"");

	msg = request_new(XRELAY_CMD_INSTANCE_NEW, 0);
	if (has_id)
		err |= nla_put_u32(msg, XRELAY_A_INSTANCE_ID, id);
	if (has_network)
		err |= nla_put_u32(msg, XRELAY_A_INSTANCE_NETWORK, network);
	err |= xr_attr_put_addr(msg, XRELAY_A_INSTANCE_LOCAL_IPV4,
				XRELAY_A_INSTANCE_LOCAL_IPV6, &addr);
	err |= nla_put_u16(msg, XRELAY_A_INSTANCE_PORT_MIN, port_min);
	err |= nla_put_u16(msg, XRELAY_A_INSTANCE_PORT_MAX, port_max);
	request_check_put(err);
	return request_run(msg, new_id_print, NULL);
}

int instance_del(struct args *a)
{
	struct nl_msg *msg;
	uint32_t id;

	args_id(a, true, &id);
	msg = request_new(XRELAY_CMD_INSTANCE_DEL, 0);
	request_check_put(nla_put_u32(msg, XRELAY_A_INSTANCE_ID, id));
	return request_run(msg, NULL, NULL);
}

int instance_show(struct args *a)
{
	struct nl_msg *msg;
	uint32_t id;
	int ret;

	if (args_id(a, false, &id)) {
		msg = request_new(XRELAY_CMD_INSTANCE_GET, 0);
		request_check_put(nla_put_u32(msg, XRELAY_A_INSTANCE_ID, id));
	} else {
		msg = request_new(XRELAY_CMD_INSTANCE_GET, NLM_F_DUMP);
	}
	out_arr_open(NULL);
	ret = request_run(msg, instance_print, NULL);
	out_arr_close();
	return ret;
}

int instance_dump(struct args *a)
{
	args_end(a);
	if (out_json)
		usage_error("dump prints tab-separated text only; use show with -j");
	return request_run(request_new(XRELAY_CMD_INSTANCE_GET, NLM_F_DUMP),
			   instance_dump_line, NULL);
}
