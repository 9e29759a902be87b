#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# thread_parked: quiescence. A thread parked in the old function blocks apply
# (EBUSY, nothing changed); a thread that is nearly always inside it does not.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/park.bin" "$CASE_DIR/park.c"
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/park.bin"
start_ready "$T/park.bin" "$T"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix
snapshot parked "$pid" "$addr" 32

# 1. a thread sleeps 4 s inside compute: apply must give up after ~300 ms
mark=$(fsize "$out")
touch "$T/park"
wait_for_line "$out" '^parked$' 5 "$mark" || fail "the parker thread did not park"
start=$(date +%s%N)
xs_busy 'Device or resource busy' apply "$pid" fix --timeout 300
ms=$((($(date +%s%N) - start) / 1000000))
say "refused apply took $ms ms"
[ "$ms" -lt 3500 ] || fail "apply --timeout 300 took $ms ms"
grep -q '^unparked' "$out" && fail "the parked thread left compute too early: test is not valid"
assert_status "$pid" fix CHECKED
assert_eq "$(get_field "$pid" fix rc)" -16 "rc after the refused apply"
assert_unchanged parked "refused apply"
# load is one action: refused, it leaves no payload behind (no fix2, no mapping)
xs_busy 'Device or resource busy' load "$pid" "$T/fix.xsp" --id fix2 --timeout 300
grep -q '^unparked' "$out" && fail "the parked thread left compute before the load: test is not valid"
xs_ok list "$pid"
grep -q '^fix2 ' "$XS_OUT" && fail "a refused load left fix2 behind: $(cat "$XS_OUT")"
assert_unchanged parked "refused load"
steady_ticks "$out" 'compute\(7\)=14$'

# 2. once the thread left, apply works
wait_for_line "$out" '^unparked -8000$' 6 "$mark" || fail "the parked thread did not come back"
mark=$(fsize "$out")
xs_ok apply "$pid" fix
expect_tick "$out" 'compute\(7\)=1007$'
assert_status "$pid" fix APPLIED
assert_eq "$(get_field "$pid" fix rc)" 0 "rc after apply"
xs_ok revert "$pid" fix
expect_tick "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after revert"

# 3. a thread inside compute nearly always (200 ms sleeps in a loop)
mark=$(fsize "$out")
touch "$T/loop"
wait_for_line "$out" '^loop compute\(-200\)=-400$' 5 "$mark" || fail "the looper did not start"
# The CLI dies while the looper is held where it returned from compute (run
# out with a breakpoint, the others running): the process lives on, unchanged.
rc=0
XSPLICE_TEST_CRASH_AT=run-out-held xs apply "$pid" fix --timeout 2000 || rc=$?
if [ "$rc" = 0 ]; then
	say "apply needed no run out with a breakpoint (none here?): the crash while a thread is held is not tried"
	xs_ok revert "$pid" fix
else
	[ "$rc" = 137 ] || fail "XSPLICE_TEST_CRASH_AT=run-out-held: expected death by SIGKILL (137), got $rc"
	assert_alive "$pid" "target (CLI killed while a thread was held after its run out)"
	assert_status "$pid" fix REVERTED
	assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after the CLI died in the run out"
fi
mark=$(fsize "$out")
xs_ok apply "$pid" fix --timeout 2000
wait_for_line "$out" '^loop compute\(-200\)=800$' 5 "$mark" || fail "the looping thread never ran the new compute"
expect_tick "$out" 'compute\(7\)=1007$'
# now it is nearly always inside the payload's function: revert the same way
mark=$(fsize "$out")
xs_ok revert "$pid" fix --timeout 2000
wait_for_line "$out" '^loop compute\(-200\)=-400$' 5 "$mark" || fail "the looping thread never came back to the old compute"
expect_tick "$out" 'compute\(7\)=14$'
xs_ok unload "$pid" fix
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at the end"
steady_ticks "$out" 'compute\(7\)=14$'
