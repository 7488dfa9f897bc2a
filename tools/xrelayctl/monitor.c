// SPDX-License-Identifier: GPL-2.0-only
/* Events of the "events" multicast group, one line each, until a signal. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <netlink/genl/genl.h>

#include "xrelayctl.h"

static const char *const reason_names[] = {
	[XRELAY_EXPIRE_REASON_IDLE] = "idle",
	[XRELAY_EXPIRE_REASON_LIFETIME] = "lifetime",
};

/* "side-learned session 1 instance 1 network 10 side a peer 192.0.2.2:5000" */
static int side_learned_print(struct nlattr **tb)
{
	struct nlattr *side_tb[XRELAY_A_SIDE_MAX + 1];
	char peer_text[XR_ENDPOINT_STRLEN];
	struct xr_endpoint peer;
	const char *side = tb[XRELAY_A_SESSION_SIDE_A] ? "a" : "b";
	struct nlattr *nest = tb[XRELAY_A_SESSION_SIDE_A] ?: tb[XRELAY_A_SESSION_SIDE_B];

	if (!nest || xr_attr_parse_nested(nest, XRELAY_A_SIDE_MAX, xr_side_policy, side_tb) ||
	    xr_attr_get_addr(side_tb[XRELAY_A_SIDE_PEER_IPV4], side_tb[XRELAY_A_SIDE_PEER_IPV6],
			     &peer.addr))
		return -EPROTO;
	peer.port = xr_attr_u16(side_tb[XRELAY_A_SIDE_PEER_PORT]);
	out_str("side", " side %s", side);
	out_str("peer", " peer %s", xr_endpoint_format(&peer, peer_text));
	return 0;
}

/* "... reason idle age 61.2s; a transfer: 5 packets, 600 B; b transfer: ..." */
static int session_expired_print(struct nlattr **tb)
{
	static const int side_attrs[] = { XRELAY_A_SESSION_SIDE_A, XRELAY_A_SESSION_SIDE_B };
	static const char *const side_names[] = { "a", "b" };
	uint8_t reason = xr_attr_u8(tb[XRELAY_A_SESSION_EXPIRE_REASON]);
	int i;

	out_str("reason", " reason %s",
		reason <= XRELAY_EXPIRE_REASON_MAX ? reason_names[reason] : "unknown");
	out_msecs("age_ms", " age %s", xr_attr_u64(tb[XRELAY_A_SESSION_AGE_MSECS]));
	for (i = 0; i < 2; i++) {
		struct nlattr *side_tb[XRELAY_A_SIDE_MAX + 1] = {};
		struct nlattr *nest = tb[side_attrs[i]];
		struct xr_stats stats;
		char prefix[8];

		if ((nest && xr_attr_parse_nested(nest, XRELAY_A_SIDE_MAX, xr_side_policy,
						  side_tb)) ||
		    xr_stats_get(side_tb[XRELAY_A_SIDE_STATS], &stats))
			return -EPROTO;
		snprintf(prefix, sizeof(prefix), "; %s ", side_names[i]);
		out_obj_open(side_names[i]);
		stats_print(&stats, prefix, ", ");
		out_obj_close();
	}
	return 0;
}

static const char *const drop_reason_names[] = {
	[XRELAY_POLICY_DROP_DENIED] = "denied",
	[XRELAY_POLICY_DROP_PROTOCOL] = "protocol",
	[XRELAY_POLICY_DROP_RATE_LIMIT] = "rate-limit",
	[XRELAY_POLICY_DROP_QUOTA] = "quota",
	[XRELAY_POLICY_DROP_ACL] = "acl",
};

/* ADDR:PORT, or ADDR of a packet without ports; JSON null when absent. */
static void endpoint_print(const char *key, const char *fmt, struct nlattr *v4,
			   struct nlattr *v6, struct nlattr *port)
{
	char text[XR_ENDPOINT_STRLEN];
	struct xr_endpoint ep;

	if (xr_attr_get_addr(v4, v6, &ep.addr)) {
		out_str(key, NULL, NULL);
		return;
	}
	ep.port = xr_attr_u16(port);
	out_str(key, fmt, port ? xr_endpoint_format(&ep, text) : xr_addr_format(&ep.addr, text));
}

/*
 * "policy-drop session 1 network 10 side a reason denied source 192.0.2.66:5000";
 * a hub's drops have no session or side, and tell where the packet went:
 * "policy-drop session 0 network 10 reason acl source 10.1.0.2:40000
 *  destination 10.2.0.5:22 protocol tcp rule 3" (one line)
 */
static int policy_drop_print(struct nlmsghdr *nlh)
{
	struct nlattr *tb[XRELAY_A_POLICY_DROP_MAX + 1];
	char protocol_text[4];
	uint8_t reason;

	if (xr_attr_parse(nlh, XRELAY_A_POLICY_DROP_MAX, xr_policy_drop_policy, tb))
		return -EPROTO;
	reason = xr_attr_u8(tb[XRELAY_A_POLICY_DROP_REASON]);
	out_obj_open(NULL);
	out_str("event", "%s", "policy-drop");
	out_uint("session", " session %llu", xr_attr_u32(tb[XRELAY_A_POLICY_DROP_SESSION]));
	out_uint("network", " network %llu", xr_attr_u32(tb[XRELAY_A_POLICY_DROP_NETWORK]));
	if (tb[XRELAY_A_POLICY_DROP_SIDE])
		out_str("side", " side %s", nla_get_u8(tb[XRELAY_A_POLICY_DROP_SIDE]) ? "b" : "a");
	out_str("reason", " reason %s",
		reason <= XRELAY_POLICY_DROP_MAX ? drop_reason_names[reason] : "unknown");
	endpoint_print("source", " source %s", tb[XRELAY_A_POLICY_DROP_SOURCE_IPV4],
		       tb[XRELAY_A_POLICY_DROP_SOURCE_IPV6], tb[XRELAY_A_POLICY_DROP_SOURCE_PORT]);
	if (reason == XRELAY_POLICY_DROP_ACL) {
		endpoint_print("destination", " destination %s",
			       tb[XRELAY_A_POLICY_DROP_DESTINATION_IPV4],
			       tb[XRELAY_A_POLICY_DROP_DESTINATION_IPV6],
			       tb[XRELAY_A_POLICY_DROP_DESTINATION_PORT]);
		out_uint("protocol", NULL, xr_attr_u8(tb[XRELAY_A_POLICY_DROP_PROTOCOL]));
		out_text(" protocol %s",
			 ip_protocol_name(xr_attr_u8(tb[XRELAY_A_POLICY_DROP_PROTOCOL]),
					  protocol_text));
		out_uint("rule", " rule %llu", xr_attr_u32(tb[XRELAY_A_POLICY_DROP_RULE]));
	}
	out_text("\n");
	out_obj_close();
	return 0;
}

static int event_print(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[XRELAY_A_SESSION_MAX + 1];
	struct nlattr *netns_tb[XRELAY_A_NETNS_MAX + 1];
	const char *event;
	uint8_t cmd;
	int err;

	(void)arg;
	if (!genlmsg_valid_hdr(nlh, 0))
		return -EPROTO;
	cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	switch (cmd) {
	case XRELAY_CMD_SIDE_LEARNED_NTF:
		event = "side-learned";
		break;
	case XRELAY_CMD_SESSION_EXPIRED_NTF:
		event = "session-expired";
		break;
	case XRELAY_CMD_LIMIT_REACHED_NTF:
		if (xr_attr_parse(nlh, XRELAY_A_NETNS_MAX, xr_netns_policy, netns_tb))
			return -EPROTO;
		out_obj_open(NULL);
		out_str("event", "%s", "limit-reached");
		out_uint("session_limit", " limit %llu",
			 xr_attr_u32(netns_tb[XRELAY_A_NETNS_SESSION_LIMIT]));
		out_uint("sessions", " sessions %llu\n",
			 xr_attr_u32(netns_tb[XRELAY_A_NETNS_SESSIONS]));
		out_obj_close();
		return 0;
	case XRELAY_CMD_POLICY_DROP_NTF:
		return policy_drop_print(nlh);
	default:
		return 0;	/* an event this version does not know */
	}

	if (xr_attr_parse(nlh, XRELAY_A_SESSION_MAX, xr_session_policy, tb))
		return -EPROTO;
	out_obj_open(NULL);
	out_str("event", "%s", event);
	out_uint("session", " session %llu", xr_attr_u32(tb[XRELAY_A_SESSION_ID]));
	out_uint("instance", " instance %llu", xr_attr_u32(tb[XRELAY_A_SESSION_INSTANCE]));
	out_uint("network", " network %llu", xr_attr_u32(tb[XRELAY_A_SESSION_NETWORK]));
	if (cmd == XRELAY_CMD_SIDE_LEARNED_NTF)
		err = side_learned_print(tb);
	else
		err = session_expired_print(tb);
	out_text("\n");
	out_obj_close();
	return err;
}

/*
 * Signals arrive through a signalfd polled with the netlink socket, so
 * SIGINT or SIGTERM ends the loop cleanly whatever it was doing.
 */
int monitor_run(struct args *a)
{
	struct xr_nl events;
	struct pollfd fds[2];
	sigset_t signals;

	args_end(a);
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	fds[1] = (struct pollfd){ .fd = signalfd(-1, &signals, SFD_CLOEXEC), .events = POLLIN };
	if (fds[1].fd < 0) {
		fprintf(stderr, "Error: signalfd: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	kernel_open(&events);
	if (xr_nl_subscribe(&events, XRELAY_MCGRP_EVENTS) ||
	    xr_nl_subscribe(&events, XRELAY_MCGRP_DATAPATH)) {
		fprintf(stderr, "Error: %s\n", events.errmsg);
		return EXIT_RUNTIME;
	}
	fds[0] = (struct pollfd){ .fd = xr_nl_fd(&events), .events = POLLIN };
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "Error: poll: %s\n", strerror(errno));
			return EXIT_RUNTIME;
		}
		if (fds[1].revents)
			break;
		if (!fds[0].revents)
			continue;
		if (xr_nl_receive(&events, event_print, NULL)) {
			if (events.error != ENOBUFS) {
				fprintf(stderr, "Error: %s\n", events.errmsg);
				return EXIT_RUNTIME;
			}
			fprintf(stderr, "Warning: %s\n", events.errmsg);
		}
		if (fflush(stdout))
			return EXIT_RUNTIME;	/* main() reports the failed write */
	}
	xr_nl_close(&events);
	return EXIT_SUCCESS;
}
