# SPDX-License-Identifier: GPL-2.0-only
#
# xrelay's single entry point.
#
#   make               module (with BTF) + userspace tools
#   make check         every test: host tests, then all kernel tests in a VM of
#                      Debian's kernel and selftests/debug-set's in one of the
#                      debug kernel, side by side (DEBUG_TESTS=all: all of them)
#   make debug-kernel  build (or find in its cache) the debug kernel: KASAN,
#                      UBSAN, lockdep, kmemleak... (scripts/debug-kernel.sh)
#   make module-debug  build/debug/xrelay.ko, the module for the debug kernel
#   make demo          WireGuard through the relay, inside the VM
#   make ctld-demo     the control server with the example configuration
#   make bench         benchmark tables: relay paths in the VM, control server
#   make fuzz          the netlink fuzzer in the VM, FUZZ_SECONDS long (default 600),
#                      FUZZ_SEED=N to repeat a run
#   make install       module, tools and their man pages (DESTDIR, PREFIX respected)
#   make dkms-install  register the module source with DKMS
#
# KVER picks the kernel (default: the one linux-image-amd64 depends on), KSRC
# its headers. Kbuild reads ./Kbuild, never this file.

VERSION := $(shell cat VERSION)
BUILD := $(CURDIR)/build

# Looked up once and only by the targets that need it (dkms passes
# KERNELRELEASE), so `make clean` works without a kernel installed.
KVER = $(eval KVER := $(or $(KERNELRELEASE),$(shell scripts/kver.sh)))$(KVER)
KSRC = /lib/modules/$(KVER)/build

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
MODDIR = /lib/modules/$(KVER)/updates

# Userspace parts build with their own Makefiles, when they exist.
SUBDIRS := $(patsubst %/Makefile,%,$(wildcard tools/Makefile ctl-server/Makefile))

all: module $(SUBDIRS)

# kbuild-btf.sh prints the kbuild dir: its BTF-capable copy of the headers,
# or the plain headers (after a warning) when vmlinuz or linux-source is
# missing. Only in the first case must the module carry .BTF.
module:
	$(if $(KVER),,$(error cannot tell the kernel version, see above; or pass KVER=))
	@kdir=$$(scripts/kbuild-btf.sh $(KVER) $(KSRC) $(BUILD)) && \
	$(MAKE) -C "$$kdir" M=$(CURDIR) modules && \
	if [ -e "$$kdir/vmlinux" ] && ! readelf -S -W kmod/xrelay.ko | grep -q ' \.BTF '; then \
		echo "error: kmod/xrelay.ko was built without a .BTF section" >&2; exit 1; \
	fi

# The debug kernel's cache dir (scripts/debug-kernel.sh prints it).
debug-kernel:
	@scripts/debug-kernel.sh

# The module for the debug kernel, from a copy of its sources in
# build/debug/src (6.1's kbuild writes objects next to the sources, and
# kmod/xrelay.ko stays Debian's kernel's), against the debug kernel's build
# tree; the result is build/debug/xrelay.ko.
DEBUG_BUILD := $(BUILD)/debug
module-debug:
	@dir=$$(scripts/debug-kernel.sh) && \
	mkdir -p $(DEBUG_BUILD)/src && \
	mkdir -p $(DEBUG_BUILD)/src/kmod $(DEBUG_BUILD)/src/bpf && \
	find $(DEBUG_BUILD)/src/kmod $(DEBUG_BUILD)/src/bpf -maxdepth 1 -type f \
		\( -name '*.[ch]' -o -name Kbuild \) -delete && \
	cp -p kmod/*.[ch] kmod/Kbuild $(DEBUG_BUILD)/src/kmod/ && \
	cp -p bpf/*.h $(DEBUG_BUILD)/src/bpf/ && \
	cp -pr kmod/uapi $(DEBUG_BUILD)/src/kmod/ && cp -p Kbuild $(DEBUG_BUILD)/src/ && \
	$(MAKE) -C "$$dir/kbuild" M=$(DEBUG_BUILD)/src modules && \
	if ! readelf -S -W $(DEBUG_BUILD)/src/kmod/xrelay.ko | grep -q ' \.BTF '; then \
		echo "error: $(DEBUG_BUILD)/src/kmod/xrelay.ko was built without a .BTF section" >&2; exit 1; \
	fi && \
	cp $(DEBUG_BUILD)/src/kmod/xrelay.ko $(DEBUG_BUILD)/xrelay.ko && \
	echo "  DEBUG   $(DEBUG_BUILD)/xrelay.ko for $$(cat $$dir/kernelrelease)"

$(SUBDIRS):
	$(MAKE) -C $@

# The C selftests (build/selftests/*_test) and their helpers.
selftests:
	$(if $(wildcard selftests/Makefile),$(MAKE) -C selftests)

generate:
	python3 scripts/nlgen.py --spec Documentation/netlink/specs/xrelay.yaml \
		--uapi kmod/uapi/linux/xrelay.h --kernel-dir kmod

check:
	@selftests/run.sh

demo:
	@scripts/demo.sh

# xrelay-ctld with ctl-server/examples on loopback, answering a relay's poll.
ctld-demo:
	@scripts/ctld-demo.sh

# Benchmarks print tables, not test results: the relay's paths in the VM,
# then the control server.
bench: all selftests
	@bench/run.sh
	@$(MAKE) -s -C ctl-server bench

# The netlink fuzzer under churn (selftests/test-fuzz.sh) for as long as asked.
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) scripts/fuzz.sh

install: all
	install -D -m 644 kmod/xrelay.ko $(DESTDIR)$(MODDIR)/xrelay.ko
	$(if $(DESTDIR),,depmod -a $(KVER))
	@for d in $(SUBDIRS); do \
		if grep -q '^install:' $$d/Makefile; then \
			$(MAKE) -C $$d install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) \
				SBINDIR=$(SBINDIR) MANDIR=$(MANDIR) || exit 1; \
		fi; \
	done

# DKMS builds from its own copy of the source; dkms.conf's MAKE runs
# `make module` there, BTF preparation included. Later kernels get the
# module through DKMS's own hooks (AUTOINSTALL).
dkms-install:
	if [ -n "$$(dkms status -m xrelay -v $(VERSION))" ]; then \
		dkms remove -m xrelay -v $(VERSION) --all; fi
	scripts/dkms-tree.sh /usr/src/xrelay-$(VERSION)
	dkms add -m xrelay -v $(VERSION)
	dkms build -m xrelay -v $(VERSION) -k $(KVER)
	dkms install -m xrelay -v $(VERSION) -k $(KVER)

clean:
	$(if $(wildcard $(KSRC)/Makefile),$(MAKE) -C $(KSRC) M=$(CURDIR) clean)
	@for d in $(SUBDIRS) $(if $(wildcard selftests/Makefile),selftests); do \
		$(MAKE) -C $$d clean || exit 1; \
	done
	rm -rf $(BUILD)

.PHONY: all module debug-kernel module-debug $(SUBDIRS) selftests generate check demo ctld-demo bench fuzz \
	install dkms-install clean
