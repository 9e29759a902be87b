#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# line_noise: the diff adds lines to bonus(), above where(), which logs
# __LINE__, and here(), which returns it in a string: only bonus() is
# replaced; where() and here() keep printing their old lines.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project withlib make prog
XSPLICE_DEBUG=1 xs_build_ok "$CASE_DIR/fix.diff"
# The premise: where()'s code did change (its __LINE__), and was let go.
assert_file_match "$XS_ERR" 'main\.o: \.text\.where[.a-z0-9]* differs only in line numbers'
assert_file_match "$XS_ERR" 'string "main\.c:26" differs only in line numbers'
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace main\.c#bonus -> '
assert_no_file_match "$XS_OUT" 'where|here'
[ ! -e "$T/fix-libcalc.so.xsp" ] || fail "libcalc.so did not change, but got a payload"
cycle ' bonus=[0-4] calc=7 \[main\.c:17 n=[0-2]\] at=main\.c:26$' ' bonus=10[0-4] calc=7 \[main\.c:17 n=[0-2]\] at=main\.c:26$'
