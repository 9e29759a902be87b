#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# header: a macro in a header used by two files: functions of both objects are replaced; main.o is rebuilt but unchanged.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_file_match "$XS_OUT" '^  replace calc -> '
assert_file_match "$XS_OUT" '^  replace other -> '
assert_file_match "$XS_OUT" '^  replace report -> '
assert_no_file_match "$XS_OUT" 'replace main'
cycle ' calc=15 off=1 other=9$' ' calc=1014 off=1000 other=-990$'
