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
xs_ok unload "$pid" fix
assert_eq "$(nthreads_of "$pid")" "$threads" "threads at the end"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at the end"
# every worker changed value exactly 2 * ROUNDS times after its first line
for ((i = 0; i < N; i++)); do
	c=$(grep -c "^t$i compute" "$out")
	[ "$c" = $((2 * ROUNDS + 1)) ] || fail "worker $i printed $c changes, expected $((2 * ROUNDS + 1))"
done
steady_ticks "$out" 'compute\(7\)=14$'
