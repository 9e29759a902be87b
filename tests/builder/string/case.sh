#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# string: a changed string literal (the new one travels in the payload).
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace report\.c#mood'
cycle ' mood=calm ' ' mood=CALM! '
