#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# static_fn: a changed static function is replaced, and nothing else.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace report\.c#score -> '
cycle ' score=[0-6] ' ' score=10[0-6] '
