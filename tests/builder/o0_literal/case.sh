#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# o0_literal: at -O0 every literal of a file sits in one .rodata; a changed
# literal (a longer one: the later ones move) replaces only the function that
# uses it, not main or the thread loop, which are always on a stack; the
# global array of pointers to later literals is unchanged. A changed literal
# that array points to is a change of existing data: refused.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project spinner "make CFLAGS='-O0 -g'"
refused 'spinner\.c: names: initial value of existing data changes' "$CASE_DIR/names.diff"
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace word -> '
cycle ' word=plain mood=calm spinning=yes$' ' word=FANCY! mood=calm spinning=yes$'
