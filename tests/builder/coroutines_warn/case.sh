#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# coroutines_warn: `xsplice build` for a target that links swapcontext and
# has no xsplice_coroutines says, in one warning line, that its coroutine
# stacks are not checked; the payload builds and loads (tests/cases/coroutines
# has the coroutine program and the list).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

SRC=$T/src
BIN=$SRC/coro
BUILD_CMD="make CFLAGS='-O2 -g -DNO_LIST -I$XSPLICE_ROOT/include'"
mkdir "$SRC"
cp "$XSPLICE_ROOT/tests/cases/coroutines/coro.c" "$SRC/"
printf 'CC ?= gcc\nCFLAGS ?= -O2 -g\ncoro: coro.o\n\t$(CC) $(CFLAGS) -o $@ coro.o\n%%.o: %%.c\n\t$(CC) $(CFLAGS) -c $< -o $@\n' >"$SRC/Makefile"
(cd "$SRC" && timeout -k 2 60 sh -c "$BUILD_CMD") >"$T/project-build.log" 2>&1 ||
	fail "building coro failed: $(tail -n 5 "$T/project-build.log")"

xs_build_ok "$CASE_DIR/fix.diff"
assert_file_match "$XS_ERR" '^xsplice: build: warning: .*/src/coro links (swap|make)context: functions on coroutine stacks \(ucontext\) are not seen by the stack check unless the program lists them in xsplice_coroutines'
assert_eq "$(grep -vc "^build: " "$XS_ERR")" 1 "stderr lines but the steps"
xs_ok info "$T/fix.xsp"
assert_file_match "$XS_OUT" '^  replace work -> '
cycle 'held=0 work=20,22,24$' 'held=0 work=30,33,36$'
