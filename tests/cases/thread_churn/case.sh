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
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at the end"
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
steady_ticks "$out" 'compute\(7\)=14 spawned=[1-9]'
