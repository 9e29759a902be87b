#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# label_renumber: word() and tag() refer to strings of the same content under
# other labels and sections after the diff: the same functions, not replaced.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project relax make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace first -> '
cycle ' first=two word=five tag=two$' ' first=deux word=five tag=two$'
