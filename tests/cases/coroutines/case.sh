#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# coroutines: ucontext coroutines are no thread's stack. Without the list the
# load warns (and goes through: the documented limit); with
# xsplice_coroutines, a coroutine suspended in work() makes load busy, naming
# it and the function; once it left work(), the load goes through and the new
# work() runs in every coroutine. A malformed list is refused.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

inc=-I$XSPLICE_ROOT/include
build_target "$T/coro.nolist" "$CASE_DIR/coro.c" -- "$inc" -DNO_LIST
build_target "$T/coro" "$CASE_DIR/coro.c" -- "$inc"
build_target "$T/coro.bad" "$CASE_DIR/coro.c" -- "$inc" -DBAD_COUNT
build_payload "$T/fix.xsp" "$CASE_DIR/fix.c" "$T/coro"
build_payload "$T/fixnl.xsp" "$CASE_DIR/fix.c" "$T/coro.nolist"
build_payload "$T/fixbad.xsp" "$CASE_DIR/fix.c" "$T/coro.bad"

say "=== no list: a warning, and the limit stands"
start_ready "$T/coro.nolist"
expect_tick "$TOUT" 'held=0 work=20,22,24$'
xs_ok load "$TPID" "$T/fixnl.xsp"
assert_file_match "$XS_ERR" '^xsplice: load: warning: .*/coro\.nolist links (swap|make)context: functions on coroutine stacks \(ucontext\) are not seen by the stack check unless the program lists them in xsplice_coroutines'
expect_tick "$TOUT" 'held=0 work=30,33,36$'

say "=== a malformed list: refused"
start_ready "$T/coro.bad"
xs_fail 'xsplice_coroutines at 0x[0-9a-f]+: .*count 100000: not a list' load "$TPID" "$T/fixbad.xsp"
steady_ticks "$TOUT" 'held=0 work=20,22,24$'

say "=== with the list: coroutine 1 suspended in work() keeps load busy"
touch "$T/hold"
start_ready "$T/coro" "$T/hold"
expect_tick "$TOUT" 'held=1 work=20,-1,24$'
xs_busy 'coroutine 1 of xsplice_coroutines \(ucontext_t at 0x[0-9a-f]+\) is suspended in function work ' \
	load "$TPID" "$T/fix.xsp" --timeout 300
assert_no_file_match "$XS_ERR" 'warning'
steady_ticks "$TOUT" 'held=1 work=20,-1,24$'

say "=== it left work(): the load goes through, every coroutine runs the new work()"
rm "$T/hold"
expect_tick "$TOUT" 'held=0 work=20,22,24$'
xs_ok load "$TPID" "$T/fix.xsp"
assert_no_file_match "$XS_ERR" 'warning'
expect_tick "$TOUT" 'held=0 work=30,33,36$'
steady_ticks "$TOUT" 'held=0 work=30,33,36$'
xs_ok revert "$TPID" fix
expect_tick "$TOUT" 'held=0 work=20,22,24$'
assert_alive "$TPID"
