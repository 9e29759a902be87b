#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# opt_O0: at -O0 nothing is inlined: only twice() itself changes.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker "make CFLAGS='-O0 -g'"
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace calc\.c#twice -> '
cycle ' calc=15 off=1 other=9$' ' calc=22 off=1 other=14$'
