#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# thread_churn: threads being created all the time (inside clone3, or just
# born at their first instruction, where glibc has no CFI) do not make
# apply/revert fail: 20 load/revert/unload rounds all succeed, and no thread
# is left stopped or traced.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

ROUNDS=20
build_target "$T/churn" "$CASE_DIR/churn.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/churn"
start_ready "$T/churn"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)
steady_ticks "$out" 'compute\(7\)=14 spawned=[1-9]'

# No thread of the target stopped (T, t) or traced once a command is done.
assert_released() { # WHAT
	local s st tracer
	for s in /proc/"$pid"/task/*/status; do
		st=$(awk '/^State:/ { print $2 }' "$s" 2>/dev/null) || continue
		tracer=$(awk '/^TracerPid:/ { print $2 }' "$s" 2>/dev/null) || continue
		case "$st" in
		T | t) fail "$1: thread ${s%/status} is stopped (state $st)" ;;
		esac
		[ -z "$tracer" ] || [ "$tracer" = 0 ] || fail "$1: thread ${s%/status} is traced by $tracer"
	done
}

start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
	xs_ok load "$pid" "$T/fix.xsp"
	assert_released "load, round $r"
	expect_tick "$out" 'compute\(7\)=1007 '
	xs_ok revert "$pid" fix
	assert_released "revert, round $r"
	expect_tick "$out" 'compute\(7\)=14 '
	xs_ok unload "$pid" fix
	assert_released "unload, round $r"
done
say "$ROUNDS rounds in $(($(date +%s) - start)) s"

# The CLI dies right after stepping a thread out of a CFI gap, the thread
# held where the steps left it: the process lives on, unchanged (a stepped
# thread keeps the step's trap flag until it is resumed some other way: it
# is held in a stop reached by PTRACE_CONT or PTRACE_SYSCALL).
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix
killed=0
for ((r = 1; r <= 20 && !killed; r++)); do
	rc=0
	XSPLICE_TEST_CRASH_AT=stepped xs apply "$pid" fix || rc=$?
	if [ "$rc" = 0 ]; then # no thread needed steps this time
		xs_ok revert "$pid" fix
		continue
	fi
	[ "$rc" = 137 ] || fail "XSPLICE_TEST_CRASH_AT=stepped: expected death by SIGKILL (137), got $rc"
	killed=$r
	assert_alive "$pid" "target (CLI killed after stepping a thread)"
	assert_released "the CLI killed after stepping a thread"
	assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after the CLI died after the steps"
done
[ "$killed" != 0 ] || say "no apply of 20 stepped a thread: the crash after steps is not tried"
steady_ticks "$out" 'compute\(7\)=14 spawned=[1-9]'
assert_alive "$pid" "target (after the crash after steps)"
xs_ok unload "$pid" fix
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at the end"
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
steady_ticks "$out" 'compute\(7\)=14 spawned=[1-9]'
