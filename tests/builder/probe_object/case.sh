#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# probe_object: the Makefile compiles foo.o while it parses, to test the
# compiler, and deletes it (as redis does): the build ignores it.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project probe make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
assert_file_match "$XS_OUT" '^  replace value -> '
cycle ' value=1[0-4]$' ' value=10[0-4]$'
