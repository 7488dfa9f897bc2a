# SPDX-License-Identifier: GPL-2.0-only
#
# xrelay's single entry point.
#
#   make               module (with BTF) + userspace tools
#   make check         every test: host tests, then all kernel tests in one VM boot
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

.PHONY: all module $(SUBDIRS) selftests generate check demo ctld-demo bench fuzz install dkms-install clean
