#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# step_by_step: every action on its own, with list/get/list --json after each
# and the target's behaviour checked at every step.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
xs_ok build-id "$T/compute"
bid=$(tr -d '[:space:]' <"$XS_OUT")

# info on the file, text and JSON
xs_ok info "$T/fix.xsp"
grep -q compute "$XS_OUT" || fail "info does not name the patched function compute"
grep -q "$bid" "$XS_OUT" || fail "info does not show the target build-id $bid"
xs_ok info "$T/fix.xsp" --json
if [ "$HAVE_PYTHON" = 1 ]; then
	"$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "$XS_OUT" || fail "info --json is not JSON"
fi

start_compute "$T/compute"
v=$(list_json_version "$pid")
assert_match "$v" '^[0-9]+$' "list --json version"

# step ACTION STATUS: run the action, check status in get/list/json, version
step() {
	local action=$1 want=$2 nv
	shift 2
	xs_ok "$action" "$pid" fix "$@"
	assert_status "$pid" fix "$want"
	assert_eq "$(list_status "$pid" fix)" "$want" "list status after $action"
	assert_eq "$(get_field "$pid" fix id)" fix "get id"
	assert_eq "$(get_field "$pid" fix rc)" 0 "get rc after $action"
	nv=$(list_json_version "$pid")
	[ "$nv" -gt "$v" ] || fail "list --json version did not increase after $action: $v -> $nv"
	if [ "$HAVE_PYTHON" = 1 ]; then
		assert_eq "$(json_eval "$XS_OUT" '"|".join(str(x) for x in [len(d["payloads"])] + [d["payloads"][0][k] for k in ("id", "status", "rc")] + [len(d["payloads"][0]["funcs"]), d["payloads"][0]["funcs"][0]["old"]] + [d["payloads"][0][k] for k in ("target", "object", "depends")])')" \
			"1|fix|$want|0|1|compute|$bid|$T/compute|None" "list --json: count|id|status|rc|funcs|name|target|object|depends"
		assert_match "$(json_eval "$XS_OUT" 'd["payloads"][0]["build_id"]')" '^[0-9a-f]{8,}$' "json build_id"
	else
		grep -q "\"status\": *\"$want\"" "$XS_OUT" || fail "list --json has no status $want"
	fi
	v=$nv
}

xs_ok upload "$pid" fix "$T/fix.xsp"
assert_status "$pid" fix LOADED
v1=$(list_json_version "$pid")
[ "$v1" -gt "$v" ] || fail "version did not increase after upload: $v -> $v1"
v=$v1
steady_ticks "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after upload"

step check CHECKED
steady_ticks "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after check"

mark=$(fsize "$out")
step apply APPLIED
wait_workers "$out" 4 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
assert_ne "$(read_code "$pid" "$addr" 16)" "$orig" "code after apply"

mark=$(fsize "$out")
step revert REVERTED
wait_workers "$out" 4 14 "$mark"
expect_tick "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after revert"

# apply again from REVERTED, revert again
mark=$(fsize "$out")
step apply APPLIED --timeout 2000
wait_workers "$out" 4 1007 "$mark"
mark=$(fsize "$out")
step revert REVERTED --timeout 2000
wait_workers "$out" 4 14 "$mark"

xs_ok unload "$pid" fix
assert_eq "$(list_ids "$pid")" "" "payloads after unload"
nv=$(list_json_version "$pid")
[ "$nv" -gt "$v" ] || fail "version did not increase after unload: $v -> $nv"
if [ "$HAVE_PYTHON" = 1 ]; then
	assert_eq "$(json_eval "$XS_OUT" 'd["payloads"]')" "[]" "payloads in list --json after unload"
fi
steady_ticks "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code at the end"
