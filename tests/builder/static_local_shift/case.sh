#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# static_local_shift: a new function with its own "static int count" takes the
# compiler's name count.0 (bump's becomes count.1): bump still uses the
# process's counter, ping gets a new one.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_eq "$(grep -c '^  replace ' "$XS_OUT")" 1 "replaced functions (report only)"
assert_file_match "$XS_OUT" '^  replace report -> '
start_ready "$BIN"
wait_for_line "$TOUT" '^tick .* count=5 ' 10 || fail "the counter never reached 5"
xs_ok load "$TPID" "$T/fix.xsp"
expect_tick "$TOUT" ' ping=[0-9]+ other=9$'
# one counter each: count goes on from the running value, ping starts from 0
line=$(grep ' ping=' "$TOUT" | head -n 1)
c=$(printf '%s' "$line" | grep -o 'count=[0-9]*' | cut -d= -f2)
p=$(printf '%s' "$line" | grep -o 'ping=[0-9]*' | cut -d= -f2)
[ "$c" -gt 5 ] || fail "count restarted with the new code: $line"
[ "$p" -le 6 ] || fail "ping did not start from its own zero: $line"
xs_ok revert "$TPID" fix
expect_tick "$TOUT" ' off=1 other=9$'
xs_ok unload "$TPID" fix
