#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nopie: load / revert / unload on a target built -no-pie -fno-pie.
. "${XSPLICE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/lib.sh"

build_target "$T/compute" "$TARGETS_DIR/compute.c" -- -no-pie -fno-pie
readelf -h "$T/compute" | grep -q 'EXEC' || fail "target is not ET_EXEC"
build_payload "$T/fix.xsp" "$PAYLOADS_DIR/compute_1000.c" "$T/compute"
start_compute "$T/compute"

mark=$(fsize "$out")
xs_ok load "$pid" "$T/fix.xsp"
wait_workers "$out" 4 1007 "$mark"
expect_tick "$out" 'compute\(7\)=1007$'
assert_status "$pid" fix APPLIED
code=$(read_code "$pid" "$addr" 16)
assert_eq "${code:0:2}" e9 "first byte at compute after apply"

mark=$(fsize "$out")
xs_ok revert "$pid" fix
wait_workers "$out" 4 14 "$mark"
expect_tick "$out" 'compute\(7\)=14$'
assert_eq "$(read_code "$pid" "$addr" 16)" "$orig" "code after revert"
xs_ok unload "$pid" fix
assert_eq "$(list_ids "$pid")" "" "payloads after unload"
steady_ticks "$out" 'compute\(7\)=14$'
