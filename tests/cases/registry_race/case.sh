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

# paused_apply ID: start `apply ID` held just before its stop; returns once held.
paused_apply() {
	rm -f "$T/go" "$T/go.ready"
	XSPLICE_TEST_PAUSE_AT=before-stop XSPLICE_TEST_PAUSE_FILE="$T/go" \
		timeout -k 2 60 "$XSPLICE" apply "$pid" "$1" >"$T/apply.out" 2>"$T/apply.err" </dev/null &
	apply_pid=$!
	track_pid "$apply_pid"
	for _ in $(seq 600); do
		[ -e "$T/go.ready" ] && return 0
		alive "$apply_pid" || break
		sleep 0.05
	done
	fail "apply $1 never reached its pause: $(cat "$T/apply.err")"
}

# resume_apply: let it go; its exit code in APPLY_RC.
resume_apply() {
	touch "$T/go"
	APPLY_RC=0
	wait "$apply_pid" || APPLY_RC=$?
	say "+ paused apply -> $APPLY_RC: $(cat "$T/apply.out" "$T/apply.err")"
}

say "=== an unload and an upload while apply is paused"
xs_ok upload "$pid" fix "$T/fix.xsp"
xs_ok upload "$pid" other "$T/fix.xsp"
xs_ok check "$pid" fix
paused_apply fix
# "other" goes and "third" takes its slot: a stale copy written back would
# bring "other" back and lose "third".
xs_ok unload "$pid" other
xs_ok upload "$pid" third "$T/fix.xsp"
mark=$(fsize "$out")
resume_apply
assert_eq "$APPLY_RC" 0 "apply after the registry changed"
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
paused_apply other
xs_ok unload "$pid" other
resume_apply
[ "$APPLY_RC" = 1 ] || fail "apply of an unloaded payload: exit $APPLY_RC"
assert_eq "$(wc -l <"$T/apply.err")" 1 "lines of the refusal"
grep -q "other" "$T/apply.err" || fail "refusal does not name the payload: $(cat "$T/apply.err")"
assert_eq "$(list_ids "$pid")" "" "payloads left"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after the refused apply"
steady_ticks "$out" 'compute\(7\)=14$'
assert_alive "$pid"
