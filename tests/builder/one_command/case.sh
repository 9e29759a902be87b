#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# one_command: the Makefile compiles and links in one command
# ($(CC) $(CFLAGS) -o app app.c): the wrapper compiles app.c to an object of
# its own, then links it.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project onecmd make app
xs_build_ok "$CASE_DIR/fix.diff"
assert_file_match "$XS_OUT" "^$T/fix\.xsp: value \(for $BIN, build-id $("$XSPLICE" build-id "$BIN")\)$"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions"
cycle ' value=1[0-4]$' ' value=10[0-4]$'
