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
KERNELS = $(shell scripts/kernels.sh --with-debug 2>/dev/null)

.PHONY: all kmod userspace selftests bench check lint demo vm-shell clean

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
