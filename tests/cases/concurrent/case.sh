#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# concurrent: a second xsplice run that finds the process held by another
# (in its stop) waits for it within its own time bound, then does its work;
# past the bound it fails with one line naming the other run.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_compute "$T/compute"

xs_ok upload "$pid" a "$T/fix.xsp"
xs_ok upload "$pid" b "$T/fix.xsp"
xs_ok check "$pid" a
xs_ok check "$pid" b

say "=== apply b while apply a holds the process"
# The held runs get a time bound longer than they are held: their stack
# check runs after the hold, and a worker found in the code must leave time
# to retry (the default 1 s is spent by the hold below).
hold_run in-stop apply "$pid" a --timeout 10000
tracer=$(awk '/^TracerPid/ { print $2 }' "/proc/$pid/status")
assert_eq "$(cat "/proc/$tracer/comm")" xsplice "the tracer while a is held"
timeout -k 2 30 "$XSPLICE" apply "$pid" b --timeout 10000 >"$T/b.out" 2>"$T/b.err" </dev/null &
b_pid=$!
track_pid "$b_pid"
sleep 0.5
alive "$b_pid" || fail "apply b did not wait for the held run: $(cat "$T/b.out" "$T/b.err")"
mark=$(fsize "$out")
release_held
assert_eq "$HELD_RC" 0 "apply a"
B_RC=0
wait "$b_pid" || B_RC=$?
say "+ apply b -> $B_RC: $(cat "$T/b.out" "$T/b.err")"
assert_eq "$B_RC" 0 "apply b after waiting"
assert_status "$pid" a APPLIED
assert_status "$pid" b APPLIED
wait_workers "$out" 4 1007 "$mark"

say "=== a run that waits past its time bound"
hold_run in-stop revert "$pid" b --timeout 10000
tracer=$(awk '/^TracerPid/ { print $2 }' "/proc/$pid/status")
xs_busy 'Device or resource busy' upload "$pid" c "$T/fix.xsp"
assert_contains "$(cat "$XS_ERR")" "another xsplice run (pid $tracer)" "the refusal names the other run"
release_held
assert_eq "$HELD_RC" 0 "revert b"
assert_status "$pid" b REVERTED
assert_eq "$(list_ids "$pid" | tr '\n' ' ')" "a b " "payloads after the refused upload"

mark=$(fsize "$out")
xs_ok revert "$pid" a
wait_workers "$out" 4 14 "$mark"
xs_ok unload "$pid" a
xs_ok unload "$pid" b
assert_alive "$pid"
