#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# distro_layout: sources in src/ and src/util/, objects in build/, binary in
# bin/, hardened flags, make -j2; the diff changes a string inside a switch
# (compiled to a table) and a value in a const table of pointers
# (.data.rel.ro): both functions are replaced with their new tables.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project server "make -j2" bin/server
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_file_match "$XS_OUT" '^  replace level_name -> '
assert_file_match "$XS_OUT" '^  replace table_lookup -> '
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 2 "replaced functions"
start_ready "$BIN"
wait_for_line "$TOUT" '^tick .* level=warning beta=2$' 5 || fail "no 'warning' tick before the patch"
xs_ok load "$TPID" "$T/fix.xsp"
from=$(fsize "$TOUT")
wait_for_line "$TOUT" '^tick .* level=WARNING beta=20$' 5 "$from" || fail "no 'WARNING' tick after load"
wait_for_line "$TOUT" '^tick .* level=error beta=20$' 5 "$from" || fail "other levels broken after load"
xs_ok revert "$TPID" fix
from=$(fsize "$TOUT")
wait_for_line "$TOUT" '^tick .* level=warning beta=2$' 5 "$from" || fail "no 'warning' tick after revert"
xs_ok unload "$TPID" fix
