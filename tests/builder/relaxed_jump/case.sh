#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# relaxed_jump: the binary's api() is 3 bytes shorter than as built (a relaxed
# jmp to helper()): still the same code, so it is replaced, and only it.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project relax make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace api -> '
# The expect block holds the running binary's bytes: the 2-byte jmp (eb).
assert_file_match "$XS_OUT" 'expects 83 ff 05 7f 0b 8d 44 7f 01 c3 .* eb [0-9a-f]{2} \(18 bytes\)'
cycle ' api=1 big=46 ' ' api=2 big=46 '
