#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stacking: two payloads on one function; only the top one can be reverted.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix1.xsp" "$CASE_DIR/fix1.c" "$T/compute"
build_payload "$T/fix2.xsp" "$CASE_DIR/fix2.c" "$T/compute" --depends "$T/fix1.xsp"
start_compute "$T/compute"

xs_ok upload "$pid" fix1 "$T/fix1.xsp"
xs_ok upload "$pid" fix2 "$T/fix2.xsp"
fix1_bid=$(get_field "$pid" fix1 build-id)
assert_match "$fix1_bid" '^[0-9a-f]{8,}$' "fix1's build-id"
assert_eq "$(get_field "$pid" fix2 depends)" "$fix1_bid" "fix2 depends on fix1's build-id"
xs_ok check "$pid" fix1
# fix2 needs fix1 applied: refused at check or at apply, nothing changes
if xs check "$pid" fix2; then
	xs_fail . apply "$pid" fix2
	cp "$XS_ERR" "$T/refusal"
	assert_status "$pid" fix2 CHECKED
else
	cp "$XS_ERR" "$T/refusal"
	assert_status "$pid" fix2 LOADED
fi
grep -Eqi 'depend|fix1|build.?id' "$T/refusal" || fail "refusal does not name the dependency: $(cat "$T/refusal")"
steady_ticks "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after the refused fix2"

mark=$(fsize "$out")
xs_ok apply "$pid" fix1
wait_workers "$out" 4 1007 "$mark"
[ "$(status_of "$pid" fix2)" = LOADED ] && xs_ok check "$pid" fix2
mark=$(fsize "$out")
xs_ok apply "$pid" fix2
wait_workers "$out" 4 2007 "$mark"
expect_tick "$out" 'compute\(7\)=2007$'
assert_status "$pid" fix1 APPLIED
assert_status "$pid" fix2 APPLIED

# only the most recently applied payload can be reverted
code=$(read_code "$pid" "$addr" 16)
xs_fail . revert "$pid" fix1
grep -q fix1 "$XS_ERR" || fail "refusal does not name fix1: $(xs_err)"
assert_status "$pid" fix1 APPLIED
assert_status "$pid" fix2 APPLIED
xs_fail . unload "$pid" fix1
xs_fail . unload "$pid" fix2
assert_eq "$(read_code "$pid" "$addr" 16)" "$code" "code after refused revert/unload"
steady_ticks "$out" 'compute\(7\)=2007$'

mark=$(fsize "$out")
xs_ok revert "$pid" fix2
wait_workers "$out" 4 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
assert_status "$pid" fix2 REVERTED
assert_status "$pid" fix1 APPLIED
mark=$(fsize "$out")
xs_ok revert "$pid" fix1
wait_workers "$out" 4 14 "$mark"
expect_tick "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after both reverts"
# fix2 cannot be applied again without fix1
xs_fail . apply "$pid" fix2
assert_status "$pid" fix2 REVERTED
xs_ok unload "$pid" fix2
xs_ok unload "$pid" fix1
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
steady_ticks "$out" 'compute\(7\)=14$'
