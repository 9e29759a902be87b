# SPDX-License-Identifier: MIT
# xsplice build. `make` builds the CLI; `make check` runs every test (also
# under ASan/UBSan); `make demo` runs the live-patch demo; `make bench` measures.

ARCH ?= $(shell uname -m)
CC ?= gcc
BUILD ?= build
SAN_BUILD ?= build-san

# The version, kept in one place (VERSION): `xsplice --version` prints it.
XS_VERSION := $(shell cat VERSION)
VERSION_FLAG := -DXS_VERSION='"$(XS_VERSION)"'
# One folder per stage (src/*/README.md); an include names it: "target/target.h".
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE \
	-Iinclude -Isrc -Isrc/arch/$(ARCH) -MMD -MP $(VERSION_FLAG)
LDLIBS := -ldw -lelf -lcapstone
# Parallel builds for the two commands (make check, make demo) and bench.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The CLI runs as root on processes it does not trust: built hardened, not
# left to the toolchain's defaults (Debian's gcc has PIE but no stack
# protector or _FORTIFY_SOURCE). Level 3 from gcc 12; redefined, not added,
# where a distribution's gcc defines it already. tests/unit/test_hardening.c
# checks the result.
FORTIFY_LEVEL := $(shell $(CC) -dumpversion 2>/dev/null | awk -F. '{ print ($$1 >= 12) ? 3 : 2 }')
HARDEN_CFLAGS := -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
FORTIFY := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$(FORTIFY_LEVEL)
# ASan intercepts the functions _FORTIFY_SOURCE would check, and the two
# together are not supported: the sanitizer build leaves it out.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	$(HARDEN_CFLAGS)

LIB_SRCS := $(sort $(filter-out src/cli/%,$(wildcard src/*.c src/*/*.c)) $(wildcard src/arch/$(ARCH)/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
# The door to the target (ptrace, its memory, seccomp, maps): every other file
# of the CLI is built with src/target/target_poison.h forced in, so that none
# can call ptrace or read the target's memory but through it, new files included.
DOOR_SRCS := $(wildcard src/target/*.c)
POISONED_SRCS := $(filter-out $(DOOR_SRCS),$(LIB_SRCS) $(CLI_SRCS))
POISON := -include src/target/target_poison.h

# main.c prints the version: rebuilt when it changes.
$(BUILD)/obj/src/cli/main.o $(SAN_BUILD)/obj/src/cli/main.o: VERSION

# $(call objs,BUILDDIR,SRCS)
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))
$(call objs,$(BUILD),$(POISONED_SRCS)) $(call objs,$(SAN_BUILD),$(POISONED_SRCS)): \
	XS_POISON := $(POISON)

all: deps-check $(BUILD)/bin/xsplice

# --- dependencies: install what is missing (Debian 12) -------------------------
deps:
	@missing=""; \
	[ -f /usr/include/libelf.h ] || missing="$$missing libelf-dev"; \
	[ -f /usr/include/elfutils/libdwfl.h ] || missing="$$missing libdw-dev"; \
	[ -f /usr/include/capstone/capstone.h ] || missing="$$missing libcapstone-dev"; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	command -v ld >/dev/null || missing="$$missing binutils"; \
	command -v patch >/dev/null || missing="$$missing patch"; \
	command -v cmake >/dev/null || missing="$$missing cmake"; \
	[ -x /usr/bin/python3 ] || missing="$$missing python3"; \
	command -v timeout >/dev/null || missing="$$missing coreutils"; \
	command -v clang-format >/dev/null || missing="$$missing clang-format"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
deps-check:
	@[ -f /usr/include/libelf.h ] && [ -f /usr/include/elfutils/libdwfl.h ] && \
		[ -f /usr/include/capstone/capstone.h ] && \
		command -v patch >/dev/null && command -v cmake >/dev/null && [ -x /usr/bin/python3 ] || \
		$(MAKE) --no-print-directory deps

# --- normal build ---------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(XS_POISON) $(HARDEN_CFLAGS) $(FORTIFY) $(CFLAGS) -c $< -o $@

$(BUILD)/lib/libxsplice.a: $(call objs,$(BUILD),$(LIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/xsplice: $(call objs,$(BUILD),$(CLI_SRCS)) $(BUILD)/lib/libxsplice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(HARDEN_CFLAGS) $(FORTIFY) $(CFLAGS) $(HARDEN_LDFLAGS) $(LDFLAGS) \
		-o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/lib/libxsplice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(HARDEN_CFLAGS) $(FORTIFY) $(CFLAGS) $(HARDEN_LDFLAGS) $(LDFLAGS) \
		-o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

UNIT_BINS = $(patsubst tests/unit/%.c,$(1)/tests/%,$(UNIT_SRCS))

# --- sanitizer build (same sources, separate tree) ------------------------------
$(SAN_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(XS_POISON) $(SAN_FLAGS) -c $< -o $@

$(SAN_BUILD)/lib/libxsplice.a: $(call objs,$(SAN_BUILD),$(LIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SAN_BUILD)/bin/xsplice: $(call objs,$(SAN_BUILD),$(CLI_SRCS)) $(SAN_BUILD)/lib/libxsplice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(HARDEN_LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

$(SAN_BUILD)/tests/%: tests/unit/%.c $(SAN_BUILD)/lib/libxsplice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN_FLAGS) $(HARDEN_LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

build-all: all $(call UNIT_BINS,$(BUILD)) $(SAN_BUILD)/bin/xsplice $(call UNIT_BINS,$(SAN_BUILD))

# --- the two commands ---------------------------------------------------------------
check: deps-check
	@$(MAKE) --no-print-directory -j$(JOBS) build-all
	@tests/run.sh $(T)

demo: deps-check
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@demo/run.sh

bench: deps-check
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@bench/run.sh

# The pictures in docs/ (committed: readers need no graphviz). Not part of
# check: it first fails if docs/stages.dot and the includes in src/ differ.
docs:
	@command -v dot >/dev/null || { \
		echo "installing: graphviz"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq graphviz >/dev/null; }
	@docs/stage_edges.sh
	dot -Tsvg docs/stages.dot -o docs/stages.svg
	dot -Tsvg docs/apply.dot -o docs/apply.svg

# --- style: .clang-format over the project's own C (not the test programs and
# payloads under tests/cases, tests/builder, demo: their diffs and line numbers
# are part of the tests) ---------------------------------------------------------
FORMAT_FILES = $(shell git ls-files 'src/*.[ch]' 'include/*.h' 'tests/unit/*.[ch]' 'bench/*.[ch]' 2>/dev/null)

format:
	@command -v clang-format >/dev/null || $(MAKE) --no-print-directory deps
	clang-format -i $(FORMAT_FILES)

format-check:
	@command -v clang-format >/dev/null || $(MAKE) --no-print-directory deps
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo "format: $(words $(FORMAT_FILES)) files follow .clang-format"

clean:
	rm -rf $(BUILD) $(SAN_BUILD)

.PHONY: all deps deps-check build-all check demo bench docs clean format format-check
-include $(shell find $(BUILD) $(SAN_BUILD) -name '*.d' 2>/dev/null)
