# SPDX-License-Identifier: GPL-2.0
# Included by Makefile: libsecx as a shared library and `make install`.
#   make shlib           build/pic/libsecx.so.1 (+ libsecx.so, libsecx.pc)
#   make shlib-check     exported symbols == functions declared in lib/secx.h
#   make install DESTDIR=... PREFIX=/usr/local [LIBDIR=...] [SBINDIR=...]
#
# The shared library is built from the same sources as libsecx.a ($(LIB_OBJ)),
# compiled again with -fPIC into build/pic/, minus lib/nl.c (generic netlink
# for secxctl only: the library must not pull in libnl).  Its exports are
# exactly the functions and data that lib/secx.h declares: the version
# script is generated from the preprocessed header, so a function added to
# the header is exported and nothing else ever is.  The tools keep linking
# libsecx.a statically (they use internals such as lib/nl.c).
SECX_SOVER   := 1
SECX_VERSION ?= 0.1
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
SBINDIR      ?= $(PREFIX)/sbin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# bash-completion's directory for files loaded on demand, one per command
BASHCOMPDIR  ?= $(PREFIX)/share/bash-completion/completions
INSTALL      ?= install

PB        := $(B)/pic
SHLIB_OBJ := $(patsubst $(B)/%,$(PB)/%,$(filter-out $(B)/lib/nl.o,$(LIB_OBJ)))
SHLIB     := $(PB)/libsecx.so.$(SECX_SOVER)
SHLIB_MAP := $(PB)/libsecx.map

.PHONY: shlib shlib-check tools install uninstall FORCE
FORCE:
shlib: $(SHLIB) $(PB)/libsecx.so $(PB)/libsecx.pc
tools: $(TOOLS)

$(PB)/%.o: %.c $(wildcard lib/*.h) $(TOP)/uapi/linux/secx.h $(wildcard $(TOP)/kmod/common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<

# The public API: every secx_* name followed by '(' or '[' in the header as
# an application compiles it (comments gone, no test-only #ifdefs).
$(PB)/secx.api: lib/secx.h $(TOP)/uapi/linux/secx.h
	@mkdir -p $(dir $@)
	$(CC) $(filter -I% -D%,$(CFLAGS)) -E -P -x c $< | \
		grep -oE '\bsecx_[a-z0-9_]+ *[([]' | tr -d ' ([' | sort -u >$@.tmp
	@test -s $@.tmp || { echo "install.mk: no API found in lib/secx.h" >&2; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

$(SHLIB_MAP): $(PB)/secx.api
	{ echo "LIBSECX_$(SECX_SOVER) {"; echo "global:"; sed 's/.*/	&;/' $<; \
	  echo "local:"; echo "	*;"; echo "};"; } >$@.tmp && mv $@.tmp $@

$(SHLIB): $(SHLIB_OBJ) $(SHLIB_MAP)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libsecx.so.$(SECX_SOVER) \
		-Wl,--version-script=$(SHLIB_MAP) -Wl,--no-undefined -Wl,-z,relro -Wl,-z,now \
		-o $@ $(SHLIB_OBJ) $(LDLIBS)

$(PB)/libsecx.so: $(SHLIB)
	ln -sf libsecx.so.$(SECX_SOVER) $@

# Regenerated every time: PREFIX/LIBDIR may differ from the last run.
$(PB)/libsecx.pc: libsecx.pc.in FORCE
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(SECX_VERSION)|' $< >$@

# Exports must equal the declared API exactly (both directions).
shlib-check: $(SHLIB) $(PB)/secx.api
	@nm -D --defined-only $(SHLIB) | awk '$$2 != "A" { print $$3 }' | \
		sed 's/@.*//' | sort -u >$(PB)/secx.exported
	@if diff -u $(PB)/secx.api $(PB)/secx.exported; then \
		echo "shlib-check: $(SHLIB) exports exactly the $$(wc -l <$(PB)/secx.api) names of lib/secx.h"; \
	else echo "shlib-check: exports differ from lib/secx.h (- declared, + exported)" >&2; exit 1; fi
	@readelf -d $(SHLIB) | grep -q 'SONAME.*\[libsecx.so.$(SECX_SOVER)\]' || \
		{ echo "shlib-check: SONAME is not libsecx.so.$(SECX_SOVER)" >&2; exit 1; }

# Section 1 pages' programs go to BINDIR, section 8 pages' to SBINDIR.
# Headers go to INCLUDEDIR/secx/ (with the uapi header as linux/secx.h there,
# so it never collides with the kernel's own /usr/include/linux);
# libsecx.pc adds -I$(INCLUDEDIR)/secx.
install: $(TOOLS) shlib
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/secx/linux \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0755 $(B)/secx-send $(B)/secx-recv $(B)/secx-verify $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0755 $(B)/secx-handshake $(B)/secxctl $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(wildcard completion/secx*) $(DESTDIR)$(BASHCOMPDIR)/
	$(INSTALL) -m 0644 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libsecx.so.$(SECX_SOVER) $(DESTDIR)$(LIBDIR)/libsecx.so
	$(INSTALL) -m 0644 lib/secx.h $(DESTDIR)$(INCLUDEDIR)/secx/secx.h
	$(INSTALL) -m 0644 $(TOP)/uapi/linux/secx.h $(DESTDIR)$(INCLUDEDIR)/secx/linux/secx.h
	$(INSTALL) -m 0644 $(PB)/libsecx.pc $(DESTDIR)$(PKGCONFIGDIR)/libsecx.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/secx-send $(DESTDIR)$(BINDIR)/secx-recv \
	      $(DESTDIR)$(BINDIR)/secx-verify \
	      $(DESTDIR)$(SBINDIR)/secx-handshake $(DESTDIR)$(SBINDIR)/secxctl \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8))) \
	      $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(notdir $(wildcard completion/secx*))) \
	      $(DESTDIR)$(LIBDIR)/libsecx.so.$(SECX_SOVER) $(DESTDIR)$(LIBDIR)/libsecx.so \
	      $(DESTDIR)$(PKGCONFIGDIR)/libsecx.pc \
	      $(DESTDIR)$(INCLUDEDIR)/secx/secx.h $(DESTDIR)$(INCLUDEDIR)/secx/linux/secx.h
	-rmdir $(DESTDIR)$(INCLUDEDIR)/secx/linux $(DESTDIR)$(INCLUDEDIR)/secx

all: shlib
check: shlib-check
