#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hooks: order of the eight hook kinds relative to the patch; vetoes.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/hooks" "$CASE_DIR/target.c"
for p in fix veto loadveto; do
	build_payload "$T/$p.xsp" "$CASE_DIR/$p.c" "$T/hooks" -- -I"$CASE_DIR"
done
start_ready "$T/hooks"
pid=$TPID out=$TOUT
addr=$(addr_of "$out" compute)
orig=$(read_code "$pid" "$addr" 16)
expect_tick "$out" 'compute\(7\)=14 log=\[\]$'

log_is() { # LOG VALUE
	expect_tick "$out" "compute\\(7\\)=$2 log=\\[$1\\]\$"
}

L="load:14,"
xs_ok upload "$pid" fix "$T/fix.xsp"
log_is "$L" 14
xs_ok check "$pid" fix
log_is "$L" 14
xs_ok apply "$pid" fix
L="${L}pre_apply:14,apply:1007,post_apply:1007,"
log_is "$L" 1007
xs_ok revert "$pid" fix
L="${L}pre_revert:1007,revert:14,post_revert:14,"
log_is "$L" 14
xs_ok unload "$pid" fix
L="${L}unload:14,"
log_is "$L" 14

# a vetoing pre_apply hook
xs_ok upload "$pid" veto "$T/veto.xsp"
xs_ok check "$pid" veto
xs_fail . apply "$pid" veto
grep -Eqi 'pre_apply|hook' "$XS_ERR" || fail "refusal does not name the hook: $(xs_err)"
assert_status "$pid" veto CHECKED
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after the vetoed apply"
L="${L}veto:14,"
log_is "$L" 14
steady_ticks "$out" "compute\\(7\\)=14 log=\\[$L\\]\$"
xs_ok unload "$pid" veto

# a vetoing load hook: upload refused, nothing mapped
snapshot loadveto "$pid" "$addr" 16
xs_fail . upload "$pid" loadveto "$T/loadveto.xsp"
grep -Eqi 'load|hook' "$XS_ERR" || fail "refusal does not name the hook: $(xs_err)"
assert_unchanged loadveto "upload refused by its load hook"
assert_eq "$(list_ids "$pid")" "" "payloads after the refused upload"
L="${L}loadveto:14,"
log_is "$L" 14
