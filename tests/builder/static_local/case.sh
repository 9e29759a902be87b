#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# static_local: the replaced function keeps using the process's own static counter.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"
. "$XSPLICE_ROOT/tests/builder/builder.sh"

project ticker make
xs_build_ok "$CASE_DIR/fix.diff"
xs_ok info "$T/fix.xsp"
assert_file_match "$XS_OUT" '^  replace report\.c#bump'
start_ready "$BIN"
wait_for_line "$TOUT" '^tick .* count=5 ' 10 || fail "the counter never reached 5"
before=$(grep -o 'count=[0-9]*' "$TOUT" | tail -n 1 | cut -d= -f2)
from=$(fsize "$TOUT")
xs_ok load "$TPID" "$T/fix.xsp"
wait_count "$TOUT" '^tick ' 2 5 "$from" || fail "no ticks after load"
# the first tick computed by the new code: +100 on top of the running value
after=$(tail -c +$((from + 1)) "$TOUT" | grep -o 'count=[0-9]*' | cut -d= -f2 | awk '$1 >= 100' | head -n 1)
[ -n "$after" ] || fail "no count of the new code (+100) after load: $(tail -n 3 "$TOUT")"
[ $((after - 100)) -ge "$before" ] ||
	fail "count restarted: $after after load, was $before before (a new copy of the static?)"
xs_ok revert "$TPID" fix
# the old code again: +1 per tick, on from the value the new code left
from=$(fsize "$TOUT")
wait_count "$TOUT" '^tick ' 3 5 "$from" || fail "no ticks after revert"
set -- $(tail -c +$((from + 1)) "$TOUT" | grep -o 'count=[0-9]*' | cut -d= -f2 | tail -n 2)
[ "$1" -gt "$after" ] || fail "count went back after revert: $1 <= $after"
[ $(($2 - $1)) = 1 ] || fail "after revert count goes $1 -> $2, expected +1"
xs_ok unload "$TPID" fix
