#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# new_global: a new global variable lives in the payload, starting at its initial value.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
start_ready "$BIN"
expect_tick "$TOUT" ' off=1 other=9$'
xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" ' off=1 made=[0-9]+ other=9$'
steady_ticks "$TOUT" ' made=[0-9]+ '
first=$(grep -o 'made=[0-9]*' "$TOUT" | head -n 1 | cut -d= -f2)
[ "$first" -le 3 ] || fail "the new variable did not start at 0 (first made=$first)"
xs_ok revert "$TPID" fix
expect_tick "$TOUT" ' off=1 other=9$'
xs_ok unload "$TPID" fix
