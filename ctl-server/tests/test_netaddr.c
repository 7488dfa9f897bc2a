// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "netaddr.h"
#include "tap.h"

static int prefix_round_trip(const char *in, const char *want)
{
	struct prefix p;
	char buf[NETADDR_STRLEN];

	if (prefix_parse(in, &p))
		return 0;
	prefix_format(&p, buf);
	return !strcmp(buf, want);
}

int main(void)
{
	struct prefix p, q;
	struct endpoint e;
	char buf[NETADDR_STRLEN];

	tap_ok(prefix_round_trip("192.0.2.0/24", "192.0.2.0/24"), "netaddr: IPv4 prefix round trip");
	tap_ok(prefix_round_trip("2001:DB8::/32", "2001:db8::/32"), "netaddr: IPv6 prefix normalized");
	tap_ok(prefix_round_trip("0.0.0.0/0", "0.0.0.0/0"), "netaddr: default route");
	tap_ok(!strcmp(prefix_parse("10.0.0.1/8", &p), "prefix has host bits set"),
	       "netaddr: host bits refused");
	tap_ok(prefix_parse("10.0.0.0/33", &p) && prefix_parse("::/129", &p) &&
	       prefix_parse("10.0.0.0", &p) && prefix_parse("10.0.0.0/", &p) &&
	       prefix_parse("10.0.0.0/8x", &p) && prefix_parse("x/8", &p),
	       "netaddr: malformed prefixes refused");
	prefix_parse("10.0.0.0/8", &p);
	prefix_parse("10.1.0.0/16", &q);
	tap_ok(prefix_contains(&p, &q) && !prefix_contains(&q, &p), "netaddr: containment");
	prefix_parse("10.0.0.0/7", &q);
	tap_ok(!prefix_contains(&p, &q), "netaddr: wider prefix not contained");
	tap_ok(!endpoint_parse("[2001:db8::1]:51820", &e) && e.port == 51820 &&
	       e.addr.family == AF_INET6, "netaddr: bracketed IPv6 endpoint");
	endpoint_format(&e, buf);
	tap_ok(!strcmp(buf, "[2001:db8::1]:51820"), "netaddr: IPv6 endpoint formatted with brackets");
	tap_ok(endpoint_parse("2001:db8::1:51820", &e) && endpoint_parse("1.2.3.4:0", &e) &&
	       endpoint_parse("1.2.3.4:65536", &e) && endpoint_parse("[1.2.3.4]:5", &e) &&
	       endpoint_parse("1.2.3.4", &e), "netaddr: malformed endpoints refused");
	addr_parse("127.0.0.1", &p);
	addr_parse("::1", &q);
	tap_ok(!addr_is_unicast(&p) && !addr_is_unicast(&q), "netaddr: loopback is not unicast");
	addr_parse("224.0.0.1", &p);
	addr_parse("ff02::1", &q);
	tap_ok(!addr_is_unicast(&p) && !addr_is_unicast(&q), "netaddr: multicast is not unicast");
	addr_parse("198.51.100.1", &p);
	tap_ok(addr_is_unicast(&p), "netaddr: global address is unicast");
	return tap_done();
}
