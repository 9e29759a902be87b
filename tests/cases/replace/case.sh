#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# replace: revert every applied payload and apply another in one stop.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
for n in 1 2 3; do
	build_payload "$T/fix$n.xsp" "$CASE_DIR/fix$n.c" "$T/compute"
done
start_compute "$T/compute"

mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix1.xsp"
wait_workers "$out" 4 1007 "$mark"
mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix2.xsp"
wait_workers "$out" 4 2007 "$mark"
xs_ok upload "$pid" fix3 "$T/fix3.xsp"
xs_ok check "$pid" fix3

# during replace no thread may see the original or fix1's result
mark=$(fsize "$out")
xs_ok replace "$pid" fix3
wait_workers "$out" 4 3007 "$mark"
expect_tick "$out" 'compute\(7\)=3007$'
bad=$(tail -c +$((mark + 1)) "$out" | grep -E '=(14|1007)$' | head -n 1 || true)
[ -z "$bad" ] || fail "a thread saw an intermediate result during replace: $bad"
assert_status "$pid" fix1 REVERTED
assert_status "$pid" fix2 REVERTED
assert_status "$pid" fix3 APPLIED
assert_eq "$(list_status "$pid" fix3)" APPLIED "list status of fix3"

mark=$(fsize "$out")
xs_ok revert "$pid" fix3
wait_workers "$out" 4 14 "$mark"
expect_tick "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after reverting fix3"
for n in 1 2 3; do xs_ok unload "$pid" fix$n; done
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
steady_ticks "$out" 'compute\(7\)=14$'
