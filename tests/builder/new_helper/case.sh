#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# new_helper: a new static function, called from a changed one, travels in the payload.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_no_file_match "$XS_OUT" 'replace .*bonus'
assert_file_match "$XS_OUT" '^  replace report\.c#score'
cycle ' score=[0-6] ' ' score=100[0-6] '
