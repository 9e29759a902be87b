#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# two_programs: app and app_cov (built with --coverage) compile the same
# shared.c into app-shared.o and app_cov-shared.o; a fix for app counts only
# the object app links (app_cov's coverage counters change size), and a
# refusal names the object and the program.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project twoprog make app
[ -x "$SRC/app_cov" ] || fail "twoprog did not build app_cov"
XSPLICE_DEBUG=1 xs_build_ok "$CASE_DIR/fix.diff"
assert_file_match "$XS_ERR" 'app_cov-shared\.o is linked into app_cov, not into --target' "debug output"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace value -> '
cycle ' value=1[0-4] limit=3$' ' value=10[0-4] limit=3$'

refused '^xsplice: build: app-shared\.o \(linked into app\): shared\.c: limit: initial value of existing data changes' \
	"$CASE_DIR/limit.diff"

# a change only app_cov links: nothing to patch in app, and it says why
refused '^xsplice: build: the diff .*cov\.diff changes no function of .*: nothing to patch \(it changes app_cov-shared\.o \(linked into app_cov\), which --target does not link\)' \
	"$CASE_DIR/cov.diff"
