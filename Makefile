# SPDX-License-Identifier: GPL-2.0
# secx top level.
#   make                 secx.ko for every installed guest kernel (or KDIR=...),
#                        the userspace tools and the selftests; the debug
#                        kernel is included once scripts/debug-kernel.sh built it
#   make check           everything: lint, host unit tests, VM selftests on
#                        both kernels (scripts/test-all.sh)
#   make lint            checkpatch --strict, sparse and W=1 on kmod/
#   make demo            the main job in a VM: a secured sendfile() transfer
#   make vm-shell K=6.12 an interactive guest with everything loaded
#   make bench           the benchmark's guest program and QEMU plugin
#                        (run it with scripts/bench/run.sh)
#   make check-debug     the debug-kernel lane of make check alone: the whole
#                        VM suite and 180 s of fuzzing on the debug kernel
#   make fuzz-kernel DURATION=S KERNEL=K   secx-fuzz in a guest for S seconds
KERNELS = $(shell scripts/kernels.sh --with-debug 2>/dev/null)

.PHONY: all kmod userspace selftests bench check check-debug fuzz-kernel lint demo vm-shell clean

all: kmod userspace selftests

ifdef KDIR
kmod:
	$(MAKE) -C kmod KDIR=$(KDIR)
else
kmod:
	@test -n "$(KERNELS)" || { echo "no guest kernels: run scripts/setup.sh" >&2; exit 1; }
	@for k in $(KERNELS); do \
		kdir=$$(scripts/kernels.sh --kdir $$k) || exit 1; \
		$(MAKE) -C kmod KDIR=$$kdir || exit 1; \
	done
endif

userspace:
	$(MAKE) -C userspace

selftests:
	$(MAKE) -C selftests

bench:
	$(MAKE) -C scripts/bench

check-debug: all
	scripts/debug-kernel.sh
	$(MAKE) kmod
	scripts/vm/run.sh -k debug -t 5400 -m 2048 -- secx-selftests-debug 180

fuzz-kernel: all
	$(MAKE) -C selftests fuzz-kernel

check:
	scripts/test-all.sh

lint:
	scripts/lint.sh

demo:
	scripts/demo.sh

vm-shell: all
	scripts/vm/run.sh -k $(or $(K),6.1) --shell

clean:
	$(MAKE) -C kmod clean
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	rm -rf build

# --- Installing on real machines (README "Install on real machines") -------
#   make install DESTDIR= PREFIX=/usr/local   tools, man pages, libsecx.so.1,
#                                             headers, libsecx.pc
#   make dkms-install    module source to /usr/src/secx-VER, then DKMS builds
#                        and installs secx.ko for every kernel with headers
#                        (and for each kernel installed later)
#   make dkms-uninstall  the reverse
#   make deb             the four .debs into build/deb/ (dpkg-buildpackage)
SECX_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMS_SRC = $(DESTDIR)/usr/src/secx-$(SECX_VERSION)

.PHONY: install dkms-source dkms-install dkms-uninstall deb
install:
	$(MAKE) -C userspace install SECX_VERSION=$(SECX_VERSION)

# What DKMS builds from: dkms.conf, kmod/ and the uapi header it includes.
dkms-source:
	@test -n "$(SECX_VERSION)" || { echo "dkms.conf has no PACKAGE_VERSION" >&2; exit 1; }
	install -d $(DKMS_SRC)/kmod/common $(DKMS_SRC)/uapi/linux
	install -m 0644 dkms.conf $(DKMS_SRC)/
	install -m 0644 kmod/Kbuild kmod/Makefile kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	install -m 0755 kmod/probe.sh $(DKMS_SRC)/kmod/
	install -m 0644 kmod/common/*.h $(DKMS_SRC)/kmod/common/
	install -m 0644 uapi/linux/secx.h $(DKMS_SRC)/uapi/linux/

dkms-install:
	scripts/pkg-deps.sh
	@if dkms status secx/$(SECX_VERSION) | grep -q .; then \
		echo "secx/$(SECX_VERSION) is already in DKMS: make dkms-uninstall first" >&2; exit 1; fi
	$(MAKE) dkms-source DESTDIR=
	dkms add secx/$(SECX_VERSION)
	@for k in $$(ls /lib/modules); do \
		[ -d /lib/modules/$$k/build ] || continue; \
		dkms install secx/$(SECX_VERSION) -k $$k || exit 1; done

dkms-uninstall:
	-dkms remove secx/$(SECX_VERSION) --all
	rm -rf /usr/src/secx-$(SECX_VERSION)

# dpkg-buildpackage runs in a copy of the tree (the files git knows about,
# committed or not), so its clean step never touches this tree's builds.
deb:
	scripts/pkg-deps.sh
	rm -rf build/deb && mkdir -p build/deb/secx-$(SECX_VERSION)
	git ls-files -z -c -o --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar -c --null -T - | tar -x -C build/deb/secx-$(SECX_VERSION)
	cd build/deb/secx-$(SECX_VERSION) && dpkg-buildpackage -us -uc -b
	@ls build/deb/*.deb
