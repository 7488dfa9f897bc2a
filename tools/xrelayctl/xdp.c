// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp attach/detach/show: the XDP fast path, loaded from the skeleton built
 * into xrelayctl. An attached program stays attached after xrelayctl exits
 * and keeps xrelay.ko pinned (the kernel refuses rmmod while it is loaded).
 */
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "xrelay.skel.h"
#include "xrelay_xdp.h"
#include "xrelayctl.h"

#define XRELAY_PROG_NAME	"xrelay_xdp"

static const char *const mode_names[] = {
	[XDP_ATTACHED_DRV] = "native",
	[XDP_ATTACHED_SKB] = "generic",
	[XDP_ATTACHED_HW] = "offload",
};

static unsigned int args_dev(struct args *a)
{
	const char *name;
	unsigned int ifindex;

	if (!args_take(a, "dev"))
		usage_error("missing \"dev DEV\"");
	name = args_next(a);
	if (!name)
		usage_error("missing value after \"dev\"");
	ifindex = if_nametoindex(name);
	if (!ifindex)
		usage_error("bad value \"%s\" for \"dev\": no such interface", name);
	return ifindex;
}

/*
 * The kfuncs exist only if the module is loaded and was built with BTF;
 * libbpf's own message for either is cryptic, so say what to do instead.
 */
static int xdp_check_module(void)
{
	if (access("/sys/module/xrelay", F_OK)) {
		fprintf(stderr, "Error: the xrelay module is not loaded (modprobe xrelay)\n");
		return EXIT_RUNTIME;
	}
	if (access("/sys/kernel/btf/xrelay", F_OK)) {
		fprintf(stderr,
			"Error: xrelay.ko was built without BTF, so XDP cannot call into it; "
			"it still relays without XDP. Install linux-source-6.1 and the kernel "
			"image (scripts/install-deps.sh) and rebuild it (make, or make dkms-install)\n");
		return EXIT_RUNTIME;
	}
	return 0;
}

/* libbpf's warnings carry the verifier's reasons when loading fails. */
static int libbpf_warnings(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Every other interface of the namespace is a possible egress. */
static int xdp_fill_ports(struct xrelay_bpf *skel)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int fd = bpf_map__fd(skel->maps.tx_ports);
	unsigned int n = 0;

	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && n < XRELAY_XDP_MAX_PORTS; i++) {
		__u32 ifindex = i->if_index;

		if (!strcmp(i->if_name, "lo"))
			continue;
		/* Interfaces that cannot take redirected frames are skipped. */
		if (!bpf_map_update_elem(fd, &ifindex, &ifindex, BPF_ANY))
			n++;
	}
	if_freenameindex(ifs);
	return 0;
}

int xdp_attach(struct args *a)
{
	unsigned int ifindex = args_dev(a);
	__u32 flags = XDP_FLAGS_DRV_MODE;
	bool fallback = true;
	struct xrelay_bpf *skel;
	int err;

	if (args_take(a, "mode")) {
		const char *mode = args_next(a);

		if (!mode)
			usage_error("missing value after \"mode\"");
		if (!strcmp(mode, "generic"))
			flags = XDP_FLAGS_SKB_MODE;
		else if (strcmp(mode, "native"))
			usage_error("bad value \"%s\" for \"mode\": native or generic", mode);
		fallback = false;
	}
	args_end(a);
	err = xdp_check_module();
	if (err)
		return err;

	libbpf_set_print(libbpf_warnings);
	skel = xrelay_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Error: cannot load the XDP program: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	err = xdp_fill_ports(skel);
	if (!err)
		err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xrelay_xdp), flags, NULL);
	if (err == -EOPNOTSUPP && fallback) {
		fprintf(stderr, "native XDP is not supported by this interface: using generic mode\n");
		flags = XDP_FLAGS_SKB_MODE;
		err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xrelay_xdp), flags, NULL);
	}
	/* The attachment holds the program; the skeleton's references can go. */
	xrelay_bpf__destroy(skel);
	if (err) {
		fprintf(stderr, "Error: cannot attach the XDP program: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The id and mode of the program attached to @ifindex; 0 if none. */
static __u32 xdp_query(unsigned int ifindex, __u8 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q) || q.attach_mode == XDP_ATTACHED_NONE)
		return 0;
	*mode = q.attach_mode;
	return q.attach_mode == XDP_ATTACHED_SKB ? q.skb_prog_id : q.drv_prog_id;
}

static bool xdp_prog_is_ours(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool ours;
	int fd;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, XRELAY_PROG_NAME);
	close(fd);
	return ours;
}

int xdp_detach(struct args *a)
{
	unsigned int ifindex = args_dev(a);
	__u8 mode = 0;
	__u32 id;
	int err;

	args_end(a);
	id = xdp_query(ifindex, &mode);
	if (!id || !xdp_prog_is_ours(id)) {
		fprintf(stderr, "Error: xrelay's XDP program is not attached to this interface\n");
		return EXIT_RUNTIME;
	}
	err = bpf_xdp_detach(ifindex, mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
				      XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "Error: cannot detach the XDP program: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	return 0;
}

int xdp_show(struct args *a)
{
	struct if_nameindex *ifs, *i;

	args_end(a);
	ifs = if_nameindex();
	if (!ifs) {
		fprintf(stderr, "Error: cannot list interfaces: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	out_arr_open(NULL);
	for (i = ifs; i->if_index; i++) {
		__u8 mode = 0;
		__u32 id = xdp_query(i->if_index, &mode);

		if (!id || !xdp_prog_is_ours(id))
			continue;
		out_obj_open(NULL);
		out_str("dev", "dev %s", i->if_name);
		out_str("mode", " mode %s", mode < sizeof(mode_names) / sizeof(mode_names[0]) &&
			mode_names[mode] ? mode_names[mode] : "unknown");
		out_uint("prog_id", " prog %llu\n", id);
		out_obj_close();
	}
	out_arr_close();
	if_freenameindex(ifs);
	return 0;
}
