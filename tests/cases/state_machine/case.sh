#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# state_machine: every transition the table forbids is refused with one line
# naming the state, and leaves status, code and behaviour as they were.
# Table (docs/design.md): CHECK from LOADED (or CHECKED); APPLY from CHECKED
# or REVERTED; REVERT from APPLIED; UNLOAD from LOADED, CHECKED or REVERTED.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_ready "$T/compute" 2
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)
refused='Invalid argument|Operation not permitted|Device or resource busy'

# refuse ACTION STATE VALUE: ACTION on payload fix (in STATE) is refused,
# the message names STATE, status and behaviour (compute(7)=VALUE) unchanged.
refuse() {
	local action=$1 state=$2 value=$3 code
	code=$(read_code "$pid" "$addr" 16)
	xs_fail "$refused" "$action" "$pid" fix
	grep -q "$state" "$XS_ERR" || fail "refusal of $action does not name the state $state: $(xs_err)"
	grep -q "fix" "$XS_ERR" || fail "refusal of $action does not name the payload fix: $(xs_err)"
	assert_status "$pid" fix "$state"
	assert_eq "$(read_code "$pid" "$addr" 16)" "$code" "code after refused $action"
	steady_ticks "$out" "compute\\(7\\)=$value\$"
}

# unknown ids
for a in get check apply revert unload; do
	xs_fail 'No such file or directory' "$a" "$pid" nosuch
	grep -q nosuch "$XS_ERR" || fail "message does not name the id nosuch: $(xs_err)"
done

xs_ok upload "$pid" fix "$T/fix.xsp"
xs_fail 'File exists' upload "$pid" fix "$T/fix.xsp"
grep -q fix "$XS_ERR" || fail "duplicate upload message does not name fix"
assert_eq "$(list_ids "$pid")" fix "one payload after the duplicate upload"

# LOADED
refuse revert LOADED 14
refuse apply LOADED 14
xs_ok check "$pid" fix
# CHECKED (docs/design.md allows CHECK again from CHECKED; the seed does not:
# either way the payload stays CHECKED and nothing changes)
if xs check "$pid" fix; then
	assert_status "$pid" fix CHECKED
	steady_ticks "$out" 'compute\(7\)=14$'
else
	xs_refused "$refused" "check $pid fix"
	grep -q CHECKED "$XS_ERR" || fail "refusal of check does not name CHECKED: $(xs_err)"
	assert_status "$pid" fix CHECKED
fi
refuse revert CHECKED 14
xs_ok apply "$pid" fix
expect_tick "$out" 'compute\(7\)=1007$'
# APPLIED
refuse apply APPLIED 1007
refuse check APPLIED 1007
refuse unload APPLIED 1007
xs_fail 'File exists' upload "$pid" fix "$T/fix.xsp"
assert_status "$pid" fix APPLIED
xs_ok revert "$pid" fix
expect_tick "$out" 'compute\(7\)=14$'
# REVERTED
refuse revert REVERTED 14
refuse check REVERTED 14
# REVERTED -> APPLIED -> REVERTED -> gone
xs_ok apply "$pid" fix
expect_tick "$out" 'compute\(7\)=1007$'
xs_ok revert "$pid" fix
expect_tick "$out" 'compute\(7\)=14$'
xs_ok unload "$pid" fix
for a in get apply unload; do
	xs_fail 'No such file or directory' "$a" "$pid" fix
done
# the id is free again
xs_ok upload "$pid" fix "$T/fix.xsp"
assert_status "$pid" fix LOADED
xs_ok unload "$pid" fix
assert_eq "$(list_ids "$pid")" "" "payloads at the end"
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at the end"
steady_ticks "$out" 'compute\(7\)=14$'
