#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# multi_thread_many: many threads, many rounds; nobody dies, nobody misses.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

N=64 ROUNDS=20
build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_ready "$T/compute" "$N"
pid=$TPID out=$TOUT
wait_workers "$out" "$N" 14 0 10
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)
threads=$(nthreads_of "$pid")
assert_eq "$threads" $((N + 1)) "threads at start"

xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok check "$pid" fix
start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
	mark=$(fsize "$out")
	xs_ok apply "$pid" fix --timeout 3000
	wait_workers "$out" "$N" 1007 "$mark"
	mark=$(fsize "$out")
	xs_ok revert "$pid" fix --timeout 3000
	wait_workers "$out" "$N" 14 "$mark"
done
say "$ROUNDS rounds in $(($(date +%s) - start)) s"
# 65 threads: a helper thread reads the stack tops as the stop reads registers
# (make check's XSPLICE_UNWIND=check compares every walk with libdwfl's).
mark=$(fsize "$out")
XSPLICE_DEBUG=1 xs_ok apply "$pid" fix --timeout 3000
wait_workers "$out" "$N" 1007 "$mark"
tops=$(grep -oE '[0-9]+ tops read ahead by the helper, [0-9]+ by us' "$XS_ERR") ||
	fail "no count of stack tops read in: $(tail -c 1000 "$XS_ERR")"
say "stack tops: $tops"
read -r by_helper _ _ _ _ _ _ by_us _ <<<"$tops"
((by_helper + by_us >= 1 && by_helper + by_us <= threads)) ||
	fail "stack tops read $by_helper + $by_us times for $threads threads"
xs_ok revert "$pid" fix --timeout 3000
xs_ok unload "$pid" fix
assert_eq "$(nthreads_of "$pid")" "$threads" "threads at the end"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at the end"
# every worker changed value exactly 2 * (ROUNDS + 1) times after its first line
for ((i = 0; i < N; i++)); do
	c=$(grep -c "^t$i compute" "$out")
	[ "$c" = $((2 * ROUNDS + 3)) ] || fail "worker $i printed $c changes, expected $((2 * ROUNDS + 3))"
done
steady_ticks "$out" 'compute\(7\)=14$'
