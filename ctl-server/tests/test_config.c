// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testlib.h"

static void test_examples(const char *dir)
{
	const char *paths[] = { dir };
	struct diags d = { 0 };
	struct config *cfg = config_load(paths, 1, &d);
	const struct relay *fra1, *fra2;
	const struct session *s;
	const struct policy *p;

	if (!tap_ok(cfg != NULL && d.n == 0, "config: the example directory loads")) {
		diags_print(&d, stdout);
		diags_free(&d);
		return;
	}
	tap_ok(cfg->n_files == 5 && cfg->n_networks == 2 && cfg->n_relays == 3 &&
	       cfg->n_sessions == 3 && cfg->n_policies == 3 && cfg->n_clients == 2,
	       "config: example counts (5 files, 2 networks, 3 relays, 3 sessions, 3 policies, 2 clients)");
	fra1 = config_relay(cfg, "fra1");
	fra2 = config_relay(cfg, "fra2");
	tap_ok(fra1 && fra1->capacity == 4000 && fra1->n_addrs == 2 && fra1->n_pools == 2 &&
	       fra1->pools[0].network == config_network(cfg, "corp") && !fra1->pools[1].network,
	       "config: relay pools bound to networks or shared");
	tap_ok(fra2 && fra2->capacity == 5000 && !strcmp(fra2->identity, "fra2.relay.example.net"),
	       "config: capacity defaults to half the pool ports");
	s = hm_get_str(&cfg->session_by_name, "corp-hq-branch1");
	tap_ok(s && s->idle_timeout == 600 && s->a.pinned && s->a.peer.port == 51820 &&
	       !s->b.pinned && s->b.has_allow && s->b.relearn_timeout == 30,
	       "config: session sides pinned and learned, durations with units");
	s = hm_get_str(&cfg->session_by_name, "lab-v6-pair");
	tap_ok(s && s->addr_index == 1 && s->lifetime == 86400 && s->policy &&
	       !strcmp(s->policy->name, "lab-guarded"),
	       "config: session address and policy override resolved");
	p = hm_get_str(&cfg->policy_by_name, "corp-locked");
	tap_ok(p && p->network_rate.bits_per_second == 1000000000ULL &&
	       p->network_rate.packets_per_second == 200000 &&
	       p->network_rate.burst_packets == 200000 &&
	       p->session_rate.burst_bytes == 1000000 && p->session_quota_bytes == 50000000000ULL &&
	       p->protocol == GUARD_WIREGUARD,
	       "config: rate limits with SI suffixes and default bursts");
	tap_ok(p && p->hub.present && p->hub.locked && p->hub.n_rules == 3 &&
	       p->hub.rules[0].allow && p->hub.rules[0].proto == 6 &&
	       p->hub.rules[0].port_min == 22 && p->hub.rules[1].from.any &&
	       !p->hub.rules[2].allow && !p->hub.rules[2].from.group,
	       "config: hub rules with groups, any and prefixes");
	tap_ok(cfg->settings.allocation_ttl == 600 && cfg->settings.allocation_max_ttl == 86400 &&
	       cfg->settings.poll_timeout == 30, "config: settings");
	tap_ok(config_principal(cfg, "netport.example.net") &&
	       config_principal(cfg, "netport.example.net")->client &&
	       config_principal(cfg, "iad1.relay.example.net")->relay ==
	       config_relay(cfg, "iad1") && !config_principal(cfg, "iad1"),
	       "config: certificate identities map to relays and clients");
	config_free(cfg);
	diags_free(&d);
}

static void test_across_files(void)
{
	char dir[] = "/tmp/ctld-test-XXXXXX", path[64];
	const char *paths[] = { dir };
	struct diags d = { 0 };
	struct config *cfg;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	f = fopen(path, "w");
	fputs("networks:\n  - {name: n1, id: 1, subnet: 10.0.0.0/8}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/b.yml", dir);
	f = fopen(path, "w");
	fputs("networks:\n  - {name: n1, id: 2, subnet: 10.0.0.0/8}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/.hidden.yaml", dir);
	f = fopen(path, "w");
	fputs("this is not yaml: [", f);
	fclose(f);
	cfg = config_load(paths, 1, &d);
	diags_sort(&d);
	tap_ok(!cfg && d.n == 1 && strstr(d.v[0].msg, "duplicate network 'n1' (first defined at") &&
	       d.v[0].mark.line == 2 && strstr(d.v[0].mark.file, "b.yml"),
	       "config: duplicates found across files, hidden files skipped");
	diags_free(&d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b.yml", dir);
	unlink(path);
	cfg = config_load(paths, 1, &d);
	tap_ok(!cfg && d.n == 1 && strstr(d.v[0].msg, "no *.yaml or *.yml files"),
	       "config: an empty directory is refused, not served as an empty fleet");
	diags_free(&d);
	rmdir(dir);
}

static void test_messages(void)
{
	char out[4096];

	load_errors("relays:\n  - name: r\n    addresses: [192.0.2.1]\n    pools: [{ports: 1000-1001}]\n"
		    "    capacity: 0\n", out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:5:15: 'capacity' must be between 1 and 4294967295, got 0\n"),
	       "config: range errors point at the value");
	load_errors("networks: {name: x}\n", out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:1:11: expected a list for 'networks', got a mapping\n"),
	       "config: wrong type reported with its position");
	load_errors("settings: {allocation-ttl: 2d, allocation-max-ttl: 1d}\n", out, sizeof(out));
	tap_ok(strstr(out, "'allocation-ttl' (172800s) is longer than 'allocation-max-ttl' (86400s)") != NULL,
	       "config: inconsistent settings refused");
	load_errors("# only a comment\n", out, sizeof(out));
	tap_ok(!out[0], "config: a file of comments is valid");
	load_errors("a: &x [1]\nb: *x\n", out, sizeof(out));
	tap_ok(strstr(out, "aliases are not supported") != NULL, "config: aliases refused");
}

/* Lists under top-level keys are parsed item by item as libyaml reads them. */
static void test_streaming(void)
{
	const char *net = "networks:\n  - {name: n1, id: 1, subnet: 10.0.0.0/8}\n";
	char out[4096], yaml[1024];
	struct config *cfg;

	snprintf(yaml, sizeof(yaml), "%s---\nnetworks:\n  - {name: n2, id: 0, subnet: 10.0.0.0/8}\n"
		 "  - {name: n3, id: 3, subnet: 10.0.0.0/8}\n  - [\n", net);
	load_errors(yaml, out, sizeof(out));
	tap_ok(!strncmp(out, "test.yaml:8:1: YAML syntax error: ", 34) && !strchr(out, '\n')[1],
	       "config: a syntax error drops what its document's items reported");
	cfg = config_new();
	{
		struct diags d = { 0 };

		config_parse_buffer(cfg, "test.yaml", yaml, strlen(yaml), &d);
		tap_ok(cfg->n_networks == 1 && !strcmp(cfg->networks[0].name, "n1"),
		       "config: a syntax error drops its document's objects, keeps earlier documents'");
		diags_free(&d);
	}
	config_free(cfg);
	snprintf(yaml, sizeof(yaml), "%snetworks:\n  - {name: n2, id: 0}\n", net);
	load_errors(yaml, out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:3:1: duplicate key 'networks' in a configuration file\n"),
	       "config: a repeated top-level list is refused and not parsed");
	load_errors("sessions:\n  - 7\n  - [x]\n", out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:2:5: expected a mapping for session, got a scalar\n"
			    "test.yaml:3:5: expected a mapping for session, got a list\n"),
	       "config: scalar and list items of a streamed list are reported");
	cfg = load_yaml("relays:\n  - name: r\n    addresses: [192.0.2.1, 192.0.2.2]\n"
			"    pools: [{ports: 1000-1099}, {ports: 2000-2099}]\n"
			"sessions:\n  - {name: s, network: n, relay: r, address: 192.0.2.2,\n"
			"     a: {port: 2000}, b: {port: 2001, allow: 198.51.100.0/24}}\n"
			"networks: [{name: n, id: 1, subnet: 10.0.0.0/8}]\n");
	tap_ok(cfg && cfg->n_sessions == 1 && cfg->sessions[0].addr_index == 1 &&
	       cfg->sessions[0].pool_index == 1 && cfg->sessions[0].b.has_allow &&
	       cfg->relays[0].n_addrs == 2,
	       "config: nested values of streamed items survive the item's tree");
	config_free(cfg);
}

/* A YAML flow list of n distinct prefixes, IPv6 or IPv4. */
static void put_prefixes(FILE *f, size_t n, bool v6)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (v6)
			fprintf(f, "%s\"2001:db8:%zx:%zx::/64\"", i ? ", " : "", i >> 16, i & 0xffff);
		else
			fprintf(f, "%s%zu.%zu.%zu.0/24", i ? ", " : "", 10 + (i >> 16),
				(i >> 8) & 255, i & 255);
	}
	fputc(']', f);
}

/*
 * The errors of policy 'big' with an admission of n_allow and n_deny
 * prefixes, which session 's' names as its own when session is set.
 */
static void admission_errors(size_t n_allow, size_t n_deny, bool v6, bool session,
			     char *out, size_t len)
{
	char *yaml;
	size_t size;
	FILE *f = open_memstream(&yaml, &size);

	fputs("policies:\n  - name: big\n    admission:\n      allow: ", f);
	put_prefixes(f, n_allow, v6);
	fputs("\n      deny: ", f);
	put_prefixes(f, n_deny, v6);
	if (session)
		fputs("\nnetworks: [{name: n, id: 1, subnet: 10.0.0.0/8}]\n"
		      "relays: [{name: r, addresses: [192.0.2.1], pools: [{ports: 1000-1099}]}]\n"
		      "sessions:\n  - {name: s, network: n, relay: r, policy: big,\n"
		      "     a: {port: 1000}, b: {port: 1001}}", f);
	fputc('\n', f);
	fclose(f);
	load_errors(yaml, out, len);
	free(yaml);
}

/* What the kernel would refuse to take or to read back is refused at its line. */
static void test_kernel_bounds(void)
{
	char out[4096], *yaml;
	size_t size, i;
	FILE *f;

	admission_errors(65537, 0, false, false, out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:4:14: admission 'allow' takes at most 65536 prefixes, got 65537\n"),
	       "config: an admission list past 65536 prefixes is refused at the list");
	admission_errors(0, 65537, true, false, out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:5:13: admission 'deny' takes at most 65536 prefixes, got 65537\n"),
	       "config: so is a deny list");
	/* 131 072 IPv6 prefixes of 32 bytes each, in 129 nests: 4 195 284 bytes. */
	admission_errors(65536, 65536, true, false, out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:2:5: network policy 'big' is too large for the kernel to read back: its reply would be 4195284 bytes, past 4 MiB less 4 KiB (fewer admission prefixes or hub entries)\n"),
	       "config: full IPv6 admission lists are refused: the kernel could not read them back");
	admission_errors(65536, 65377, true, false, out, sizeof(out));
	tap_ok(!out[0], "config: a network policy of 4190192 bytes, just under the bound, is accepted");
	admission_errors(65536, 65378, true, false, out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:2:5: network policy 'big' is too large for the kernel to read back: its reply would be 4190224 bytes, past 4 MiB less 4 KiB (fewer admission prefixes or hub entries)\n"),
	       "config: one IPv6 prefix more is refused");

	/* 256 groups of 512 IPv6 members: the hub's groups count, and their names. */
	f = open_memstream(&yaml, &size);
	fputs("policies:\n  - name: hub\n    hub:\n      default: open\n      interfaces: [wg0]\n"
	      "      groups:\n", f);
	for (i = 0; i < 256; i++) {
		fprintf(f, "        - name: g%zu\n          members: ", i);
		put_prefixes(f, 512, true);
		fputc('\n', f);
	}
	fputs("  - name: small\n    hub:\n      default: open\n      interfaces: [wg0]\n"
	      "      groups:\n        - {name: one-too-many, members: ", f);
	put_prefixes(f, 513, false);
	fputs("}\n", f);
	fclose(f);
	load_errors(yaml, out, sizeof(out));
	free(yaml);
	tap_ok(!strcmp(out, "test.yaml:2:5: network policy 'hub' is too large for the kernel to read back: its reply would be 4199024 bytes, past 4 MiB less 4 KiB (fewer admission prefixes or hub entries)\n"
			    "test.yaml:524:41: hub group 'members' takes at most 512 prefixes, got 513\n"),
	       "config: hub groups count toward the bound, and hold 512 members at most");

	/* A session's own policy puts its lists on both sides: 64 each, 8 KiB in all. */
	admission_errors(65, 0, false, true, out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:9:45: policy 'big' cannot be a session's: its admission 'allow' has 65 prefixes, a session side takes at most 64\n"),
	       "config: a session's policy of more than 64 prefixes in a list is refused");
	admission_errors(64, 50, true, true, out, sizeof(out));
	tap_ok(!out[0], "config: a session of 8192 bytes, with 114 IPv6 prefixes a side, is accepted");
	admission_errors(64, 51, true, true, out, sizeof(out));
	tap_ok(!strcmp(out, "test.yaml:9:45: session 's' is too large for the kernel to read back: its reply would be 8256 bytes, past 8 KiB (fewer admission prefixes in policy 'big')\n"),
	       "config: one IPv6 prefix more is refused at the session's policy");
}

int main(int argc, char **argv)
{
	test_examples(argc > 1 ? argv[1] : "examples");
	test_across_files();
	test_messages();
	test_streaming();
	test_kernel_bounds();
	return tap_done();
}
