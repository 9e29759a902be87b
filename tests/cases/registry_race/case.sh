#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# registry_race: the registry changes between an apply's unattached read of it
# and its stop. In the stop only the header is read again when the version is
# the one seen before; a moved version must mean a full read, never a commit
# of the stale copy.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_compute "$T/compute"

say "=== an unload and an upload while apply is paused"
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok upload "$pid" other "$T/fix.xsp"
xs_ok check "$pid" fix
hold_run before-stop apply "$pid" fix
# "other" goes and "third" takes its slot: a stale copy written back would
# bring "other" back and lose "third".
xs_ok unload "$pid" other
xs_ok upload "$pid" third "$T/fix.xsp"
mark=$(fsize "$out")
release_held
assert_eq "$HELD_RC" 0 "apply after the registry changed"
assert_status "$pid" fix APPLIED
assert_status "$pid" third LOADED
assert_eq "$(list_ids "$pid" | tr '\n' ' ')" "fix third " "payloads after both runs"
wait_workers "$out" 4 1007 "$mark"
mark=$(fsize "$out")
xs_ok revert "$pid" fix
wait_workers "$out" 4 14 "$mark"
xs_ok unload "$pid" fix
xs_ok unload "$pid" third

say "=== the payload unloaded while apply is paused"
xs_ok upload "$pid" other "$T/fix.xsp"
xs_ok check "$pid" other
hold_run before-stop apply "$pid" other
xs_ok unload "$pid" other
release_held
[ "$HELD_RC" = 1 ] || fail "apply of an unloaded payload: exit $HELD_RC"
assert_eq "$(wc -l <"$T/held.err")" 1 "lines of the refusal"
grep -q "other" "$T/held.err" || fail "refusal does not name the payload: $(cat "$T/held.err")"
assert_eq "$(list_ids "$pid")" "" "payloads left"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after the refused apply"
steady_ticks "$out" 'compute\(7\)=14$'
assert_alive "$pid"
