# zdm — build, test, install. Plain make; pkg-config finds libpq, libyaml
# and jansson. `make help` lists the targets.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BUILD     ?= build
PKGS      := libpq yaml-0.1 jansson
CC        ?= cc

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-format-nonliteral -Wvla -Werror
OPT       ?= -O2 -g
SAN       ?=
CFLAGS    += -std=c11 -D_GNU_SOURCE $(OPT) $(SAN) $(WARN) \
             -DZDM_VERSION='"$(VERSION)"' -Ihook/lib \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS   += $(SAN)
LDLIBS    += $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Which libpq zdm-hook links (helm-zdm and the test programs always use the
# system's):
#   static  (default) PostgreSQL's libpq built from the distribution's
#           source by scripts/build-libpq.sh, without GSSAPI and LDAP, and
#           linked statically with OpenSSL, libyaml and jansson: zdm-hook
#           then needs only libc, starts in a fraction of the time and uses
#           a third of the memory (the Debian libpq loads 25 libraries).
#   system  the distribution's shared libpq, with GSSAPI/Kerberos and LDAP.
LIBPQ     ?= static
LIBPQ_DIR ?= build/libpq
ifeq ($(LIBPQ),static)
HOOK_DEPS := $(LIBPQ_DIR)/lib/libpq.a
HOOK_LIBS := $(LIBPQ_DIR)/lib/libpq.a $(LIBPQ_DIR)/lib/libpgcommon_shlib.a \
             $(LIBPQ_DIR)/lib/libpgport_shlib.a \
             -Wl,-Bstatic -lssl -lcrypto -lyaml -ljansson -Wl,-Bdynamic -lpthread -ldl
else ifeq ($(LIBPQ),system)
HOOK_DEPS :=
HOOK_LIBS := $(LDLIBS)
else
$(error LIBPQ must be static or system (got "$(LIBPQ)"))
endif

# The engine: hook/lib/*.c, built once as a static archive that both
# binaries link; zdm-hook's command layer is hook/*.c.
CMD_SRC    := $(wildcard hook/*.c)
LIB_SRC    := $(wildcard hook/lib/*.c)
PLUGIN_SRC := $(wildcard plugin/*.c)
UNIT_SRC   := $(wildcard tests/unit/test-*.c)
LOADGEN_SRC := $(wildcard tests/rollout/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CMD_OBJ    := $(CMD_SRC:%.c=$(BUILD)/obj/%.o)
PLUGIN_OBJ := $(PLUGIN_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/%)

LOADGEN_OBJ := $(LOADGEN_SRC:%.c=$(BUILD)/obj/%.o)

# libFuzzer harnesses (tests/fuzz/fuzz-NAME.c), built with clang, ASan
# and UBSan into build/fuzz/ over their own build of the engine and the
# plugin's library files; `make fuzz` runs each for FUZZ_SECONDS.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) $(WARN) \
                -DZDM_VERSION='"$(VERSION)"' -Ihook/lib -Iplugin \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_LIB_SRC := $(LIB_SRC) $(filter-out plugin/main.c plugin/cmd-%.c,$(PLUGIN_SRC))
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

BINS := $(BUILD)/zdm-hook $(if $(PLUGIN_SRC),$(BUILD)/helm-zdm)
# the rollout simulator's load generator (tests/rollout/), not installed
TOOLS := $(if $(LOADGEN_SRC),$(BUILD)/zdm-loadgen)

.PHONY: all help deps demo test e2e unit asan valgrind bench bench-lint bench-pgroll install uninstall clean checksrc \
	fuzz fuzz-build image dist

all: $(BINS) $(UNIT_BIN) $(TOOLS)

help:
	@echo "make            build $(BINS)"
	@echo "make demo       install deps, build, throwaway PostgreSQL, migrate chart-example"
	@echo "make test       install deps, build, run every test (C unit + bats)"
	@echo "make asan       the same suite on an AddressSanitizer+UBSan build"
	@echo "make valgrind   the unit tests and a migrate run under valgrind"
	@echo "make fuzz       build the libFuzzer harnesses (clang) and run each FUZZ_SECONDS=$(FUZZ_SECONDS)"
	@echo "make checksrc   clang-format and banned functions over every C file (part of make test)"
	@echo "make bench      benchmarks against peers (dbmate, golang-migrate, goose, atlas, squawk,"
	@echo "                pgroll), printed as ratios; the Go peers need Go, built once"
	@echo "make bench-lint only the lint benchmark against squawk"
	@echo "make bench-pgroll only the rename + SET NOT NULL under load against pgroll"
	@echo "make install    install binaries into PREFIX=$(PREFIX)"
	@echo "make image      build the zdm-hook and Argo CD sidecar images (buildah, no Docker engine)"
	@echo "                into build/image/*-$(VERSION).oci.tar"
	@echo "make dist       the plugin tarball build/dist/helm-zdm-$(VERSION)-linux-amd64.tar.gz"
	@echo "LIBPQ=system    link zdm-hook with the system's shared libpq (GSSAPI, LDAP)"

$(BUILD)/libzdm.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/zdm-hook: $(CMD_OBJ) $(BUILD)/libzdm.a $(HOOK_DEPS)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libzdm.a $(HOOK_LIBS)

$(LIBPQ_DIR)/lib/libpq.a: scripts/build-libpq.sh
	@scripts/build-libpq.sh $(LIBPQ_DIR)

# PLUGIN_LIBS: what helm-zdm links; make dist links libyaml and jansson
# statically so the release tarball's binary needs only libc.
PLUGIN_LIBS ?= $(LDLIBS)
$(BUILD)/helm-zdm: $(PLUGIN_OBJ) $(BUILD)/libzdm.a
	$(CC) $(LDFLAGS) -o $@ $(PLUGIN_OBJ) $(BUILD)/libzdm.a $(PLUGIN_LIBS)

$(BUILD)/zdm-loadgen: $(LOADGEN_OBJ) $(BUILD)/libzdm.a
	$(CC) $(LDFLAGS) -pthread -o $@ $(LOADGEN_OBJ) $(BUILD)/libzdm.a $(LDLIBS) -lm

$(BUILD)/test-%: $(BUILD)/obj/tests/unit/test-%.o $(BUILD)/libzdm.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libzdm.a $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/libzdm.a: $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz-%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz-%.o $(FUZZ_BUILD)/libzdm.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_BUILD)/libzdm.a $(LDLIBS)

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

deps:
	@scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

unit: all
	@tests/run.sh --unit-only

test: deps
	@$(MAKE) --no-print-directory all
	@tests/run.sh

# The e2e suite against a real control plane (tests/e2e/run.sh); the first
# run builds etcd, kube-apiserver, kube-controller-manager and kubectl
# into ${ZDM_CACHE:-~/.cache/zdm} (about 50 min cold on 2 shared cores).
e2e: deps
	@$(MAKE) --no-print-directory all
	@tests/e2e/run.sh

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all
	@ZDM_BUILD=build/asan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run.sh

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

valgrind: deps
	@$(MAKE) --no-print-directory all
	@ZDM_VALGRIND=1 tests/run.sh --unit-only

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh

bench-lint: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh lint

bench-pgroll: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh pgroll

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/zdm/templates
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 templates/* $(DESTDIR)$(PREFIX)/share/zdm/templates/
	install -m 0755 scripts/zdm-post-renderer $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/zdm-hook $(DESTDIR)$(PREFIX)/bin/helm-zdm \
	      $(DESTDIR)$(PREFIX)/bin/zdm-post-renderer
	rm -rf $(DESTDIR)$(PREFIX)/share/zdm

# The images, from hook/Dockerfile and plugin/argocd/Dockerfile, as OCI
# archives under build/image/ (scripts/image.sh: needs root and buildah).
image:
	@scripts/image.sh

# The plugin's release tarball with prebuilt binaries (scripts/dist.sh).
dist:
	@scripts/dist.sh

checksrc:
	@scripts/checksrc.sh

clean:
	rm -rf build
