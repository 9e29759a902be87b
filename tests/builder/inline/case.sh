#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# inline: twice() is inlined into calc() and other(): both are replaced.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_file_match "$XS_OUT" '^  replace calc -> '
assert_file_match "$XS_OUT" '^  replace other -> '
cycle ' calc=15 off=1 other=9$' ' calc=22 off=1 other=14$'
